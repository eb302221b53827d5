"""Several senders sharing Telegram's limit of one bot token through the database (digests/storage/pace.py,
bot.delivery.SharedPace): reservations never pass the cap however many reserve at once, and sender processes on
their shards give each chat its digest once within the cap, on SQLite and PostgreSQL."""

import json
import subprocess
import sys
import threading
import time
from collections import Counter
from datetime import UTC, datetime, time as clock_time
from pathlib import Path

import pytest
from sqlalchemy import func, select

from bot.delivery import plan_due
from bot.settings import SettingsError, load_settings
from digests.ingest import ingest
from digests.models import Delivery, SendSlot
from digests.schedule import Schedule
from digests.storage.pace import first_slot
from digests.storage import Store
from tests.conftest import KOLKATA, write_article

SCHEDULE = Schedule(clock_time(8, 0), KOLKATA)
ROOT = Path(__file__).resolve().parents[1]


@pytest.fixture
def reservers(store):
    """Four more stores on the same database, as four sender processes (each its own connections)."""
    others = [Store(store.url) for _ in range(4)]
    yield others
    for other in others:
        other.close()


def reserve_for(store: Store, seconds: float, cap: int, wanted: int) -> list:
    """Reservations as fast as the database answers, for ``seconds``."""
    got, end = [], time.monotonic() + seconds
    while time.monotonic() < end:
        got.append(store.reserve_send_slots(cap, 1, wanted))
    return got


def test_concurrent_reservers_never_get_more_than_the_cap_in_a_second_nor_a_slot_twice(reservers):
    """Four reservers racing for 1.5 seconds, 3 slots at a time, cap 20: per second of the database's clock at
    most 20 slots, none handed out twice, each for a moment yet to come when it was handed out."""
    cap, wanted = 20, 3
    barrier = threading.Barrier(len(reservers))
    results: list[list] = [[] for _ in reservers]

    def run(index: int) -> None:
        barrier.wait()
        results[index] = reserve_for(reservers[index], 1.5, cap, wanted)

    threads = [threading.Thread(target=run, args=(index,)) for index in range(len(reservers))]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(30)
    reservations = [got for result in results for got in result]
    slots = [(got.second, slot) for got in reservations for slot in range(got.first, got.first + got.count)]
    assert len(slots) == len(set(slots))  # no slot twice
    per_second = Counter(second for second, _ in slots)
    assert max(per_second.values()) <= cap and all(slot < cap for _, slot in slots)
    assert sum(1 for got in reservations if got.count == 0) > 0  # they did run into the cap
    assert all(0 <= got.count <= wanted for got in reservations)
    for got in reservations:  # never a moment that had passed: slot k of second S is for S + k / cap
        if got.count:
            assert got.second + got.first / cap >= got.clock - 1e-6
            assert got.second in (int(got.clock), int(got.clock) + 1)  # the next second once this one is full
    assert len({got.second for got in reservations if got.count}) >= 2


def test_a_full_second_gives_the_next_seconds_first_slots_and_a_full_next_one_none(store):
    cap = 4
    first = store.reserve_send_slots(cap, 1, 10)  # the rest of the present second, from the present moment on
    assert first.second == int(first.clock) and first.count == cap - first.first
    later = store.reserve_send_slots(cap, 1, 10)  # that second is full: the next one's
    assert later.second == first.second + 1 and later.count == cap - later.first
    if later.clock < later.second:  # asked within the full second: from the next one's first slot, yet to come
        assert later.first == 0
    third = store.reserve_send_slots(cap, 1, 1)
    if third.clock < later.second:  # both full: nothing, until the next second
        assert (third.second, third.count) == (later.second, 0)


def test_a_sender_asking_at_each_of_its_slots_gets_every_slot_of_a_fractional_pace(store):
    """2.5 slots a second: slot n for the moment n / 2.5, evenly across the seconds' boundaries (3 slots in one
    second, 2 in the next). A sender that asks for one slot as each of its slots comes gets the very next one
    each time, the first of a second included: no turn is lost between seconds."""
    num, den = 5, 2
    numbers = []
    for _ in range(8):
        got = store.reserve_send_slots(num, den, 1)
        if not got.count:  # asked after this second's last slot: asked again, the next second's first comes
            assert got.second == int(got.clock)
            got = store.reserve_send_slots(num, den, 1)
        assert got.count == 1
        number = first_slot(got.second, num, den) + got.first
        numbers.append(number)
        moment = number * den / num
        assert moment >= got.clock - 1e-6  # never a moment that has passed
        time.sleep(max(0.0, moment - got.clock))
    assert numbers == list(range(numbers[0], numbers[0] + 8))


