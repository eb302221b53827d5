"""The ``newsdigest`` command as an operator runs it: in a subprocess, configured by environment."""

import os
import re
import select
import signal
import socket
import subprocess
import sys
import time
from datetime import UTC, datetime, time as clock
from pathlib import Path

import pytest

from bot.cli import BAD_TOKEN, NO_TOKEN
from digests.schedule import Schedule
from digests.storage import open_store
from tests.conftest import write_article
from tests.fakebotapi import TOKEN, FakeBotAPI

NEWSDIGEST = str(Path(sys.executable).with_name("newsdigest"))  # the venv's entry point, as operators run it
ROOT = Path(__file__).resolve().parents[1]


def newsdigest(*args: str, env: dict, cwd: Path, input: str | None = None) -> subprocess.CompletedProcess:
    result = subprocess.run([NEWSDIGEST, *args], env=env, cwd=cwd, input=input, capture_output=True, text=True,
                            timeout=120)
    assert "Traceback" not in result.stderr + result.stdout
    return result


def read_line(stream, timeout: float = 60.0) -> str:
    """The next line a running process writes, or "" if none comes within ``timeout`` seconds."""
    ready, _, _ = select.select([stream], [], [], timeout)
    return stream.readline() if ready else ""


def read_warning(stream) -> str:
    """The next line that is not an INFO log line (the database opened, ...)."""
    while " INFO " in (line := read_line(stream)):
        pass
    return line


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
    *logged, line = result.stderr.strip().splitlines()  # the database it opened is logged first
    assert line.startswith(BAD_TOKEN) and all(" INFO " in entry for entry in logged)
    assert wrong not in result.stdout + result.stderr


def test_run_waits_for_an_unreachable_api_and_serves_once_it_answers(env, tmp_path):
    """A service must not die on a network blip: one line per attempt, then it carries on."""
    with socket.socket() as probe:  # a port where nothing listens, for now
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    process = subprocess.Popen([NEWSDIGEST, "run"], cwd=tmp_path, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                               text=True, env={**env, "TELEGRAM_BOT_TOKEN": TOKEN,
                                               "TELEGRAM_API_BASE_URL": f"http://127.0.0.1:{port}"})
    fake = FakeBotAPI()
    try:
        lines = [read_warning(process.stderr) for _ in range(2)]
        assert all(f"Cannot reach the Bot API at http://127.0.0.1:{port} (attempt {n}:" in line
                   for n, line in enumerate(lines, start=1)), lines
        assert "trying again in 1 s" in lines[0] and "trying again in 2 s" in lines[1]
        fake.start(port)
        deadline = time.monotonic() + 30
        while not fake.calls("getUpdates") and time.monotonic() < deadline:
            time.sleep(0.1)
        assert fake.calls("getUpdates"), "the bot did not start once the API answered"
    finally:
        process.send_signal(signal.SIGTERM)
        out, err = process.communicate(timeout=30)
        fake.stop()
    assert process.returncode == 0
    assert "Traceback" not in out + err and TOKEN not in out + err
    assert "Bot @newsdigest_test_bot" in err


def test_run_stopped_while_waiting_for_the_api_stops_cleanly(env, tmp_path):
    unused = FakeBotAPI()
    url = unused.start()
    unused.stop()  # nothing listens there any more
    process = subprocess.Popen([NEWSDIGEST, "run"], cwd=tmp_path, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                               text=True, env={**env, "TELEGRAM_BOT_TOKEN": TOKEN, "TELEGRAM_API_BASE_URL": url})
    assert "Cannot reach the Bot API" in read_warning(process.stderr)
    process.send_signal(signal.SIGINT)
    out, err = process.communicate(timeout=30)
    assert process.returncode == 0
    assert "Traceback" not in out + err and TOKEN not in out + err


