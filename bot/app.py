"""The one place where the Telegram ``Application`` is wired: handlers, defaults, rate limits and jobs."""

from __future__ import annotations

import asyncio
import logging
import signal
from collections.abc import Callable
from datetime import UTC, datetime, timedelta


from telegram import Bot, BotCommand, LinkPreviewOptions, Update
from telegram.constants import ParseMode
from telegram.error import NetworkError, RetryAfter
from telegram.ext import (AIORateLimiter, Application, ApplicationBuilder, CallbackQueryHandler, CommandHandler,
                          ContextTypes, Defaults, ExtBot, JobQueue, MessageHandler, filters)

from bot.alerts import DatabaseWatch, alert_failing_sources
from bot.commands import COMMAND_MENU, OPERATOR_COMMANDS, Commands
from bot.delivery import DigestService, Limits
from bot.handlers import on_button, on_channel, on_command, on_error, on_unknown_command
from bot.request import FanOutRequest
from bot.settings import Settings
from digests.fetching import Fetcher
from digests.ingest import IngestReport, ingest, log_report
from digests.storage import Store, database_label

log = logging.getLogger(__name__)

# The updates the handlers use (commands, also when edited, and buttons): asked for in polling and webhook alike.
ALLOWED_UPDATES = [Update.MESSAGE, Update.EDITED_MESSAGE, Update.CALLBACK_QUERY]
CONNECT_BACKOFF_CAP = 60.0  # seconds between two attempts to reach the Bot API at start, at most
STOP_SECONDS = 20.0  # on SIGTERM, the most a digest fan-out gets to have its messages in flight answered


def bot_defaults(settings: Settings) -> Defaults:
    """Every message in HTML, without link previews; times in the digest's timezone."""
    return Defaults(
        parse_mode=ParseMode.HTML,
        link_preview_options=LinkPreviewOptions(is_disabled=True),
        tzinfo=settings.digest_tz,
    )


def delivery_limits(settings: Settings) -> Limits:
    return Limits.paid() if settings.paid_broadcast else Limits()


def make_delivery_bot(settings: Settings) -> ExtBot:
    """The bot that sends digests. It has no rate limiter of its own: the fan-out paces itself (bot/delivery.py),
    and needs a connection pool as large as the messages it keeps in flight; its requests encode a digest's
    text once for all the chats it goes to (``bot.request.FanOutRequest``)."""
    return ExtBot(settings.token, base_url=settings.api_base_url, defaults=bot_defaults(settings),
                  request=FanOutRequest(delivery_limits(settings).concurrency))


def build_application(settings: Settings, store: Store, *, schedule: bool = True, polling: bool = True,
                      worker: bool = False) -> Application:
    """The bot, ready for ``run_polling``. ``schedule=False`` leaves out the ingest and digest jobs (and the digest
    sender); ``polling=False`` leaves out the updater, for updates that come through the webhook. ``worker``
    (PostgreSQL): the ingest and digest work is done by a procrastinate worker inside this process
    (``bot.worker``), sharing it with any ``newsdigest worker`` processes, instead of the job queue's jobs."""
    builder = ApplicationBuilder() if polling else ApplicationBuilder().updater(None)
    application = (
        builder
        .token(settings.token)
        .base_url(settings.api_base_url)
        .base_file_url(settings.api_base_url.removesuffix("/bot") + "/file/bot")
        .defaults(bot_defaults(settings))
        .rate_limiter(AIORateLimiter(max_retries=3))
        .post_init(_start)
        .post_shutdown(_stop)
        .build()
    )
    application.bot_data["commands"] = Commands(store, settings.schedule, settings.admin_ids)
    application.bot_data["store"] = store
    application.bot_data["settings"] = settings
    application.bot_data["jobs"] = schedule
    application.bot_data["worker"] = schedule and worker

    names = [name for name, _ in COMMAND_MENU if name != "channel"] + OPERATOR_COMMANDS
    application.add_handler(CommandHandler("channel", on_channel))
    application.add_handler(CommandHandler(names, on_command))
    application.add_handler(MessageHandler(filters.COMMAND, on_unknown_command))
    application.add_handler(CallbackQueryHandler(on_button))
    application.add_error_handler(on_error)

    if schedule:
        jobs = application.job_queue
        if not worker:
            repeat(jobs, ingest_job, every=settings.ingest_interval_minutes * 60, first=1)
            # One job asks the database every minute which chats are due: no job per chat.
            repeat(jobs, digest_job, every=60, first=2)
        repeat(jobs, health_job, every=60, first=30, data=DatabaseWatch())
    return application


