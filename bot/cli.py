"""The ``newsdigest`` command: run the bot, ingest, print or send a digest, or try the bot offline."""

from __future__ import annotations

import argparse
import asyncio
import csv
import sys
from datetime import UTC, date, datetime, time, timedelta

from sqlalchemy.engine import make_url
from sqlalchemy.exc import OperationalError
from telegram.error import InvalidToken, NetworkError

from bot import app
from bot.commands import Commands, operator_figures
from bot.console import run_console
from bot.delivery import DigestService
from bot.logs import redact, setup_logging
from bot.settings import Settings, SettingsError, load_settings
from digests.digest import group_by_topic, render_text
from digests.models import topic_key
from digests.storage import Store

BAD_TOKEN = "Telegram rejected the bot token: check TELEGRAM_BOT_TOKEN against what @BotFather gave you."
NO_TOKEN = (
    "No Telegram bot token: create a bot with @BotFather (https://t.me/BotFather), then put its token in .env "
    "as TELEGRAM_BOT_TOKEN=... (see .env.example) or in the environment."
)


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="newsdigest", description="A Telegram bot that sends short news digests.")
    parser.add_argument("--env-file", default=".env", help="settings file to read (default: .env)")
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    commands.add_parser("run", help="ingest on a schedule, send the daily digest and serve the bot")
    ingest_cmd = commands.add_parser("ingest", help="ingest news now and print what happened")
    ingest_cmd.add_argument("paths", nargs="*", metavar="PATH",
                            help="files, folders or URLs (default: NEWS_SOURCES and SOURCES_FILE)")
    ingest_cmd.add_argument("--rejected", action="store_true",
                            help="list the files rejected so far, with their reasons, and ingest nothing")
    digest = commands.add_parser("digest", help="print a digest as plain text, or --send today's digest")
    digest.add_argument("--date", type=date.fromisoformat, help="the day, as YYYY-MM-DD (default: today)")
    digest.add_argument("--topic", help="only this topic")
    digest.add_argument("--send", action="store_true", help="send today's digest to subscribed chats that lack it")
    commands.add_parser("chat", help="try the bot's commands in this terminal (no token needed)")
    commands.add_parser("stats", help="print the operators' figures (as /stats shows them)")
    subscribers = commands.add_parser("subscribers", help="list the subscribed chats")
    subscribers.add_argument("--csv", action="store_true", help="as CSV with a header row (for spreadsheets)")
    return parser


def main(argv: list[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    try:
        settings = load_settings(env_file=args.env_file)
    except SettingsError as error:
        print(f"Configuration error: {error}", file=sys.stderr)
        return 2
    setup_logging(settings.log_level, (settings.token or "",))
    handler = {"run": _run, "ingest": _ingest, "digest": _digest, "chat": _chat, "stats": _stats,
               "subscribers": _subscribers}[args.command]
    try:
        return handler(settings, args)
    except InvalidToken:  # its message quotes the token
        print(BAD_TOKEN, file=sys.stderr)
        return 2
    except NetworkError as error:
        message = f"Cannot reach the Telegram Bot API at {settings.api_base_url}: {error}"
        print(redact(message, (settings.token or "",)), file=sys.stderr)
        return 1
    except OperationalError as error:  # the server is down, refuses us, or the file cannot be opened
        where = make_url(settings.database_url).render_as_string(hide_password=True)
        reason = str(error.orig or error).strip().splitlines()[0]
        print(f"Cannot use the database at {where} (DATABASE_URL): {reason}", file=sys.stderr)
        return 1


def _run(settings: Settings, args: argparse.Namespace) -> int:
    if not settings.token:
        print(NO_TOKEN, file=sys.stderr)
        return 2
    app.run(settings, Store(settings.database_url))
    return 0


def _ingest(settings: Settings, args: argparse.Namespace) -> int:
    if args.rejected:
        for entry in Store(settings.database_url).rejected_files():
            print(f"{entry.ingested_at:%Y-%m-%d %H:%M} {entry.path}: {entry.reason}")
        return 0
    locations = args.paths or settings.sources
    if not locations:
        print("Nothing to ingest: name files, folders or URLs, or set NEWS_SOURCES or SOURCES_FILE.",
              file=sys.stderr)
        return 2
    report = app.run_ingest(settings, Store(settings.database_url), locations, on_schedule=False, progress=True)
    for rejection in report.rejected:
        print(f"rejected: {rejection}")
    print(report.full_line())
    return 0


def _digest(settings: Settings, args: argparse.Namespace) -> int:
    if args.send:
        return _send_digest(settings)
    tz = settings.digest_tz
    day = args.date or datetime.now(tz).date()
    start = datetime.combine(day, time(0), tzinfo=tz)
    end = start + timedelta(days=1)
    articles = Store(settings.database_url).published(start.astimezone(UTC), end.astimezone(UTC))
    keys = {topic_key(args.topic)} if args.topic else None
    title = f"News digest, {day.day} {day:%b %Y}" + (f", {args.topic}" if args.topic else "")
    print(render_text(group_by_topic(articles, keys), tz, title))
    return 0


def _send_digest(settings: Settings) -> int:
    if not settings.token:
        print(NO_TOKEN, file=sys.stderr)
        return 2

    async def send() -> str:
        async with app.make_delivery_bot(settings) as bot:
            service = DigestService(bot, Store(settings.database_url), settings.schedule, app.delivery_limits(settings))
            report = await service.run_once(send_now=True)
        return report.summary_line()

    print(asyncio.run(send()))
    return 0


def _chat(settings: Settings, args: argparse.Namespace) -> int:
    run_console(Commands(Store(settings.database_url), settings.schedule))
    return 0


def _stats(settings: Settings, args: argparse.Namespace) -> int:
    print("\n".join(operator_figures(Store(settings.database_url), settings.digest_tz)))
    return 0


SUBSCRIBER_COLUMNS = ["chat_id", "kind", "active", "topics", "digest_time", "timezone", "next_digest_at",
                      "created_at", "inactive_reason"]


def _subscribers(settings: Settings, args: argparse.Namespace) -> int:
    rows = [[s.chat_id, s.kind, "yes" if s.active else "no",
             "all" if s.all_topics else "; ".join(t.name for t in s.topics),
             f"{s.digest_time:%H:%M}" if s.digest_time else "", s.timezone or "",
             s.next_digest_at.isoformat() if s.next_digest_at else "", s.created_at.isoformat(),
             s.inactive_reason or ""] for s in Store(settings.database_url).all_subscribers()]
    if args.csv:
        writer = csv.writer(sys.stdout, lineterminator="\n")
        writer.writerow(SUBSCRIBER_COLUMNS)
        writer.writerows(rows)
    else:
        for row in rows:
            print("  ".join(str(value) for value in row if value != ""))
    return 0


if __name__ == "__main__":
    sys.exit(main())