@pytest.mark.parametrize(("setting", "value", "expected"), [
    ("DIGEST_TIMEZONE", "Mars/Olympus", "DIGEST_TIMEZONE='Mars/Olympus' is not an IANA timezone name"),
    ("LOG_LEVEL", "verbose", "LOG_LEVEL='verbose' is not a logging level: expected one of DEBUG, INFO, WARNING, ERROR"),
    ("TELEGRAM_API_BASE_URL", "localhost:8081", "TELEGRAM_API_BASE_URL='localhost:8081' is not a URL: expected http"),
    ("PAID_BROADCAST", "maybe", "PAID_BROADCAST='maybe' is not true or false"),
    ("DIGEST_SENDERS", "three", "DIGEST_SENDERS='three' is not a whole number"),
])
def test_a_bad_setting_is_one_clear_line(env, tmp_path, setting, value, expected):
    for command in ("run", "stats"):  # every command reads its settings in one place
        result = newsdigest(command, env={**env, "TELEGRAM_BOT_TOKEN": TOKEN, setting: value}, cwd=tmp_path)
        assert result.returncode == 2, (command, result.stderr)
        [line] = result.stderr.splitlines()
        assert line.startswith("Configuration error: ") and expected in line


def test_a_named_env_file_that_does_not_exist_is_an_error(env, tmp_path):
    result = newsdigest("--env-file", "production.env", "stats", env=env, cwd=tmp_path)
    assert result.returncode == 2
    assert result.stderr.splitlines() == ["Configuration error: --env-file: no such file: production.env"]


@pytest.mark.parametrize("url, expected", [
    ("mysql://u:secret@db.example/news", "names a mysql database: newsdigest works with SQLite and PostgreSQL"),
    ("postgresql+asyncpg://u:secret@db.example/news", "names the asyncpg driver"),
    ("not a url", "is not a database URL"),
])
def test_unsupported_database_url_is_a_clear_error(url, expected, tmp_path):
    clean = {k: v for k, v in os.environ.items() if not k.startswith("DATABASE_")}
    result = newsdigest("stats", env={**clean, "DATABASE_URL": url}, cwd=tmp_path)
    assert result.returncode == 2
    [line] = result.stderr.strip().splitlines()
    assert line.startswith("Configuration error: DATABASE_URL") and expected in line, line
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
    assert line.startswith(f"Cannot use the database postgresql+psycopg://news:***@127.0.0.1:{port}/news: "), line
    assert "secret" not in result.stderr




def test_a_malformed_env_line_is_fatal_and_named(env, tmp_path):
    (tmp_path / ".env").write_text("# settings\nLOG_LEVEL=INFO\nNEWS_SOURCES examples/news\nADMIN_IDS=1\n")
    result = newsdigest("stats", env=env, cwd=tmp_path)
    assert result.returncode == 2
    assert result.stderr.splitlines() == [
        "Configuration error: .env, line 3: 'NEWS_SOURCES examples/news' is not NAME=value (quote a value that has "
        "spaces, quotes or #)"]
    (tmp_path / "other.env").write_text('TELEGRAM_BOT_TOKEN="unterminated\n')
    result = newsdigest("--env-file", "other.env", "stats", env=env, cwd=tmp_path)
    assert result.returncode == 2 and result.stderr.startswith("Configuration error: other.env, line 1:")


def test_ingest_prints_counts_and_each_rejection_once(env, tmp_path, sample_file):
    drop = tmp_path / "drop"
    write_article(drop, 1)
    (drop / "broken.xml").write_text("<root><title>oops")
    result = newsdigest("ingest", str(drop), str(sample_file), env=env, cwd=tmp_path)
    assert result.returncode == 1, result.stderr  # some input rejected
    lines = result.stdout.splitlines()
    summary = "2 new, 0 duplicate, 1 rejected (not well-formed XML: 1) | drop: 1 new, 1 rejected | knn: 1 new"
    assert lines[-1] == summary
    assert any(line.startswith(f"rejected: {drop / 'broken.xml'}: not well-formed XML") for line in lines)
    # on a terminal stdout and stderr show together: each line once, not again as a log line
    assert "broken.xml" not in result.stderr and "2 new" not in result.stderr
    again = newsdigest("ingest", str(drop), str(sample_file), env=env, cwd=tmp_path)
    assert again.stdout.splitlines()[-1] == "0 new, 0 duplicate, 0 rejected, 3 unchanged"  # the ledger
    assert again.returncode == 0
    listed = newsdigest("ingest", "--rejected", env=env, cwd=tmp_path).stdout.splitlines()
    assert len(listed) == 1 and f"{drop / 'broken.xml'}: not well-formed XML" in listed[0]


