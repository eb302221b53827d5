"""End to end at scale, on PostgreSQL: the processes an operator runs for a big audience, as real processes on
one database, against the fake Bot API enforcing Telegram's limits (127.0.0.1 only).

Three ``newsdigest worker`` processes plan and send the digests of 5,000 chats; the one sending is killed with
SIGKILL a third of the way and another finishes its share. Two ``newsdigest serve`` processes answer commands posted to
the webhook meanwhile, and refuse a call with a wrong secret. Every wait has a timeout, and every process is
killed when the test ends, whatever happens.
"""

from __future__ import annotations

import ctypes
import json
import os
import signal
import subprocess
import sys
import time
from collections import Counter
from datetime import UTC, datetime, timedelta
from pathlib import Path

import httpx
import pytest
from sqlalchemy import func, insert, select

from bot.webhook import SECRET_HEADER
from digests.models import Delivery, Rendering, Subscriber
from digests.storage import NewArticle, Store
from tests.fakebotapi import TOKEN, FakeBotAPI, FloodLimits
from tests.test_webhook import free_port, health, update

CHATS = 5000
FIRST_CHAT = 100_000  # the subscribed chats are FIRST_CHAT ... FIRST_CHAT + CHATS - 1 (private chats)
ARTICLES = 6
SECRET = "scale-e2e-webhook_Secret"
CONCURRENCY = 8  # bot.delivery.Limits().concurrency: the most messages a sender has in flight at once
FAN_OUT_SECONDS = 420  # 5,000 messages at 29 a second take about 3 minutes; a takeover adds seconds
WORKERS = ("worker-1", "worker-2", "worker-3")


try:  # Linux: a child gets SIGKILL when the test process dies, even by SIGKILL (prctl PR_SET_PDEATHSIG)
    _prctl = ctypes.CDLL(None, use_errno=True).prctl
except (OSError, AttributeError):
    _prctl = None


def _die_with_the_test() -> None:
    if _prctl is not None:
        _prctl(1, signal.SIGKILL)


class Processes:
    """The test's child processes, each logging to a file of its own; all of them stopped at the end, and killed
    with the test process if it is killed first."""

    def __init__(self, env: dict, folder: Path):
        self.env, self.folder = env, folder
        self.running: dict[str, subprocess.Popen] = {}

    def start(self, name: str, *args: str, **env: str) -> subprocess.Popen:
        with open(self.log_path(name), "w") as log:
            process = subprocess.Popen([sys.executable, "-m", "bot.cli", *args], env={**self.env, **env},
                                       cwd=self.folder, stdin=subprocess.DEVNULL, stdout=log,
                                       stderr=subprocess.STDOUT, preexec_fn=_die_with_the_test)
        self.running[name] = process
        return process

    def log_path(self, name: str) -> Path:
        return self.folder / f"{name}.log"

    def log(self, name: str) -> str:
        return self.log_path(name).read_text(errors="replace")

    def alive(self, name: str) -> bool:
        if self.running[name].poll() is not None:
            raise AssertionError(f"{name} exited with {self.running[name].returncode}:\n{self.log(name)[-3000:]}")
        return True

    def stop_all(self) -> None:
        for process in self.running.values():
            if process.poll() is None:
                process.send_signal(signal.SIGTERM)
        deadline = time.monotonic() + 15
        for process in self.running.values():
            try:
                process.wait(max(0.1, deadline - time.monotonic()))
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait(10)


@pytest.fixture
def store(pg_url: str) -> Store:
    """The test's own view of the database (conftest's ``store`` would run the test on SQLite too)."""
    store = Store(pg_url)
    yield store
    store.close()


@pytest.fixture
def telegram() -> FakeBotAPI:
    """The fake Bot API with Telegram's flood limits, answering each message a tenth of a second after taking it
    (Telegram's usual round trip), so that a sender has messages in flight when it is killed."""
    fake = FakeBotAPI(limits=FloodLimits(), answer_seconds=0.1)
    fake.base_url = fake.start()
    try:  # Telegram's clock is not held up by the load of the processes under test (as root, as in CI)
        os.setpriority(os.PRIO_PROCESS, fake._thread.native_id, -10)
    except OSError:
        pass
    yield fake
    fake.stop()