def repeat(jobs: JobQueue, callback: Callable, *, every: int, first: int, data: object = None) -> None:
    """Run ``callback`` every ``every`` seconds, the first time ``first`` seconds from now or, if the job queue
    starts later than that (a slow start, a busy machine), as soon as it starts.

    APScheduler would otherwise put a first run that passed before the queue started a whole interval later (no
    news for 30 minutes after a start), and skip any run more than 1 s late (its misfire_grace_time); runs that a
    busy loop delayed still coalesce into one."""
    jobs.run_repeating(callback, interval=every, first=first, data=data, name=callback.__name__.removesuffix("_job"),
                       job_kwargs={"next_run_time": datetime.now(UTC) + timedelta(seconds=first),
                                   "misfire_grace_time": None})


async def _start(application: Application) -> None:
    """Register the command menu, start the digest sender (which first settles a crash's leftovers) where this
    process runs the jobs, and say in the log what is running.

    A process that runs no jobs has no sender: settling "leftovers" would mark another process's messages in
    flight as sent."""
    settings: Settings = application.bot_data["settings"]
    store: Store = application.bot_data["store"]
    try:
        await application.bot.set_my_commands([BotCommand(name, text) for name, text in COMMAND_MENU])
    except NetworkError as error:  # the menu is a convenience: the commands work without it
        log.warning("Could not register the command menu (%s); the commands work without it", error)
    application.bot_data["commands"].bot_username = application.bot.username  # for deep links
    if application.bot_data["worker"]:
        await _start_worker(application, settings, store)
    elif application.bot_data["jobs"]:
        sender = make_delivery_bot(settings)
        await sender.initialize()
        application.bot_data["digests"] = DigestService(sender, store, settings.schedule, delivery_limits(settings),
                                                        settings.digest_max_items, max_age=settings.digest_max_age)
    figures = await asyncio.to_thread(store.figures, datetime.now(UTC))
    log.info("Bot @%s, Bot API at %s; database %s", application.bot.username, _api_address(settings),
             database_label(settings.database_url))
    log.info("Sources: %d, read every %d minutes; subscribers: %d active, %d inactive; digests at %s %s unless a "
             "chat chose its own time", len(settings.sources), settings.ingest_interval_minutes, figures["active"],
             figures["inactive"], f"{settings.digest_time:%H:%M}", settings.digest_tz)
    log.info("Running: stop with Ctrl-C, or SIGTERM (systemctl stop newsdigest)")


def _api_address(settings: Settings) -> str:
    return settings.api_base_url.removesuffix("/bot")


async def _start_worker(application: Application, settings: Settings, store: Store) -> None:
    """A procrastinate worker in this process (``bot.worker``), stopped by ``_stop``."""
    from bot.worker import Worker  # procrastinate: PostgreSQL only

    sender = make_delivery_bot(settings)
    await sender.initialize()
    stop = asyncio.Event()
    task = asyncio.create_task(Worker(settings, store, sender).run(stop, health=False))
    task.add_done_callback(_worker_ended)
    application.bot_data["worker_run"] = stop, task, sender


def _worker_ended(task: asyncio.Task) -> None:
    if not task.cancelled() and task.exception() is not None:
        log.error("The job worker stopped: no news is ingested and no digest sent until a restart",
                  exc_info=task.exception())


async def _stop(application: Application) -> None:
    service: DigestService | None = application.bot_data.get("digests")
    if service is not None:
        await service.stop(STOP_SECONDS)  # first: its messages in flight are answered and recorded
        await service.bot.shutdown()
    if "worker_run" in application.bot_data:
        stop, task, sender = application.bot_data.pop("worker_run")
        stop.set()
        await asyncio.wait({task})  # a send job stops at once; other jobs get bot.worker.GRACEFUL_SECONDS
        await sender.shutdown()


def run_ingest(settings: Settings, store: Store, locations: list, *, on_schedule: bool,
               progress: bool = False) -> IngestReport:
    """One ingest with every setting applied (shared by the job and ``newsdigest ingest``)."""
    with Fetcher(agent=settings.user_agent, timeout=settings.fetch_timeout_seconds,
                 max_bytes=settings.max_file_bytes) as fetcher:
        return ingest(store, locations, source_tz=settings.source_tz, summary_chars=settings.summary_chars,
                      max_file_bytes=settings.max_file_bytes, fetcher=fetcher,
                      poll_minutes=settings.ingest_interval_minutes, on_schedule=on_schedule,
                      settle_seconds=settings.settle_seconds if on_schedule else 0,
                      move_files=settings.move_ingested_files, progress=progress)


