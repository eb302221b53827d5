"""The daily digest: who is due, what each chat gets, and the fan-out that sends it.

Planning writes one delivery row per chat and local day, pointing at a rendering shared by every chat with
the same topics, window and timezone. The fan-out then sends the rows' messages within Telegram's limits:
one global pace (about 30 messages a second; shared by every sender through the database when there are
several: ``SharedPace``), at least a second between two messages to one private chat and
three to one group. A 429 waits ``retry_after`` and retries; a blocked or vanished chat is deactivated; a
migrated group moves to its new id; network errors and 5xx back off exponentially with jitter, and what
still fails stays pending for the next run. Each message is marked in flight (committed) before it is handed
to Telegram and done after, so a restart after a crash, even a SIGKILL, resumes where it stopped; the few
messages in flight at that moment have an unknown fate, and are recorded so, not sent again.
"""

from __future__ import annotations

import asyncio
import hashlib
import heapq
import itertools
import json
import logging
import math
import random
import time as clock
import warnings
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Protocol
from zoneinfo import ZoneInfo

from telegram import Bot
from telegram.constants import ParseMode
from telegram.error import BadRequest, ChatMigrated, Forbidden, RetryAfter, TelegramError
from telegram.warnings import PTBUserWarning

from bot.formatting import digest_messages
from digests.digest import DEFAULT_MAX_AGE, DEFAULT_MAX_ITEMS, article_count, group_by_topic, oldest_published, rank
from digests.filters import Filters
from digests.models import Article, Delivery, Subscriber
from digests.schedule import Schedule
from digests.storage import Store
from digests.storage.pace import Reservation, first_slot, pace_fraction

log = logging.getLogger(__name__)

# Every digest message: HTML, no link preview (as bot.app.bot_defaults, which do_api_request does not apply), the
# preview's options encoded once. The fan-out sends with Bot.do_api_request, not Bot.send_message, which builds a
# Message of each answer (dozens of MessageEntity objects for a digest's links) that the fan-out never reads; the
# library warns at each such call that send_message exists (silenced by each FanOut).
SEND_OPTIONS = {"parse_mode": ParseMode.HTML, "link_preview_options": json.dumps({"is_disabled": True})}

FIRST_WINDOW = timedelta(hours=24)  # a chat's first digest covers the day before it
PLAN_CHUNK = 1000


@dataclass(frozen=True)
class Limits:
    """Telegram's limits (../shared/telegram.md), with a little headroom for network jitter."""

    # Overall, across all chats. Not 30: Telegram (and tests/fakebotapi.py) count any sliding second by arrival,
    # and requests paced evenly arrive bunched by the sender's and the network's jitter: 31 messages in a row at
    # 29.2 a second are 1.027 s apart, 27 ms to spare (at 30, none: any bunching at all is a 429). bench/fanout
    # (2 cores, 3 senders through PostgreSQL) measured arrivals up to 4 ms closer than their turns on an idle
    # machine and 8 to 9 ms at a load average of 3 to 10 (no 429), once the fake itself no longer paused for its
    # garbage collection (which had looked like 12 to 34 ms of the senders' jitter at a load of 9 to 14). 0.973 of
    # Telegram's 30 a second.
    messages_per_second: float = 29.2
    private_interval: float = 1.05  # seconds between two messages to one private chat
    group_interval: float = 3.1  # 20 a minute in a group, supergroup or channel
    paid_broadcast: bool = False  # allow_paid_broadcast: up to 1000 a second, paid in Stars
    attempts_per_run: int = 5  # network errors and 5xx, before a delivery waits for the next run
    backoff_base: float = 1.0
    backoff_cap: float = 60.0
    next_run_delay: float = 300.0
    # Messages in flight at once, at most. The pace needs rate x round trip of them (Little's law): 3 at
    # Telegram's usual 0.1 s; 8 keeps 29/s up to 0.27 s. No more: a message in flight when the process dies
    # has an unknown fate (it is not sent again), so this is also the most chats a crash can leave unsure. A
    # message holds its place from its claim until its answer is recorded (records go several to a
    # transaction), so the bound holds with the batching. python-telegram-bot over httpx peaks near 800
    # messages/s at 2-4 connections here (bench/fanout.py); httpcore's pool costs more per request the more
    # connections it holds.
    concurrency: int = 8

    @classmethod
    def paid(cls) -> Limits:
        return cls(messages_per_second=950.0, paid_broadcast=True, concurrency=64)


