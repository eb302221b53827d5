"""The ``newsdigest`` command: run the bot, ingest, print or send a digest, or try the bot offline."""

from __future__ import annotations

import argparse
import asyncio
import csv
import logging
import sys
from datetime import UTC, date, datetime, time, timedelta

from sqlalchemy.exc import OperationalError
from telegram.error import BadRequest, InvalidToken, NetworkError

from bot import app, webhook
from bot.commands import Commands, operator_figures
from bot.console import run_console
from bot.delivery import DigestService
from bot.logs import redact, setup_logging
from bot.settings import Settings, SettingsError, load_settings
from digests.digest import group_by_topic, render_text
from digests.models import Subscriber, topic_key
from digests.storage import (SchemaError, Store, current_revision, database_label, downgrade, head_revision, history,
                             made_before_migrations, migrate, open_store)
from digests.storage.schema import describe

BAD_TOKEN = "Telegram rejected the bot token: check TELEGRAM_BOT_TOKEN against what @BotFather gave you."
NO_TOKEN = (
    "No Telegram bot token: create a bot with @BotFather (https://t.me/BotFather), then put its token in .env "
    "as TELEGRAM_BOT_TOKEN=... (see .env.example) or in the environment."
)
NO_WEBHOOK_SECRET = (
    "WEBHOOK_SECRET is not set: put a random string of A-Z, a-z, 0-9, _ and - in it (for example the output of "
    "python3 -c 'import secrets; print(secrets.token_urlsafe(32))'); only requests carrying it are answered."
)


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="newsdigest", description="A Telegram bot that sends short news digests.")
    parser.add_argument("--env-file", default=".env", help="settings file to read (default: .env)")
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    commands.add_parser("run", help="ingest on a schedule, send the daily digest and serve the bot")
    serve = commands.add_parser("serve", help="answer Telegram's webhook (behind a reverse proxy)")
    serve.add_argument("--jobs", action=argparse.BooleanOptionalAction, default=None,
                       help="also ingest and send digests, as run does (default: SERVE_JOBS, else only on SQLite)")
    hook = commands.add_parser("webhook", help="register the webhook with Telegram, remove it, or show it")
    hook.add_argument("action", choices=["set", "delete", "info"],
                      help="set: register WEBHOOK_URL and WEBHOOK_SECRET; delete: back to long polling; info: "
                           "what Telegram has")
    hook.add_argument("--drop-pending-updates", action="store_true",
                      help="with set or delete: drop the updates Telegram is holding for the bot")
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
    db = commands.add_parser("db", help="the database's schema: upgrade it, show its revision and the history")
    db_commands = db.add_subparsers(dest="db_command", required=True, metavar="ACTION")
    upgrade = db_commands.add_parser("upgrade", help="upgrade the database to this release's schema (back it up first)")
    upgrade.add_argument("revision", nargs="?", default="head", help="a revision id (default: the newest)")
    down = db_commands.add_parser("downgrade", help="take the database back to an older revision, before "
                                                    "installing an older release (back it up first)")
    down.add_argument("revision", help="a revision id from `newsdigest db history`")
    db_commands.add_parser("current", help="the database's revision, and whether it is this release's")
    db_commands.add_parser("history", help="every revision this release knows, oldest first")
    return parser


