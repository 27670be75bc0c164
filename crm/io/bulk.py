"""Writing many rows of one table in one statement, for imports of 100,000 rows.

``insert_rows`` is what ``session.execute(insert(table), rows)`` does, minus SQLAlchemy's
per-row parameter handling, which on SQLite costs more than SQLite's own writing at that size:
there the values go through each column's own bind processor (the conversion SQLAlchemy would
apply, so what is stored is the same) and straight to the driver's ``executemany``. Columns the
rows leave out get their scalar defaults; a left-out column whose default is computed (a
callable) sends the rows through SQLAlchemy instead, which knows how to call it. On PostgreSQL
SQLAlchemy already batches the rows into multi-row VALUES (insertmanyvalues) and is used as is.
The statements go through the session's connection, so they are part of its transaction.
"""

from __future__ import annotations

from sqlalchemy import insert


def insert_rows(session, table, rows: list[dict]) -> None:
    """``rows`` (dicts with the same keys) into ``table``, within the session's transaction."""
    if not rows:
        return
    connection = session.connection()
    dialect = connection.dialect
    keys = list(rows[0])
    left_out = [c for c in table.c if c.key not in keys and c.default is not None]
    if dialect.name != "sqlite" or any(not c.default.is_scalar for c in left_out):
        connection.execute(insert(table), rows)
        return
    defaults = {c.key: c.default.arg for c in left_out}
    compiled = insert(table).compile(dialect=dialect, column_keys=keys + list(defaults))
    order = list(compiled.positiontup)
    processors = [table.c[name].type._cached_bind_processor(dialect) for name in order]
    fixed = {name: value for name, value in defaults.items()}
    plan = [(name, processor, name in fixed) for name, processor in zip(order, processors)]
    params = []
    for row in rows:
        values = []
        for name, processor, is_fixed in plan:
            value = fixed[name] if is_fixed else row[name]
            values.append(processor(value) if processor is not None and value is not None else value)
        params.append(tuple(values))
    connection.exec_driver_sql(compiled.string, params)
