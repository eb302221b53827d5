"""Digest fan-out against the fake Bot API enforcing Telegram's flood limits (run on demand, not in CI).

    .venv/bin/python bench/fanout.py [--chats 2000] [--big-chats 100000]

1. ``--chats`` subscribed chats (mixed topics, a few groups) at Telegram's limits (30 messages a second):
   prints messages per second, its ratio to 30, 429s received, duplicates and losses.
2. ``--big-chats`` chats against limits raised a hundredfold, to show the engine's own overhead.

The fake server runs in its own process so that it does not share the interpreter lock with the sender.
"""

from __future__ import annotations

import argparse
import asyncio
import random
import sys
import tempfile
import time
from collections import Counter
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from sqlalchemy import insert, select  # noqa: E402

from bot.app import make_delivery_bot  # noqa: E402
from bot.delivery import DigestService, Limits  # noqa: E402
from bot.settings import Settings  # noqa: E402
from digests.models import Delivery, Subscriber, SubscriberTopic  # noqa: E402
from digests.schedule import Schedule  # noqa: E402
from digests.storage import NewArticle, Store, open_store  # noqa: E402
from tests.fakebotapi import TOKEN, FakeInProcess, FloodLimits  # noqa: E402

TOPICS = ["Global", "MSME", "Policy", "Trade", "Energy", "Markets"]


def populate(store: Store, chats: int, now: datetime) -> None:
    rng = random.Random(3)
    store.add_articles([
        NewArticle(source="bench", link=f"https://bench.example/{n}", title=f"Headline number {n} of the day",
                   published_at=now - timedelta(hours=n % 20), text="", summary="A lede of ordinary length. " * 8,
                   topics=[TOPICS[n % len(TOPICS)]], external_id=str(n))
        for n in range(36)
    ], arrived_at=now - timedelta(hours=1))
    subscribers, topics = [], []
    for n in range(chats):
        chat_id = -(1_000_000 + n) if n % 50 == 0 else n + 1  # one chat in fifty is a group
        everything = n % 3 == 0
        subscribers.append({"chat_id": chat_id, "kind": "supergroup" if chat_id < 0 else "private", "active": True,
                            "all_topics": everything, "created_at": now, "next_digest_at": now})
        if not everything:
            topics += [{"chat_id": chat_id, "key": t.casefold(), "name": t} for t in rng.sample(TOPICS, rng.randint(1, 3))]
    with store.engine.begin() as connection:
        connection.execute(insert(Subscriber), subscribers)
        connection.execute(insert(SubscriberTopic), topics)


def run(chats: int, server_limits: FloodLimits, limits: Limits) -> None:
    telegram = FakeInProcess(server_limits)
    url = telegram.base_url
    with tempfile.TemporaryDirectory() as folder:
        store = open_store(f"sqlite:///{folder}/fanout.db")
        now = datetime.now(UTC)
        populate(store, chats, now)
        settings = Settings(token=TOKEN, api_base_url=url, database_url=str(store.engine.url))
        schedule = Schedule(now.time(), ZoneInfo("UTC"))

        async def send():
            async with make_delivery_bot(settings) as bot:
                service = DigestService(bot, store, schedule, limits)
                began = time.perf_counter()
                report = await service.run_once()
                return report, time.perf_counter() - began

        report, total = asyncio.run(send())
        with store.session() as session:
            expected = dict(session.execute(select(Delivery.chat_id, Delivery.parts_total)).all())
        stats = telegram.stats()
    accepted = Counter(chat for _, chat in stats["accepted_times"])
    duplicates = sum(max(0, accepted[c] - n) for c, n in expected.items())
    losses = sum(max(0, n - accepted[c]) for c, n in expected.items())
    rate = report.messages / report.seconds
    print(f"chats {chats}, messages {report.messages}, renderings shared by all, plan+send {total:.1f} s")
    print(f"  fan-out {report.seconds:.1f} s: {rate:.1f} messages/s, ratio to the limit "
          f"{server_limits.per_second}/s = {rate / server_limits.per_second:.3f}")
    print(f"  429s received {len(stats['floods'])}, duplicates {duplicates}, losses {losses}, "
          f"retries {report.retries}, postponed {report.postponed}")


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--chats", type=int, default=2000)
    parser.add_argument("--big-chats", type=int, default=100_000)
    args = parser.parse_args()
    print("== Telegram's limits: 30 messages/s overall, 1/s per private chat, 20/min per group")
    if args.chats:
        run(args.chats, FloodLimits(), Limits())
    if args.big_chats:
        print("== limits raised a hundredfold: the engine's own overhead")
        hundredfold = Limits(messages_per_second=2900.0, private_interval=0.0105, group_interval=0.031,
                             concurrency=4)
        run(args.big_chats, FloodLimits().scaled(100), replace(hundredfold))


if __name__ == "__main__":
    main()
