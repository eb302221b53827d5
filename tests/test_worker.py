"""``newsdigest worker`` (procrastinate on PostgreSQL), as an operator runs it: real worker processes against one
throwaway PostgreSQL database and the fake Bot API on 127.0.0.1; ``run`` with PostgreSQL; revision 0008."""

from __future__ import annotations

import os
import re
import signal
import subprocess
import sys
import time
from collections import Counter
from datetime import UTC, datetime, time as clock_time, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from psycopg.conninfo import conninfo_to_dict
from sqlalchemy import create_engine, inspect, text, update

from bot.cli import WORKER_NEEDS_POSTGRESQL
from bot.worker import conninfo
from digests.ingest import ingest
from digests.models import Subscriber
from digests.schedule import Schedule
from digests.storage import SchemaError, Store, current_revision, downgrade, head_revision, migrate, open_store
from digests.storage import schema
from tests.conftest import days_ago, write_article
from tests.fakebotapi import TOKEN, FakeBotAPI
from tests.test_cli import newsdigest
from tests.test_migrations import schema_differences
from tests.test_webhook import free_port, wait_until

PASSWORD = "pw-never-logged"  # the test server trusts 127.0.0.1: any password is taken, and must never be shown
UTC_SCHEDULE = Schedule(clock_time(8, 0), ZoneInfo("UTC"))
PROCRASTINATE_TABLES = {"procrastinate_jobs", "procrastinate_events", "procrastinate_periodic_defers",
                        "procrastinate_workers"}


@pytest.fixture
def env(pg_url: str, fake_api: FakeBotAPI, tmp_path: Path) -> dict:
    clean = {k: v for k, v in os.environ.items()
             if not k.startswith(("TELEGRAM_", "NEWS_", "DIGEST_", "DATABASE_", "INGEST_", "MOVE_", "SETTLE_"))}
    with_password = pg_url.replace("://postgres@", f"://postgres:{PASSWORD}@")
    assert PASSWORD in with_password
    return {**clean, "DATABASE_URL": with_password, "TELEGRAM_BOT_TOKEN": TOKEN, "TELEGRAM_API_BASE_URL": fake_api.base_url,
            "DIGEST_TIMEZONE": "UTC", "SOURCE_TIMEZONE": "UTC", "SETTLE_SECONDS": "0", "INGEST_INTERVAL_MINUTES": "1"}


class Worker:
    """One ``newsdigest worker`` (or ``run``) process; its log goes to a file the test reads as it runs."""

    def __init__(self, env: dict, folder: Path, name: str, command: str = "worker"):
        self.log_path = folder / f"{name}.log"
        self._log = open(self.log_path, "w")
        self.process = subprocess.Popen([sys.executable, "-m", "bot.cli", command], env=env, cwd=folder,
                                        stdout=self._log, stderr=subprocess.STDOUT, text=True)
        self.pid = self.process.pid

    def log(self) -> str:
        return self.log_path.read_text()

    def stop(self) -> int:
        """SIGTERM, as systemd stops it; its exit status."""
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
        return self.wait()

    def wait(self) -> int:
        """Its exit status, once it has ended (a signal already sent: a second one would cut its clean stop)."""
        try:
            return self.process.wait(timeout=60)
        finally:
            self._log.close()

    def kill(self) -> None:
        self.process.kill()
        self.process.wait(timeout=30)


@pytest.fixture
def workers(env: dict, tmp_path: Path):
    """Starts workers (``start(n)``); every one still running is stopped, and must stop cleanly, at the end."""
    started: list[Worker] = []

    def start(count: int = 1, command: str = "worker", **more: str) -> list[Worker]:
        new = [Worker({**env, **more}, tmp_path, f"{command}{len(started) + n}", command) for n in range(count)]
        started.extend(new)
        return new

    yield start
    for worker in started:
        if worker.process.poll() is None:
            assert worker.stop() == 0, worker.log()[-3000:]
        else:
            worker._log.close()
        assert "Traceback" not in worker.log(), worker.log()[-5000:]
        assert TOKEN not in worker.log() and PASSWORD not in worker.log()


