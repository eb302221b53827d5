"""The work of many processes on PostgreSQL: procrastinate's job queue (``newsdigest worker``, and ``run`` there).

Each kind of work is a task, and the database makes sure it is done once however many workers run:

- ``ingest``: one job per source and poll, with a lock per source (never two ingests of one source at once) and
  a queueing lock (at most one waiting: no pile-up). The file ledger, written in the same transaction as the
  articles, makes a second ingest of the folder pass over what the first read; ``alert_sources`` follows.
- ``schedule_ingests`` (every minute, acting every ``INGEST_INTERVAL_MINUTES``) defers them.
- ``plan`` (every minute): ``plan_due``, which writes one delivery per chat and local day (the database refuses
  a second), then defers ``send`` for each shard.
- ``send(shard)``: ``send_pending`` for that shard, one at a time (a lock per shard): the shard's only sender,
  which first settles messages a dead sender left in flight. When the worker stops (SIGTERM), it ends at once
  with nothing in flight (``FanOut``'s stop) and hands what is left to the next sender (a new ``send`` job).
- ``retry_stalled`` (every few seconds): the jobs of a worker whose heartbeat stopped (killed, its machine
  gone) go back to the queue for the others.

Ingests have a queue of their own, with slots of their own in each worker, so that long ingests never hold up
planning and sending. Periodic tasks are deferred by every worker, and procrastinate keeps one job per task and
tick. procrastinate is imported only here, and only for a PostgreSQL database: SQLite needs none of this.
"""

from __future__ import annotations

import asyncio
import functools
import logging
import os
import signal
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime

import psycopg
from procrastinate import App, PsycopgConnector
from procrastinate import exceptions as queue_errors
from procrastinate.jobs import Status
from sqlalchemy.engine import make_url
from telegram import Bot

from bot.alerts import DatabaseWatch, alert_failing_sources
from bot.app import _api_address, delivery_limits, make_delivery_bot, run_ingest, wait_for_bot_api
from bot.delivery import plan_due, send_pending
from bot.settings import Settings
from digests.ingest import log_report
from digests.sources import Source, as_source
from digests.storage import Store, database_label
from digests.storage.base import engine_url

log = logging.getLogger(__name__)

HEARTBEAT_SECONDS = 2.0  # how often a worker says it is alive
STALLED_SECONDS = 10.0  # a worker silent this long is taken for dead, and its jobs given to the others
STALLED_CHECK = "* * * * * */5"  # cron, seconds last: every 5 s, the jobs of dead workers are looked for
# Two queues, each with its own slots in every worker, so that long ingests never hold up planning and sending:
INGEST_QUEUE, INGEST_CONCURRENCY = "ingest", 2  # ingests at once per worker (each may use 2 processes of its own)
DIGEST_QUEUE = "digests"  # the rest: planning, sending (one slot per shard), alerts, the stalled-job check
GRACEFUL_SECONDS = 20.0  # on SIGTERM, how long running jobs get to finish before they are cancelled (a send job
# ends by itself within the HTTP timeout: see ``_send``)
HEALTH_SECONDS = 60.0
MORE_DIGEST_SLOTS = 3  # planning, alerts and the stalled-job check, beside the senders


def conninfo(url: str) -> str:
    """DATABASE_URL (``postgresql+psycopg://user:password@host:port/name?sslmode=...``) as libpq's conninfo."""
    parsed = make_url(engine_url(url))
    parts = {name: str(value) for name, value in parsed.translate_connect_args(username="user",
                                                                                database="dbname").items()}
    parts.update({name: str(value) for name, value in parsed.query.items()})
    return psycopg.conninfo.make_conninfo(**parts)


def source_key(source: str | Source) -> str:
    """What identifies a source's ingest, for its job and its lock: its location (a folder by its real path,
    so that one folder named twice is still one source)."""
    source = as_source(source)
    return source.location if source.is_url else os.path.realpath(os.path.expanduser(source.location))


