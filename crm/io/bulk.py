"""Writing many rows of one table in one statement, for imports of 100,000 rows.

``insert_rows`` is what ``session.execute(insert(table), rows)`` does, minus SQLAlchemy's
per-row parameter handling, which at that size costs more than the database's own writing: the
values go through each column's own bind processor (the conversion SQLAlchemy would apply, so
what is stored is the same), a column at a time, and straight to the driver — SQLite's
``executemany``, PostgreSQL's ``COPY … FROM STDIN`` (psycopg adapts each value as it would for
a statement's parameter). Columns the rows leave out get their scalar defaults; a left-out column
whose default is computed (a callable) sends the rows through SQLAlchemy instead, which knows how
to call it. Everything goes through the session's connection, so it is part of its transaction.
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
    if dialect.name not in ("sqlite", "postgresql") or any(not c.default.is_scalar for c in left_out):
        connection.execute(insert(table), rows)
        return
    defaults = {c.key: c.default.arg for c in left_out}
    if dialect.name == "sqlite":
        compiled = insert(table).compile(dialect=dialect, column_keys=keys + list(defaults))
        order = list(compiled.positiontup)
    else:
        order = keys + list(defaults)
    count = len(rows)
    columns = []
    for name in order:
        processor = table.c[name].type._cached_bind_processor(dialect)
        if name in defaults:
            value = defaults[name]
            value = processor(value) if processor is not None and value is not None else value
            columns.append([value] * count)
        elif processor is None:
            columns.append([row[name] for row in rows])
        else:
            columns.append([None if value is None else processor(value) for value in (row[name] for row in rows)])
    params = list(zip(*columns))
    if dialect.name == "sqlite":
        connection.exec_driver_sql(compiled.string, params)
        return
    preparer = dialect.identifier_preparer
    names = ", ".join(preparer.quote(table.c[name].name) for name in order)
    statement = f"COPY {preparer.format_table(table)} ({names}) FROM STDIN"
    with connection.connection.driver_connection.cursor() as cursor:
        with cursor.copy(statement) as copy:
            for values in params:
                copy.write_row(values)
