"""The one place where the Telegram ``Application`` is wired: handlers, defaults, rate limits and jobs."""

from __future__ import annotations

import asyncio
import logging

from telegram import BotCommand, LinkPreviewOptions, Update
from telegram.constants import ParseMode
from telegram.ext import (AIORateLimiter, Application, ApplicationBuilder, CallbackQueryHandler, CommandHandler,
                          ContextTypes, Defaults, ExtBot, MessageHandler, filters)

from bot.alerts import alert_failing_sources
from bot.commands import COMMAND_MENU, Commands
from bot.delivery import send_digests
from bot.handlers import on_button, on_command, on_error, on_unknown_command
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


def make_bot(settings: Settings) -> ExtBot:
    """A bot for one-off sends outside the running application (``newsdigest digest --send``)."""
    return ExtBot(settings.token, base_url=settings.api_base_url, defaults=bot_defaults(settings),
                  rate_limiter=AIORateLimiter(max_retries=3))


def build_application(settings: Settings, store: Store, *, schedule: bool = True) -> Application:
    """The bot, ready for ``run_polling``. ``schedule=False`` leaves out the ingest and digest jobs."""
    application = (
        ApplicationBuilder()
        .token(settings.token)
        .base_url(settings.api_base_url)
        .base_file_url(settings.api_base_url.removesuffix("/bot") + "/file/bot")
        .defaults(bot_defaults(settings))
        .rate_limiter(AIORateLimiter(max_retries=3))
        .post_init(_register_command_menu)
        .build()
    )
    application.bot_data["commands"] = Commands(store, tz=settings.digest_tz, digest_time=settings.digest_time)
    application.bot_data["store"] = store
    application.bot_data["settings"] = settings

    names = [name for name, _ in COMMAND_MENU]
    application.add_handler(CommandHandler(names, on_command))
    application.add_handler(MessageHandler(filters.COMMAND, on_unknown_command))
    application.add_handler(CallbackQueryHandler(on_button))
    application.add_error_handler(on_error)

    if schedule:
        jobs = application.job_queue
        # first=1, not 0: the job queue reads a falsy `first` as "not given" and would wait a whole interval.
        jobs.run_repeating(ingest_job, interval=settings.ingest_interval_minutes * 60, first=1, name="ingest")
        jobs.run_daily(digest_job, time=settings.scheduled_digest_time, name="digest")
    return application


async def _register_command_menu(application: Application) -> None:
    await application.bot.set_my_commands([BotCommand(name, text) for name, text in COMMAND_MENU])


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


async def digest_job(context: ContextTypes.DEFAULT_TYPE) -> None:
    settings: Settings = context.bot_data["settings"]
    await send_digests(context.bot, context.bot_data["store"], settings.digest_tz)


def run(settings: Settings, store: Store) -> None:
    """Serve the bot with long polling until interrupted."""
    build_application(settings, store).run_polling(allowed_updates=Update.ALL_TYPES)
