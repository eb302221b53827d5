"""The send budget that digest senders in several processes (on several machines) share: Telegram's limit is the
bot token's, whoever sends.

A second is a second of the database's clock (PostgreSQL's ``statement_timestamp()``; SQLite's ``'now'``, the
clock of the one machine its processes share), so senders need no synchronised clocks of their own: each
reservation says what time the database had, and the sender maps it onto its own monotonic clock.

The pace is ``rate = num / den`` slots a second (a fraction: 29, 29.4 = 147/5, 950). Slot ``n`` is for the moment
``n / rate`` (Unix seconds of the database's clock): the slots are spread evenly over time, across the seconds'
boundaries too, so any stretch of a second holds at most ``ceil(rate)`` of them, and a second's last slot is
followed by the next second's first one interval later. ``send_slots`` holds one row per second ``S`` (the slots
whose moments fall in it, numbered from 0: slot ``k`` is ``first_slot(S) + k``) with ``next_slot``, the first of
them not yet handed out. A reservation is one upsert (one round trip, atomic under the row's lock on both
databases) that takes ``wanted`` slots from the later of ``next_slot`` and the slot of the present moment: a slot
whose moment has passed is never handed out, and a reservation that finds the second full gets none
(``next_slot`` then goes past the second's count, which means full). A second found full already is skipped: the
reservation takes the next second's first slots, which are the next to come. Rows older than a minute are pruned
by the senders.
"""

from __future__ import annotations

from dataclasses import dataclass
from fractions import Fraction

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
_CEIL = {"postgresql": "CAST(ceil({0}) AS bigint)",
         "sqlite": "(CAST({0} AS INTEGER) + ({0} > CAST({0} AS INTEGER)))"}


def pace_fraction(messages_per_second: float) -> tuple[int, int]:
    """The pace as a fraction ``num / den`` (den at most 100): 29 -> (29, 1), 29.4 -> (147, 5)."""
    rate = Fraction(messages_per_second).limit_denominator(100)
    return rate.numerator, rate.denominator


def first_slot(second: int, num: int, den: int) -> int:
    """The first slot whose moment falls in ``second``: ceil(second * num / den)."""
    return (second * num + den - 1) // den


def _reserve_sql(dialect: str) -> str:
    floor, ceil = _FLOOR[dialect].format, _CEIL[dialect].format
    count = "(((second + 1) * :num + :den - 1) / :den - (second * :num + :den - 1) / :den)"  # slots in `second`
    return (
        f"WITH clock AS (SELECT {CLOCK[dialect]} AS now), "
        # the present second, or the next one when the present one is full already
        f"here AS (SELECT now, {floor('now')} + CASE WHEN EXISTS (SELECT 1 FROM send_slots WHERE second = "
        f"{floor('now')} AND next_slot >= (({floor('now')} + 1) * :num + :den - 1) / :den - ({floor('now')} * :num "
        "+ :den - 1) / :den) THEN 1 ELSE 0 END AS second FROM clock), "
        # the slot of the present moment, numbered within the second (0 in a second yet to come)
        f"here_slot AS (SELECT now, second, CASE WHEN second > now THEN 0 ELSE CAST({ceil('(now * :num / :den)')} - "
        "(second * :num + :den - 1) / :den AS integer) END AS present FROM here) "
        "INSERT INTO send_slots (second, next_slot, reserved_at) "
        "SELECT second, present + :wanted, now FROM here_slot WHERE true "
        "ON CONFLICT (second) DO UPDATE SET "
        "next_slot = CASE WHEN send_slots.next_slot + :wanted > excluded.next_slot "
        "THEN send_slots.next_slot + :wanted ELSE excluded.next_slot END, reserved_at = excluded.reserved_at "
        f"RETURNING second, next_slot, reserved_at, {count} AS count"
    )


RESERVE = {dialect: text(_reserve_sql(dialect)) for dialect in CLOCK}


@dataclass(frozen=True)
class Reservation:
    """Slots ``first`` to ``first + count - 1`` of database second ``second`` (numbered within it: slot ``k`` is for
    the moment ``(first_slot(second) + k) / rate``), and the database's clock (``clock``, Unix seconds) when they
    were handed out. ``second`` is the present second, or the next one when the present one was full."""

    second: int
    first: int
    count: int
    clock: float


class PaceQueries:
    def reserve_send_slots(self, num: int, den: int, wanted: int) -> Reservation:
        """Up to ``wanted`` slots of the present second (or the next, when it is full), of ``num / den`` a second in
        all senders together."""
        with self.engine.begin() as connection:
            second, next_slot, clock, count = connection.execute(
                RESERVE[connection.dialect.name], {"num": num, "den": den, "wanted": wanted}).one()
        first = next_slot - wanted
        return Reservation(second, first, max(0, min(next_slot, count) - first), clock)

    def database_clock(self) -> float:
        """The database's clock now (Unix seconds)."""
        with self.engine.connect() as connection:
            return connection.execute(select(text(CLOCK[connection.dialect.name]))).scalar_one()

    def hold_sends(self, seconds: float, cap: int) -> int:
        """Hand out no slot from now for ``seconds`` (Telegram answered 429 ``retry_after``: every sender waits), to
        the end of a whole second of the database's clock; returns that second. ``cap``: at least the slots of
        a second (``ceil`` of the pace)."""
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
