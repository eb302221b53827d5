"""PostgreSQL: procrastinate's job queue (the tables, types and functions of `newsdigest worker`)

On PostgreSQL this applies procrastinate's own schema, as the installed procrastinate ships it
(``SchemaManager.get_schema()``), and records which it is (the newest of procrastinate's own migrations it
holds, ``03.04.00`` for releases 3.4 to 3.10) as the comment of the ``procrastinate_jobs`` table. A procrastinate
with a schema newer than our revisions know (``schema.PROCRASTINATE_SCHEMA``) is refused, here and when a worker
starts. SQLite: nothing to do (there, `newsdigest run` does all the work in one process, without procrastinate).

A procrastinate release that changes its schema ships the change as SQL files in its package
(``procrastinate/sql/migrations/*.sql``, named by version). Upgrading to it takes a new revision of ours that
applies the files newer than the version recorded in the comment (a new database got the newer schema whole from
this revision, and applies none), records the new version, moves ``PROCRASTINATE_SCHEMA`` and widens the range
in pyproject.toml, in the same change. Never run ``procrastinate schema --apply`` or its migrations by hand.

Revision ID: 0008_procrastinate
Revises: 0007_postgresql
Create Date: 2026-11-30
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from digests.storage.schema import PROCRASTINATE_PREFIX, check_procrastinate, procrastinate_schema

revision = "0008_procrastinate"
down_revision = "0007_postgresql"
branch_labels = None
depends_on = None

PREFIX = PROCRASTINATE_PREFIX  # every object procrastinate makes is named so
SCHEMA_COMMENT = "procrastinate schema "  # then the version applied, for the revision that upgrades it
IN_SCHEMA = "JOIN pg_namespace n ON n.oid = {} WHERE n.nspname = current_schema()"
TABLES = f"SELECT relname FROM pg_class {IN_SCHEMA.format('relnamespace')} AND relkind = 'r' AND relname LIKE :like"
FUNCTIONS = (f"SELECT p.oid::regprocedure::text FROM pg_proc p {IN_SCHEMA.format('pronamespace')} "
             "AND proname LIKE :like")
TYPES = f"SELECT typname FROM pg_type {IN_SCHEMA.format('typnamespace')} AND typname LIKE :like"


def upgrade() -> None:
    bind = op.get_bind()
    if bind.dialect.name != "postgresql":
        return
    check_procrastinate()  # the postgres extra, in the releases whose schema this applies
    from procrastinate.schema import SchemaManager

    # Through the driver, without parameters: the SQL is procrastinate's, with its own % and :: in it.
    with bind.connection.dbapi_connection.cursor() as cursor:
        cursor.execute(SchemaManager.get_schema())
    op.execute(f"COMMENT ON TABLE procrastinate_jobs IS '{SCHEMA_COMMENT}{procrastinate_schema()}'")


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
