"""Digest fan-out against the fake Bot API enforcing Telegram's flood limits (run on demand, not in CI).

    .venv/bin/python bench/fanout.py [--chats 2000] [--big-chats 100000] [--database sqlite|postgresql|URL]
                                     [--workers N [N ...]] [--pace 29]

1. ``--chats`` subscribed chats (mixed topics, a few groups) at Telegram's limits (30 messages a second):
   prints messages per second, its ratio to 30, 429s received, duplicates and losses. ``--pace``: the pace the
   senders keep (``Limits.messages_per_second`` by default), to see how close to 30 the arrivals allow.
2. ``--big-chats`` chats against limits raised a hundredfold, with paid broadcast, to show the engine's own
   overhead.

Without ``--workers``, one sender in this process paces itself (``newsdigest run``'s way). ``--workers 1 2 3``
runs each case once per number given, with that many sender processes (tests/sender.py, as workers run them:
``send_pending`` on their shard), sharing the pace through the database (``SharedPace``). ``--database`` is
SQLite by default; ``postgresql`` starts a throwaway server per run, as the tests do.

The fake server runs in its own process so that it does not share the interpreter lock with the senders.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import random
import subprocess
import sys
import tempfile
import time
from collections import Counter
from datetime import UTC, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from sqlalchemy import insert, select  # noqa: E402

from bench.databases import fresh_database  # noqa: E402
from bot.app import make_delivery_bot  # noqa: E402
from bot.delivery import Limits, plan_due, send_pending  # noqa: E402
from bot.settings import Settings  # noqa: E402
from digests.models import Delivery, Subscriber, SubscriberTopic  # noqa: E402
from digests.schedule import Schedule  # noqa: E402
from digests.storage import NewArticle, Store, migrate, open_store  # noqa: E402
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


def run(chats: int, server_limits: FloodLimits, limits: Limits, database: str, workers: int | None) -> None:
    telegram = FakeInProcess(server_limits)
    with tempfile.TemporaryDirectory() as folder, fresh_database(database, Path(folder)) as url:
        migrate(url)
        store = open_store(url)
        now = datetime.now(UTC)
        populate(store, chats, now)
        began = time.perf_counter()
        plan_due(store, Schedule(now.time(), ZoneInfo("UTC")), now, send_now=True)
        planned = time.perf_counter() - began
        load = os.getloadavg()[0]
        server_cpu = cpu_seconds(telegram._process.pid)
        postgres = postmaster(store)
        database_cpu = server_cpu_seconds(postgres) if postgres else 0.0
        reports = send_here(store, telegram.base_url, limits) if workers is None else \
            send_apart(store.url, telegram.base_url, limits, workers)
        with store.session() as session:
            expected = dict(session.execute(select(Delivery.chat_id, Delivery.parts_total)).all())
        store.close()
        server_cpu = cpu_seconds(telegram._process.pid) - server_cpu
        database_cpu = server_cpu_seconds(postgres) - database_cpu if postgres else None
        stats = telegram.stats()
    times = sorted(moment for moment, _ in stats["accepted_times"])
    accepted = Counter(chat for _, chat in stats["accepted_times"])
    duplicates = sum(max(0, accepted[c] - n) for c, n in expected.items())
    losses = sum(max(0, n - accepted[c]) for c, n in expected.items())
    rate = (len(times) - 1) / (times[-1] - times[0])
    senders = "1 sender in this process" if workers is None else \
        f"{workers} sender process{'es' if workers > 1 else ''} sharing the pace through the database"
    print(f"chats {chats}, messages {len(times)}, {database}, {senders}; planned in {planned:.1f} s; "
          f"load average {load:.1f} before, {os.getloadavg()[0]:.1f} after")
    print(f"  first to last message {times[-1] - times[0]:.1f} s: {rate:.1f} messages/s, ratio to the limit "
          f"{server_limits.per_second}/s = {rate / server_limits.per_second:.3f}, to the pace "
          f"{limits.messages_per_second:g}/s = {rate / limits.messages_per_second:.3f}")
    kinds = Counter(kind for kind, _ in stats["floods"])  # which limit each 429 was for
    print(f"  most in any second {most_in_a_second(times)}; 429s received {len(stats['floods'])}"
          f"{' (' + ', '.join(f'{kind} {n}' for kind, n in sorted(kinds.items())) + ')' if kinds else ''}, duplicates "
          f"{duplicates}, losses {losses}, retries {sum(r['retries'] for r in reports)}, postponed "
          f"{sum(r['postponed'] for r in reports)}; by sender: {[r['messages'] for r in reports]} messages")
    if stats["floods"]:  # when: at the start (clocks not yet mapped) or anywhere (jitter)
        print(f"  429s at {', '.join(f'{moment - times[0]:.1f}' for moment in stats['flood_times'][:8])} s from the "
              f"first message")
    cap = server_limits.per_second
    if len(times) > cap and rate > 0.9 * limits.messages_per_second:  # kept the pace: how close it came to a 429
        # (the fake refuses a message that has `cap` others before it within a second)
        closest = min(times[k + cap] - times[k] for k in range(len(times) - cap))
        print(f"  closest {cap + 1} messages in a row spanned {closest:.3f} s (a 429 below 1 s; at an even pace "
              f"{cap / limits.messages_per_second:.3f} s): arrivals bunched by up to "
              f"{cap / limits.messages_per_second - closest:.3f} s against the pace")
    if workers is not None:
        print(f"  CPU per message: senders {1000 * sum(r['cpu_seconds'] for r in reports) / len(times):.2f} ms, "
              f"fake Bot API {1000 * server_cpu / len(times):.2f} ms"
              + (f", PostgreSQL server {1000 * database_cpu / len(times):.2f} ms" if database_cpu is not None else ""))


def send_here(store: Store, api: str, limits: Limits) -> list[dict]:
    settings = Settings(token=TOKEN, api_base_url=api, database_url=store.url, paid_broadcast=limits.paid_broadcast)

    async def send():
        async with make_delivery_bot(settings) as bot:
            return await send_pending(bot, store, limits)

    return [asyncio.run(send()).__dict__]


def send_apart(url: str, api: str, limits: Limits, workers: int) -> list[dict]:
    """``workers`` sender processes, started together, each on its shard."""
    start = time.time() + 2 + workers
    senders = [subprocess.Popen([sys.executable, "-m", "tests.sender", url, api, str(shard), str(workers),
                                 "--limits", json.dumps(limits.__dict__), "--start-at", str(start)],
                                cwd=ROOT, stdout=subprocess.PIPE, text=True) for shard in range(workers)]
    reports = []
    for sender in senders:
        out, _ = sender.communicate()
        if sender.returncode != 0:
            sys.exit(f"a sender failed ({sender.returncode})")
        reports.append(json.loads(out))
    return reports


def cpu_seconds(pid: int) -> float:
    """The CPU time a process has used so far (Linux)."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def postmaster(store: Store) -> int | None:
    """The process id of the PostgreSQL server holding ``store`` (None on SQLite): its backends' parent."""
    if store.engine.dialect.name != "postgresql":
        return None
    with store.engine.connect() as connection:
        backend = connection.exec_driver_sql("SELECT pg_backend_pid()").scalar_one()
    return int(Path(f"/proc/{backend}/stat").read_text().rsplit(")", 1)[1].split()[1])


