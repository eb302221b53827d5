"""Updates a second through ``newsdigest serve`` (run on demand, not in CI).

    .venv/bin/python bench/webhook.py [--updates 600] [--connections 40] [--processes 1]

Starts the fake Bot API (in a process of its own) and ``--processes`` serve processes (``--no-jobs``) over one
SQLite file with 200 articles, then POSTs ``--updates`` commands (/latest 5, /help and /topics from distinct
private chats) with the secret, at most ``--connections`` at a time spread over the processes, as Telegram does.
Each answer comes back once the update is handled, so its latency is the whole handling. Prints updates a second,
the latency's median and 99th percentile, replies a second as the fake received them, and failed requests.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

import httpx

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from digests.storage import NewArticle, open_store  # noqa: E402
from tests.fakebotapi import TOKEN, FakeInProcess  # noqa: E402

SECRET = "bench-secret"
COMMANDS = ["/latest 5", "/help", "/topics"]


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def fill(url: str) -> None:
    now = datetime.now(UTC)
    store = open_store(url)
    store.add_articles([NewArticle(source="bench", link=f"https://example.org/{n}", title=f"Headline {n}",
                                   published_at=now - timedelta(minutes=n), text="Text.", summary="A summary.",
                                   topics=[["Global", "MSME", "Policy"][n % 3]], external_id=str(n))
                        for n in range(200)], now)
    store.close()


def update(number: int) -> dict:
    text = COMMANDS[number % len(COMMANDS)]
    chat = 10_000 + number
    return {"update_id": number, "message": {
        "message_id": number, "date": int(time.time()), "text": text,
        "chat": {"id": chat, "type": "private", "first_name": "Reader"},
        "from": {"id": chat, "is_bot": False, "first_name": "Reader"},
        "entities": [{"type": "bot_command", "offset": 0, "length": len(text.split()[0])}]}}


async def send_all(urls: list[str], count: int, connections: int) -> tuple[float, list[float], list[str]]:
    latencies: list[float] = []
    failures: list[str] = []
    numbers = iter(range(1, count + 1))

    async def connection(client: httpx.AsyncClient, index: int) -> None:
        for number in numbers:
            started = time.perf_counter()
            try:
                response = await client.post(urls[(index + number) % len(urls)], json=update(number),
                                             headers={"X-Telegram-Bot-Api-Secret-Token": SECRET})
                response.raise_for_status()
            except httpx.HTTPError as error:  # Telegram would send it again
                failures.append(f"update {number} after {time.perf_counter() - started:.2f} s: {error!r}")
                continue
            latencies.append(time.perf_counter() - started)

    limits = httpx.Limits(max_connections=connections, max_keepalive_connections=connections)
    async with httpx.AsyncClient(timeout=120, limits=limits) as client:
        started = time.perf_counter()
        await asyncio.gather(*(connection(client, index) for index in range(connections)))
        return time.perf_counter() - started, latencies, failures


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--updates", type=int, default=600)
    parser.add_argument("--connections", type=int, default=40)
    parser.add_argument("--processes", type=int, default=1)
    args = parser.parse_args()
    fake = FakeInProcess()
    folder = Path(tempfile.mkdtemp(prefix="bench-webhook-"))
    database = f"sqlite:///{folder / 'news.db'}"
    fill(database)
    env = {**os.environ, "TELEGRAM_BOT_TOKEN": TOKEN, "TELEGRAM_API_BASE_URL": fake.base_url,
           "DATABASE_URL": database, "WEBHOOK_SECRET": SECRET, "LOG_LEVEL": "WARNING"}
    ports = [free_port() for _ in range(args.processes)]
    processes = [subprocess.Popen([sys.executable, "-m", "bot.cli", "serve", "--no-jobs"], cwd=folder,
                                  env={**env, "WEBHOOK_PORT": str(port)}) for port in ports]
    try:
        deadline = time.monotonic() + 60
        for port in ports:
            while time.monotonic() < deadline:
                try:
                    if httpx.get(f"http://127.0.0.1:{port}/healthz").status_code == 200:
                        break
                except httpx.TransportError:
                    time.sleep(0.1)
        urls = [f"http://127.0.0.1:{port}/telegram" for port in ports]
        seconds, latencies, failures = asyncio.run(send_all(urls, args.updates, args.connections))
    finally:
        for process in processes:
            process.send_signal(signal.SIGTERM)
            process.wait(30)
    replies = sorted(at for at, _ in fake.stats()["accepted_times"])
    span = replies[-1] - replies[0] if len(replies) > 1 else 0
    latencies.sort()
    print(f"{args.updates} updates, {args.connections} connections, {args.processes} serve process(es): "
          f"{args.updates / seconds:.0f} updates/s; latency median {statistics.median(latencies) * 1000:.0f} ms, "
          f"p99 {latencies[int(len(latencies) * 0.99) - 1] * 1000:.0f} ms; "
          f"{len(replies)} replies, {len(replies) / span if span else 0:.1f} a second at the fake; "
          f"{len(failures)} failed")
    for failure in failures[:10]:
        print("  ", failure)


if __name__ == "__main__":
    main()
