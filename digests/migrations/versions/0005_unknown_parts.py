"""Messages of unknown fate: deliveries.unknown_parts

A message handed to Telegram whose answer never came back (the sender stopped: a crash) counts as sent and is
not sent again; ``unknown_parts`` counts such messages of a delivery, for the log and /stats.

Revision ID: 0005_unknown_parts
Revises: 0004_known_dates_and_topic_keys
Create Date: 2026-11-30
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from digests.migrations.batch import batch_alter_table

revision = "0005_unknown_parts"
down_revision = "0004_known_dates_and_topic_keys"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column("deliveries", sa.Column("unknown_parts", sa.Integer(), nullable=False, server_default="0"))


def downgrade() -> None:
    with batch_alter_table("deliveries") as batch:
        batch.drop_column("unknown_parts")
