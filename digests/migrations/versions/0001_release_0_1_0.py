"""The schema of newsdigest 0.1.0 (the baseline): its tables and, on SQLite, the FTS5 index of /search

Databases made by 0.1.0 (with create_all, before migrations) are recognised and marked at this revision
without being changed (digests/storage/schema.py); new databases are made by it, the same way.

Revision ID: 0001_release_0_1_0
Revises:
Create Date: 2026-11-25
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from digests.migrations import fts5

revision = "0001_release_0_1_0"
down_revision = None
branch_labels = None
depends_on = None

# The tables exactly as 0.1.0 made them: create_all on a MetaData without a naming convention, so that new
# databases and 0.1.0's are alike (on SQLite, with the same unnamed constraints; revision 0002 names them on SQLite).
metadata = sa.MetaData()

articles = sa.Table(
    "articles", metadata,
    sa.Column("id", sa.Integer(), nullable=False),
    sa.Column("source", sa.String(length=200), nullable=False),
    sa.Column("external_id", sa.String(length=200), nullable=True),
    sa.Column("link", sa.String(length=2048), nullable=False),
    sa.Column("title", sa.String(length=500), nullable=False),
    sa.Column("author", sa.String(length=200), nullable=True),
    sa.Column("published_at", sa.DateTime(), nullable=False),
    sa.Column("arrived_at", sa.DateTime(), nullable=False),
    sa.Column("text", sa.Text(), nullable=False),
    sa.Column("summary", sa.Text(), nullable=False),
    sa.PrimaryKeyConstraint("id"),
    sa.UniqueConstraint("source", "external_id", name="uq_articles_source_external_id"),
    sa.UniqueConstraint("link"),
    sa.Index("ix_articles_published", "published_at", "id"),
    sa.Index("ix_articles_arrived", "arrived_at"),
)
sa.Table(
    "topics", metadata,
    sa.Column("key", sa.String(length=200), nullable=False),
    sa.Column("name", sa.String(length=200), nullable=False),
    sa.Column("article_count", sa.Integer(), nullable=False),
    sa.PrimaryKeyConstraint("key"),
)
sa.Table(
    "article_topics", metadata,
    sa.Column("article_id", sa.Integer(), nullable=False),
    sa.Column("key", sa.String(length=200), nullable=False),
    sa.Column("name", sa.String(length=200), nullable=False),
    sa.Column("position", sa.Integer(), nullable=False),
    sa.Column("published_at", sa.DateTime(), nullable=False),
    sa.ForeignKeyConstraint(["article_id"], ["articles.id"], ondelete="CASCADE"),
    sa.PrimaryKeyConstraint("article_id", "key"),
    sa.Index("ix_article_topics_key_published", "key", "published_at", "article_id"),
)
sa.Table(
    "subscribers", metadata,
    sa.Column("chat_id", sa.BigInteger(), autoincrement=False, nullable=False),
    sa.Column("kind", sa.String(length=20), nullable=False),
    sa.Column("active", sa.Boolean(), nullable=False),
    sa.Column("all_topics", sa.Boolean(), nullable=False),
    sa.Column("created_at", sa.DateTime(), nullable=False),
    sa.Column("digest_time", sa.Time(), nullable=True),
    sa.Column("timezone", sa.String(length=64), nullable=True),
    sa.Column("next_digest_at", sa.DateTime(), nullable=True),
    sa.Column("inactive_reason", sa.String(length=300), nullable=True),
    sa.PrimaryKeyConstraint("chat_id"),
    sa.Index("ix_subscribers_due", "active", "next_digest_at"),
)
sa.Table(
    "subscriber_topics", metadata,
    sa.Column("chat_id", sa.BigInteger(), nullable=False),
    sa.Column("key", sa.String(length=200), nullable=False),
    sa.Column("name", sa.String(length=200), nullable=False),
    sa.ForeignKeyConstraint(["chat_id"], ["subscribers.chat_id"], ondelete="CASCADE"),
    sa.PrimaryKeyConstraint("chat_id", "key"),
)
sa.Table(
    "renderings", metadata,
    sa.Column("id", sa.Integer(), nullable=False),
    sa.Column("key", sa.String(length=64), nullable=False),
    sa.Column("messages", sa.Text(), nullable=False),
    sa.Column("article_count", sa.Integer(), nullable=False),
    sa.Column("created_at", sa.DateTime(), nullable=False),
    sa.PrimaryKeyConstraint("id"),
    sa.UniqueConstraint("key"),
)
sa.Table(
    "deliveries", metadata,
    sa.Column("id", sa.Integer(), nullable=False),
    sa.Column("chat_id", sa.BigInteger(), nullable=False),
    sa.Column("digest_date", sa.Date(), nullable=False),
    sa.Column("window_start", sa.DateTime(), nullable=False),
    sa.Column("window_end", sa.DateTime(), nullable=False),
    sa.Column("rendering_id", sa.Integer(), nullable=True),
    sa.Column("status", sa.String(length=20), nullable=False),
    sa.Column("parts_done", sa.Integer(), nullable=False),
    sa.Column("parts_total", sa.Integer(), nullable=False),
    sa.Column("in_flight", sa.Boolean(), nullable=False),
    sa.Column("attempts", sa.Integer(), nullable=False),
    sa.Column("next_attempt_at", sa.DateTime(), nullable=True),
    sa.Column("last_error", sa.String(length=300), nullable=True),
    sa.Column("created_at", sa.DateTime(), nullable=False),
    sa.Column("sent_at", sa.DateTime(), nullable=True),
    sa.PrimaryKeyConstraint("id"),
    sa.UniqueConstraint("chat_id", "digest_date", name="uq_deliveries_chat_day"),
    sa.ForeignKeyConstraint(["chat_id"], ["subscribers.chat_id"], ondelete="CASCADE"),
    sa.ForeignKeyConstraint(["rendering_id"], ["renderings.id"]),
    sa.Index("ix_deliveries_chat_window", "chat_id", "window_end"),
    sa.Index("ix_deliveries_status", "status", "next_attempt_at"),
)
sa.Table(
    "source_states", metadata,
    sa.Column("name", sa.String(length=200), nullable=False),
    sa.Column("location", sa.String(length=2048), nullable=False),
    sa.Column("etag", sa.String(length=500), nullable=True),
    sa.Column("last_modified", sa.String(length=100), nullable=True),
    sa.Column("last_attempt_at", sa.DateTime(), nullable=True),
    sa.Column("last_success_at", sa.DateTime(), nullable=True),
    sa.Column("next_attempt_at", sa.DateTime(), nullable=True),
    sa.Column("consecutive_failures", sa.Integer(), nullable=False),
    sa.Column("first_failure_at", sa.DateTime(), nullable=True),
    sa.Column("last_error", sa.Text(), nullable=True),
    sa.Column("alerted", sa.Boolean(), nullable=False),
    sa.PrimaryKeyConstraint("name"),
)
sa.Table(
    "ingested_files", metadata,
    sa.Column("path", sa.String(length=2048), nullable=False),
    sa.Column("size", sa.BigInteger(), nullable=False),
    sa.Column("mtime_ns", sa.BigInteger(), nullable=False),
    sa.Column("outcome", sa.String(length=20), nullable=False),
    sa.Column("reason", sa.Text(), nullable=True),
    sa.Column("ingested_at", sa.DateTime(), nullable=False),
    sa.PrimaryKeyConstraint("path"),
)
sa.Table(
    "article_headlines", metadata,
    sa.Column("article_id", sa.Integer(), nullable=False),
    sa.Column("day", sa.Date(), nullable=False),
    sa.Column("key", sa.String(length=500), nullable=False),
    sa.ForeignKeyConstraint(["article_id"], ["articles.id"], ondelete="CASCADE"),
    sa.PrimaryKeyConstraint("article_id"),
    sa.Index("ix_article_headlines_day_key", "day", "key"),
)
sa.Table(
    "also_sources", metadata,
    sa.Column("article_id", sa.Integer(), nullable=False),
    sa.Column("source", sa.String(length=200), nullable=False),
    sa.ForeignKeyConstraint(["article_id"], ["articles.id"], ondelete="CASCADE"),
    sa.PrimaryKeyConstraint("article_id", "source"),
)
sa.Table(
    "chat_filters", metadata,
    sa.Column("chat_id", sa.BigInteger(), autoincrement=False, nullable=False),
    sa.Column("word", sa.String(length=100), nullable=False),
    sa.Column("keep", sa.Boolean(), nullable=False),
    sa.PrimaryKeyConstraint("chat_id", "word"),
)
sa.Table(
    "chat_targets", metadata,
    sa.Column("chat_id", sa.BigInteger(), nullable=False),
    sa.Column("thread_id", sa.Integer(), nullable=True),
    sa.Column("channel_id", sa.BigInteger(), nullable=True),
    sa.Column("channel_name", sa.String(length=200), nullable=True),
    sa.ForeignKeyConstraint(["chat_id"], ["subscribers.chat_id"], ondelete="CASCADE"),
    sa.PrimaryKeyConstraint("chat_id"),
)

def upgrade() -> None:
    metadata.create_all(op.get_bind())
    if op.get_bind().dialect.name == "sqlite":
        fts5.create(op.get_bind())


def downgrade() -> None:
    if op.get_bind().dialect.name == "sqlite":
        for statement in fts5.DROP:
            op.execute(statement)
    metadata.drop_all(op.get_bind())
