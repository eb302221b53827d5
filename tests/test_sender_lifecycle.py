"""How digest senders start and stop beside each other.

A sender asked to stop (SIGTERM: ``systemctl stop``, a deploy) in the middle of a fan-out: it starts no new
message, waits for the ones Telegram has to be answered and records them, exits 0, and leaves the rest pending
for the next sender; nothing is of unknown fate, nothing lost, nothing sent twice. Real processes (``run`` on
SQLite, ``worker`` on PostgreSQL) against the fake Bot API, whose round trip is slowed so that messages are in
flight when the signal lands.

``newsdigest digest --send`` beside running workers on PostgreSQL hands the digests to them rather than being a
second sender with a pace of its own."""

from __future__ import annotations

import asyncio
import os
import re
import signal
import subprocess
import sys
import time
from collections import Counter
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import text, update

from bot.app import make_delivery_bot
from bot.delivery import Limits, plan_due, send_pending
from bot.settings import Settings

from digests.models import Subscriber

from digests.ingest import ingest
from digests.storage import Store, open_store
from tests.conftest import days_ago, new_database, write_article
from tests.test_webhook import wait_until
from tests.fakebotapi import TOKEN, FloodLimits
from tests.test_worker import env, workers  # noqa: F401 - fixtures
from tests.test_shared_pace import most_in_any_window
from tests.test_worker import UTC_SCHEDULE, Worker, digests_per_chat, store_done, subscribe_due

CHATS = list(range(2001, 2401))  # 400 digests: some 14 s at 29 a second


def due_digests(store: Store, folder) -> None:
    for number in range(3):
        write_article(folder, number, when=days_ago(0.2))
    ingest(store, [str(folder)], source_tz=UTC)
    subscribe_due(store, CHATS, datetime.now(UTC))


def in_flight_and_unknown(store: Store) -> tuple[int, int]:
    with store.session() as session:
        return tuple(session.execute(text(
            "SELECT count(*) FILTER (WHERE in_flight), coalesce(sum(unknown_parts), 0) FROM deliveries")).one())


@pytest.mark.asyncio
async def test_a_stop_cuts_a_long_wait_short_and_leaves_the_rest_pending(fake_api, store, tmp_path):
    """Telegram asks for a minute's wait (a 429) after 5 messages; the sender is then asked to stop. It does not
    wait the minute out: it ends with what Telegram accepted recorded as sent, nothing in flight, the rest
    pending (and counted as left), ready for the next sender."""
    chats = list(range(1, 31))
    for number in range(3):
        write_article(tmp_path / "news", number, when=days_ago(0.2))
    ingest(store, [str(tmp_path / "news")], source_tz=UTC)
    for chat in chats:
        store.subscribe(chat, "private", None, days_ago(2), UTC_SCHEDULE)
    plan_due(store, UTC_SCHEDULE, datetime.now(UTC), send_now=True)
    fake_api.limits = FloodLimits(per_second=5, retry_after=60)
    stop = asyncio.Event()
    settings = Settings(token=TOKEN, api_base_url=fake_api.base_url, database_url=store.url)
    async with make_delivery_bot(settings) as bot:
        sending = asyncio.create_task(send_pending(bot, store, Limits(), stop=stop))
        for _ in range(600):  # bounded: 60 s
            if fake_api.flood_errors or sending.done():
                break
            await asyncio.sleep(0.1)
        assert fake_api.flood_errors  # holding for a minute now
        stop.set()
        report = await asyncio.wait_for(sending, timeout=30)  # well within the minute's hold
    accepted = {chat for _, chat in fake_api.accepted_times}
    assert 5 <= len(accepted) < len(chats)
    assert in_flight_and_unknown(store) == (0, 0)
    assert store_done(store) == report.delivered == len(accepted)
    assert report.left == len(chats) - len(accepted) == len(store.pending_deliveries(datetime.now(UTC)))


def stop_mid_fan_out(process: Worker, fake_api, store: Store, signals: int = 1) -> Counter:
    """SIGTERM once the fan-out is well under way (``signals`` > 1: again, a tenth of a second apart, while it
    stops); the process must exit 0, having recorded every message Telegram accepted and left the rest pending.
    Returns the digests Telegram had by then."""
    wait_until(lambda: len(fake_api.accepted_times) >= 60, "the fan-out under way", 120)
    for number in range(signals):
        if number:
            time.sleep(0.1)  # not at once: two pending SIGTERMs are one
        if process.process.poll() is None:
            process.process.send_signal(signal.SIGTERM)
    signalled = time.monotonic()
    assert process.wait() == 0, process.log()[-3000:]  # one SIGTERM, as systemd sends
    print(f"\n{process.log_path.stem}: exited {time.monotonic() - signalled:.2f} s after SIGTERM")  # a figure only
    received = digests_per_chat(fake_api)
    assert max(received.values()) == 1
    assert in_flight_and_unknown(store) == (0, 0)  # every message in flight was answered, and recorded
    assert store_done(store) == len(received)  # what Telegram has is recorded as sent, nothing more
    assert len(received) < len(CHATS)  # it stopped: the rest waits for the next sender
    assert "left for the next sender" in process.log()
    assert "Traceback" not in process.log()
    return received


