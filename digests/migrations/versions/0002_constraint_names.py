"""Names for the two constraints 0.1.0 left unnamed on SQLite: the unique link of articles, key of renderings

The models' NAMING_CONVENTION gives them the names PostgreSQL gave them already (articles_link_key,
renderings_key_key), so there is nothing to do there. SQLite cannot rename a constraint: these two tables are
copied in batch mode, with their rows, ids and (for articles) the triggers of the FTS5 index kept
(digests/migrations/batch.py). Their other unnamed constraints (primary and foreign keys) get their names in
the same copy; other tables' get theirs when a revision first copies them.

Revision ID: 0002_constraint_names
Revises: 0001_release_0_1_0
Create Date: 2026-11-25
"""

from __future__ import annotations

from alembic import op

from digests.migrations.batch import batch_alter_table

revision = "0002_constraint_names"
down_revision = "0001_release_0_1_0"
branch_labels = None
depends_on = None


def upgrade() -> None:
    if op.get_bind().dialect.name != "sqlite":
        return
    for table in ("articles", "renderings"):
        with batch_alter_table(table, recreate="always"):
            pass  # the copy is the change: it names the constraints


def downgrade() -> None:
    pass  # the names stay: 0.1.0's code does not refer to constraints by name, and copying again would not help it
