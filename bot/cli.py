"""The ``newsdigest`` command: run the bot, ingest, print or send a digest, or try the bot offline.

Every ordinary mistake ends with one line on stderr and status 2 (a usage error, a wrong setting, a named
file that does not exist); ``ingest`` returns 1 when some input was rejected. A reader that goes away
(``newsdigest digest | head``) ends it quietly, as it would ``cat``.
"""

from __future__ import annotations

import argparse
import asyncio
import csv
import difflib
import logging
import os
import signal
import sys
from datetime import UTC, date, datetime, time, timedelta
from pathlib import Path

from sqlalchemy.exc import OperationalError
from telegram.error import BadRequest, InvalidToken, NetworkError

from bot import app, webhook
from bot.commands import Commands, operator_figures
from bot.console import run_console
from bot.delivery import DigestService
from bot.logs import redact, setup_logging
from bot.settings import TELEGRAM_API, Settings, SettingsError, load_settings
from digests.digest import group_by_topic, rank, render_text
from digests.fetching import __version__
from digests.ingest import IngestAborted, IngestReport
from digests.models import Subscriber, topic_key
from digests.sources import as_source, iter_source_files
from digests.storage import (SchemaError, Store, current_revision, database_label, downgrade, head_revision, history,
                             made_before_migrations, migrate, open_store)
from digests.storage.base import DatabaseURLError, database_url
from digests.storage.copying import CopyError, copy_database
from digests.storage.schema import check_procrastinate, describe

BAD_TOKEN = "Telegram rejected the bot token: check TELEGRAM_BOT_TOKEN against what @BotFather gave you."
NO_TOKEN = (
    "No Telegram bot token: create a bot with @BotFather (https://t.me/BotFather), then put its token in .env "
    "as TELEGRAM_BOT_TOKEN=... (see .env.example) or in the environment."
)
NO_WEBHOOK_SECRET = (
    "WEBHOOK_SECRET is not set: put a random string of A-Z, a-z, 0-9, _ and - in it (for example the output of "
    "python3 -c 'import secrets; print(secrets.token_urlsafe(32))'); only requests carrying it are answered."
)
USAGE_ERROR = 2  # also a wrong setting, a named file missing, an ingest that could read nothing
SOME_REJECTED = 1


class _Parser(argparse.ArgumentParser):
    def error(self, message: str):
        """One line, instead of the usage block and then the error."""
        self.exit(USAGE_ERROR, f"{self.prog}: {message} (see {self.prog} --help)\n")


def _day(value: str) -> date:
    try:
        day = date.fromisoformat(value)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{value!r} is not a date as YYYY-MM-DD, such as 2026-11-24") from None
    if day.year == date.max.year:  # its next day, the end of the digest's window, would not exist
        raise argparse.ArgumentTypeError(f"{value!r} is too far in the future")
    return day


