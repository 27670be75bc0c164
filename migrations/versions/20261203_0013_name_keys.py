"""Indexed name keys of leads and companies for the duplicate guard

The key is computed by ``crm.models.names.name_key`` — the function every later write uses — so
the stored keys of existing rows are exactly what new rows get.

Revision ID: 0013
Revises: 0012
Create Date: 2026-12-03
"""
from alembic import op
import sqlalchemy as sa

from crm.models.names import name_key

revision = "0013"
down_revision = "0012"
branch_labels = None
depends_on = None

TABLES = {"leads": "company_name", "companies": "name"}
CHUNK = 5000


def _fill(table_name: str, source: str) -> None:
    table = sa.table(table_name, sa.column("id", sa.Integer), sa.column(source, sa.String),
                     sa.column("name_key", sa.String))
    bind = op.get_bind()
    rows = bind.execute(sa.select(table.c.id, table.c[source])).all()
    stmt = table.update().where(table.c.id == sa.bindparam("b_id")).values(name_key=sa.bindparam("b_key"))
    for start in range(0, len(rows), CHUNK):
        bind.execute(stmt, [{"b_id": row_id, "b_key": name_key(name)} for row_id, name in rows[start:start + CHUNK]])


def upgrade():
    for table_name, source in TABLES.items():
        # Plain ADD COLUMN: a batch "move and copy" of these tables would trip the foreign keys
        # that point at them.
        op.add_column(table_name, sa.Column("name_key", sa.String(length=255), nullable=False, server_default=""))
        _fill(table_name, source)
        op.create_index(op.f(f"ix_{table_name}_name_key"), table_name, ["name_key"], unique=False)


def downgrade():
    for table_name in TABLES:
        op.drop_index(op.f(f"ix_{table_name}_name_key"), table_name=table_name)
        with op.batch_alter_table(table_name, schema=None) as batch_op:
            batch_op.drop_column("name_key")
