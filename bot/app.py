"""The one place where the Telegram ``Application`` is wired: handlers, defaults, rate limits and jobs."""

from __future__ import annotations

import asyncio
import logging

from telegram import BotCommand, LinkPreviewOptions, Update
from telegram.constants import ParseMode
from telegram.ext import (AIORateLimiter, Application, ApplicationBuilder, CallbackQueryHandler, CommandHandler,
                          ContextTypes, Defaults, ExtBot, MessageHandler, filters)
from telegram.request import HTTPXRequest

from bot.alerts import DatabaseWatch, alert_failing_sources
from bot.commands import COMMAND_MENU, OPERATOR_COMMANDS, Commands
from bot.delivery import DigestService, Limits
from bot.handlers import on_button, on_channel, on_command, on_error, on_unknown_command
from bot.settings import Settings
from digests.fetching import Fetcher
from digests.ingest import IngestReport, ingest
from digests.storage import Store

log = logging.getLogger(__name__)


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
    and needs a connection pool as large as the messages it keeps in flight."""
    pool = delivery_limits(settings).concurrency
    return ExtBot(settings.token, base_url=settings.api_base_url, defaults=bot_defaults(settings),
                  request=HTTPXRequest(connection_pool_size=pool, pool_timeout=30.0))


def build_application(settings: Settings, store: Store, *, schedule: bool = True) -> Application:
    """The bot, ready for ``run_polling``. ``schedule=False`` leaves out the ingest and digest jobs."""
    application = (
        ApplicationBuilder()
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

    names = [name for name, _ in COMMAND_MENU if name != "channel"] + OPERATOR_COMMANDS
    application.add_handler(CommandHandler("channel", on_channel))
    application.add_handler(CommandHandler(names, on_command))
    application.add_handler(MessageHandler(filters.COMMAND, on_unknown_command))
    application.add_handler(CallbackQueryHandler(on_button))
    application.add_error_handler(on_error)

    if schedule:
        jobs = application.job_queue
        # first=1, not 0: the job queue reads a falsy `first` as "not given" and would wait a whole interval.
        jobs.run_repeating(ingest_job, interval=settings.ingest_interval_minutes * 60, first=1, name="ingest")
        # One job asks the database every minute which chats are due: no job per chat.
        jobs.run_repeating(digest_job, interval=60, first=2, name="digest")
        jobs.run_repeating(health_job, interval=60, first=30, name="health", data=DatabaseWatch())
    return application


async def _start(application: Application) -> None:
    """Register the command menu, and start the digest sender (which first settles a crash's leftovers)."""
    await application.bot.set_my_commands([BotCommand(name, text) for name, text in COMMAND_MENU])
    application.bot_data["commands"].bot_username = application.bot.username  # for deep links
    settings: Settings = application.bot_data["settings"]
    sender = make_delivery_bot(settings)
    await sender.initialize()
    application.bot_data["digests"] = DigestService(sender, application.bot_data["store"], settings.schedule,
                                                    delivery_limits(settings), settings.digest_max_items)


async def _stop(application: Application) -> None:
    service: DigestService | None = application.bot_data.get("digests")
    if service is not None:
        await service.bot.shutdown()


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
    await asyncio.to_thread(run_ingest, settings, store, settings.sources, on_schedule=True)
    await alert_failing_sources(context.bot, store, settings.admin_ids)


async def health_job(context: ContextTypes.DEFAULT_TYPE) -> None:
    settings: Settings = context.bot_data["settings"]
    await context.job.data.check(context.bot, context.bot_data["store"], settings.admin_ids)


async def digest_job(context: ContextTypes.DEFAULT_TYPE) -> None:
    context.bot_data["digests"].tick()


def run(settings: Settings, store: Store) -> None:
    """Serve the bot with long polling until interrupted."""
    build_application(settings, store).run_polling(allowed_updates=Update.ALL_TYPES)