async def ingest_job(context: ContextTypes.DEFAULT_TYPE) -> None:
    settings: Settings = context.bot_data["settings"]
    store: Store = context.bot_data["store"]
    if not settings.sources:
        log.warning("NEWS_SOURCES and SOURCES_FILE name no source: there is nothing to ingest")
        return
    report = await asyncio.to_thread(run_ingest, settings, store, settings.sources, on_schedule=True)
    log_report(report)
    await alert_failing_sources(context.bot, store, settings.admin_ids)


async def health_job(context: ContextTypes.DEFAULT_TYPE) -> None:
    settings: Settings = context.bot_data["settings"]
    await context.job.data.check(context.bot, context.bot_data["store"], settings.admin_ids)


async def digest_job(context: ContextTypes.DEFAULT_TYPE) -> None:
    context.bot_data["digests"].tick()


async def wait_for_bot_api(bot: Bot, where: str, stop: asyncio.Event, cap: float = CONNECT_BACKOFF_CAP) -> bool:
    """Initialise the bot (``getMe``), trying again while the Bot API cannot be reached: a service must not die
    on a network blip. One log line per failed attempt, the wait doubling up to ``cap`` seconds. A rejected
    token is raised (``InvalidToken``); False if ``stop`` was set meanwhile."""
    delay, attempt = 1.0, 1
    while not stop.is_set():
        try:
            await bot.initialize()
            return True
        except RetryAfter as error:
            after = error.retry_after
            wait = after.total_seconds() if isinstance(after, timedelta) else float(after)
            reason = f"asked to wait {wait:.0f} s"
        except NetworkError as error:  # connection refused, DNS, timeouts, 5xx
            wait, reason = delay, str(error)
            delay = min(cap, delay * 2)
        log.warning("Cannot reach the Bot API at %s (attempt %d: %s); trying again in %.0f s", where, attempt,
                    reason, wait)
        attempt += 1
        try:
            await asyncio.wait_for(stop.wait(), timeout=wait)
        except TimeoutError:
            pass
    return False


def run(settings: Settings, store: Store) -> None:
    """Serve the bot with long polling until interrupted (Ctrl-C, SIGTERM)."""
    application = build_application(settings, store, worker=not settings.sqlite)
    loop = asyncio.new_event_loop()
    asyncio.set_event_loop(loop)  # run_polling carries on with this loop
    stop, connected = asyncio.Event(), False
    for signum in (signal.SIGINT, signal.SIGTERM):  # run_polling has its own once it runs
        loop.add_signal_handler(signum, stop.set)
    webhook_url = None
    try:
        connected = loop.run_until_complete(wait_for_bot_api(application.bot, _api_address(settings), stop))
        if connected:  # Telegram refuses long polling while a webhook is set, and polling would delete it
            webhook_url = loop.run_until_complete(application.bot.get_webhook_info()).url or None
    finally:
        for signum in (signal.SIGINT, signal.SIGTERM):
            loop.remove_signal_handler(signum)
        if not connected or webhook_url:  # stopped while waiting, the token was rejected, or a webhook is set
            if stop.is_set():
                log.info("Stopped before the Bot API could be reached")
            loop.run_until_complete(application.bot.shutdown())
            loop.close()
    if webhook_url:
        raise WebhookIsSet(webhook_url)
    if connected:
        handler = _stop_once()
        for signum in (signal.SIGINT, signal.SIGTERM):
            loop.add_signal_handler(signum, handler)
        application.run_polling(allowed_updates=ALLOWED_UPDATES, stop_signals=None)  # the handler above instead


def _stop_once() -> Callable[[], None]:
    """A stop signal's handler for ``run_polling``: the first SIGTERM or Ctrl-C stops it as its own handler would
    (``SystemExit``), and the clean stop follows (``_stop``: the digest messages in flight answered and recorded).
    Another signal meanwhile only says so: python-telegram-bot's would raise again and cut the clean stop short."""
    signalled = []

    def handle() -> None:
        if signalled:
            log.info("Already stopping: the digest messages in flight are being answered (at most %.0f s)",
                     STOP_SECONDS)
            return
        signalled.append(True)
        raise SystemExit

    return handle


class WebhookIsSet(Exception):
    """``run`` will not poll while a webhook is set: the ``serve`` processes behind it depend on it."""

    def __init__(self, url: str):
        super().__init__(url)
        self.url = url