def subscribe_due(store: Store, chats: list[int], due: datetime) -> None:
    for chat in chats:
        store.subscribe(chat, "private", None, days_ago(2), UTC_SCHEDULE)
    with store.session() as session, session.begin():
        session.execute(update(Subscriber).values(next_digest_at=due))


def digests_per_chat(fake: FakeBotAPI) -> Counter:
    return Counter(sent.chat_id for sent in fake.sent if sent.method == "sendMessage")


def ingest_lines(workers: list[Worker]) -> list[str]:
    return [line for worker in workers for line in worker.log().splitlines() if "digests.ingest: Ingest:" in line]


def counted(lines: list[str], what: str) -> int:
    return sum(int(re.search(rf"(\d+) {what}", line).group(1)) for line in lines if re.search(rf"(\d+) {what}", line))


def test_database_url_becomes_libpq_conninfo():
    url = "postgresql+psycopg://news:p%40ss%20word@db.example:6432/newsdigest?sslmode=require&application_name=nd"
    assert conninfo_to_dict(conninfo(url)) == {"user": "news", "password": "p@ss word", "host": "db.example",
                                               "port": "6432", "dbname": "newsdigest", "sslmode": "require",
                                               "application_name": "nd"}
    assert conninfo_to_dict(conninfo("postgresql://news@/newsdigest?host=/run/postgresql")) == \
        {"user": "news", "dbname": "newsdigest", "host": "/run/postgresql"}


def test_worker_needs_postgresql_and_says_run_does_it_all_with_sqlite(tmp_path):
    clean = {k: v for k, v in os.environ.items() if not k.startswith(("TELEGRAM_", "DATABASE_"))}
    result = newsdigest("worker", env={**clean, "DATABASE_URL": f"sqlite:///{tmp_path}/news.db",
                                       "TELEGRAM_BOT_TOKEN": TOKEN}, cwd=tmp_path)
    assert result.returncode == 2
    assert result.stderr.strip() == WORKER_NEEDS_POSTGRESQL
    assert "newsdigest run" in result.stderr and len(result.stderr.strip().splitlines()) == 1
    assert not (tmp_path / "news.db").exists()  # nothing was made
    helped = newsdigest("worker", "--help", env=clean, cwd=tmp_path)
    assert helped.returncode == 0 and "PostgreSQL" in helped.stdout and "SIGTERM" in helped.stdout


def test_sqlite_never_imports_procrastinate(tmp_path):
    """procrastinate is an optional part (the postgres extra): nothing on SQLite imports it."""
    code = ("import sys, bot.cli, bot.app, bot.webhook\n"
            "assert 'procrastinate' not in sys.modules, 'imported'\n")
    subprocess.run([sys.executable, "-c", code], check=True, timeout=60)


def test_revision_0008_adds_procrastinate_to_a_0_2_0_database_and_takes_it_away(postgres):
    url = postgres.create_database()
    try:
        migrate(url, "0007_postgresql")  # a database of release 0.2.0
        engine = create_engine(url)
        assert not PROCRASTINATE_TABLES & set(inspect(engine).get_table_names())
        result = newsdigest("db", "upgrade", env={**os.environ, "DATABASE_URL": url}, cwd=Path.cwd())
        assert result.returncode == 0, result.stderr
        assert current_revision(engine) == head_revision()
        assert PROCRASTINATE_TABLES <= set(inspect(engine).get_table_names())
        assert schema_differences(engine) == []  # procrastinate's tables are not ours to compare
        with engine.connect() as connection:  # which of procrastinate's schemas, for the revision that upgrades it
            assert connection.scalar(text("SELECT obj_description('procrastinate_jobs'::regclass)")) == \
                f"procrastinate schema {schema.PROCRASTINATE_SCHEMA}"
        downgrade(url, "0007_postgresql")
        with engine.connect() as connection:
            left = connection.execute(text(
                "SELECT relname FROM pg_class WHERE relname LIKE 'procrastinate%' UNION ALL "
                "SELECT proname FROM pg_proc WHERE proname LIKE 'procrastinate%' UNION ALL "
                "SELECT typname FROM pg_type WHERE typname LIKE '%procrastinate%'")).scalars().all()
        assert left == []
        migrate(url)
        assert PROCRASTINATE_TABLES <= set(inspect(engine).get_table_names())
        engine.dispose()
    finally:
        postgres.drop_database(url.rsplit("/", 1)[1])


