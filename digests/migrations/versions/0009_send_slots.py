"""The send budget senders share: send_slots, the digest messages reserved per second of the database's clock

Several senders (processes, machines) share Telegram's limit of the bot token through this table; see
``digests.storage.pace``. It holds a minute or so of rows: older ones are pruned as senders go.

Revision ID: 0009_send_slots
Revises: 0007_postgresql
Create Date: 2026-11-30
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0009_send_slots"
down_revision = "0008_procrastinate"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "send_slots",
        sa.Column("second", sa.BigInteger(), autoincrement=False, nullable=False),
        sa.Column("next_slot", sa.Integer(), nullable=False),
        sa.Column("reserved_at", sa.Double(), nullable=False),
        sa.PrimaryKeyConstraint("second", name="send_slots_pkey"),
        sqlite_with_rowid=False,
    )


def downgrade() -> None:
    op.drop_table("send_slots")
