"""How fast /latest, /topic, /topics, "More" and /search answer with 100,000 stored articles (run on demand, not in CI).

    .venv/bin/python bench/queries.py [--articles 100000]

Fills a fresh SQLite file with synthetic articles (bulk insert, 20 topics, one in ten with two topics), then
times the store calls that the commands make and prints the median and worst of each in milliseconds.
"""

from __future__ import annotations

import argparse
import random
import statistics
import sys
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from sqlalchemy import insert, select  # noqa: E402

from bot.commands import Chat, Commands  # noqa: E402
from digests.models import Article, ArticleTopic, Topic  # noqa: E402
from digests.schedule import Schedule  # noqa: E402
from digests.storage import Store, open_store  # noqa: E402

TOPICS = ["Global", "MSME", "Policy", "Trade", "Energy", "Markets", "Tech", "Health", "Agriculture", "Startups",
          "Banking", "Exports", "Logistics", "Textiles", "Mining", "Auto", "Pharma", "Defence", "Tourism", "Jobs"]


def fill(store: Store, count: int) -> None:
    rng = random.Random(7)
    now = datetime.now(UTC)
    with store.engine.begin() as connection:
        for start in range(0, count, 10_000):
            articles, topics = [], []
            for number in range(start, min(count, start + 10_000)):
                published = now - timedelta(minutes=rng.randrange(0, 365 * 24 * 60))
                articles.append({"id": number + 1, "source": "bench", "external_id": str(number),
                                 "link": f"https://bench.example/{number}", "title": f"Headline {number}",
                                 "published_at": published, "arrived_at": now, "text": "Body. " * 40,
                                 "summary": "A summary sentence of ordinary length for the benchmark. " * 3})
                chosen = rng.sample(TOPICS, 2 if number % 10 == 0 else 1)
                topics += [{"article_id": number + 1, "key": t.casefold(), "name": t, "position": i,
                            "published_at": published} for i, t in enumerate(chosen)]
            connection.execute(insert(Article), articles)
            connection.execute(insert(ArticleTopic), topics)
        names = dict(connection.execute(select(ArticleTopic.key, ArticleTopic.name).distinct()).all())
        connection.execute(insert(Topic), [{"key": k, "name": n, "article_count": 0} for k, n in names.items()])
        connection.exec_driver_sql(
            "UPDATE topics SET article_count = (SELECT count(*) FROM article_topics WHERE key = topics.key)")
        connection.exec_driver_sql("INSERT INTO articles_fts(articles_fts) VALUES ('rebuild')")  # as Store would


def timed(call, repeats: int = 50) -> tuple[float, float]:
    samples = []
    for _ in range(repeats):
        began = time.perf_counter()
        call()
        samples.append((time.perf_counter() - began) * 1000)
    return statistics.median(samples), max(samples)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--articles", type=int, default=100_000)
    count = parser.parse_args().articles
    with tempfile.TemporaryDirectory() as folder:
        store = open_store(f"sqlite:///{folder}/bench.db")
        began = time.perf_counter()
        fill(store, count)
        print(f"filled {count} articles in {time.perf_counter() - began:.1f} s")
        commands = Commands(store, Schedule(datetime.now().time(), UTC))
        chat = Chat(1)
        middle = store.latest(count // 2)[-1]
        cases = {
            "store.latest(5)": lambda: store.latest(5),
            "store.latest(20, topic='msme')": lambda: store.latest(20, topic="msme"),
            "store.find_topic('Global')": lambda: store.find_topic("Global"),
            "store.topics()": lambda: store.topics(),
            "/latest 20 (whole reply)": lambda: commands.handle(chat, "latest", ["20"]),
            "/topic Global (whole reply)": lambda: commands.handle(chat, "topic", ["Global"]),
            "/topics (whole reply)": lambda: commands.handle(chat, "topics", []),
            "store.older(5) mid-way (More)": lambda: store.older(5, (True, middle.published_at, middle.id)),
            "store.older(5, topic) mid-way": lambda: store.older(5, (True, middle.published_at, middle.id), "msme"),
            "store.search(['headline', '4242'])": lambda: store.search(["headline", "4242"], 5),
            "store.search(['body']) (every article)": lambda: store.search(["body"], 5),
        }
        print(f"{'call':40} {'median ms':>10} {'max ms':>8}")
        for name, call in cases.items():
            median, worst = timed(call)
            print(f"{name:40} {median:10.2f} {worst:8.2f}")
        store.close()


if __name__ == "__main__":
    main()
