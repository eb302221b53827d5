"""/search: ix_articles_id_order, the order columns (date_known, published_at) by article id

SQLite's FTS5 finds the matches of a search by article id; their order columns come from this index, where
each article's row (its text before its date_known) would take ten times as long to read. PostgreSQL gets it
too, so that both databases have the models' schema.

Revision ID: 0010_search_order_index
Revises: 0007_postgresql
Create Date: 2026-11-30
"""

from __future__ import annotations

from alembic import op

revision = "0010_search_order_index"
down_revision = "0009_send_slots"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_index("ix_articles_id_order", "articles", ["id", "date_known", "published_at"])


def downgrade() -> None:
    op.drop_index("ix_articles_id_order", table_name="articles")
