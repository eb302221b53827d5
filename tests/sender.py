"""One digest sender in a process of its own, as a worker runs it: ``send_pending`` on its shard, with the pace
shared through the database. For the tests and bench/fanout.py:

    python -m tests.sender DATABASE_URL API_BASE_URL SHARD SHARDS [--limits JSON] [--start-at UNIX_TIME]

``--limits`` holds fields of ``bot.delivery.Limits`` (``{"messages_per_second": 10}``); ``--start-at`` waits for
that moment, so that senders started one after the other begin together. Prints its report as JSON, with
the CPU time the sending took (``cpu_seconds``).
"""

from __future__ import annotations

import argparse
import asyncio
import dataclasses
import json
import time

from bot.app import make_delivery_bot
from bot.delivery import Limits, send_pending
from bot.settings import Settings
from digests.storage import Store
from tests.fakebotapi import TOKEN


async def send(database_url: str, api_base_url: str, shard: int, shards: int, limits: Limits) -> dict:
    store = Store(database_url)
    settings = Settings(token=TOKEN, api_base_url=api_base_url, database_url=database_url,
                        paid_broadcast=limits.paid_broadcast)
    try:
        async with make_delivery_bot(settings) as bot:
            report = await send_pending(bot, store, limits, shard=shard, shards=shards, shared_pace=True)
    finally:
        store.close()
    return dataclasses.asdict(report)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("database_url")
    parser.add_argument("api_base_url")
    parser.add_argument("shard", type=int)
    parser.add_argument("shards", type=int)
    parser.add_argument("--limits", default="{}")
    parser.add_argument("--start-at", type=float)
    args = parser.parse_args()
    limits = Limits(**json.loads(args.limits))
    if args.start_at:
        time.sleep(max(0.0, args.start_at - time.time()))
    began = time.process_time()
    report = asyncio.run(send(args.database_url, args.api_base_url, args.shard, args.shards, limits))
    print(json.dumps({**report, "cpu_seconds": time.process_time() - began}))


if __name__ == "__main__":
    main()
