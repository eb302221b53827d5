"""The ``newsdigest`` command as an operator runs it: in a subprocess, configured by environment."""

import os
import re
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from bot.cli import BAD_TOKEN, NO_TOKEN
from digests.storage import Store
from tests.conftest import write_article
from tests.fakebotapi import TOKEN, FakeBotAPI


def newsdigest(*args: str, env: dict, cwd: Path, input: str | None = None) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "bot.cli", *args], env=env, cwd=cwd, input=input,
                          capture_output=True, text=True, timeout=120)


@pytest.fixture
def env(database_url: str) -> dict:
    clean = {k: v for k, v in os.environ.items() if not k.startswith(("TELEGRAM_", "NEWS_", "DIGEST_", "DATABASE_"))}
    return {**clean, "DATABASE_URL": database_url, "SOURCE_TIMEZONE": "Asia/Kolkata", "DIGEST_TIMEZONE": "Asia/Kolkata"}


def test_run_without_token_says_how_to_get_one(env, tmp_path):
    result = newsdigest("run", env=env, cwd=tmp_path)
    assert result.returncode == 2
    assert result.stderr.strip() == NO_TOKEN
    assert "@BotFather" in NO_TOKEN and "TELEGRAM_BOT_TOKEN" in NO_TOKEN


def test_rejected_token_is_a_clear_error_without_the_token(env, tmp_path, fake_api):
    wrong = "987654321:AAHthisTOKENisWRONGbutWELLformed_xyz"
    result = newsdigest("run", env={**env, "TELEGRAM_BOT_TOKEN": wrong, "TELEGRAM_API_BASE_URL": fake_api.base_url},
                        cwd=tmp_path)
    assert result.returncode == 2
    assert result.stderr.strip().splitlines()[-1] == BAD_TOKEN
    assert wrong not in result.stdout + result.stderr


def test_unreachable_api_is_a_clear_error(env, tmp_path):
    unused = FakeBotAPI()
    url = unused.start()
    unused.stop()  # nothing listens there any more
    result = newsdigest("run", env={**env, "TELEGRAM_BOT_TOKEN": TOKEN, "TELEGRAM_API_BASE_URL": url}, cwd=tmp_path)
    assert result.returncode == 1
    assert result.stderr.strip().splitlines()[-1].startswith(f"Cannot reach the Telegram Bot API at {url}")
    assert TOKEN not in result.stderr


@pytest.mark.parametrize("url, expected", [
    ("mysql://u:secret@db.example/news", "DATABASE_URL names a mysql database; newsdigest works with SQLite"),
    ("postgresql+asyncpg://u:secret@db.example/news", "DATABASE_URL names the asyncpg driver"),
    ("not a url", "DATABASE_URL is not a database URL such as sqlite:///"),
])
def test_unsupported_database_url_is_a_clear_error(url, expected, tmp_path):
    clean = {k: v for k, v in os.environ.items() if not k.startswith("DATABASE_")}
    result = newsdigest("stats", env={**clean, "DATABASE_URL": url}, cwd=tmp_path)
    assert result.returncode == 2
    [line] = result.stderr.strip().splitlines()
    assert line.startswith(f"Configuration error: {expected}"), line
    assert "secret" not in line


def test_database_that_does_not_answer_is_one_line_without_the_password(tmp_path):
    unused = FakeBotAPI()
    port = int(unused.start().rsplit(":", 1)[1].split("/")[0])
    unused.stop()  # nothing listens there any more
    clean = {k: v for k, v in os.environ.items() if not k.startswith("DATABASE_")}
    result = newsdigest("stats", env={**clean, "DATABASE_URL": f"postgresql://news:secret@127.0.0.1:{port}/news"},
                        cwd=tmp_path)
    assert result.returncode == 1
    [line] = result.stderr.strip().splitlines()
    assert line.startswith(f"Cannot use the database at postgresql+psycopg://news:***@127.0.0.1:{port}/news "
                           "(DATABASE_URL): "), line
    assert "secret" not in result.stderr


def test_bad_setting_is_a_clear_error(env, tmp_path):
    result = newsdigest("ingest", env={**env, "DIGEST_TIMEZONE": "Mars/Olympus"}, cwd=tmp_path)
    assert result.returncode == 2
    assert "DIGEST_TIMEZONE='Mars/Olympus' is not an IANA timezone name" in result.stderr