def test_concurrent_ingests_of_one_folder_read_each_file_once(env, pg_url, tmp_path):
    """Three `newsdigest ingest` at once on one folder, all finding the files unread: the ledger, asked again
    under the writers' lock, lets one process store and count each file."""
    drop = tmp_path / "drop"
    for number in range(120):
        write_article(drop, number, when=days_ago(0.1))
    processes = [subprocess.Popen([sys.executable, "-m", "bot.cli", "ingest", str(drop)], env=env, cwd=tmp_path,
                                  stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True) for _ in range(3)]
    outputs = [process.communicate(timeout=120) for process in processes]
    assert [process.returncode for process in processes] == [0, 0, 0], outputs
    lines = [out.strip().splitlines()[-1] for out, _ in outputs]
    assert counted(lines, "new") == 120 and counted(lines, "duplicate") == 0, lines
    assert counted(lines, "unchanged") == 240, lines
    store = open_store(pg_url)
    assert len(store.file_ledger([str(path) for path in drop.glob("*.xml")])) == 120
    store.close()


@pytest.mark.long
def test_workers_share_ingest_planning_and_sending(workers, env, pg_url, fake_api, tmp_path):
    """Three workers on one drop folder (named twice) and three chats: each file read once (moved once), each
    article stored once, planning run once a minute, each chat's digest sent once."""
    drop = tmp_path / "drop"
    for number in range(30):
        write_article(drop, number, when=days_ago(0.1))
    store = open_store(pg_url)
    chats = [101, 102, 103]
    subscribe_due(store, chats, datetime.now(UTC) + timedelta(days=1))
    started = workers(3, NEWS_SOURCES=f"{drop},{drop}/", MOVE_INGESTED_FILES="true")
    wait_until(lambda: len(list((drop / "done").glob("*.xml"))) == 30, "the files read and moved", 60)
    subscribe_due(store, chats, datetime.now(UTC))  # due at the next minute's planning
    for number in range(30, 40):  # more news, for the next minute's ingest
        write_article(drop, number, when=days_ago(0.05))
    wait_until(lambda: len(list((drop / "done").glob("*.xml"))) == 40, "the new files read", 90)
    wait_until(lambda: set(digests_per_chat(fake_api)) >= set(chats), "every chat's digest", 90)
    # planned again (another minute) with nothing more to send
    wait_until(lambda: len(plan_runs(started)) >= 2, "a second minute's planning", 75)
    time.sleep(2)
    assert digests_per_chat(fake_api) == Counter({chat: 1 for chat in chats})
    lines = ingest_lines(started)
    assert counted(lines, "new") == 40 and counted(lines, "duplicate") == 0, lines
    with store.session() as session:
        assert session.scalar(text("SELECT count(*) FROM articles")) == 40
        assert session.scalar(text("SELECT count(*) FROM ingested_files")) == 40
    runs = plan_runs(started)
    assert all(count == 1 for count in Counter(runs).values()), runs  # each minute planned once, by one worker
    logs = "".join(worker.log() for worker in started)
    assert "Could not move" not in logs
    for worker in started:
        assert worker.stop() == 0
        assert "stopped" in worker.log().splitlines()[-1]
    store.close()


def plan_runs(started: list[Worker]) -> list[str]:
    """The minute (procrastinate's timestamp) of each periodic planning run, in any worker."""
    return [found for worker in started for found in re.findall(r"Starting job newsdigest\.plan\[\d+\]\(timestamp=(\d+)\)",
                                                                  worker.log())]