@dataclass
class FanOutReport:
    delivered: int = 0  # deliveries completed
    messages: int = 0
    flood_waits: int = 0  # 429s received
    retries: int = 0  # network errors and 5xx retried
    deactivated: int = 0
    migrated: int = 0
    failed: int = 0  # given up (a message Telegram refuses)
    postponed: int = 0  # left for the next run
    left: int = 0  # not finished because the sender was asked to stop: pending, for the next sender
    seconds: float = 0.0

    def summary_line(self) -> str:
        return (f"{self.delivered} digests delivered in {self.messages} messages ({self.seconds:.1f} s); "
                f"{self.flood_waits} flood waits, {self.retries} retries, {self.deactivated} chats deactivated, "
                f"{self.migrated} migrated, {self.failed} failed, {self.postponed} postponed"
                + (f"; stopped, {self.left} left for the next sender" if self.left else ""))


def chat_schedule(subscriber: Subscriber, default: Schedule) -> Schedule:
    return Schedule(subscriber.digest_time or default.at, ZoneInfo(subscriber.timezone) if subscriber.timezone
                    else default.tz)


# --- planning -----------------------------------------------------------------------------------------------

def plan_due(store: Store, default: Schedule, now: datetime, *, send_now: bool = False,
             max_items: int = DEFAULT_MAX_ITEMS, max_age: timedelta = DEFAULT_MAX_AGE) -> int:
    """Write the deliveries that are due at ``now``; returns how many were added. A digest holds the articles
    that arrived in its window and were published at most ``max_age`` before it (undated ones by their arrival:
    ``digests.digest.oldest_published``), at most ``max_items`` stories of them, the best ranked
    (``digests.digest.rank``).

    A digest missed while the bot was down is still planned if it is the same local day for that chat;
    otherwise the chat's articles wait for its next digest (its window starts where the last one ended).
    ``send_now`` plans today's digest for every active chat that has none, whatever its time.
    """
    subscribers = store.active_subscribers() if send_now else store.due_subscribers(now)
    arrived: dict[tuple[datetime, datetime], list[Article]] = {}
    renderings: dict[str, tuple[int | None, int]] = {}
    added = 0
    for first in range(0, len(subscribers), PLAN_CHUNK):
        chunk = subscribers[first:first + PLAN_CHUNK]
        previous_end = store.last_window_ends([s.chat_id for s in chunk])
        chat_filters = store.filters_of([s.chat_id for s in chunk])
        planned: list[Delivery] = []
        next_due: dict[int, datetime] = {}
        for subscriber in chunk:
            schedule = chat_schedule(subscriber, default)
            day = schedule.local_day(now)
            if send_now:
                end = now
            else:
                end = subscriber.next_digest_at
                if schedule.local_day(end) != day:  # down past a whole day: that digest is dropped, today's is not
                    end = schedule.occurrence(day)
                    if end > now:
                        next_due[subscriber.chat_id] = end
                        continue
            next_due[subscriber.chat_id] = schedule.next_after(max(schedule.occurrence(day), now))
            start = previous_end.get(subscriber.chat_id) or end - FIRST_WINDOW
            if (start, end) not in arrived:
                arrived[start, end] = (store.arrived(start, end, oldest_published(start, max_age)) if start < end
                                       else [])
            filters = chat_filters.get(subscriber.chat_id, Filters())
            key = _rendering_key(subscriber, schedule, start, end, filters)
            if key not in renderings:
                articles = filters.apply(arrived[start, end])
                renderings[key] = _render(store, key, articles, subscriber, schedule, day, now, max_items)
            rendering_id, parts = renderings[key]
            planned.append(Delivery(
                chat_id=subscriber.chat_id, digest_date=day, window_start=start, window_end=end,
                rendering_id=rendering_id, status="pending" if parts else "empty", parts_total=parts,
                created_at=now,
            ))
        added += store.plan_deliveries(planned, next_due)
    if added:
        log.info("Planned %d digests", added)
    return added