def test_ingest_prints_counts_and_each_rejection(env, tmp_path, sample_file):
    drop = tmp_path / "drop"
    write_article(drop, 1)
    (drop / "broken.xml").write_text("<root><title>oops")
    result = newsdigest("ingest", str(drop), str(sample_file), env=env, cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    lines = result.stdout.splitlines()
    assert lines[-1] == "2 new, 0 duplicate, 1 rejected (not well-formed XML: 1) | drop: 1 new, 1 rejected | knn: 1 new"
    assert any(line.startswith(f"rejected: {drop / 'broken.xml'}: not well-formed XML") for line in lines)
    again = newsdigest("ingest", str(drop), str(sample_file), env=env, cwd=tmp_path)
    assert again.stdout.splitlines()[-1] == "0 new, 0 duplicate, 0 rejected, 3 unchanged"  # the ledger
    listed = newsdigest("ingest", "--rejected", env=env, cwd=tmp_path).stdout.splitlines()
    assert len(listed) == 1 and f"{drop / 'broken.xml'}: not well-formed XML" in listed[0]


def test_ingest_reads_news_sources_from_dotenv(env, tmp_path, sample_file):
    (tmp_path / ".env").write_text(f"NEWS_SOURCES={sample_file.parent}\n")
    result = newsdigest("ingest", env=env, cwd=tmp_path)
    assert result.stdout.splitlines()[-1] == "1 new, 0 duplicate, 0 rejected | knn: 1 new"


def test_digest_prints_plain_text_for_a_date_and_topic(env, tmp_path, sample_file):
    newsdigest("ingest", str(sample_file), env=env, cwd=tmp_path)
    result = newsdigest("digest", "--date", "2025-08-07", env=env, cwd=tmp_path)
    assert "News digest, 7 Aug 2025" in result.stdout
    assert "## Global (1)" in result.stdout
    assert "India And Russia Hold 11th Session" in result.stdout and "<" not in result.stdout
    other = newsdigest("digest", "--date", "2025-08-07", "--topic", "MSME", env=env, cwd=tmp_path)
    assert "No articles." in other.stdout
    bad = newsdigest("digest", "--date", "7/8/2025", env=env, cwd=tmp_path)
    assert bad.returncode == 2 and "invalid fromisoformat value" in bad.stderr


def test_chat_console_answers_like_the_bot(env, tmp_path, sample_file):
    newsdigest("ingest", str(sample_file), env=env, cwd=tmp_path)
    result = newsdigest("chat", env=env, cwd=tmp_path, input="/latest\n/topic global\n/topic\n1\n/topic Sport\n/quit\n")
    out = result.stdout
    assert result.returncode == 0
    assert out.count("India And Russia Hold 11th Session On Industrial Cooperation In New Delhi") == 3
    assert "7 Aug 2025" in out and "[1] Global (1)" in out
    assert "There is no topic called “Sport”" in out and "Available topics: Global." in out
    assert "&amp;" not in out and "<b>" not in out
    # the console is not a subscriber that digests go to
    newsdigest("chat", env=env, cwd=tmp_path, input="/start\n")
    store = Store(env["DATABASE_URL"])
    assert store.active_subscribers() == []


def test_run_serves_the_bot_and_never_logs_the_token(env, tmp_path, sample_file):
    fake = FakeBotAPI()
    base_url = fake.start()
    env = {**env, "TELEGRAM_BOT_TOKEN": TOKEN, "TELEGRAM_API_BASE_URL": base_url.removesuffix("/bot"),
           "NEWS_SOURCES": str(sample_file.parent), "LOG_LEVEL": "DEBUG"}
    process = subprocess.Popen([sys.executable, "-m", "bot.cli", "run"], env=env, cwd=tmp_path,
                               stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        store = Store(env["DATABASE_URL"])
        deadline = time.monotonic() + 60
        while (not fake.calls("getUpdates") or store.article_count() == 0) and time.monotonic() < deadline:
            time.sleep(0.1)
        assert store.article_count() == 1, "the ingest job did not run at start"
        fake.user_sends("/latest", chat_id=77)
        while not fake.messages_to(77) and time.monotonic() < deadline:
            time.sleep(0.05)
        assert "India And Russia Hold 11th Session" in fake.messages_to(77)[0].plain
        assert fake.commands, "the command menu was not registered"
    finally:
        process.send_signal(signal.SIGINT)
        out, err = process.communicate(timeout=30)
        fake.stop()
    assert process.returncode == 0, err
    assert "Ingest: 1 new" in err  # the log is there, and says what happened
    assert TOKEN not in out + err
    assert TOKEN.split(":")[1] not in out + err
    assert not re.search(r"\d{5,}:[A-Za-z0-9_-]{30,}", out + err)


@pytest.mark.skipif(not Path("/proc/self/cmdline").exists(), reason="looks for leftover processes in /proc")
def test_the_running_bot_ingests_a_large_drop_folder_through_its_workers(env, tmp_path):
    """Enough files for the worker processes, read by the bot's own ingest job (in a thread beside the
    event loop): all stored, the bot answers meanwhile and stops cleanly, leaving no process behind."""
    from digests.ingest import POOL_THRESHOLD

    drop = tmp_path / "drop"
    total = POOL_THRESHOLD + 100
    for number in range(total):
        write_article(drop, number)
    servers_before = _fork_servers()
    fake = FakeBotAPI()
    base_url = fake.start()
    env = {**env, "TELEGRAM_BOT_TOKEN": TOKEN, "TELEGRAM_API_BASE_URL": base_url.removesuffix("/bot"),
           "NEWS_SOURCES": str(drop), "SETTLE_SECONDS": "0"}
    process = subprocess.Popen([sys.executable, "-m", "bot.cli", "run"], env=env, cwd=tmp_path,
                               stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        store = Store(env["DATABASE_URL"])
        deadline = time.monotonic() + 60
        while store.article_count() < total and process.poll() is None and time.monotonic() < deadline:
            time.sleep(0.1)
        assert store.article_count() == total
        fake.user_sends("/latest", chat_id=77)
        while not fake.messages_to(77) and time.monotonic() < deadline:
            time.sleep(0.05)
        assert fake.messages_to(77), "the bot did not answer"
    finally:
        process.send_signal(signal.SIGINT)
        out, err = process.communicate(timeout=30)
        fake.stop()
    assert process.returncode == 0, err
    assert f"Ingest: {total} new" in err and "worker processes (forkserver)" in err
    deadline = time.monotonic() + 10
    while _fork_servers() - servers_before and time.monotonic() < deadline:
        time.sleep(0.1)
    assert not _fork_servers() - servers_before, "the bot's fork server outlived it"


def _fork_servers() -> set[int]:
    found = set()
    for cmdline in Path("/proc").glob("[0-9]*/cmdline"):
        try:
            if b"multiprocessing.forkserver" in cmdline.read_bytes():
                found.add(int(cmdline.parent.name))
        except OSError:
            continue
    return found


def test_stats_and_subscribers_csv(env, tmp_path):
    import csv
    from datetime import UTC, datetime, time as clock
    from zoneinfo import ZoneInfo

    from digests.schedule import Schedule
    store = Store(env["DATABASE_URL"])
    write_article(tmp_path / "news", 1, category="Global")
    write_article(tmp_path / "news", 2, category="MSME", source="other.org")
    schedule = Schedule(clock(8, 0), ZoneInfo("UTC"))
    store.subscribe(11, "private", None, datetime.now(UTC), schedule)
    store.subscribe(-12, "supergroup", [], datetime.now(UTC), schedule)
    store.unsubscribe(-12, None)
    store.close()
    newsdigest("ingest", str(tmp_path / "news"), env=env, cwd=tmp_path)
    result = newsdigest("stats", env=env, cwd=tmp_path)
    assert result.returncode == 0
    assert "Subscribers: 1 active, 1 inactive" in result.stdout
    assert "example.org: 1" in result.stdout and "other.org: 1" in result.stdout and "MSME: 1" in result.stdout
    result = newsdigest("subscribers", "--csv", env=env, cwd=tmp_path)
    rows = list(csv.DictReader(result.stdout.splitlines()))
    assert [(r["chat_id"], r["kind"], r["active"], r["topics"]) for r in rows] == [
        ("-12", "supergroup", "no", ""), ("11", "private", "yes", "all")]