def _parser() -> argparse.ArgumentParser:
    parser = _Parser(prog="newsdigest", description="A Telegram bot that sends short news digests.")
    parser.add_argument("--version", action="version", version=f"newsdigest {__version__}")
    parser.add_argument("--env-file", metavar="PATH", help="settings file to read (default: .env, if there is one)")
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    def command(name: str, summary: str, details: str = "") -> argparse.ArgumentParser:
        return commands.add_parser(name, help=summary, description=f"{summary[0].upper()}{summary[1:]}. {details}")

    command("run", "ingest on a schedule, send the daily digest and serve the bot",
            "Needs TELEGRAM_BOT_TOKEN. Runs until Ctrl-C or SIGTERM; waits and retries while the Bot API "
            "cannot be reached.")
    ingest_cmd = command("ingest", "ingest news now and print what happened",
                         "Prints each rejected file with its reason, then one summary line. Exit status: 0 all "
                         "read, 1 some input rejected, 2 nothing could be read or a named path does not exist.")
    serve = command("serve", "answer Telegram's webhook (behind a reverse proxy)",
                    "Needs TELEGRAM_BOT_TOKEN, WEBHOOK_SECRET and WEBHOOK_LISTEN/WEBHOOK_PORT; see README, Webhooks.")
    serve.add_argument("--jobs", action=argparse.BooleanOptionalAction, default=None,
                       help="also ingest and send digests, as run does (default: SERVE_JOBS, else only on SQLite)")
    command("worker", "do the ingest and digest work, alongside other workers (PostgreSQL only)",
            "Needs TELEGRAM_BOT_TOKEN and a PostgreSQL DATABASE_URL; run any number of them, on any machines. "
            "Ingests every source on schedule (one worker per source at a time), plans the due digests every "
            "minute and sends them; a worker that dies has its jobs taken over by the others within seconds. "
            "Runs until Ctrl-C or SIGTERM. With SQLite, `newsdigest run` does all of this itself.")
    hook = command("webhook", "register the webhook with Telegram, remove it, or show it",
                   "Run `webhook set` once per deploy, after the serve processes are up.")
    hook.add_argument("action", choices=["set", "delete", "info"],
                      help="set: register WEBHOOK_URL and WEBHOOK_SECRET; delete: back to long polling; info: "
                           "what Telegram has")
    hook.add_argument("--drop-pending-updates", action="store_true",
                      help="with set or delete: drop the updates Telegram is holding for the bot")
    ingest_cmd.add_argument("paths", nargs="*", metavar="PATH",
                            help="files, folders or URLs (default: NEWS_SOURCES and SOURCES_FILE)")
    ingest_cmd.add_argument("--rejected", action="store_true",
                            help="list the files rejected so far (under the PATHs, if given), with their reasons, "
                                 "and ingest nothing")
    digest = command("digest", "print a digest as plain text, or --send today's digest",
                     "Without --send, prints the articles published on a day, grouped by topic.")
    digest.add_argument("--date", type=_day, help="the day, as YYYY-MM-DD (default: today, in DIGEST_TIMEZONE)")
    digest.add_argument("--topic", help="only this topic")
    digest.add_argument("--send", action="store_true",
                        help="send today's digest to subscribed chats that lack it (with PostgreSQL, by the workers "
                             "when some run)")
    command("chat", "try the bot's commands in this terminal (no token needed)",
            "Type /latest, /topic NAME, /help; buttons are numbered, type the number to press one; /quit leaves.")
    command("stats", "print the operators' figures (as /stats shows them)")
    subscribers = command("subscribers", "list the subscribed chats", "Active and inactive, one line each.")
    subscribers.add_argument("--csv", action="store_true", help="as CSV with a header row (for spreadsheets)")
    db = command("db", "the database's schema: upgrade it, show its revision and the history; copy the database",
                 "An SQLite database is upgraded by every command; a server database only by `db upgrade`.")
    db_commands = db.add_subparsers(dest="db_command", required=True, metavar="ACTION")
    upgrade = db_commands.add_parser("upgrade", help="upgrade the database to this release's schema (back it up first)")
    upgrade.add_argument("revision", nargs="?", default="head", help="a revision id (default: the newest)")
    down = db_commands.add_parser("downgrade", help="take the database back to an older revision, before "
                                                    "installing an older release (back it up first)")
    down.add_argument("revision", help="a revision id from `newsdigest db history`")
    db_commands.add_parser("current", help="the database's revision, and whether it is this release's")
    db_commands.add_parser("history", help="every revision this release knows, oldest first")
    copy = db_commands.add_parser(
        "copy", help="copy every row of the database into another, empty one (SQLite to PostgreSQL, say)",
        description="Copy every row of DATABASE_URL's database into the database --to names, which must hold no "
                    "newsdigest data; its tables are made first. Stop the bot first; then point DATABASE_URL at "
                    "the copy.")
    copy.add_argument("--to", required=True, metavar="URL",
                      help="the target, such as postgresql://USER:PASSWORD@HOST/NAME or sqlite:///PATH")
    return parser