@pytest.fixture
def processes(tmp_path: Path, pg_url: str, telegram: FakeBotAPI) -> Processes:
    clean = {k: v for k, v in os.environ.items()
             if not k.startswith(("TELEGRAM_", "NEWS_", "DIGEST_", "DATABASE_", "WEBHOOK_", "SERVE_", "SOURCES_"))}
    env = {**clean, "DATABASE_URL": pg_url, "TELEGRAM_BOT_TOKEN": TOKEN,
           "TELEGRAM_API_BASE_URL": telegram.base_url.removesuffix("/bot"), "WEBHOOK_SECRET": SECRET,
           "DIGEST_TIMEZONE": "UTC", "LOG_LEVEL": "INFO"}
    running = Processes(env, tmp_path)
    try:
        yield running
    finally:
        running.stop_all()


def wait_for(condition, what: str, timeout: float, every: float = 0.05):
    """Poll ``condition`` every ``every`` seconds until it holds (returning its value); fail after ``timeout``."""
    deadline = time.monotonic() + timeout
    while not (result := condition()):
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out after {timeout:.0f} s waiting for {what}")
        time.sleep(every)
    return result


def subscribe_in_bulk(store: Store, now: datetime) -> datetime:
    """CHATS chats on all topics, their digest due now, and a few articles for it; returns when it fell due.

    Straight into the tables, as many rows a statement: subscribing 5,000 chats one by one would take longer
    than sending them their digests."""
    due = max(now - timedelta(minutes=1), now.replace(hour=0, minute=0, second=0, microsecond=0))  # today, in UTC
    store.add_articles([NewArticle(source="wire", link=f"https://example.org/news/{number}",
                                   title=f"Headline number {number} of the day", published_at=due - timedelta(hours=2),
                                   text=f"Story {number} opens with its first sentence. It goes on with a second.",
                                   summary=f"Story {number} opens with its first sentence.", topics=["Global"],
                                   external_id=str(number))
                        for number in range(1, ARTICLES + 1)], arrived_at=due - timedelta(minutes=30))
    with store.engine.begin() as connection:
        connection.execute(insert(Subscriber.__table__), [
            {"chat_id": chat, "kind": "private", "active": True, "all_topics": True, "created_at": now - timedelta(days=1),
             "next_digest_at": due} for chat in range(FIRST_CHAT, FIRST_CHAT + CHATS)])
    return due


def busiest_second(times: list[float]) -> int:
    """The most of ``times`` (in seconds) that fall within any one second."""
    times, most, first = sorted(times), 0, 0
    for last, moment in enumerate(times):
        while times[first] <= moment - 1.0:
            first += 1
        most = max(most, last - first + 1)
    return most


def test_busiest_second_counts_any_window_of_one_second():
    assert busiest_second([]) == 0
    assert busiest_second([0.0, 0.5, 0.99, 1.0, 1.5]) == 3  # (0.0, 1.0]: 0.5, 0.99, 1.0; [0.5, 1.5) as many
    assert busiest_second([0.0, 1.0, 2.0]) == 1
    assert busiest_second([3.0, 0.1, 0.2, 3.1]) == 2


def start_serve(processes: Processes, name: str) -> str:
    """A ``newsdigest serve`` on a free port; its webhook's URL. Jobs are off: on PostgreSQL the workers run them."""
    port = free_port()
    processes.start(name, "serve", WEBHOOK_PORT=str(port))
    return f"http://127.0.0.1:{port}/telegram"


def serve_ready(processes: Processes, name: str, url: str) -> bool:
    return processes.alive(name) and health(int(url.rsplit(":", 1)[1].split("/")[0])) == 200