@dataclass
class Worker:
    """The procrastinate ``App`` built from the settings, with newsdigest's tasks bound to ``store`` and ``bot``."""

    settings: Settings
    store: Store
    bot: Bot
    app: App = field(init=False)

    def __post_init__(self) -> None:
        quiet_logs()
        self.limits = delivery_limits(self.settings)
        self.draining = asyncio.Event()  # set when this run of the job queue stops: send jobs end at once
        self.shards = self.settings.digest_senders
        self.digest_slots = self.shards + MORE_DIGEST_SLOTS
        # a connection per running job (to finish it), the two listeners, the heartbeats and fetches
        self.app = App(connector=PsycopgConnector(conninfo=conninfo(self.settings.database_url), min_size=2,
                                                  max_size=INGEST_CONCURRENCY + self.digest_slots + 2))
        task = functools.partial(self.app.task, queue=DIGEST_QUEUE)
        self.ingest = task(name="newsdigest.ingest", queue=INGEST_QUEUE)(self._ingest)
        self.alert_sources = task(name="newsdigest.alert_sources", lock="alerts", queueing_lock="alerts")(
            self._alert_sources)
        self.send = task(name="newsdigest.send")(self._send)
        self.plan = self.app.periodic(cron="* * * * *")(
            task(name="newsdigest.plan", lock="plan", queueing_lock="plan")(self._plan))
        self.schedule_ingests = self.app.periodic(cron="* * * * *")(
            task(name="newsdigest.schedule_ingests", queueing_lock="schedule_ingests")(self._schedule_ingests))
        self.retry_stalled = self.app.periodic(cron=STALLED_CHECK)(
            task(name="newsdigest.retry_stalled", queueing_lock="retry_stalled")(self._retry_stalled))

    # --- the tasks ----------------------------------------------------------------------------------------------

    async def _schedule_ingests(self, timestamp: int) -> None:
        """Every minute; every INGEST_INTERVAL_MINUTES (counted from the hour, in whole minutes) it defers the
        sources' ingests. Every worker's clock gives the same minutes, and each minute runs once."""
        if (timestamp // 60) % self.settings.ingest_interval_minutes == 0:
            await self.defer_ingests()

    async def defer_ingests(self) -> None:
        """One ingest job per source, unless that source has one waiting already."""
        if not self.settings.sources:
            log.warning("NEWS_SOURCES and SOURCES_FILE name no source: there is nothing to ingest")
        for source in self.settings.sources:
            key = source_key(source)
            lock = f"ingest:{key}"
            await _defer(self.ingest.configure(lock=lock, queueing_lock=lock).defer_async, location=key)

    async def _ingest(self, location: str) -> None:
        sources = [source for source in self.settings.sources if source_key(source) == location]
        if not sources:  # a worker configured otherwise deferred it: this one does not know the source
            log.warning("Not ingesting %s: it is not among this worker's sources (NEWS_SOURCES, SOURCES_FILE)",
                        location)
            return
        report = await asyncio.to_thread(run_ingest, self.settings, self.store, sources[:1], on_schedule=True)
        log_report(report)
        await _defer(self.alert_sources.defer_async)

    async def _alert_sources(self) -> None:
        await alert_failing_sources(self.bot, self.store, self.settings.admin_ids)

    async def _plan(self, timestamp: int | None = None) -> None:
        """Plan the digests due now (each due chat once: one plan job a minute, one at a time), then send."""
        await asyncio.to_thread(plan_due, self.store, self.settings.schedule, datetime.now(UTC),
                                max_items=self.settings.digest_max_items, max_age=self.settings.digest_max_age)
        await self.defer_sends()

    async def defer_sends(self, *shards: int) -> None:
        """A ``send`` job for each shard (``shards``, or all)."""
        for shard in shards or range(self.shards):
            lock = f"send:{shard}"
            await _defer(self.send.configure(lock=lock, queueing_lock=lock).defer_async, shard=shard)

    async def _send(self, shard: int) -> None:
        """The pace is the database's: it holds across every sender, and while a worker taken for dead still sends.

        When the job queue stops (SIGTERM, or it lost the database) the fan-out ends at once, its messages in
        flight answered and recorded, and the job ends as succeeded (not to be retried as failed): what is left
        goes to a new ``send`` job, which another worker takes at once, or this one at its next start."""
        report = await send_pending(self.bot, self.store, self.limits, shard=shard, shards=self.shards,
                                    shared_pace=True, stop=self.draining)
        if report.left:
            try:
                await self.defer_sends(shard)
            except Exception as error:  # noqa: BLE001 - the database is gone: the next planning defers it
                log.warning("Could not hand the %d digests left to another sender (%s): the next planning does",
                            report.left, reason(error))

    async def _retry_stalled(self, timestamp: int) -> None:
        """Give the jobs of dead workers (no heartbeat for STALLED_SECONDS) back to the queue.

        A job with a twin already waiting (same queueing lock: the next minute's plan or send) is ended as
        failed instead: the twin does its work, and the lock it held is free."""
        manager = self.app.job_manager
        for job in await manager.get_stalled_jobs(seconds_since_heartbeat=STALLED_SECONDS):
            try:
                await manager.retry_job(job)
                log.warning("Job %s was left by a worker that stopped answering: given to another worker",
                            job.call_string)
            except queue_errors.UniqueViolation:
                await manager.finish_job_by_id_async(job.id, Status.FAILED, delete_job=False)
                log.warning("Job %s was left by a worker that stopped answering: the same job is waiting, which "
                            "does its work", job.call_string)

    # --- running ------------------------------------------------------------------------------------------------

    async def run(self, stop: asyncio.Event, *, health: bool = True) -> None:
        """Work until ``stop`` is set: first ingest and plan now (as ``run`` does at start), then on schedule.

        procrastinate's worker stops when it loses the database; it is started again (1 s, 2 s, 4 s, ... at most
        a minute later), its jobs left running being given to the next worker as a dead worker's are.
        ``health``: check the database every minute and tell the admins when it stops answering (``run`` has
        its own check)."""
        asyncio.get_running_loop().set_exception_handler(_one_line_for_lost_database)
        watch = asyncio.create_task(_every(HEALTH_SECONDS, self._health_check, DatabaseWatch()) if health
                                    else asyncio.sleep(0))
        delay, clock = 0.5, asyncio.get_running_loop().time
        try:
            while not stop.is_set():
                started = clock()
                try:
                    await self._work(stop)
                except Exception as error:  # noqa: BLE001 - the database went away: wait, then try again
                    log.error("The job queue cannot use the database: %s", reason(error))
                if stop.is_set():
                    break
                delay = 1.0 if clock() - started > 60 else min(60.0, delay * 2)
                log.info("Starting the job queue again in %.0f s", delay)
                try:
                    await asyncio.wait_for(stop.wait(), timeout=delay)
                except TimeoutError:
                    pass
        finally:
            watch.cancel()

    async def _work(self, stop: asyncio.Event) -> None:
        """One run of procrastinate's worker, until ``stop`` is set or it stops by itself (it lost the database)."""
        self.draining = asyncio.Event()
        async with self.app.open_async():
            await self.defer_ingests()
            await _defer(self.plan.defer_async)
            workers = {asyncio.create_task(self.app.run_worker_async(
                queues=[queue], concurrency=slots, name=f"{queue}-{os.getpid()}", install_signal_handlers=False,
                delete_jobs="successful", update_heartbeat_interval=HEARTBEAT_SECONDS,
                stalled_worker_timeout=STALLED_SECONDS, shutdown_graceful_timeout=GRACEFUL_SECONDS))
                for queue, slots in ((DIGEST_QUEUE, self.digest_slots), (INGEST_QUEUE, INGEST_CONCURRENCY))}
            stopping = asyncio.create_task(stop.wait())
            try:
                await asyncio.wait({*workers, stopping}, return_when=asyncio.FIRST_COMPLETED)
            finally:
                stopping.cancel()
                self.draining.set()  # a send job ends at once, with nothing in flight
                for worker in workers:  # procrastinate stops gracefully: running jobs get GRACEFUL_SECONDS
                    worker.cancel()
                ended = await asyncio.gather(*workers, return_exceptions=True)
            failures = [result for result in ended if isinstance(result, Exception)]
            if failures and not stop.is_set():
                raise failures[0]
            if not stop.is_set():
                log.error("The job queue stopped: it lost the database")

    async def _health_check(self, watch: DatabaseWatch) -> None:
        await watch.check(self.bot, self.store, self.settings.admin_ids)


def _one_line_for_lost_database(loop: asyncio.AbstractEventLoop, context: dict) -> None:
    """procrastinate leaves the task that records a job's end unawaited; when the database drops the connection
    meanwhile, asyncio would print its traceback. One line says it: the job is retried as a dead worker's."""
    error = context.get("exception")
    if isinstance(error, (queue_errors.ConnectorException, psycopg.OperationalError)):
        task = context.get("future")
        log.warning("Lost the database while recording the end of a job (%s): %s",
                    task.get_name() if isinstance(task, asyncio.Task) else "a job",
                    str(error.__cause__ or error).split("\n")[0].strip() or type(error).__name__)
    else:
        loop.default_exception_handler(context)


async def _defer(defer: Callable[..., Awaitable[int]], **arguments) -> None:
    """Defer a job, unless the same one is waiting already (its queueing lock)."""
    try:
        await defer(**arguments)
    except queue_errors.AlreadyEnqueued:
        pass


async def _every(seconds: float, action: Callable[..., Awaitable[None]], *args) -> None:
    while True:
        await asyncio.sleep(seconds)
        try:
            await action(*args)
        except Exception:  # noqa: BLE001 - a check that failed must not stop the next one
            log.exception("The health check failed")


class _QuietChecks(logging.Filter):
    """procrastinate's lines as an operator wants them. The stalled-job check runs every few seconds: its routine
    lines (deferred, started, ended) would drown the log (what it finds is logged as a warning). A lost database
    is one line with the reason, not a traceback."""

    def filter(self, record: logging.LogRecord) -> bool:
        if record.name.startswith("procrastinate") and record.exc_info and record.exc_info[1] is not None:
            error = record.exc_info[1]
            said = record.getMessage().replace(repr(error), "").replace(str(error), "").strip().rstrip(":")
            record.msg, record.args = f"{said}: {reason(error)}", None
            record.exc_info = record.exc_text = None
        return record.levelno > logging.INFO or "newsdigest.retry_stalled" not in record.getMessage()


def reason(error: BaseException) -> str:
    """An error's first meaningful line, looking through procrastinate's wrapper ("Database error.") to the
    driver's error under it."""
    while error.__cause__ is not None and isinstance(error, queue_errors.ProcrastinateException):
        error = error.__cause__
    return next((line.strip() for line in str(error).splitlines() if line.strip()), type(error).__name__)


def quiet_logs() -> None:
    for handler in logging.getLogger().handlers:  # on the handlers: a logger's filter misses its children's lines
        if not any(isinstance(f, _QuietChecks) for f in handler.filters):
            handler.addFilter(_QuietChecks())
    logging.getLogger("procrastinate.jobs").setLevel(logging.WARNING)  # "Deferred 1 job", for every job


LIVE_WORKERS = ("SELECT count(*) AS alive FROM procrastinate_workers "
                "WHERE last_heartbeat > now() - make_interval(secs => %(seconds)s)")


async def hand_digests_to_workers(settings: Settings, store: Store, bot: Bot) -> int | None:
    """``newsdigest digest --send`` beside running workers: plan today's digest for every chat that lacks it and
    ask the workers to send (a ``send`` job per shard), so that the shards' one sender each keeps the bot's pace
    and settles nothing it should not. Returns how many digests are waiting, or None when no worker is
    alive (heartbeat within STALLED_SECONDS): the caller sends them itself."""
    worker = Worker(settings, store, bot)
    async with worker.app.open_async():
        found = await worker.app.connector.execute_query_one_async(LIVE_WORKERS, seconds=STALLED_SECONDS)
        if not found["alive"]:
            return None
        await asyncio.to_thread(plan_due, store, settings.schedule, datetime.now(UTC), send_now=True,
                                max_items=settings.digest_max_items, max_age=settings.digest_max_age)
        await worker.defer_sends()
    waiting = await asyncio.to_thread(store.pending_deliveries, datetime.now(UTC))
    return len(waiting)


def run_worker(settings: Settings, store: Store) -> None:
    """``newsdigest worker``: work until SIGTERM or Ctrl-C."""
    asyncio.run(_run_worker(settings, store))


async def _run_worker(settings: Settings, store: Store) -> None:
    loop = asyncio.get_running_loop()
    stop = asyncio.Event()
    for number in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(number, stop.set)
    bot = make_delivery_bot(settings)
    try:
        if not await wait_for_bot_api(bot, _api_address(settings), stop):
            log.info("Stopped before the Bot API could be reached")
            return
        log.info("Worker %d: bot @%s, database %s; ingest every %d minutes from %d sources, digests planned every "
                 "minute, %d sender(s); stop with Ctrl-C or SIGTERM", os.getpid(), bot.username,
                 database_label(settings.database_url), settings.ingest_interval_minutes, len(settings.sources),
                 getattr(settings, "digest_senders", 1))
        await Worker(settings, store, bot).run(stop)
        log.info("Worker %d stopped", os.getpid())
    finally:
        await bot.shutdown()