def test_ingest_exit_status_tells_scripts_what_happened(env, tmp_path):
    bad, good, empty = tmp_path / "bad", tmp_path / "good", tmp_path / "empty"
    (bad / "sub").mkdir(parents=True)
    (bad / "one.xml").write_text("<root><title>oops")
    (bad / "sub" / "two.rss").write_text("not xml at all")
    write_article(good, 1)
    empty.mkdir()
    (empty / "notes.txt").write_text("not an article file")

    everything_rejected = newsdigest("ingest", str(bad), env=env, cwd=tmp_path)
    assert everything_rejected.returncode == 2
    assert everything_rejected.stdout.splitlines()[-1].startswith("0 new, 0 duplicate, 2 rejected")

    missing = newsdigest("ingest", str(good), str(tmp_path / "nowhere"), env=env, cwd=tmp_path)
    assert missing.returncode == 2
    assert missing.stderr.splitlines() == [f"No such file or folder: {tmp_path / 'nowhere'} (nothing was ingested)"]
    assert open_store(env["DATABASE_URL"]).article_count() == 0

    nothing_there = newsdigest("ingest", str(empty), env=env, cwd=tmp_path)
    assert nothing_there.returncode == 0
    assert f"No *.xml, *.rss or *.atom files were found in {empty}" in nothing_there.stderr

    assert newsdigest("ingest", str(good), env=env, cwd=tmp_path).returncode == 0
    usage = newsdigest("ingest", "--no-such-option", env=env, cwd=tmp_path)
    assert usage.returncode == 2 and len(usage.stderr.splitlines()) == 1

    only_sub = newsdigest("ingest", "--rejected", str(bad / "sub"), env=env, cwd=tmp_path).stdout.splitlines()
    assert len(only_sub) == 1 and f"{bad / 'sub' / 'two.rss'}: " in only_sub[0]
    one_file = newsdigest("ingest", "--rejected", str(bad / "one.xml"), env=env, cwd=tmp_path).stdout.splitlines()
    assert len(one_file) == 1 and f"{bad / 'one.xml'}: not well-formed XML" in one_file[0]
    assert newsdigest("ingest", "--rejected", str(good), env=env, cwd=tmp_path).stdout == ""
    assert len(newsdigest("ingest", "--rejected", env=env, cwd=tmp_path).stdout.splitlines()) == 2


def test_version_and_every_command_says_what_it_does(env, tmp_path):
    from importlib.metadata import version

    result = newsdigest("--version", env=env, cwd=tmp_path)
    assert result.returncode == 0 and result.stdout.strip() == f"newsdigest {version('newsdigest')}"
    overview = newsdigest("--help", env=env, cwd=tmp_path).stdout
    commands = ["run", "ingest", "digest", "chat", "stats", "subscribers"]
    for command in commands:
        summary = re.search(rf"^    {command} +(.+)$", overview, re.MULTILINE).group(1)
        result = newsdigest(command, "--help", env=env, cwd=tmp_path)
        assert result.returncode == 0
        description = result.stdout.split("\n\n")[1]  # after the usage
        assert " ".join(description.split()).lower().startswith(summary.lower()), (command, result.stdout)


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
    one = newsdigest("digest", "--date", "2025-08-07", "--topic", "global", env=env, cwd=tmp_path)
    assert "News digest, 7 Aug 2025, Global" in one.stdout and "India And Russia" in one.stdout