def check_the_webhook(telegram: FakeBotAPI, store: Store, urls: list[str]) -> None:
    """Commands posted to the webhook are answered, by either ``serve``; a call with a wrong secret gets 403 and
    is not handled."""
    telegram.webhook = {"url": urls[0], "secret_token": SECRET, "allowed_updates": None, "max_connections": 40}
    telegram.webhook_backends = urls  # a load balancer in front of the webhook: the updates go to each in turn
    asking = {900_001: "/help", 900_002: "/latest 3", 900_003: "/latest 2", 900_004: "/help"}
    for chat, command in asking.items():
        telegram.user_sends(command, chat_id=chat)
    wait_for(lambda: all(telegram.messages_to(chat) for chat in asking), "the answers to the commands", timeout=60)
    answers = {chat: [sent.plain for sent in telegram.messages_to(chat)] for chat in asking}
    assert answers[900_001][0].startswith("Commands") and answers[900_004][0].startswith("Commands")
    assert answers[900_002][0].count("Headline number") == 3 and answers[900_003][0].count("Headline number") == 2
    answered = Counter(to for _, to, status in telegram.webhook_deliveries if status == 200)
    assert set(answered) == set(urls), f"not every serve answered: {answered}"

    for url in urls:
        for headers in ({}, {SECRET_HEADER: "wrong"}, {SECRET_HEADER: SECRET[:-1]}):
            refused = httpx.post(url, json=update(900_009, "/start"), headers=headers, timeout=30)
            assert refused.status_code == 403
    assert telegram.messages_to(900_009) == [] and store.subscriber(900_009) is None  # handled before the answer

def is_digest_chat(chat: int) -> bool:
    return FIRST_CHAT <= chat < FIRST_CHAT + CHATS


def digests_accepted(telegram: FakeBotAPI) -> int:
    with telegram._lock:
        return sum(1 for _, chat in telegram.accepted_times if is_digest_chat(chat))


def deliveries(store: Store) -> dict[str, int]:
    """How many deliveries there are of each status (in flight counted apart)."""
    with store.session() as session:
        rows = session.execute(select(Delivery.status, Delivery.in_flight, func.count()).group_by(Delivery.status,
                                                                                                  Delivery.in_flight))
        return Counter({f"{status}{' in flight' if in_flight else ''}": count for status, in_flight, count in rows})


def unknown_fates(store: Store) -> dict[int, int]:
    """Chat -> messages whose fate is unknown (in flight when their sender died), as the database counts them."""
    with store.session() as session:
        return dict(session.execute(select(Delivery.chat_id, Delivery.unknown_parts)
                                    .where(Delivery.unknown_parts > 0)).all())


def check_every_chat_got_its_digest_once(telegram: FakeBotAPI, store: Store) -> dict[int, int]:
    """Each of the CHATS chats got its one-message digest exactly once, but those whose message was in flight when
    a sender died (counted in the database, at most a sender's concurrency), which may have none; never two."""
    with store.session() as session:
        assert set(session.scalars(select(Delivery.parts_total).distinct())) == {1}  # one message a chat
        [digest] = json.loads(session.scalar(select(Rendering.messages)))  # the same for all: same topics and day
    assert deliveries(store) == {"sent": CHATS}
    assert all(f"Headline number {number} of the day" in digest for number in range(1, ARTICLES + 1))
    with telegram._lock:
        sent = [message for message in telegram.sent if is_digest_chat(message.chat_id)]
    assert {message.text for message in sent} == {digest}
    received = Counter(message.chat_id for message in sent)
    assert [chat for chat, count in received.items() if count > 1] == [], "a digest was sent twice"
    unknown = unknown_fates(store)
    assert sum(unknown.values()) <= CONCURRENCY and set(unknown.values()) <= {1}
    missing = set(range(FIRST_CHAT, FIRST_CHAT + CHATS)) - set(received)
    assert missing <= set(unknown), f"lost without a record: {sorted(missing - set(unknown))[:20]}"
    return unknown


