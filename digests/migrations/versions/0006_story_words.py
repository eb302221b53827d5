"""Stories told in other words: story_words, the headline words of each day's articles

Another source's article on the same event, in other words, is found among the articles of its day through
their headline words (see ``digests.stories``). Articles stored before this revision have no words: they are
matched by link and identical headline only.

Revision ID: 0006_story_words
Revises: 0005_unknown_parts
Create Date: 2026-11-30
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0006_story_words"
down_revision = "0005_unknown_parts"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "story_words",
        sa.Column("day", sa.Integer(), nullable=False),
        sa.Column("word", sa.String(length=40), nullable=False),
        sa.Column("article_id", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(["article_id"], ["articles.id"], name="story_words_article_id_fkey",
                                ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("day", "word", "article_id", name="story_words_pkey"),
        sqlite_with_rowid=False,
    )


def downgrade() -> None:
    op.drop_table("story_words")