def test_a_hold_gives_no_slot_until_its_seconds_are_over_and_old_rows_are_pruned(store):
    """A 429 seen by one sender holds every sender; rows older than a minute go."""
    last = store.hold_sends(1.2, cap=10)
    while (got := store.reserve_send_slots(10, 1, 1)).second <= last:
        assert got.count == 0
        time.sleep(0.05)
    assert got.count == 1
    with store.engine.begin() as connection:
        connection.execute(SendSlot.__table__.insert(), [{"second": got.second - 61, "next_slot": 1,
                                                          "reserved_at": got.clock - 61}])
    assert store.prune_send_slots(got.second) == 1
    with store.session() as session:
        assert session.scalar(select(func.count()).select_from(SendSlot)) >= 2  # this minute's stay


def news_and_chats(store, folder, chats):
    for number in range(4):
        write_article(folder, number, category=("Global", "MSME")[number % 2], title=f"Story {number}")
    ingest(store, [str(folder)], source_tz=KOLKATA)
    for chat in chats:
        store.subscribe(chat, "private" if chat > 0 else "supergroup", None, datetime.now(UTC), SCHEDULE)
    plan_due(store, SCHEDULE, datetime.now(UTC), send_now=True)


def most_in_any_window(times: list[float], width: float) -> int:
    times = sorted(times)
    return max(sum(1 for other in times if moment - width < other <= moment) for moment in times)


def test_three_sender_processes_share_the_cap_and_each_chat_gets_its_digest_once(fake_api, store, tmp_path):
    """Three processes, each sending its shard of the deliveries with the pace shared through the database, at
    10 messages a second in all: every chat gets its digest once, and no stretch of the fake Bot API's clock
    holds more than 10 accepted messages a second (in 0.9 s, as the single sender's test counts: room for
    requests that a busy machine delays on their way)."""
    cap, chats = 10, [*range(1, 46), -1001, -1002]
    news_and_chats(store, tmp_path / "news", chats)
    limits = json.dumps({"messages_per_second": cap})
    start = time.time() + 3  # all three begin together, whatever their start-up time
    senders = [subprocess.Popen([sys.executable, "-m", "tests.sender", store.url, fake_api.base_url, str(shard), "3",
                                 "--limits", limits, "--start-at", str(start)], cwd=ROOT, stdout=subprocess.PIPE,
                                stderr=subprocess.PIPE, text=True) for shard in range(3)]
    reports = []
    for sender in senders:
        out, err = sender.communicate(timeout=120)
        assert sender.returncode == 0, err
        reports.append(json.loads(out))
    with store.session() as session:
        expected = dict(session.execute(select(Delivery.chat_id, Delivery.parts_total)).all())
        assert set(session.scalars(select(Delivery.status))) == {"sent"}
    assert Counter(chat for _, chat in fake_api.accepted_times) == Counter(expected)  # each once, none lost
    assert all(report["delivered"] >= 10 for report in reports)  # the three did share the work
    times = [moment for moment, _ in fake_api.accepted_times]
    assert most_in_any_window(times, 0.9) <= cap
    assert fake_api.flood_errors == 0


def test_two_senders_of_the_same_deliveries_send_each_message_once(fake_api, store, tmp_path):
    """Two processes sending the same deliveries (``newsdigest digest --send`` beside the bot's own sender), fast
    enough that each records the messages it has in flight several to a transaction: a message is claimed by one
    of them only, so every chat gets its digest once and none is lost. Telegram answers slowly (0.2 s), so that
    each finds the other's messages in flight, not yet sent."""
    chats = list(range(1, 121))
    news_and_chats(store, tmp_path / "news", chats)
    fake_api.answer_seconds = 0.2
    limits = json.dumps({"messages_per_second": 400, "private_interval": 0.01, "concurrency": 8})
    start = time.time() + 3
    senders = [subprocess.Popen([sys.executable, "-m", "tests.sender", store.url, fake_api.base_url, "0", "1",
                                 "--limits", limits, "--start-at", str(start)], cwd=ROOT, stdout=subprocess.PIPE,
                                stderr=subprocess.PIPE, text=True) for _ in range(2)]
    for sender in senders:
        _, err = sender.communicate(timeout=120)
        assert sender.returncode == 0, err
    with store.session() as session:
        expected = dict(session.execute(select(Delivery.chat_id, Delivery.parts_total)).all())
        assert set(session.scalars(select(Delivery.status))) == {"sent"}
    assert Counter(chat for _, chat in fake_api.accepted_times) == Counter(expected)  # each once, none lost


def test_digest_senders_is_a_number_of_senders():
    assert load_settings({}, env_file="").digest_senders == 1
    assert load_settings({"DIGEST_SENDERS": "3"}, env_file="").digest_senders == 3
    for value, message in (("0", "DIGEST_SENDERS=0 is out of range (1 to 100)"),
                           ("2.5", "DIGEST_SENDERS='2.5' is not a whole number")):
        with pytest.raises(SettingsError) as error:
            load_settings({"DIGEST_SENDERS": value}, env_file="")
        assert str(error.value) == message