def main(argv: list[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    try:
        settings = load_settings(env_file=args.env_file)
    except SettingsError as error:
        print(f"Configuration error: {error}", file=sys.stderr)
        return 2
    setup_logging(settings.log_level, (settings.token or "", settings.webhook_secret or ""))
    handler = {"run": _run, "ingest": _ingest, "digest": _digest, "chat": _chat, "stats": _stats,
               "subscribers": _subscribers, "serve": _serve, "webhook": _webhook, "db": _db}[args.command]
    try:
        return handler(settings, args)
    except SchemaError as error:
        print(error, file=sys.stderr)
        return 2
    except OperationalError as error:  # the database does not answer, or refuses us
        reason = str(error.orig or error).splitlines()[0]
        print(f"Cannot use the database {database_label(settings.database_url)}: {reason}", file=sys.stderr)
        return 1
    except InvalidToken:  # its message quotes the token
        print(BAD_TOKEN, file=sys.stderr)
        return 2
    except NetworkError as error:
        message = f"Cannot reach the Telegram Bot API at {settings.api_base_url}: {error}"
        print(redact(message, (settings.token or "",)), file=sys.stderr)
        return 1


def _run(settings: Settings, args: argparse.Namespace) -> int:
    if not settings.token:
        print(NO_TOKEN, file=sys.stderr)
        return 2
    store = open_store(settings.database_url)
    logging.getLogger(__name__).info("Database: %s", database_label(settings.database_url))
    if url := asyncio.run(webhook.webhook_info(settings)).url:
        print(webhook.in_the_way(url), file=sys.stderr)
        return 2
    app.run(settings, store)
    return 0


def _serve(settings: Settings, args: argparse.Namespace) -> int:
    if not settings.token:
        print(NO_TOKEN, file=sys.stderr)
        return 2
    if not settings.webhook_secret:
        print(NO_WEBHOOK_SECRET, file=sys.stderr)
        return 2
    jobs = settings.jobs_in_serve if args.jobs is None else args.jobs
    try:
        sock = webhook.listen(settings)  # first: an address that cannot be had is the one line said
    except webhook.ListenError as error:
        print(error, file=sys.stderr)
        return 2
    webhook.serve(settings, open_store(settings.database_url), sock, jobs=jobs)
    return 0


def _webhook(settings: Settings, args: argparse.Namespace) -> int:
    if not settings.token:
        print(NO_TOKEN, file=sys.stderr)
        return 2
    if args.action == "info":
        print("\n".join(webhook.describe(asyncio.run(webhook.webhook_info(settings)), settings)))
        return 0
    if args.action == "delete":
        print(asyncio.run(webhook.delete_webhook(settings, drop_pending_updates=args.drop_pending_updates)))
        return 0
    if not settings.webhook_url:
        print("WEBHOOK_URL is not set: put the public https:// address that your reverse proxy passes to "
              "`newsdigest serve` in it (see README, Webhooks).", file=sys.stderr)
        return 2
    if not settings.webhook_secret:
        print(NO_WEBHOOK_SECRET, file=sys.stderr)
        return 2
    try:
        print(asyncio.run(webhook.set_webhook(settings, drop_pending_updates=args.drop_pending_updates)))
    except BadRequest as error:  # "bad webhook: Failed to resolve host", ...
        print(f"Telegram refused WEBHOOK_URL={settings.webhook_url}: {error.message}", file=sys.stderr)
        return 1
    return 0


def _ingest(settings: Settings, args: argparse.Namespace) -> int:
    if args.rejected:
        for entry in open_store(settings.database_url).rejected_files():
            print(f"{entry.ingested_at:%Y-%m-%d %H:%M} {entry.path}: {entry.reason}")
        return 0
    locations = settings.with_topic_map(args.paths) if args.paths else settings.sources
    if not locations:
        print("Nothing to ingest: name files, folders or URLs, or set NEWS_SOURCES or SOURCES_FILE.",
              file=sys.stderr)
        return 2
    report = app.run_ingest(settings, open_store(settings.database_url), locations, on_schedule=False, progress=True)
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
    articles = open_store(settings.database_url).published(start.astimezone(UTC), end.astimezone(UTC))
    carries = (lambda key: key == topic_key(args.topic)) if args.topic else None
    title = f"News digest, {day.day} {day:%b %Y}" + (f", {args.topic}" if args.topic else "")
    print(render_text(group_by_topic(articles, carries), tz, title))
    return 0


def _send_digest(settings: Settings) -> int:
    if not settings.token:
        print(NO_TOKEN, file=sys.stderr)
        return 2

    async def send() -> str:
        async with app.make_delivery_bot(settings) as bot:
            store = open_store(settings.database_url)
            service = DigestService(bot, store, settings.schedule, app.delivery_limits(settings))
            report = await service.run_once(send_now=True)
        return report.summary_line()

    print(asyncio.run(send()))
    return 0


def _chat(settings: Settings, args: argparse.Namespace) -> int:
    run_console(Commands(open_store(settings.database_url), settings.schedule))
    return 0


def _stats(settings: Settings, args: argparse.Namespace) -> int:
    print("\n".join(operator_figures(open_store(settings.database_url), settings.digest_tz)))
    return 0


SUBSCRIBER_COLUMNS = ["chat_id", "kind", "active", "topics", "digest_time", "timezone", "next_digest_at",
                      "created_at", "inactive_reason"]


def _subscribers(settings: Settings, args: argparse.Namespace) -> int:
    rows = [[s.chat_id, s.kind, "yes" if s.active else "no",
             _topics_cell(s),
             f"{s.digest_time:%H:%M}" if s.digest_time else "", s.timezone or "",
             s.next_digest_at.isoformat() if s.next_digest_at else "", s.created_at.isoformat(),
             s.inactive_reason or ""] for s in open_store(settings.database_url).all_subscribers()]
    if args.csv:
        writer = csv.writer(sys.stdout, lineterminator="\n")
        writer.writerow(SUBSCRIBER_COLUMNS)
        writer.writerows(rows)
    else:
        for row in rows:
            print("  ".join(str(value) for value in row if value != ""))
    return 0


def _topics_cell(subscriber: Subscriber) -> str:
    if subscriber.all_topics:
        left_out = [topic.name for topic in subscriber.topics if topic.excluded]
        return "all" + (" but " + "; ".join(left_out) if left_out else "")
    return "; ".join(topic.name for topic in subscriber.topics)


def _db(settings: Settings, args: argparse.Namespace) -> int:
    """``newsdigest db ...``: the schema, by hand. Any command upgrades an SQLite database by itself; a server
    database only ever changes here."""
    url, label = settings.database_url, database_label(settings.database_url)
    if args.db_command == "history":
        current = current_revision(Store(url).engine)
        for script in history():
            mark = " (the database)" if script.revision == current else ""
            print(f"{script.revision}{mark}: {script.doc}")
        return 0
    if args.db_command == "current":
        store = Store(url)
        current = current_revision(store.engine)
        print(f"{label}: {describe(current, current is None and made_before_migrations(store.engine))}")
        if current != head_revision():
            print(f"This release needs {head_revision()}: run `newsdigest db upgrade`.")
        return 0
    store = Store(url)
    before_migrations = made_before_migrations(store.engine)
    store.close()
    before, after = (migrate if args.db_command == "upgrade" else downgrade)(url, args.revision)
    if before == after:
        print(f"{label} is already at {describe(after)}.")
    else:
        print(f"{label}: {describe(before, before_migrations)} -> {describe(after)}.")
    return 0


if __name__ == "__main__":
    sys.exit(main())
