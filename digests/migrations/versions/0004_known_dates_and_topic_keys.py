"""Undated articles placed after dated ones (articles.date_known); topics stored under their new keys

An article whose item and feed gave no date has ``date_known`` false and comes after every dated article in
/latest, /topic and /search; ``article_topics`` carries the flag too, so a topic's page is read in one index.
Topic keys now fold plural forms, punctuation, a trailing "news" and name order ("World news", "worldNews" and
"World" are one topic): the stored keys of topics, articles' topics and chats' topics are recomputed, and
topics that now share a key are merged (their counts added up, the most used name kept).

Revision ID: 0004_known_dates_and_topic_keys
Revises: 0003_topic_exclusions
Create Date: 2026-11-30
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from digests.migrations.batch import batch_alter_table
from digests.topics import topic_key

revision = "0004_known_dates_and_topic_keys"
down_revision = "0003_topic_exclusions"
branch_labels = None
depends_on = None

topics = sa.table("topics", sa.column("key", sa.String()), sa.column("name", sa.String()),
                  sa.column("article_count", sa.Integer()))
article_topics = sa.table("article_topics", sa.column("article_id", sa.Integer()), sa.column("key", sa.String()))
subscriber_topics = sa.table("subscriber_topics", sa.column("chat_id", sa.BigInteger()),
                             sa.column("key", sa.String()))
TEMPORARY = "\x00"  # no real key holds it


def upgrade() -> None:
    op.add_column("articles", sa.Column("date_known", sa.Boolean(), nullable=False, server_default=sa.true()))
    op.create_index("ix_articles_latest", "articles", ["date_known", "published_at", "id"])
    op.add_column("article_topics", sa.Column("date_known", sa.Boolean(), nullable=False, server_default=sa.true()))
    op.drop_index("ix_article_topics_key_published", table_name="article_topics")
    op.create_index("ix_article_topics_key_latest", "article_topics",
                    ["key", "date_known", "published_at", "article_id"])
    rekey_topics(op.get_bind())


def rekey_topics(bind) -> None:
    """Store every topic under ``topic_key`` of its name, merging those that now share a key."""
    stored = bind.execute(sa.select(topics.c.key, topics.c.name, topics.c.article_count)).all()
    new_key = {key: topic_key(name) or key for key, name, _ in stored}
    moves = {old: new for old, new in new_key.items() if old != new}
    if not moves:
        return
    # in two steps, through keys no topic has, so that one topic's new key may be another's old one
    for rows, owner in ((article_topics, article_topics.c.article_id), (subscriber_topics, subscriber_topics.c.chat_id)):
        for step in (lambda old, new: (old, TEMPORARY + new), lambda old, new: (TEMPORARY + new, new)):
            for source, target in {step(old, new) for old, new in moves.items()}:
                taken = sa.select(owner).where(rows.c.key == target).scalar_subquery()
                bind.execute(rows.delete().where(rows.c.key == source, owner.in_(taken)))  # already under it
                bind.execute(rows.update().where(rows.c.key == source).values(key=target))
    names: dict[str, tuple[int, str]] = {}
    for key, name, count in stored:
        best = names.get(new_key[key])
        if best is None or count > best[0]:
            names[new_key[key]] = (count, name)
    counts = dict(bind.execute(sa.select(article_topics.c.key, sa.func.count())
                               .group_by(article_topics.c.key)).all())
    bind.execute(topics.delete())
    bind.execute(topics.insert(), [dict(key=key, name=name, article_count=counts.get(key, 0))
                                   for key, (_, name) in names.items()])


def downgrade() -> None:
    # the keys stay as they are now: 0.1.0 matches topics by its own key only for new articles
    op.drop_index("ix_article_topics_key_latest", table_name="article_topics")
    op.drop_index("ix_articles_latest", table_name="articles")
    with batch_alter_table("article_topics") as batch:
        batch.drop_column("date_known")
    op.create_index("ix_article_topics_key_published", "article_topics", ["key", "published_at", "article_id"])
    with batch_alter_table("articles") as batch:
        batch.drop_column("date_known")