@pytest.mark.long
def test_a_worker_killed_while_sending_is_taken_over(workers, env, pg_url, fake_api, tmp_path):
    """SIGKILL the worker that is sending: another takes over within seconds, every chat gets its digest, and
    none twice (the messages in flight at the kill are counted as of unknown fate, never sent again)."""
    store = open_store(pg_url)
    drop = tmp_path / "news"
    for number in range(3):
        write_article(drop, number, when=days_ago(0.2))
    ingest(store, [str(drop)], source_tz=UTC)
    chats = list(range(1001, 1121))
    subscribe_due(store, chats, datetime.now(UTC))
    fake_api.answer_seconds = 0.1  # a round trip as Telegram's: messages in flight at the kill
    started = workers(2)
    wait_until(lambda: len(fake_api.sent) >= 20, "the fan-out under way", 60)
    sender = sending_worker(started, store)
    sender.kill()
    killed_at, sent_then = time.monotonic(), len(fake_api.sent)
    wait_until(lambda: len(fake_api.sent) > sent_then + 1, "another worker taking over", 60)
    took_over = time.monotonic() - killed_at
    wait_until(lambda: store_done(store) == len(chats), "every digest sent", 60)
    survivor = next(worker for worker in started if worker is not sender)
    assert "left by a worker that stopped answering" in survivor.log()
    per_chat = digests_per_chat(fake_api)
    with store.session() as session:
        unknown = {chat for chat, parts in session.execute(text("SELECT chat_id, unknown_parts FROM deliveries"))
                   if parts}
    assert max(per_chat.values()) == 1, per_chat.most_common(3)  # nothing sent twice
    assert set(per_chat) | unknown == set(chats)  # nothing lost: sent, or in flight at the kill
    assert len(unknown) <= 8
    print(f"\ntaken over {took_over:.1f} s after the SIGKILL; {len(unknown)} messages of unknown fate")
    store.close()


def sending_worker(started: list[Worker], store: Store) -> Worker:
    """The worker running the send job now (the job's id, from the database, in its log)."""
    with store.session() as session:
        job = session.scalar(text("SELECT id FROM procrastinate_jobs WHERE task_name = 'newsdigest.send' "
                                  "AND status = 'doing'"))
    assert job is not None, "no send job is running"
    return next(worker for worker in started if f"Starting job newsdigest.send[{job}]" in worker.log())


def store_done(store: Store) -> int:
    with store.session() as session:
        return session.scalar(text("SELECT count(*) FROM deliveries WHERE status = 'sent'"))


def test_run_with_postgresql_does_the_work_itself(workers, env, pg_url, fake_api, tmp_path):
    """One `newsdigest run` on PostgreSQL: the bot, and a worker inside it that ingests and sends the digest."""
    store = open_store(pg_url)
    earlier, drop = tmp_path / "earlier", tmp_path / "drop"
    for number in range(3):
        write_article(earlier, number, when=days_ago(0.2))
    ingest(store, [str(earlier)], source_tz=UTC)
    for number in range(3, 5):
        write_article(drop, number, when=days_ago(0.1))
    subscribe_due(store, [501, 502], datetime.now(UTC))
    (run,) = workers(1, command="run", NEWS_SOURCES=str(drop))
    wait_until(lambda: set(digests_per_chat(fake_api)) == {501, 502}, "the digests, sent by run itself", 60)
    wait_until(lambda: len(store.latest(10)) == 5, "the drop folder, ingested by run itself", 60)
    assert run.stop() == 0
    assert digests_per_chat(fake_api) == Counter({501: 1, 502: 1})
    log = run.log()
    assert "Starting worker" in log and "Stopped worker" in log
    store.close()