def test_digest_mistakes_are_one_line_saying_what_is_expected(env, tmp_path):
    for number, topic in enumerate(["Global", "MSME", "MSME Policy", "Markets"]):
        write_article(tmp_path / "news", number, category=topic)
    newsdigest("ingest", str(tmp_path / "news"), env=env, cwd=tmp_path)
    cases = {
        ("--date", "24/11/2026"): "newsdigest digest: argument --date: '24/11/2026' is not a date as YYYY-MM-DD, "
                                  "such as 2026-11-24 (see newsdigest digest --help)",
        ("--date", "9999-12-31"): "newsdigest digest: argument --date: '9999-12-31' is too far in the future "
                                  "(see newsdigest digest --help)",
        ("--topic", "msm"): "digest --topic: there is no topic called 'msm'; near names: MSME, MSME Policy",
        ("--topic", "Globl"): "digest --topic: there is no topic called 'Globl'; near names: Global",
        ("--topic", "nonsense"): "digest --topic: there is no topic called 'nonsense'; the topics are: Global, "
                                 "Markets, MSME, MSME Policy",
    }
    for args, expected in cases.items():
        result = newsdigest("digest", *args, env=env, cwd=tmp_path)
        assert result.returncode == 2 and result.stdout == ""
        assert result.stderr.splitlines() == [expected]


def test_a_reader_that_goes_away_ends_it_quietly(env, tmp_path, sample_file):
    """`newsdigest digest | head`: head leaves early; no BrokenPipeError."""
    newsdigest("ingest", str(sample_file), env=env, cwd=tmp_path)
    open_store(env["DATABASE_URL"]).subscribe(5, "private", None, datetime.now(UTC), Schedule(clock(8), UTC))
    for command in (["digest", "--date", "2025-08-07"], ["stats"], ["subscribers"], ["--help"]):
        read_end, write_end = os.pipe()
        os.close(read_end)  # the reader is gone before the first line
        try:
            result = subprocess.run([NEWSDIGEST, *command], env=env, cwd=tmp_path, stdout=write_end,
                                    stderr=subprocess.PIPE, text=True, timeout=60)
        finally:
            os.close(write_end)
        assert result.stderr == "", command
        assert result.returncode in (0, 128 + signal.SIGPIPE)
    shell = subprocess.run(f"{NEWSDIGEST} digest --date 2025-08-07 | head -1", shell=True, env=env, cwd=tmp_path,
                           capture_output=True, text=True, timeout=60)
    assert shell.stdout == "News digest, 7 Aug 2025\n" and shell.stderr == ""


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
    started = newsdigest("chat", env=env, cwd=tmp_path, input="/start\n")
    assert started.returncode == 0, started.stderr
    assert started.stdout.startswith("newsdigest console: type a command such as /latest")
    assert "Welcome to newsdigest!" in started.stdout and "08:00 (Asia/Kolkata)" in started.stdout
    assert "/latest: The most recent articles: /latest [n]" in started.stdout and "<b>" not in started.stdout
    store = open_store(env["DATABASE_URL"])
    assert store.active_subscribers() == []


def test_chat_console_takes_any_line_and_the_operator_gets_stats(env, tmp_path, sample_file):
    newsdigest("ingest", str(sample_file), env=env, cwd=tmp_path)
    lines = ["/", "99", "/topic", "7", "/@", "²", "/subscribe nonsense", "/stats", "/quit"]
    result = newsdigest("chat", env=env, cwd=tmp_path, input="\n".join(lines) + "\n")
    assert result.returncode == 0
    answers = result.stdout.split("> ")[1:]
    assert answers[0].startswith("Type a command after the slash, for example /latest.")
    assert answers[1].startswith("There is no button 99: the last answer has none.")
    assert answers[3].startswith("There is no button 7: type 1 to 1.")
    assert answers[4].startswith("Type a command after the slash")
    assert answers[5].startswith("Commands start with a slash")
    assert "Unknown topic: nonsense" in answers[6] and "For example: /subscribe Global" in answers[6]
    assert "Statistics" in answers[7] and "Subscribers: 0 active" in answers[7] and "Articles: 1" in answers[7]


def test_dev_py_checks_the_python_version_first(tmp_path):
    old = "import sys; sys.version_info = (3, 10, 12); sys.argv = ['dev.py', 'run']; exec(open('dev.py').read())"
    result = subprocess.run([sys.executable, "-c", old], cwd=ROOT, capture_output=True, text=True, timeout=60)
    assert result.returncode == 1
    assert result.stderr.startswith("newsdigest needs Python 3.11 or newer")
    assert not (tmp_path / ".env").exists() and "Traceback" not in result.stderr


