"""``newsdigest serve`` and ``newsdigest webhook``, as an operator runs them: real processes on free ports of
127.0.0.1, one SQLite file, and the fake Bot API delivering updates to the webhook over real HTTP."""

import os
import re
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import httpx
import pytest

from bot.app import ALLOWED_UPDATES
from bot.cli import NO_WEBHOOK_SECRET
from bot.settings import SettingsError, load_settings
from bot.webhook import SECRET_HEADER, in_the_way
from digests.storage import open_store
from tests.conftest import days_ago, write_article
from tests.fakebotapi import TOKEN, FakeBotAPI
from tests.test_cli import newsdigest

SECRET = "s3cret-Token_for-the-webhook-tests"
ARTICLES = 8


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def wait_until(condition, what: str, timeout: float = 60.0):
    """Poll ``condition`` until it holds (returning its value), or fail after ``timeout`` seconds."""
    deadline = time.monotonic() + timeout
    while not (result := condition()):
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out waiting for {what}")
        time.sleep(0.05)
    return result


def health(port: int) -> int | None:
    try:
        return httpx.get(f"http://127.0.0.1:{port}/healthz", timeout=10).status_code
    except httpx.TransportError:
        return None


class Serve:
    """One ``newsdigest serve`` process on a port of its own."""

    def __init__(self, env: dict, cwd: Path, *args: str):
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}/telegram"
        self.process = subprocess.Popen([sys.executable, "-m", "bot.cli", "serve", *args],
                                        env={**env, "WEBHOOK_PORT": str(self.port)}, cwd=cwd,
                                        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        self.out = self.err = ""

    def started(self) -> bool:
        if self.process.poll() is not None:
            raise AssertionError(f"serve exited: {self.process.communicate()[1]}")
        return health(self.port) == 200

    def stop(self) -> int:
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
        self.out, self.err = self.process.communicate(timeout=30)
        return self.process.returncode


@pytest.fixture
def fake(fake_api: FakeBotAPI) -> FakeBotAPI:
    """conftest's fake Bot API, under the name these tests use."""
    return fake_api


@pytest.fixture
def env(tmp_path: Path, fake: FakeBotAPI) -> dict:
    clean = {k: v for k, v in os.environ.items()
             if not k.startswith(("TELEGRAM_", "NEWS_", "DIGEST_", "DATABASE_", "WEBHOOK_", "SERVE_"))}
    return {**clean, "DATABASE_URL": f"sqlite:///{tmp_path / 'news.db'}", "TELEGRAM_BOT_TOKEN": TOKEN,
            "TELEGRAM_API_BASE_URL": fake.base_url.removesuffix("/bot"), "WEBHOOK_SECRET": SECRET,
            "SOURCE_TIMEZONE": "Asia/Kolkata", "DIGEST_TIMEZONE": "Asia/Kolkata"}


def update(chat_id: int, text: str, update_id: int = 900_000) -> dict:
    message = {"message_id": update_id, "date": int(time.time()), "text": text,
               "chat": {"id": chat_id, "type": "private", "first_name": "Reader"},
               "from": {"id": chat_id, "is_bot": False, "first_name": "Reader"},
               "entities": [{"type": "bot_command", "offset": 0, "length": len(text.split()[0])}]}
    return {"update_id": update_id, "message": message}


def test_two_serve_processes_answer_the_webhook_and_refuse_a_wrong_secret(env, tmp_path, fake):
    drop = tmp_path / "drop"
    for number in range(1, ARTICLES + 1):
        write_article(drop, number, when=days_ago(number / 24))
    # The proxy's address; the fake spreads the updates over the two serve processes instead (webhook_backends).
    env = {**env, "NEWS_SOURCES": str(drop), "SETTLE_SECONDS": "0",
           "WEBHOOK_URL": f"http://127.0.0.1:{free_port()}/telegram"}

    # Registered once per deploy.
    result = newsdigest("webhook", "set", env=env, cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == ("Webhook set: Telegram now sends message, edited_message, callback_query to "
                                     f"{env['WEBHOOK_URL']}")
    assert fake.webhook == {"url": env["WEBHOOK_URL"], "secret_token": SECRET, "allowed_updates": ALLOWED_UPDATES,
                            "max_connections": 40}
    info = newsdigest("webhook", "info", env=env, cwd=tmp_path).stdout.splitlines()
    assert info[:2] == [f"Webhook: {env['WEBHOOK_URL']}", "Pending updates: 0"] and "Last error: none" in info

    # Two processes on one SQLite file: one runs the jobs too (the default on SQLite), the other only answers.
    # The schema is made first, as a deploy does: two processes creating it at once would race.
    store = open_store(env["DATABASE_URL"])
    with_jobs, only_updates = Serve(env, tmp_path), Serve(env, tmp_path, "--no-jobs")
    try:
        wait_until(lambda: with_jobs.started() and only_updates.started(), "both serve processes to answer /healthz")
        wait_until(lambda: store.article_count() == ARTICLES, "the ingest job of serve")
        fake.webhook_backends = [with_jobs.url, only_updates.url]  # a load balancer in front of WEBHOOK_URL

        # Commands through the webhook, answered by either process.
        for chat in (501, 502, 503, 504):
            fake.user_sends("/start", chat_id=chat)
        wait_until(lambda: all(fake.messages_to(chat) for chat in (501, 502, 503, 504)), "the welcomes")
        assert all("Welcome" in fake.messages_to(chat)[0].plain for chat in (501, 502, 503, 504))
        assert {s.chat_id for s in store.active_subscribers()} == {501, 502, 503, 504}
        fake.user_sends("/latest 3", chat_id=501)
        [page] = wait_until(lambda: fake.messages_to(501)[1:], "the /latest page")
        assert page.plain.count("Headline number") == 3
        fake.user_presses(page, "More ▸")  # the next update: the other process turns the page
        [older] = wait_until(lambda: fake.edits_to(501), "More")
        assert "Older news" in older.plain and "Headline number 4" in older.plain
        answered = {url: {u for u, to, status in fake.webhook_deliveries if to == url and status == 200}
                    for url in fake.webhook_backends}
        assert answered[with_jobs.url] and answered[only_updates.url], "one process answered everything"
        latest_id, press_id = sorted(answered[with_jobs.url] | answered[only_updates.url])[-2:]
        assert (latest_id in answered[with_jobs.url]) != (press_id in answered[with_jobs.url])

        # A request without the right secret is refused and not handled.
        for headers in ({}, {SECRET_HEADER: "wrong"}, {SECRET_HEADER: SECRET[:-1]}):
            for serve in (with_jobs, only_updates):
                refused = httpx.post(serve.url, json=update(990, "/start"), headers=headers, timeout=10)
                assert refused.status_code == 403
        fake.user_sends("/help", chat_id=990)  # an update that is handled, after the refused ones
        [answer] = wait_until(lambda: fake.messages_to(990), "the answer to /help")
        assert answer.plain.startswith("Commands")  # the /help answer alone: no welcome before it
        assert store.subscriber(990) is None

        # Telegram holding a wrong secret: every delivery refused, the update kept, and `webhook info` says so;
        # registering again (as a deploy does) gets it through.
        fake.webhook["secret_token"] = "an-old-secret"
        fake.user_sends("/start", chat_id=991)
        wait_until(lambda: any(status == 403 for _, _, status in fake.webhook_deliveries), "a refused delivery")
        info = newsdigest("webhook", "info", env=env, cwd=tmp_path).stdout
        assert "Pending updates: 1" in info and "Wrong response from the webhook: 403 Forbidden" in info
        assert not fake.messages_to(991) and store.subscriber(991) is None
        assert newsdigest("webhook", "set", env=env, cwd=tmp_path).returncode == 0
        wait_until(lambda: fake.messages_to(991), "the held update, once the secret is right")
        assert store.subscriber(991).active

        # /healthz for load balancers: 503 while the database file is gone, 200 when it is back.
        database = tmp_path / "news.db"
        database.rename(tmp_path / "moved.db")
        try:
            assert [health(with_jobs.port), health(only_updates.port)] == [503, 503]
        finally:
            (tmp_path / "moved.db").rename(database)
        assert [health(with_jobs.port), health(only_updates.port)] == [200, 200]
    finally:
        codes = [with_jobs.stop(), only_updates.stop()]
    assert codes == [0, 0], with_jobs.err + only_updates.err
    assert "jobs: on" in with_jobs.err and f"Ingest: {ARTICLES} new" in with_jobs.err
    assert "jobs: off" in only_updates.err and "Ingest:" not in only_updates.err
    assert "Refused an update without the right secret token from 127.0.0.1" in with_jobs.err
    assert "Health check: the database does not answer" in with_jobs.err
    for output in (with_jobs.out + with_jobs.err, only_updates.out + only_updates.err):
        assert SECRET not in output and TOKEN not in output and "Traceback" not in output

    result = newsdigest("webhook", "delete", env=env, cwd=tmp_path)
    assert result.returncode == 0 and result.stdout.startswith("Webhook deleted")
    assert fake.webhook is None
    info = newsdigest("webhook", "info", env=env, cwd=tmp_path).stdout
    assert info.startswith("No webhook is set: the bot gets its updates by long polling")


def test_an_update_whose_process_is_killed_mid_way_is_delivered_again(env, tmp_path, fake):
    """The answer to Telegram goes back only once the update is handled: SIGKILL before that, and it comes again."""
    open_store(env["DATABASE_URL"]).close()
    first, second = Serve(env, tmp_path, "--no-jobs"), Serve(env, tmp_path, "--no-jobs")
    try:
        wait_until(lambda: first.started() and second.started(), "both serve processes to answer /healthz")
        env = {**env, "WEBHOOK_URL": first.url}
        assert newsdigest("webhook", "set", env=env, cwd=tmp_path).returncode == 0
        fake.webhook_backends = [first.url, second.url]
        fake.hang_next, fake.hang_seconds = 1, 30.0  # the first reply hangs: its process is mid-update
        fake.user_sends("/help", chat_id=601)
        wait_until(lambda: fake.calls("sendMessage"), "the first process to be sending its reply")
        first.process.kill()
        [answer] = wait_until(lambda: fake.messages_to(601), "the update, delivered again to the other process")
        assert answer.plain.startswith("Commands")
        # the answer to the update (its 200) goes back after the reply the handler sent
        answered = wait_until(lambda: [(to, status) for _, to, status in fake.webhook_deliveries if status == 200],
                              "the update's answer")
        assert answered == [(second.url, 200)]
    finally:
        first.stop(), second.stop()


def test_run_says_so_when_a_webhook_is_set_and_leaves_it(env, tmp_path, fake):
    url = "http://127.0.0.1:9/telegram"
    assert newsdigest("webhook", "set", env={**env, "WEBHOOK_URL": url}, cwd=tmp_path).returncode == 0
    result = newsdigest("run", env=env, cwd=tmp_path)
    assert result.returncode == 2
    assert result.stderr.strip().splitlines()[-1] == in_the_way(url) and "Traceback" not in result.stderr
    assert fake.webhook["url"] == url, "run deleted the webhook"
    assert not fake.calls("getUpdates") and not fake.calls("deleteWebhook")


def test_set_drops_pending_updates_when_asked(env, tmp_path, fake):
    fake.user_sends("/start", chat_id=7)
    env = {**env, "WEBHOOK_URL": "http://127.0.0.1:9/telegram"}
    result = newsdigest("webhook", "set", "--drop-pending-updates", env=env, cwd=tmp_path)
    assert result.returncode == 0 and result.stdout.strip().endswith("; pending updates dropped")
    assert "Pending updates: 0" in newsdigest("webhook", "info", env=env, cwd=tmp_path).stdout


@pytest.mark.parametrize(("changes", "message"), [
    ({"WEBHOOK_SECRET": "has spaces and !"}, "WEBHOOK_SECRET may hold only A-Z, a-z, 0-9, _ and -"),
    ({"WEBHOOK_SECRET": "x" * 257}, "WEBHOOK_SECRET may hold only A-Z, a-z, 0-9, _ and - (1 to 256 characters)"),
    ({"WEBHOOK_PORT": "99999"}, "WEBHOOK_PORT=99999 is out of range (1 to 65535)"),
    ({"WEBHOOK_PATH": "telegram"}, "WEBHOOK_PATH='telegram' should be a path such as /telegram"),
    ({"SERVE_JOBS": "sometimes"}, "SERVE_JOBS='sometimes' should be auto, true or false"),
    ({"WEBHOOK_URL": "news.example.org/telegram"}, "WEBHOOK_URL='news.example.org/telegram' is not a URL"),
    ({"WEBHOOK_URL": "https://news.example.org:https/"}, "WEBHOOK_URL='https://news.example.org:https/' is not a URL"),
    ({"WEBHOOK_URL": "http://news.example.org/telegram"},
     "WEBHOOK_URL='http://news.example.org/telegram' must start with https://"),
    ({"WEBHOOK_URL": "https://news.example.org:8080/telegram"},
     "has port 8080: Telegram calls only ports 443, 80, 88 and 8443"),
])
def test_wrong_webhook_settings_are_named(changes, message):
    with pytest.raises(SettingsError, match=re.escape(message)) as error:
        load_settings(changes, env_file="")
    assert "has spaces" not in str(error.value) and "xxxx" not in str(error.value)  # a secret is never shown


def test_webhook_settings_and_where_jobs_run():
    settings = load_settings({"WEBHOOK_URL": "https://news.example.org/tg/updates"}, env_file="")
    assert settings.webhook_path == "/tg/updates"  # serve answers where Telegram posts, unless told otherwise
    assert load_settings({}, env_file="").webhook_path == "/telegram"
    assert load_settings({"WEBHOOK_URL": "https://news.example.org/tg", "WEBHOOK_PATH": "/hook"},
                         env_file="").webhook_path == "/hook"  # a proxy that rewrites the path
    local_api = {"TELEGRAM_API_BASE_URL": "http://127.0.0.1:8081", "WEBHOOK_URL": "http://10.0.0.5:8080/tg"}
    assert load_settings(local_api, env_file="").webhook_url == "http://10.0.0.5:8080/tg"  # a local Bot API server
    assert load_settings({}, env_file="").jobs_in_serve
    server = {"DATABASE_URL": "postgresql+psycopg://news@db.internal/news"}
    assert not load_settings(server, env_file="").jobs_in_serve
    assert load_settings({**server, "SERVE_JOBS": "true"}, env_file="").jobs_in_serve
    assert not load_settings({"SERVE_JOBS": "false"}, env_file="").jobs_in_serve
    assert load_settings({**server, "SERVE_JOBS": "auto"}, env_file="").jobs_in_serve is False


@pytest.mark.parametrize(("command", "changes", "message"), [
    ("serve", {"WEBHOOK_SECRET": ""}, NO_WEBHOOK_SECRET),
    ("serve", {"WEBHOOK_SECRET": "has spaces and !"}, "Configuration error: WEBHOOK_SECRET may hold only"),
    ("serve", {"WEBHOOK_LISTEN": "192.0.2.1"}, "Cannot listen on 192.0.2.1:8080 (WEBHOOK_LISTEN, WEBHOOK_PORT): "),
    ("webhook set", {}, "WEBHOOK_URL is not set"),
    ("webhook set", {"WEBHOOK_URL": "https://news.example.org/telegram", "WEBHOOK_SECRET": ""}, NO_WEBHOOK_SECRET),
])
def test_an_operators_mistake_is_one_line_naming_the_setting(env, tmp_path, command, changes, message):
    result = newsdigest(*command.split(), env={**env, **changes}, cwd=tmp_path)
    assert result.returncode == 2
    assert len(result.stderr.strip().splitlines()) == 1 and message in result.stderr, result.stderr
    assert "has spaces" not in result.stderr and SECRET not in result.stderr


def test_a_port_in_use_is_one_line_naming_the_settings(env, tmp_path):
    with socket.socket() as holder:
        holder.bind(("127.0.0.1", 0))
        holder.listen()
        port = holder.getsockname()[1]
        result = newsdigest("serve", env={**env, "WEBHOOK_PORT": str(port)}, cwd=tmp_path)
    assert result.returncode == 2
    assert result.stderr.strip() == (f"Cannot listen on 127.0.0.1:{port} (WEBHOOK_LISTEN, WEBHOOK_PORT): "
                                     "Address already in use")