def _rendering_key(subscriber: Subscriber, schedule: Schedule, start: datetime, end: datetime,
                   filters: Filters) -> str:
    topics = ("*" + "".join(f",-{key}" for key in sorted(subscriber.excluded_keys)) if subscriber.all_topics
              else ",".join(sorted(subscriber.topic_keys)))
    text = f"{topics}|{start.isoformat()}|{end.isoformat()}|{schedule.tz}"
    if filters:  # chats with other filters get other renderings
        text += f"|{filters.signature}"
    return hashlib.sha256(text.encode()).hexdigest()


def _render(store: Store, key: str, articles: list[Article], subscriber: Subscriber, schedule: Schedule, day,
            now: datetime, max_items: int) -> tuple[int | None, int]:
    """The rendering's id and message count; (None, 0) when the chat has nothing new."""
    existing = store.rendering_for(key)
    if existing is not None:
        return existing.id, len(json.loads(existing.messages))
    ranked = rank(group_by_topic(articles, subscriber.carries), max_items, now)
    if not ranked.sections:
        return None, 0
    messages = digest_messages(ranked.sections, schedule.tz, day, ranked.left_out)
    rendering = store.save_rendering(key, json.dumps(messages), article_count(ranked.sections), now)
    return rendering.id, len(messages)


# --- fan-out ------------------------------------------------------------------------------------------------

@dataclass(order=True)
class _Job:
    ready_at: float
    seq: int
    delivery_id: int = field(compare=False)
    chat_id: int = field(compare=False)
    messages: list[str] = field(compare=False)
    part: int = field(compare=False)
    attempts: int = field(default=0, compare=False)
    to: int | None = field(default=None, compare=False)  # a channel the chat pointed its digest at
    thread_id: int | None = field(default=None, compare=False)  # the forum topic the chat subscribed in


def _retry_seconds(error: RetryAfter) -> float:
    value = error.retry_after
    return value.total_seconds() if isinstance(value, timedelta) else float(value)


def _log_crash(task: asyncio.Task) -> None:
    """A failure outside Telegram's errors (the database, a bug): say so now, not at garbage collection.

    The delivery stays in the database: pending ones are tried on the next run, and a message left marked in
    flight is settled at the next start like one cut off by a crash.
    """
    if not task.cancelled() and task.exception() is not None:
        log.error("Digest sending failed", exc_info=task.exception())


def _chat_gone(error: TelegramError) -> bool:
    """Blocked, kicked, deactivated, or the chat no longer exists: stop sending to it."""
    return isinstance(error, Forbidden) or (isinstance(error, BadRequest) and "chat not found" in error.message.lower())


class Pace(Protocol):
    """The overall limit: when each message may go."""

    async def turn(self, lead: float = 0.0) -> float:
        """Wait for the next message's turn (first come, first served): returns the moment it may go (this
        process's monotonic clock), up to ``lead`` seconds ahead, so that what must be done before sending (the
        claim) can be done by then: the message then leaves at its moment, not at its moment plus that work."""

    def late(self, moment: float) -> bool:
        """The turn for ``moment`` has passed: sending now would bunch with the next turns."""

    def hold(self, seconds: float) -> None:
        """No turn for ``seconds``: Telegram answered 429 with this ``retry_after``, and everybody waits."""