def main(argv: list[str] | None = None) -> int:
    try:
        return _main(argv)
    except KeyboardInterrupt:  # Ctrl-C: the user knows; no traceback
        print(file=sys.stderr)
        return 128 + signal.SIGINT
    except BrokenPipeError:  # the reader of our output went away (| head): stop quietly, as cat does
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())  # so that flushing stdout at exit does not fail again
        return 128 + signal.SIGPIPE


def _main(argv: list[str] | None) -> int:
    args = _parser().parse_args(argv)
    try:
        settings = load_settings(env_file=args.env_file or ".env", must_exist=args.env_file is not None)
    except SettingsError as error:
        print(f"Configuration error: {error}", file=sys.stderr)
        return USAGE_ERROR
    setup_logging(settings.log_level, (settings.token or "", settings.webhook_secret or ""))
    handler = {"run": _run, "ingest": _ingest, "digest": _digest, "chat": _chat, "stats": _stats,
               "subscribers": _subscribers, "serve": _serve, "webhook": _webhook, "db": _db,
               "worker": _worker}[args.command]
    try:
        return handler(settings, args)
    except SchemaError as error:
        print(error, file=sys.stderr)
        return USAGE_ERROR
    except OperationalError as error:  # the database does not answer, or refuses us
        reason = str(error.orig or error).splitlines()[0]
        print(f"Cannot use the database {database_label(settings.database_url)}: {reason}", file=sys.stderr)
        return 1
    except InvalidToken:  # its message quotes the token
        print(bad_token_message(settings), file=sys.stderr)
        return USAGE_ERROR
    except NetworkError as error:
        message = f"Cannot reach the Telegram Bot API at {settings.api_base_url}: {error}"
        print(redact(message, (settings.token or "",)), file=sys.stderr)
        return 1


def bad_token_message(settings: Settings) -> str:
    if settings.api_base_url == TELEGRAM_API:
        return BAD_TOKEN
    server = settings.api_base_url.removesuffix("/bot")
    return f"{BAD_TOKEN} If it is right, check that TELEGRAM_API_BASE_URL={server} is a Bot API server."


def _run(settings: Settings, args: argparse.Namespace) -> int:
    if not settings.token:
        print(NO_TOKEN, file=sys.stderr)
        return USAGE_ERROR
    store = open_store(settings.database_url)
    if not settings.sqlite:  # the work is done by a procrastinate worker in this process
        check_procrastinate()
    logging.getLogger(__name__).info("Database: %s", database_label(settings.database_url))
    try:
        app.run(settings, store)
    except app.WebhookIsSet as webhook_set:
        print(webhook.in_the_way(webhook_set.url), file=sys.stderr)
        return USAGE_ERROR
    return 0


def _serve(settings: Settings, args: argparse.Namespace) -> int:
    if not settings.token:
        print(NO_TOKEN, file=sys.stderr)
        return USAGE_ERROR
    if not settings.webhook_secret:
        print(NO_WEBHOOK_SECRET, file=sys.stderr)
        return USAGE_ERROR
    jobs = settings.jobs_in_serve if args.jobs is None else args.jobs
    try:
        sock = webhook.listen(settings)  # first: an address that cannot be had is the one line said
    except webhook.ListenError as error:
        print(error, file=sys.stderr)
        return USAGE_ERROR
    store = open_store(settings.database_url)
    if jobs and not settings.sqlite:  # the work is done by a procrastinate worker in this process
        check_procrastinate()
    webhook.serve(settings, store, sock, jobs=jobs)
    return 0


WORKER_NEEDS_POSTGRESQL = (
    "newsdigest worker shares the work of several processes through PostgreSQL, and DATABASE_URL names an SQLite "
    "database: with SQLite, `newsdigest run` does all the work (ingest, digests, the bot) in one process.")