@pytest.mark.parametrize("command", ["chat", "run"])
def test_ctrl_c_under_dev_py_stops_cleanly(env, tmp_path, fake_api, command):
    """Ctrl-C in a terminal signals the whole foreground group: dev.py and the command it runs."""
    env = {**env, "TELEGRAM_BOT_TOKEN": TOKEN, "TELEGRAM_API_BASE_URL": fake_api.base_url}
    process = subprocess.Popen([sys.executable, str(ROOT / "dev.py"), command], env=env, stdin=subprocess.PIPE,
                               stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, start_new_session=True)
    deadline = time.monotonic() + 60
    if command == "chat":
        assert read_line(process.stdout).startswith("newsdigest console")
    else:
        while not fake_api.calls("getUpdates") and time.monotonic() < deadline:
            time.sleep(0.1)
    os.killpg(process.pid, signal.SIGINT)
    out, err = process.communicate(timeout=30)
    # the bot stops as asked (0); the console too, or with 130 if the signal came between two reads
    assert process.returncode in ((0, 128 + signal.SIGINT) if command == "chat" else (0,)), (out, err)
    assert "Traceback" not in out + err and "KeyboardInterrupt" not in err


def test_run_serves_the_bot_and_never_logs_the_token(env, tmp_path, sample_file):
    fake = FakeBotAPI()
    base_url = fake.start()
    env = {**env, "TELEGRAM_BOT_TOKEN": TOKEN, "TELEGRAM_API_BASE_URL": base_url.removesuffix("/bot"),
           "NEWS_SOURCES": str(sample_file.parent), "LOG_LEVEL": "DEBUG"}
    process = subprocess.Popen([sys.executable, "-m", "bot.cli", "run"], env=env, cwd=tmp_path,
                               stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        store = open_store(env["DATABASE_URL"])
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
    assert process.returncode == 0, (out, err)
    assert "Ingest: 1 new" in err  # the log is there, and says what happened
    # what runs, and how to stop it
    assert f"Bot @newsdigest_test_bot, Bot API at {base_url.removesuffix('/bot')}; database {env['DATABASE_URL']}" \
        in err
    assert "Sources: 1, read every 30 minutes; subscribers: 0 active, 0 inactive" in err
    assert "Running: stop with Ctrl-C, or SIGTERM" in err
    assert TOKEN not in out + err
    assert TOKEN.split(":")[1] not in out + err
    assert not re.search(r"\d{5,}:[A-Za-z0-9_-]{30,}", out + err)


def test_run_ingests_at_start_even_when_the_bot_api_is_slow_to_start(env, tmp_path, sample_file):
    """A slow start (here the Bot API takes 4 s to register the command menu; on a busy machine it is the CPU)
    must not make the bot skip its first ingest and wait a whole interval (30 minutes) for news."""
    fake = FakeBotAPI(slow_methods={"setMyCommands": 4.0})
    base_url = fake.start()
    env = {**env, "TELEGRAM_BOT_TOKEN": TOKEN, "TELEGRAM_API_BASE_URL": base_url.removesuffix("/bot"),
           "NEWS_SOURCES": str(sample_file.parent)}
    process = subprocess.Popen([sys.executable, "-m", "bot.cli", "run"], env=env, cwd=tmp_path,
                               stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        store = open_store(env["DATABASE_URL"])
        deadline = time.monotonic() + 60
        while store.article_count() == 0 and process.poll() is None and time.monotonic() < deadline:
            time.sleep(0.1)
        assert store.article_count() == 1, "the ingest job did not run at start"
    finally:
        process.send_signal(signal.SIGINT)
        out, err = process.communicate(timeout=30)
        fake.stop()
    assert process.returncode == 0, (out, err)


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
        store = open_store(env["DATABASE_URL"])
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
    assert process.returncode == 0, (out, err)
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
    store = open_store(env["DATABASE_URL"])
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