def server_cpu_seconds(pid: int) -> float:
    """The CPU time of a server and all its processes so far (Linux): its own, its ended children's (which it
    waited for) and its living children's."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    total = sum(int(value) for value in fields[11:15]) / os.sysconf("SC_CLK_TCK")
    for entry in Path("/proc").iterdir():
        try:
            if entry.name.isdigit() and (entry / "stat").read_text().rsplit(")", 1)[1].split()[1] == str(pid):
                total += cpu_seconds(int(entry.name))
        except OSError:  # ended meanwhile
            continue
    return total


def most_in_a_second(times: list[float]) -> int:
    """The most messages in any one second (a sliding window), times sorted."""
    most, first = 0, 0
    for last, moment in enumerate(times):
        while times[first] <= moment - 1.0:
            first += 1
        most = max(most, last - first + 1)
    return most


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--chats", type=int, default=2000)
    parser.add_argument("--big-chats", type=int, default=100_000)
    parser.add_argument("--database", default="sqlite", help="sqlite, postgresql (a throwaway server) or a URL")
    parser.add_argument("--pace", type=float, default=Limits().messages_per_second,
                        help="messages a second at Telegram's limits (default: Limits.messages_per_second)")
    parser.add_argument("--workers", type=int, nargs="+", help="sender processes sharing the pace, one run each")
    parser.add_argument("--concurrency", type=int, default=12,
                        help="messages in flight at once per sender, paid (default 12)")
    args = parser.parse_args()
    runs = args.workers or [None]
    if args.chats:
        print("== Telegram's limits: 30 messages/s overall, 1/s per private chat, 20/min per group")
        for workers in runs:
            run(args.chats, FloodLimits(), Limits(messages_per_second=args.pace), args.database, workers)
    if args.big_chats:
        print("== limits raised a hundredfold, paid broadcast: the engine's own overhead")
        hundredfold = Limits(messages_per_second=2900.0, private_interval=0.0105, group_interval=0.031,
                             paid_broadcast=True, concurrency=args.concurrency)
        for workers in runs:
            run(args.big_chats, FloodLimits().scaled(100), hundredfold, args.database, workers)


if __name__ == "__main__":
    main()