def check_the_pace(telegram: FakeBotAPI) -> None:
    """Never more than 30 messages accepted in any second: all senders and the answers to commands together."""
    busiest = busiest_second([moment for moment, _ in telegram.accepted_times])
    assert busiest <= 30


def senders(telegram: FakeBotAPI) -> list[tuple[str, int]]:
    """Who sent the digests, in turn: (worker, messages asked for) for each run of messages from one worker."""
    with telegram._lock:
        sent = sorted((moment, client) for (moment, chat), client in zip(telegram.attempts, telegram.attempt_clients)
                      if is_digest_chat(chat))
    runs: list[tuple[str, int]] = []
    for _, client in sent:
        if runs and runs[-1][0] == client:
            runs[-1] = (client, runs[-1][1] + 1)
        else:
            runs.append((client, 1))
    return runs


@pytest.mark.long
def test_on_postgresql_three_workers_and_two_serve_give_5000_chats_their_digest_once(processes, telegram, store):
    began = time.monotonic()
    subscribe_in_bulk(store, datetime.now(UTC))
    urls = [start_serve(processes, "serve-1"), start_serve(processes, "serve-2")]
    for name in WORKERS:  # each calls the fake at a path of its own, which tells who sent what
        processes.start(name, "worker", TELEGRAM_API_BASE_URL=f"{telegram.base_url.removesuffix('/bot')}/{name}")
    wait_for(lambda: all(serve_ready(processes, f"serve-{n}", url) for n, url in enumerate(urls, 1)),
             "both serve processes to answer /healthz", timeout=60)
    wait_for(lambda: digests_accepted(telegram) > 0, "the fan-out to begin", timeout=120)
    fan_out_began = time.monotonic()
    check_the_webhook(telegram, store, urls)  # while digests go out

    # A third of the way, the sending worker is killed; the others take over once its heartbeat has stopped.
    wait_for(lambda: digests_accepted(telegram) >= CHATS // 3, "a third of the digests", timeout=FAN_OUT_SECONDS,
             every=0.2)
    runs = senders(telegram)
    assert len(runs) == 1, f"more than one worker sent digests: {runs}"
    victim = runs[0][0]
    processes.running[victim].kill()
    processes.running[victim].wait(10)
    killed_at, at_kill = time.monotonic(), digests_accepted(telegram)

    wait_for(lambda: deliveries(store) == {"sent": CHATS}, "every digest to be sent", timeout=FAN_OUT_SECONDS,
             every=0.5)
    done = time.monotonic()
    unknown = check_every_chat_got_its_digest_once(telegram, store)
    check_the_pace(telegram)
    runs = senders(telegram)  # one sender at a time: the killed one, then one other
    assert [name for name, _ in runs][:1] == [victim] and len(runs) == 2, runs
    second = runs[1][0]
    assert second in WORKERS and second != victim, runs
    total = digests_accepted(telegram)
    assert CHATS // 3 <= at_kill < total
    assert all(processes.alive(name) for name in WORKERS if name != victim)
    logs = "".join(processes.log(name) for name in WORKERS if name != victim)
    assert "was left by a worker that stopped answering" in logs
    if unknown:
        assert (f"{sum(unknown.values())} digest messages were in flight when the sender stopped: their fate is "
                "unknown") in processes.log(second)
    with telegram._lock:
        taken_over = min(t for (t, chat), client in zip(telegram.attempts, telegram.attempt_clients)
                         if client == second and is_digest_chat(chat))
    print(f"\n{CHATS} digests: the first {fan_out_began - began:.0f} s after the start, the last "
          f"{done - began:.0f} s after; {victim} killed after {at_kill}, {second} took over {taken_over - killed_at:.0f} s "
          f"later; {sum(unknown.values())} of unknown fate; {len(telegram.floods)} 429s; busiest second "
          f"{busiest_second([t for t, _ in telegram.accepted_times])} accepted, "
          f"{busiest_second([t for t, _ in telegram.attempts])} asked")