async def _until(moment: float) -> None:
    if (wait := moment - clock.monotonic()) > 0:
        await asyncio.sleep(wait)


class LocalPace:
    """The pace of one sender alone: turns one interval apart; up to one interval of timer lateness is absorbed
    so the pace holds, and a rolling one-second window caps every second at the limit whatever happens."""

    def __init__(self, messages_per_second: float):
        self.messages_per_second = messages_per_second
        self._next_slot = 0.0
        self._sent_times: deque[float] = deque()  # send times within the last second
        self._per_second = max(1, int(messages_per_second))
        self._turns = asyncio.Lock()  # first come, first served: jobs keep their order

    async def turn(self, lead: float = 0.0) -> float:
        async with self._turns:
            while True:
                now = clock.monotonic()
                while self._sent_times and self._sent_times[0] <= now - 1.0:
                    self._sent_times.popleft()
                window_free = self._sent_times[0] + 1.0 if len(self._sent_times) >= self._per_second else 0.0
                turn = max(self._next_slot, window_free)
                if turn <= now:
                    break
                await asyncio.sleep(turn - now)
            interval = 1 / self.messages_per_second
            self._next_slot = max(now - interval, self._next_slot) + interval
            self._sent_times.append(now)
            return now

    def late(self, moment: float) -> bool:
        return False  # up to an interval of lateness is absorbed, and the window caps every second

    def hold(self, seconds: float) -> None:
        self._next_slot = max(self._next_slot, clock.monotonic() + seconds)


