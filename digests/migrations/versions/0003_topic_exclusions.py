"""Topics a chat on all topics leaves out: subscriber_topics.excluded

In 0.1.0, dropping one topic from an all-topics digest turned it into a fixed list of the other topics, so
topics that appeared later never reached that chat. Now the chat stays on all topics and the dropped topic is
recorded as excluded. Chats with a fixed list keep it (their rows are not excluded).

Revision ID: 0003_topic_exclusions
Revises: 0002_constraint_names
Create Date: 2026-11-25
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from digests.migrations.batch import batch_alter_table

revision = "0003_topic_exclusions"
down_revision = "0002_constraint_names"
branch_labels = None
depends_on = None

subscribers = sa.table("subscribers", sa.column("chat_id", sa.BigInteger()), sa.column("all_topics", sa.Boolean()),
                       sa.column("active", sa.Boolean()))
topics = sa.table("topics", sa.column("key", sa.String()), sa.column("name", sa.String()))


def upgrade() -> None:
    chosen = sa.table("subscriber_topics", sa.column("chat_id", sa.BigInteger()))
    # 0.1.0 ignored the topics of a chat on all topics (and cleared them when it set all_topics): none should be
    # there, and any that are would now read as chosen, so they go
    all_topics_chats = sa.select(subscribers.c.chat_id).where(subscribers.c.all_topics.is_(True))
    op.execute(chosen.delete().where(chosen.c.chat_id.in_(all_topics_chats)))
    with batch_alter_table("subscriber_topics") as batch:
        batch.add_column(sa.Column("excluded", sa.Boolean(), nullable=False, server_default=sa.false()))


def downgrade() -> None:
    # 0.1.0 cannot leave topics out of all topics: such a chat gets, as 0.1.0 made it, a fixed list of every
    # other topic there is now (and is turned off when that list is empty)
    rows = sa.table("subscriber_topics", sa.column("chat_id", sa.BigInteger()), sa.column("key", sa.String()),
                    sa.column("name", sa.String()), sa.column("excluded", sa.Boolean()))
    bind = op.get_bind()
    narrowed = bind.execute(sa.select(rows.c.chat_id).distinct().where(
        rows.c.excluded.is_(True), rows.c.chat_id.in_(sa.select(subscribers.c.chat_id)
                                                      .where(subscribers.c.all_topics.is_(True))))).scalars().all()
    for chat_id in narrowed:
        left_out = sa.select(rows.c.key).where(rows.c.chat_id == chat_id, rows.c.excluded.is_(True))
        others = bind.execute(sa.select(topics.c.key, topics.c.name).where(topics.c.key.not_in(left_out))).all()
        bind.execute(rows.delete().where(rows.c.chat_id == chat_id))
        if others:
            bind.execute(rows.insert(), [{"chat_id": chat_id, "key": key, "name": name, "excluded": False}
                                         for key, name in others])
        bind.execute(subscribers.update().where(subscribers.c.chat_id == chat_id)
                     .values(all_topics=False, **({} if others else {"active": False})))
    bind.execute(rows.delete().where(rows.c.excluded.is_(True)))
    with batch_alter_table("subscriber_topics") as batch:
        batch.drop_column("excluded")
