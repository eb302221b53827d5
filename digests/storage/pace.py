"""The send budget that digest senders in several processes (on several machines) share: Telegram's limit is the
bot token's, whoever sends.

A second is a second of the database's clock (PostgreSQL's ``statement_timestamp()``; SQLite's ``'now'``, the
clock of the one machine its processes share), so senders need no synchronised clocks of their own: each
reservation says what time the database had, and the sender maps it onto its own monotonic clock.

``send_slots`` holds one row per second: ``next_slot``, the first slot of that second not yet handed out. Slot
``k`` of second ``S`` is for the moment ``S + k / cap``: the slots of a second are spread evenly over it, so any
stretch of a second, not only the database's whole seconds, holds at most ``cap`` of them. A reservation is one
upsert (one round trip, atomic under the row's lock on both databases) that takes ``wanted`` slots from the
later of ``next_slot`` and the slot of the present moment: a slot whose moment has passed is never handed out,
and a reservation that finds the second full gets none (``next_slot`` then goes past the cap, which means
full). Rows older than a minute are pruned by the senders.
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import case, delete, select, text

from digests.models import SendSlot
from digests.storage.base import insert_for

KEEP_SECONDS = 60  # rows of the last minute stay (for a look at the pace); older ones are deleted

# The database's clock, in Unix seconds with a fraction (SQLite's 'now' has milliseconds), the same all through
# one statement.
CLOCK = {
    "postgresql": "CAST(extract(epoch FROM statement_timestamp()) AS double precision)",
    "sqlite": "(julianday('now') - 2440587.5) * 86400.0",
}
# floor and ceil of a positive number: PostgreSQL's CAST rounds, SQLite's truncates (and it may lack floor/ceil)
_FLOOR = {"postgresql": "CAST(floor({0}) AS bigint)", "sqlite": "CAST({0} AS INTEGER)"}
_CEIL = {"postgresql": "CAST(ceil({0}) AS integer)",
         "sqlite": "(CAST({0} AS INTEGER) + ({0} > CAST({0} AS INTEGER)))"}


def _reserve_sql(dialect: str) -> str:
    second, elapsed = _FLOOR[dialect].format("now"), "((now - second) * :cap)"
    return (
        f"WITH clock AS (SELECT {CLOCK[dialect]} AS now), "
        f"here AS (SELECT now, {second} AS second FROM clock) "
        "INSERT INTO send_slots (second, next_slot, reserved_at) "
        f"SELECT second, {_CEIL[dialect].format(elapsed)} + :wanted, now FROM here WHERE true "
        "ON CONFLICT (second) DO UPDATE SET "
        "next_slot = CASE WHEN send_slots.next_slot + :wanted > excluded.next_slot "
        "THEN send_slots.next_slot + :wanted ELSE excluded.next_slot END, reserved_at = excluded.reserved_at "
        "RETURNING second, next_slot, reserved_at"
    )


RESERVE = {dialect: text(_reserve_sql(dialect)) for dialect in CLOCK}


@dataclass(frozen=True)
class Reservation:
    """Slots ``first`` to ``first + count - 1`` of database second ``second`` (each for ``second + k / cap``), and
    the database's clock (``clock``, Unix seconds) when they were handed out."""

    second: int
    first: int
    count: int
    clock: float


class PaceQueries:
    def reserve_send_slots(self, cap: int, wanted: int) -> Reservation:
        """Up to ``wanted`` slots of the present second, of ``cap`` a second in all senders together."""
        with self.engine.begin() as connection:
            second, next_slot, clock = connection.execute(
                RESERVE[connection.dialect.name], {"cap": cap, "wanted": wanted}).one()
        first = next_slot - wanted
        return Reservation(second, first, max(0, min(next_slot, cap) - first), clock)

    def hold_sends(self, seconds: float, cap: int) -> int:
        """Hand out no slot from now for ``seconds`` (Telegram answered 429 ``retry_after``: every sender waits), to
        the end of a whole second of the database's clock; returns that second."""
        with self.engine.begin() as connection:
            clock = connection.execute(select(text(CLOCK[connection.dialect.name]))).scalar_one()
            rows = [{"second": second, "next_slot": cap, "reserved_at": clock}
                    for second in range(int(clock), int(clock + min(seconds, 3600)) + 1)]
            upsert = insert_for(connection, SendSlot.__table__)
            column = SendSlot.__table__.c.next_slot
            connection.execute(upsert.on_conflict_do_update(index_elements=["second"], set_={
                "next_slot": case((column > upsert.excluded.next_slot, column), else_=upsert.excluded.next_slot)}),
                rows)
        return rows[-1]["second"]

    def prune_send_slots(self, now_second: int) -> int:
        """Delete the rows more than a minute older than ``now_second``; returns how many."""
        with self.engine.begin() as connection:
            return connection.execute(delete(SendSlot).where(SendSlot.second < now_second - KEEP_SECONDS)).rowcount