def _worker(settings: Settings, args: argparse.Namespace) -> int:
    if settings.sqlite:
        print(WORKER_NEEDS_POSTGRESQL, file=sys.stderr)
        return USAGE_ERROR
    if not settings.token:
        print(NO_TOKEN, file=sys.stderr)
        return USAGE_ERROR
    check_procrastinate()  # installed, and a release whose schema revision 0008 applies
    from bot import worker

    worker.run_worker(settings, open_store(settings.database_url))
    return 0


def _webhook(settings: Settings, args: argparse.Namespace) -> int:
    if not settings.token:
        print(NO_TOKEN, file=sys.stderr)
        return USAGE_ERROR
    if args.action == "info":
        print("\n".join(webhook.describe(asyncio.run(webhook.webhook_info(settings)), settings)))
        return 0
    if args.action == "delete":
        print(asyncio.run(webhook.delete_webhook(settings, drop_pending_updates=args.drop_pending_updates)))
        return 0
    if not settings.webhook_url:
        print("WEBHOOK_URL is not set: put the public https:// address that your reverse proxy passes to "
              "`newsdigest serve` in it (see README, Webhooks).", file=sys.stderr)
        return USAGE_ERROR
    if not settings.webhook_secret:
        print(NO_WEBHOOK_SECRET, file=sys.stderr)
        return USAGE_ERROR
    try:
        print(asyncio.run(webhook.set_webhook(settings, drop_pending_updates=args.drop_pending_updates)))
    except BadRequest as error:  # "bad webhook: Failed to resolve host", ...
        print(f"Telegram refused WEBHOOK_URL={settings.webhook_url}: {error.message}", file=sys.stderr)
        return 1
    return 0


def _ingest(settings: Settings, args: argparse.Namespace) -> int:
    store = open_store(settings.database_url)
    if args.rejected:
        under = [_ledger_path(path) for path in args.paths]
        for entry in store.rejected_files():
            if not under or any(entry.path == path or entry.path.startswith(path + os.sep) for path in under):
                print(f"{entry.ingested_at:%Y-%m-%d %H:%M} {entry.path}: {entry.reason}")
        return 0
    locations = settings.with_topic_map(args.paths) if args.paths else settings.sources
    if not locations:
        print("Nothing to ingest: name files, folders or URLs, or set NEWS_SOURCES or SOURCES_FILE.",
              file=sys.stderr)
        return USAGE_ERROR
    missing = [path for path in args.paths if not as_source(path).is_url and not Path(path).expanduser().exists()]
    if missing:
        print(f"No such file or folder: {', '.join(missing)} (nothing was ingested)", file=sys.stderr)
        return USAGE_ERROR
    empty = [source.location for source in map(as_source, locations)
             if Path(source.location).expanduser().is_dir() and next(iter_source_files([source]), None) is None]
    try:
        report = app.run_ingest(settings, store, locations, on_schedule=False, progress=True)
    except IngestAborted as error:
        print(f"The ingest stopped half-way: {error}", file=sys.stderr)
        return SOME_REJECTED
    for rejection in report.rejected:
        print(f"rejected: {rejection}")
    print(report.full_line())
    for folder in empty:
        print(f"No *.xml, *.rss or *.atom files were found in {folder}", file=sys.stderr)
    return ingest_status(report)


def ingest_status(report: IngestReport) -> int:
    """0: nothing rejected (an empty folder included); 1: some input rejected; 2: all of it rejected."""
    if not report.rejected:
        return 0
    return SOME_REJECTED if report.new + report.duplicate + report.unchanged else USAGE_ERROR


def _ledger_path(path: str) -> str:
    """A path as the file ledger keeps it (absolute and normalised); a URL as it is."""
    return path if as_source(path).is_url else os.path.normpath(Path(path).expanduser().absolute())


