"""Several processes writing at the same moment (ingest workers on two machines, two planners, two webhook
servers): on SQLite and PostgreSQL, no batch fails on a unique key and nothing is stored twice.

Each writer is a Store of its own (its own connections, as another process would have), in a thread; the
threads start together at a barrier, round after round.
"""

import threading
from datetime import UTC, date, datetime, time, timedelta

import pytest
from sqlalchemy import func, select

from digests.models import Article, Delivery, Subscriber
from digests.schedule import Schedule
from digests.storage import NewArticle, Store

NOW = datetime(2026, 3, 1, 12, 0, tzinfo=UTC)
ROUNDS = 8


@pytest.fixture
def writers(store):
    """Two more stores on the same database, as two other processes."""
    others = [Store(store.url) for _ in range(2)]
    yield others
    for other in others:
        other.close()


def at_once(*calls):
    """Run the calls in threads started together; their results, or raise the first error one met."""
    barrier = threading.Barrier(len(calls))
    results, errors = [None] * len(calls), []

    def run(index, call):
        barrier.wait()
        try:
            results[index] = call()
        except Exception as error:  # noqa: BLE001 - reported below, with the others
            errors.append(error)

    threads = [threading.Thread(target=run, args=(index, call)) for index, call in enumerate(calls)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)
    assert not any(thread.is_alive() for thread in threads), "a writer never finished"
    if errors:
        raise errors[0]
    return results


def test_two_writers_storing_the_same_stories_store_each_once(store, writers):
    """The same link, or the same headline, from two sources in two batches written at once: one article,
    the other source recorded with it, and both batches go in."""
    for round_ in range(ROUNDS):
        batches = []
        for source in ("one.example", "two.example"):
            batches.append([NewArticle(
                source=source, title=f"Story {round_ * 100 + k} of round {round_}", published_at=NOW + timedelta(minutes=k),
                link=f"https://shared.example/{round_}/{k}" if k % 2 else f"https://{source}/{round_}/{k}",
                text="Text.", summary="Text.", topics=["Global"], external_id=f"{round_}-{k}") for k in range(20)])
        first, second = at_once(*(lambda w=w, b=b: w.add_articles(b, NOW) for w, b in zip(writers, batches)))
        assert [a != b for a, b in zip(first, second)] == [True] * 20  # each story new in exactly one batch
        with store.session() as session:
            titles = session.execute(select(Article.title, func.count()).where(Article.title.like(f"% of round {round_}"))
                                     .group_by(Article.title)).all()
        assert len(titles) == 20 and all(count == 1 for _, count in titles)
    for article in store.latest(200):
        assert len({article.source, *article.also_sources}) == 2, article.title
    assert sum(topic.article_count for topic in store.topics()) == store.article_count() == 20 * ROUNDS


def test_two_writers_recording_the_same_files_at_once(store, writers):
    """Two workers that read the same drop-folder files (or one reading them again): the ledger keeps one
    entry per file, the last one written, and neither write fails."""
    for round_ in range(ROUNDS):
        paths = [f"/drop/{round_}/{n}.xml" for n in range(50)]
        at_once(*(lambda w=w, size=size: w.record_files([(p, size, 7, "done", None) for p in paths], NOW)
                  for w, size in zip(writers, (100, 200))))
        ledger = store.file_ledger(paths)
        assert len(ledger) == 50 and len({entry for entry in ledger.values()}) in (1, 2)
        assert set(ledger.values()) <= {(100, 7), (200, 7)}


def test_two_planners_give_each_chat_one_digest_a_day(store, writers):
    schedule = Schedule(time(8, 0), UTC)
    chats = list(range(1, 41))
    for chat in chats:
        store.subscribe(chat, "private", None, NOW, schedule)
    for round_ in range(ROUNDS):
        day = date(2026, 3, 1) + timedelta(days=round_)
        rendering = at_once(*(lambda w=w: w.save_rendering(f"key-{round_}", '["Hello"]', 1, NOW) for w in writers))
        assert rendering[0].id == rendering[1].id  # the same rendering, whoever stored it

        def plan(writer):
            planned = [Delivery(chat_id=chat, digest_date=day, window_start=NOW, window_end=NOW,
                                rendering_id=rendering[0].id, status="pending", parts_total=1, created_at=NOW)
                       for chat in chats]
            return writer.plan_deliveries(planned, {chat: NOW + timedelta(days=1) for chat in chats})

        added = at_once(*(lambda w=w: plan(w) for w in writers))
        assert sum(added) == len(chats)
        with store.session() as session:
            assert session.scalar(select(func.count()).where(Delivery.digest_date == day)) == len(chats)


def test_the_same_chat_changed_twice_at_once(store, writers):
    """Two updates of one chat handled at the same moment (two webhook servers): both take effect."""
    schedule = Schedule(time(8, 0), UTC)
    for round_ in range(ROUNDS):
        chat = 500 + round_
        at_once(*(lambda w=w: w.subscribe(chat, "private", None, NOW, schedule) for w in writers))
        at_once(lambda: writers[0].set_filters(chat, ["export"], []), lambda: writers[1].set_filters(chat, ["rice"], []))
        at_once(lambda: writers[0].set_target(chat, thread_id=7), lambda: writers[1].set_target(chat, channel_id=-100))
        assert store.subscriber(chat).active
        assert store.filters(chat).keep == {"export", "rice"}
        target = store.target(chat)
        assert (target.thread_id, target.channel_id) == (7, -100)
    with store.session() as session:
        assert session.scalar(select(func.count()).select_from(Subscriber)) == ROUNDS