def test_a_worker_that_loses_the_database_carries_on_when_it_answers(workers, env, pg_url, fake_api, tmp_path):
    """The server drops every connection of the worker (a restart, a failover): its job queue stops, starts
    again, and the digests still go out."""
    store = open_store(pg_url)
    drop = tmp_path / "news"
    for number in range(3):
        write_article(drop, number, when=days_ago(0.2))
    ingest(store, [str(drop)], source_tz=UTC)
    (worker,) = workers(1)
    wait_until(lambda: "Starting worker" in worker.log(), "the worker to start", 60)
    database = pg_url.rsplit("/", 1)[1]
    admin = create_engine(pg_url.rsplit("/", 1)[0] + "/postgres", isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        dropped = connection.execute(text("SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity "
                                          "WHERE datname = :name AND pid <> pg_backend_pid()"), {"name": database})
        assert dropped.scalar() >= 2
    admin.dispose()
    # Whether the job queue has to start again depends on which connections the pool had open at that moment
    # (an idle pool just opens new ones): what must hold either way is that the digests still go out.
    subscribe_due(store, [701], datetime.now(UTC))
    # Planned by the next minute's planning, or the one after when the queue's restart straddles a minute: up to
    # two minutes and a loaded machine's delays (alone it comes in 5 to 60 s)
    wait_until(lambda: digests_per_chat(fake_api)[701] == 1, "the digest, after the database came back", 180)
    store.close()


def test_workers_alert_the_admins_once_of_a_source_down_for_a_day(workers, env, pg_url, fake_api):
    store = open_store(pg_url)
    feed = f"http://127.0.0.1:{free_port()}/feed.xml"  # nothing listens there
    store.record_poll("127.0.0.1", feed, days_ago(2), days_ago(2), error="connection refused")
    workers(2, NEWS_SOURCES=feed, ADMIN_IDS="42")
    [alert] = wait_until(lambda: fake_api.messages_to(42), "the admin's alert", 60)
    assert "Source <b>127.0.0.1</b> has been failing since" in alert.text
    time.sleep(3)  # the other worker's ingest of the same source, if any, comes and goes
    assert len(fake_api.messages_to(42)) == 1
    assert store.source_state("127.0.0.1").alerted
    store.close()


def test_a_procrastinate_with_a_newer_schema_is_refused_in_one_line(monkeypatch):
    monkeypatch.setattr(schema, "PROCRASTINATE_SCHEMA", "03.03.00")  # as if the installed one were newer
    with pytest.raises(SchemaError, match=r"procrastinate 3\.\d+\.\d+ has a newer job queue schema \(03\.04\.00\) "
                                          r"than this newsdigest uses \(03\.03\.00\): pip install"):
        schema.check_procrastinate()


def test_serve_with_jobs_on_postgresql_runs_a_worker_inside(env, pg_url, fake_api, tmp_path):
    """`serve --jobs` on PostgreSQL: the webhook, and a worker in the same process that ingests and sends."""
    from tests.test_webhook import SECRET, Serve

    store = open_store(pg_url)
    drop = tmp_path / "drop"
    for number in range(2):
        write_article(drop, number, when=days_ago(0.1))
    ingest(store, [str(drop)], source_tz=UTC)
    subscribe_due(store, [601], datetime.now(UTC))
    serve = Serve({**env, "WEBHOOK_SECRET": SECRET}, tmp_path, "--jobs")
    try:
        wait_until(serve.started, "serve to answer /healthz", 60)
        wait_until(lambda: digests_per_chat(fake_api)[601] == 1, "the digest, sent by serve's worker", 60)
    finally:
        assert serve.stop() == 0, serve.err[-3000:]
    assert "jobs: on" in serve.err and "Starting worker" in serve.err and "Traceback" not in serve.err
    store.close()


def test_the_worker_unit_restarts_on_failure_and_gives_running_jobs_their_time(tmp_path):
    import configparser
    import shutil

    from bot.worker import GRACEFUL_SECONDS

    path = Path(__file__).parents[1] / "examples" / "newsdigest-worker.service"
    unit = configparser.ConfigParser(interpolation=None, strict=False)
    unit.optionxform = str  # systemd keys are case-sensitive
    unit.read(path)
    service = unit["Service"]
    assert service["ExecStart"] == "/srv/newsdigest/.venv/bin/newsdigest worker" and service["User"] == "newsdigest"
    assert service["Restart"] == "on-failure" and service["RestartPreventExitStatus"] == "2"
    assert service["KillSignal"] == "SIGTERM" and int(service["TimeoutStopSec"]) > GRACEFUL_SECONDS + 10
    if shutil.which("systemd-analyze") is None:
        pytest.skip("systemd-analyze is not installed: the unit's syntax is not checked")
    copy = tmp_path / "newsdigest-worker.service"  # with an ExecStart that exists here
    copy.write_text(path.read_text().replace("/srv/newsdigest/.venv/bin/newsdigest",
                                             str(Path(sys.executable).with_name("newsdigest"))))
    result = subprocess.run(["systemd-analyze", "verify", str(copy)], capture_output=True, text=True, timeout=60)
    assert result.returncode == 0 and result.stdout + result.stderr == ""