def test_run_stopped_mid_fan_out_on_sqlite_leaves_nothing_unsure_and_the_next_start_sends_the_rest(
        fake_api, empty_database, tmp_path):
    url = new_database(empty_database, tmp_path / "data" / "news.db")
    store = open_store(url)
    due_digests(store, tmp_path / "news")
    fake_api.answer_seconds = 0.2  # about 6 messages in flight at 29 a second
    clean = {k: v for k, v in os.environ.items() if not k.startswith(("TELEGRAM_", "NEWS_", "DIGEST_", "DATABASE_"))}
    sqlite = {**clean, "DATABASE_URL": url, "TELEGRAM_BOT_TOKEN": TOKEN, "TELEGRAM_API_BASE_URL": fake_api.base_url,
              "DIGEST_TIMEZONE": "UTC", "SOURCE_TIMEZONE": "UTC"}
    # twice, as an impatient operator does: the second must not cut the clean stop short
    stop_mid_fan_out(Worker(sqlite, tmp_path, "run0", "run"), fake_api, store, signals=2)
    again = Worker(sqlite, tmp_path, "run1", "run")
    wait_until(lambda: store_done(store) == len(CHATS), "every digest, sent after the restart", 120)
    assert again.stop() == 0, again.log()[-3000:]
    assert digests_per_chat(fake_api) == Counter({chat: 1 for chat in CHATS})
    assert in_flight_and_unknown(store) == (0, 0)
    assert "fate is unknown" not in again.log()
    store.close()


def test_a_worker_stopped_mid_fan_out_on_postgresql_hands_the_rest_over(workers, fake_api, pg_url, tmp_path):
    store = open_store(pg_url)
    due_digests(store, tmp_path / "news")
    fake_api.answer_seconds = 0.2
    (first,) = workers(1)
    stop_mid_fan_out(first, fake_api, store)
    ended = re.findall(r"Job newsdigest\.send\[\d+\]\(shard=0\) ended with status: ([\w ]+),", first.log())
    assert ended and set(ended) == {"Success"}, ended  # not failed nor aborted: nothing to retry
    (second,) = workers(1)
    wait_until(lambda: store_done(store) == len(CHATS), "every digest, sent by the next worker", 120)
    assert digests_per_chat(fake_api) == Counter({chat: 1 for chat in CHATS})
    assert in_flight_and_unknown(store) == (0, 0)
    assert "fate is unknown" not in second.log()
    store.close()


def test_digest_send_beside_a_running_worker_hands_the_digests_to_it(workers, env, fake_api, pg_url, tmp_path):
    """A worker is sending 200 due digests when an operator runs `digest --send` for 120 more chats: the worker
    sends them too, so that the bot keeps one pace (never more than Telegram's 30 in a second) and each chat gets
    its digest once."""
    store = open_store(pg_url)
    due_digests(store, tmp_path / "news")  # CHATS, due now
    later = list(range(5001, 5121))
    for chat in later:
        store.subscribe(chat, "private", None, days_ago(2), UTC_SCHEDULE)
    with store.session() as session, session.begin():
        session.execute(update(Subscriber).where(Subscriber.chat_id.in_(later))
                        .values(next_digest_at=datetime.now(UTC) + timedelta(days=1)))
    (worker,) = workers(1)
    wait_until(lambda: len(fake_api.accepted_times) >= 30, "the worker's fan-out under way", 120)
    result = subprocess.run([sys.executable, "-m", "bot.cli", "digest", "--send"], env=env, cwd=tmp_path,
                            capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stderr
    said = re.fullmatch(r"(\d+) digests to send: the running workers send them at the bot's pace; their log says "
                        r"when they are done\n", result.stdout)
    assert said and len(later) <= int(said.group(1)) <= len(later) + len(CHATS), result.stdout
    wait_until(lambda: store_done(store) == len(CHATS) + len(later), "every digest, sent by the worker", 120)
    assert digests_per_chat(fake_api) == Counter({chat: 1 for chat in CHATS + later})
    delivered = wait_until(lambda: sum(int(n) for n in re.findall(r"Digest fan-out: (\d+) digests delivered",
                                                                   worker.log())) == len(CHATS) + len(later),
                           "the worker's report of what it sent", 30)
    assert delivered  # the worker sent them all: `digest --send` was no second sender
    # Counted by arrival at the fake, in 0.9 s as the other pace tests count: room for requests that a busy
    # machine delays on their way (two senders at once would put some 58 in it).
    assert most_in_any_window([moment for moment, _ in fake_api.accepted_times], 0.9) <= 30
    store.close()