class SharedPace:
    """The pace of every sender together (processes, machines): turns are slots reserved in the database, a few
    at a time, each for a moment of the database's clock (``digests.storage.pace``), spread evenly at
    ``messages_per_second`` for all senders together.

    A reservation tells the database's clock, read some time between asking and the answer: its moment ``t`` has
    surely come at ``answered + (t - clock)`` on this process's clock. The least such offset of the last
    reservations (their quickest round trip) is the closest to the truth that is still never early, so the
    senders' moments are as far apart as the database's, whatever each reservation's round trip; the sender's own
    clock needs no setting. A reservation that finds the second full takes the next second's first slots.

    A slot used late bunches with the next ones: a slot not taken within ``LATE`` of its moment is dropped (and
    a message whose claim took it past that takes another turn). ``LATE`` plus the time a request takes to
    reach Telegram must stay under what the pace leaves below Telegram's limit (at 29.2 of 30: 31 messages span
    1.027 s, 27 ms to spare). A sender slower than the pace cannot use a whole batch of slots that close
    together: a batch with a dropped slot halves the next, one used in full grows it (up to ``BATCH_SECONDS`` of
    the pace), so each sender asks for what it keeps up with.
    """

    LATE = 0.01
    BATCH_SECONDS = 0.05  # the largest reservation: this much of the pace (2 slots at 29/s, 48 at 950/s)
    PRUNE_SECONDS = 30.0
    OFFSETS = 32  # reservations whose quickest round trip maps the database's clock onto this process's
    FIRST_READINGS = 5  # of the database's clock, before the first reservation

    def __init__(self, store: Store, messages_per_second: float):
        self.store = store
        self.num, self.den = pace_fraction(messages_per_second)
        self.cap = math.ceil(self.num / self.den)  # the most slots a second holds
        self.most = max(1, math.ceil(self.num / self.den * self.BATCH_SECONDS))
        self.batch = 1
        self._slots: deque[float] = deque()  # moments of the slots reserved, on this process's monotonic clock
        self._offsets: deque[float] = deque(maxlen=self.OFFSETS)  # answered - the database's clock
        self._dropped = 0  # slots of the last batch not used in time
        self._turns = asyncio.Lock()
        self._pruned_at: float | None = None
        self.reservations = 0  # round trips to the database

    async def turn(self, lead: float = 0.0) -> float:
        async with self._turns:
            while True:
                now = clock.monotonic()
                while self._slots and self._slots[0] + self.LATE <= now:
                    self._slots.popleft()
                    self._dropped += 1
                if not self._slots:
                    await asyncio.sleep(await self._reserve())
                    continue
                start = self._slots[0]
                if start - lead <= now:
                    self._slots.popleft()
                    return start
                await asyncio.sleep(start - lead - now)

    def late(self, moment: float) -> bool:
        """The turn for ``moment`` has passed: sending now would bunch with the next."""
        return clock.monotonic() > moment + self.LATE

    async def _reserve(self) -> float:
        """Reserve slots; returns how long to wait before asking again (0 when some came)."""
        if not self._offsets:  # the first: a few readings of the clock, so that no slow one maps the first turns
            self._offsets.extend(await asyncio.to_thread(self._read_clock, self.FIRST_READINGS))
        self.batch = max(1, self.batch // 2) if self._dropped else min(self.most, self.batch + 1 + self.batch // 4)
        self._dropped = 0
        got, answered = await asyncio.to_thread(self._ask, self.batch)
        self.reservations += 1
        self._offsets.append(answered - got.clock)
        offset = min(self._offsets)
        first = first_slot(got.second, self.num, self.den) + got.first
        self._slots.extend(offset + (first + k) * self.den / self.num for k in range(got.count))
        if self._pruned_at is None or answered - self._pruned_at > self.PRUNE_SECONDS:
            self.store.prune_send_slots(got.second)
            self._pruned_at = answered
        if got.count or got.second == int(got.clock):  # none left at the present moment: the next second's now
            return 0.0
        # the next second is full too (a 429's hold): ask again at its last slot, for the second after it
        return max(0.0, got.second + 1 - got.clock - self.den / self.num)

    def _read_clock(self, times: int) -> list[float]:
        offsets = []
        for _ in range(times):
            clock_then = self.store.database_clock()
            offsets.append(clock.monotonic() - clock_then)
        return offsets

    def _ask(self, wanted: int) -> tuple[Reservation, float]:
        """A reservation, and when its answer came (timed here, not after the event loop gets to it)."""
        got = self.store.reserve_send_slots(self.num, self.den, wanted)
        return got, clock.monotonic()

    def hold(self, seconds: float) -> None:
        self.store.hold_sends(seconds, self.cap)
        self._slots.clear()


class _Records:
    """The crash-safe record of the messages a fan-out sends, written for many at once (group commit): a
    message's claim (in flight) or its being sent waits while the database writes the batch before it, then
    goes with every other that came meanwhile, in one transaction (``Store.record_parts``). A sender slow enough
    for one at a time writes them one at a time, as soon as asked; a fast one writes a transaction for several
    messages. Each caller still gets its answer only once its record is committed: a message is in flight in
    the database before it is handed to Telegram, and its task (holding its place among ``Limits.concurrency``)
    ends only once it is recorded sent, so a crash still leaves at most ``concurrency`` of unknown fate."""

    def __init__(self, store: Store, now: Callable[[], datetime]):
        self.store, self.now = store, now
        self._claims: list[tuple[tuple[int, int], asyncio.Future]] = []
        self._sent: list[tuple[tuple[int, int], asyncio.Future]] = []
        self._writer: asyncio.Task | None = None

    async def claim(self, delivery_id: int, part: int) -> bool:
        """True once ``part`` is recorded in flight; False if another sender has it."""
        return await self._wait(self._claims, (delivery_id, part))

    async def sent(self, delivery_id: int, part: int) -> bool:
        """Record ``part`` as accepted by Telegram; True when it was the delivery's last."""
        return await self._wait(self._sent, (delivery_id, part))

    async def _wait(self, queue: list, key: tuple[int, int]) -> bool:
        future = asyncio.get_running_loop().create_future()
        queue.append((key, future))
        if self._writer is None or self._writer.done():
            self._writer = asyncio.create_task(self._write())
        return await future

    async def _write(self) -> None:
        while self._claims or self._sent:
            (claims, self._claims), (sent, self._sent) = (self._claims, []), (self._sent, [])
            try:
                claimed, finished = await asyncio.to_thread(
                    self.store.record_parts, [key for key, _ in claims], [key for key, _ in sent], self.now())
            except Exception as error:  # noqa: BLE001 - the database failed: each waiting message's task says so
                for _, future in claims + sent:
                    if not future.done():
                        future.set_exception(error)
                continue
            for (delivery_id, _), future in claims:
                if not future.done():
                    future.set_result(delivery_id in claimed)
            for (delivery_id, _), future in sent:
                if not future.done():
                    future.set_result(delivery_id in finished)


class FanOut:
    """Sends pending deliveries; one instance per run. ``pace``: this process's own (``LocalPace``) unless given.

    ``stop``, once set, ends the run cleanly: no message is started any more (those still waiting for their turn
    give it up), the messages already handed to Telegram are waited for and recorded, and every other delivery
    stays pending for the next sender. Nothing is left in flight, so nothing of unknown fate."""

    CLAIM_LEAD = 0.02  # seconds

    def __init__(self, bot: Bot, store: Store, limits: Limits, now: Callable[[], datetime] | None = None,
                 pace: Pace | None = None, stop: asyncio.Event | None = None):
        self.bot, self.store, self.limits = bot, store, limits
        self.now = now or (lambda: datetime.now(UTC))
        self.pace = pace or LocalPace(limits.messages_per_second)
        self.stop = stop or asyncio.Event()
        self.report = FanOutReport()
        self.records = _Records(store, self.now)
        self._options = {**SEND_OPTIONS, "allow_paid_broadcast": True} if limits.paid_broadcast else SEND_OPTIONS
        # once is enough (a filter given again replaces itself), but a test runner may reset the filters meanwhile
        warnings.filterwarnings("ignore", r"Please use 'Bot\.sendMessage'", PTBUserWarning)
        self._queue: list[_Job] = []
        self._seq = itertools.count()
        self._unclaimed: dict[asyncio.Task, _Job] = {}  # messages started but before their turn: a stop cancels them

    def _push(self, job: _Job, ready_at: float) -> None:
        job.ready_at, job.seq = ready_at, next(self._seq)
        heapq.heappush(self._queue, job)

    def _interval(self, chat_id: int) -> float:
        return self.limits.private_interval if chat_id > 0 else self.limits.group_interval

    async def run(self, deliveries: list[Delivery]) -> FanOutReport:
        began = clock.monotonic()
        texts: dict[int, list[str]] = {}
        targets = self.store.targets()
        for delivery in deliveries:
            if delivery.rendering_id not in texts:
                texts[delivery.rendering_id] = json.loads(self.store.rendering(delivery.rendering_id).messages)
            job = _Job(0.0, 0, delivery.id, delivery.chat_id, texts[delivery.rendering_id], delivery.parts_done)
            if target := targets.get(delivery.chat_id):
                job.to, job.thread_id = target.channel_id, None if target.channel_id else target.thread_id
            self._push(job, began)
        sending: set[asyncio.Task] = set()
        stopping = asyncio.ensure_future(self.stop.wait())  # wakes the loop
        while (self._queue and not self.stop.is_set()) or sending:
            if self.stop.is_set() and self._unclaimed:  # asked to stop: what has not had its turn stays pending
                for task, job in self._unclaimed.items():
                    task.cancel()
                    self._queue.append(job)
                self._unclaimed.clear()
            now = clock.monotonic()
            wake = self._queue[0].ready_at if self._queue and not self.stop.is_set() else None
            full = len(sending) >= self.limits.concurrency
            if wake is None or wake > now or full:
                timeout = None if wake is None or full else wake - now
                await asyncio.wait(sending if self.stop.is_set() else sending | {stopping}, timeout=timeout,
                                   return_when=asyncio.FIRST_COMPLETED)
                continue
            job = heapq.heappop(self._queue)
            task = asyncio.create_task(self._send(job))
            self._unclaimed[task] = job
            sending.add(task)
            task.add_done_callback(sending.discard)
            task.add_done_callback(_log_crash)
        stopping.cancel()
        self.report.left = len({job.delivery_id for job in self._queue})
        self.report.seconds = clock.monotonic() - began
        return self.report

    async def _send(self, job: _Job) -> None:
        """One message. Its two records (in flight, then sent) go with those of the other messages in flight
        (``_Records``), written in a thread: the messages overlap their round trips to the database as they do
        Telegram's."""
        # The turn before the claim, so that a crash finds a claimed message still waiting for its turn only
        # within CLAIM_LEAD of it: the turn is had that much ahead of its moment, so that the message leaves at
        # that moment, not after the claim's round trip to the database (whose time varies: messages would bunch).
        moment = await self.pace.turn(self.CLAIM_LEAD)
        self._unclaimed.pop(asyncio.current_task(), None)  # to be sent and recorded now, even if asked to stop
        if not await self.records.claim(job.delivery_id, job.part):
            return  # another sender has it
        parameters = {"chat_id": job.to or job.chat_id, "text": job.messages[job.part], **self._options}
        if job.thread_id is not None:
            parameters["message_thread_id"] = job.thread_id
        await _until(moment)
        while self.pace.late(moment):  # the claim (or this process) took too long: this turn has passed, another
            moment = await self.pace.turn()
            await _until(moment)
        try:
            await self.bot.do_api_request("sendMessage", parameters)  # its answer is not read: no Message built
        except RetryAfter as error:
            wait = _retry_seconds(error)
            self.report.flood_waits += 1
            self.store.part_not_sent(job.delivery_id, str(error))
            self.pace.hold(wait)  # Telegram says: everybody waits
            self._push(job, clock.monotonic() + wait)
        except ChatMigrated as error:
            self.report.migrated += 1
            self.store.migrate_chat(job.chat_id, error.new_chat_id)  # the delivery moves with the chat
            self.store.part_not_sent(job.delivery_id, str(error))
            job.chat_id = error.new_chat_id
            self._push(job, clock.monotonic())
        except (Forbidden, BadRequest) as error:
            self.store.part_not_sent(job.delivery_id, str(error), give_up=True)
            if _chat_gone(error):
                self.report.deactivated += 1
                self.store.deactivate(job.chat_id, str(error))
                log.info("Chat %s is gone (%s): subscription deactivated", job.chat_id, error)
            else:
                self.report.failed += 1
                log.error("Telegram refused the digest for chat %s: %s", job.chat_id, error)
        except TelegramError as error:  # NetworkError and TimedOut: connection errors, timeouts, 5xx
            job.attempts += 1
            if job.attempts < self.limits.attempts_per_run:
                self.report.retries += 1
                self.store.part_not_sent(job.delivery_id, str(error))
                delay = min(self.limits.backoff_cap, self.limits.backoff_base * 2 ** (job.attempts - 1))
                self._push(job, clock.monotonic() + random.uniform(delay / 2, delay))  # noqa: S311 - jitter
            else:
                self.report.postponed += 1
                retry_at = self.now() + timedelta(seconds=self.limits.next_run_delay)
                self.store.part_not_sent(job.delivery_id, str(error), retry_at=retry_at)
                log.warning("Digest for chat %s postponed to the next run: %s", job.chat_id, error)
        else:
            self.report.messages += 1
            if await self.records.sent(job.delivery_id, job.part):
                self.report.delivered += 1
            else:
                job.part += 1
                self._push(job, clock.monotonic() + self._interval(job.to or job.chat_id))


def settle_in_flight(store: Store, shard: int = 0, shards: int = 1) -> None:
    """Settle the messages a dead sender of shard ``shard`` left in flight (``recover_in_flight``), and say so.
    Only the shard's one sender may call it: a live sender's messages in flight are not a dead one's."""
    unknown = store.recover_in_flight(shard, shards)
    if unknown:
        chats = ", ".join(f"{chat} ({number} of {total})" for chat, number, total in unknown[:20])
        log.warning("%d digest messages were in flight when the sender stopped: their fate is unknown (Telegram "
                    "almost always has them); counted as sent, not sent again. Chats (message): %s%s",
                    len(unknown), chats, ", ..." if len(unknown) > 20 else "")


async def send_pending(bot: Bot, store: Store, limits: Limits, *, shard: int = 0, shards: int = 1,
                       now: datetime | None = None, shared_pace: bool = False, recover: bool = True,
                       stop: asyncio.Event | None = None) -> FanOutReport:
    """Send the pending deliveries of sender ``shard`` of ``shards`` (all of them with one sender).

    ``recover``: the caller holds the shard's lock (a worker's ``send`` job), so messages left in flight are
    first settled as a crashed sender's. ``shared_pace``: ``limits.messages_per_second`` is shared with every
    other sender of the bot through the database (``SharedPace``), not this sender's alone. ``stop``: the
    process is stopping (``FanOut``): the run ends at once, with nothing in flight."""
    if recover:
        settle_in_flight(store, shard, shards)
    pending = store.pending_deliveries(now or datetime.now(UTC), shard, shards)
    pace = SharedPace(store, limits.messages_per_second) if shared_pace else None
    report = await FanOut(bot, store, limits, pace=pace, stop=stop).run(pending)
    if pending:
        log.info("Digest fan-out: %s", report.summary_line())
    return report


class DigestService:
    """Plans and sends digests in this one process; ``tick`` is what the periodic job calls."""

    def __init__(self, bot: Bot, store: Store, default: Schedule, limits: Limits | None = None,
                 max_items: int = DEFAULT_MAX_ITEMS, shared_pace: bool = False, max_age: timedelta = DEFAULT_MAX_AGE):
        self.bot, self.store, self.default = bot, store, default
        self.limits = limits or Limits()
        self.max_items, self.max_age = max_items, max_age
        self.shared_pace = shared_pace  # other senders may use the bot (PostgreSQL): keep their pace with them
        self._task: asyncio.Task | None = None
        self._stop = asyncio.Event()
        # Once, at start, not before each run: a run must not take the messages in flight of another sender
        # of this database (``newsdigest digest --send`` beside the bot) for a crashed one's.
        settle_in_flight(store)

    async def run_once(self, *, send_now: bool = False, now: datetime | None = None) -> FanOutReport:
        now = now or datetime.now(UTC)
        await asyncio.to_thread(plan_due, self.store, self.default, now, send_now=send_now, max_items=self.max_items,
                                max_age=self.max_age)
        return await send_pending(self.bot, self.store, self.limits, now=now, recover=False, stop=self._stop,
                                  shared_pace=self.shared_pace)

    def tick(self) -> None:
        """Start a run unless one is still going (a big fan-out can outlast the job's interval)."""
        if (self._task is None or self._task.done()) and not self._stop.is_set():
            self._task = asyncio.create_task(self.run_once())
            self._task.add_done_callback(_log_crash)

    async def wait(self) -> None:
        if self._task is not None:
            await self._task

    async def stop(self, timeout: float) -> None:
        """Stop a run under way cleanly (``FanOut``'s stop): its messages in flight are answered and recorded,
        the rest stays pending for the next start. ``timeout`` bounds the wait (the HTTP timeouts bound it
        already); past it the run is cancelled, and what it had in flight is settled at the next start."""
        self._stop.set()
        if self._task is None or self._task.done():
            return
        done, _ = await asyncio.wait({self._task}, timeout=timeout)
        if not done:
            log.warning("The digest fan-out did not stop within %.0f s: cancelled; the next start settles the "
                        "messages it had in flight", timeout)
            self._task.cancel()
            await asyncio.wait({self._task})
