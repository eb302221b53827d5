"""PostgreSQL: procrastinate's job queue (the tables, types and functions of `newsdigest worker`)

On PostgreSQL this applies procrastinate's own schema, as the installed procrastinate ships it
(``SchemaManager.get_schema()``): its schema is that of its migration 03.04.00, unchanged in releases 3.4 to
3.10, the range pyproject.toml allows. SQLite: nothing to do (there, `newsdigest run` does all the work in one
process, without procrastinate).

A procrastinate release that changes its schema ships the change as SQL files in its package
(``procrastinate/sql/migrations/*.sql``, named by version). Upgrading to it takes a new revision of ours that
applies those files (read from the package, as this one reads ``schema.sql``), and widening the range in
pyproject.toml in the same change; never run ``procrastinate schema --apply`` or its migrations by hand.

Revision ID: 0008_procrastinate
Revises: 0007_postgresql
Create Date: 2026-11-30
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0008_procrastinate"
down_revision = "0007_postgresql"
branch_labels = None
depends_on = None

PREFIX = "procrastinate_"  # every object procrastinate makes is named so
IN_SCHEMA = "JOIN pg_namespace n ON n.oid = {} WHERE n.nspname = current_schema()"
TABLES = f"SELECT relname FROM pg_class {IN_SCHEMA.format('relnamespace')} AND relkind = 'r' AND relname LIKE :like"
FUNCTIONS = (f"SELECT p.oid::regprocedure::text FROM pg_proc p {IN_SCHEMA.format('pronamespace')} "
             "AND proname LIKE :like")
TYPES = f"SELECT typname FROM pg_type {IN_SCHEMA.format('typnamespace')} AND typname LIKE :like"


def upgrade() -> None:
    bind = op.get_bind()
    if bind.dialect.name != "postgresql":
        return
    from procrastinate.schema import SchemaManager  # the postgres extra: only needed here on PostgreSQL

    # Through the driver, without parameters: the SQL is procrastinate's, with its own % and :: in it.
    with bind.connection.dbapi_connection.cursor() as cursor:
        cursor.execute(SchemaManager.get_schema())


def downgrade() -> None:
    bind = op.get_bind()
    if bind.dialect.name != "postgresql":
        return

    def names(query: str) -> list[str]:
        return list(bind.execute(sa.text(query), {"like": PREFIX.replace("_", r"\_") + "%"}).scalars())

    for table in names(TABLES):  # their indexes, triggers and row types go with them
        op.execute(f'DROP TABLE "{table}" CASCADE')
    for function in names(FUNCTIONS):
        op.execute(f"DROP FUNCTION {function} CASCADE")
    for name in names(TYPES):  # the enums and composite types left
        op.execute(f'DROP TYPE "{name}" CASCADE')