def _digest(settings: Settings, args: argparse.Namespace) -> int:
    if args.send:
        return _send_digest(settings)
    store = open_store(settings.database_url)
    carries, of_topic = None, ""
    if args.topic:
        topic = store.find_topic(args.topic)
        if topic is None:
            print(_no_such_topic(args.topic, [t.name for t in store.topics()]), file=sys.stderr)
            return USAGE_ERROR
        carries, of_topic = {topic.key}.__contains__, f", {topic.name}"
    tz = settings.digest_tz
    day = args.date or datetime.now(tz).date()
    start = datetime.combine(day, time(0), tzinfo=tz)
    end = start + timedelta(days=1)
    # the news of that day by publication: none older than a sent digest's (DIGEST_MAX_AGE_HOURS before its
    # window), undated articles by their arrival (their published_at) as there
    articles = store.published(start.astimezone(UTC), end.astimezone(UTC))
    ranked = rank(group_by_topic(articles, carries), settings.digest_max_items, min(end, datetime.now(tz)))
    print(render_text(ranked.sections, tz, f"News digest, {day.day} {day:%b %Y}{of_topic}", ranked.left_out))
    return 0


def _no_such_topic(name: str, names: list[str]) -> str:
    """The one line for ``digest --topic`` naming no topic: the near names, else (some of) the topics."""
    said = f"digest --topic: there is no topic called {name!r}"
    if not names:
        return f"{said}: no news has been ingested yet."
    by_key = {topic_key(known): known for known in sorted(names, key=topic_key)}
    wanted = topic_key(name)
    near = [known for key, known in by_key.items() if wanted in key or key in wanted]
    near += [by_key[key] for key in difflib.get_close_matches(wanted, list(by_key), n=5, cutoff=0.6)]
    if near:
        return f"{said}; near names: {', '.join(dict.fromkeys(near))}"
    shown = list(by_key.values())
    return f"{said}; the topics are: {', '.join(shown[:20])}" + (", ..." if len(shown) > 20 else "")


def _send_digest(settings: Settings) -> int:
    if not settings.token:
        print(NO_TOKEN, file=sys.stderr)
        return USAGE_ERROR

    async def send() -> str:
        async with app.make_delivery_bot(settings) as bot:
            store = open_store(settings.database_url)
            if not settings.sqlite:  # workers running send it: they keep the bot's pace, one sender per shard
                check_procrastinate()
                from bot.worker import hand_digests_to_workers

                waiting = await hand_digests_to_workers(settings, store, bot)
                if waiting is not None:
                    return (f"{waiting} digests to send: the running workers send them at the bot's pace; their "
                            "log says when they are done")
            # alone, or no worker alive: send them here (with PostgreSQL at the pace shared with any other sender)
            service = DigestService(bot, store, settings.schedule, app.delivery_limits(settings),
                                    settings.digest_max_items, shared_pace=not settings.sqlite,
                                    max_age=settings.digest_max_age)
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
    if args.db_command == "copy":
        return _copy_database(settings, args.to)
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


def _copy_database(settings: Settings, to: str) -> int:
    """``newsdigest db copy --to URL``: the row counts of each table on both sides, or one line saying why not."""
    try:
        target = database_url(to, Path.cwd(), "--to")  # a relative SQLite path: from here, as any path argument
    except DatabaseURLError as error:
        print(error, file=sys.stderr)
        return USAGE_ERROR
    print(f"Copying {database_label(settings.database_url)} to {database_label(target)}", flush=True)
    try:
        report = copy_database(settings.database_url, target, progress=True)
    except CopyError as error:
        print(error, file=sys.stderr)
        return USAGE_ERROR
    width = max(len(count.table) for count in report.counts)
    print(f"{'table':<{width}}  {'source':>12}  {'target':>12}")
    for count in report.counts:
        print(f"{count.table:<{width}}  {count.source:>12,}  {count.target:>12,}")
    print(f"Copied {report.rows:,} rows of {len(report.counts)} tables in {report.seconds:.1f} s (schema "
          f"{report.revision}); every table's rows are all there. Now point DATABASE_URL at {database_label(target)} "
          "and start the bot.")
    return 0


if __name__ == "__main__":
    sys.exit(main())
