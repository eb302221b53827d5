"""How fast /latest, /topic, /topics, "More" and /search answer with 100,000 stored articles (run on demand, not in CI).

    .venv/bin/python bench/queries.py [--articles 100000] [--database sqlite|postgresql|URL]

Fills a fresh database (an SQLite file, or a throwaway PostgreSQL server) with synthetic articles (bulk insert,
20 topics, one in ten with two topics, a year of publication times, texts of 40 to 400 words), then times
the store calls that the commands make and prints the median, 99th percentile and worst of each in
milliseconds. The searches cover a word in one article, in a few percent, in every one, in a twelfth of them
all published long ago, and in none. ``--shuffled``: articles arrived in any order of publication.
"""

from __future__ import annotations

import argparse
import itertools
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
from digests.storage import Store, migrate, open_store  # noqa: E402
from bench.databases import fresh_database  # noqa: E402

TOPICS = ["Global", "MSME", "Policy", "Trade", "Energy", "Markets", "Tech", "Health", "Agriculture", "Startups",
          "Banking", "Exports", "Logistics", "Textiles", "Mining", "Auto", "Pharma", "Defence", "Tourism", "Jobs"]


VOCABULARY = [f"w{rank}" for rank in range(1, 5001)]  # words of a text, by how common they are (Zipf's law)
CUMULATIVE = list(itertools.accumulate(1 / rank for rank in range(1, 5001)))


def fill(store: Store, count: int, shuffled: bool = False) -> None:
    """Articles as they arrive: ids in order of arrival, publication times a year's worth in that order but
    for a few hours of jitter (a feed lists its newest item first); ``shuffled``: in any order (an archive
    copied in at once). Texts of 40 to 400 words drawn by Zipf's law, with a few words planted: "body" in
    every article, each topic's name in a twentieth, "monsoon" in half of those older than 300 days."""
    rng = random.Random(7)
    now = datetime.now(UTC)
    ages = [(count - number) * 365 * 24 * 60 / count + rng.randrange(0, 6 * 60) for number in range(count)]
    if shuffled:
        rng.shuffle(ages)
    with store.engine.begin() as connection:
        for start in range(0, count, 10_000):
            articles, topics = [], []
            for number in range(start, min(count, start + 10_000)):
                published = now - timedelta(minutes=ages[number])
                chosen = rng.sample(TOPICS, 2 if number % 10 == 0 else 1)
                words = rng.choices(VOCABULARY, cum_weights=CUMULATIVE, k=rng.randint(40, 400))
                words += ["body", *chosen] + (["monsoon"] if ages[number] > 300 * 24 * 60 and number % 2 else [])
                articles.append({"id": number + 1, "source": "bench", "external_id": str(number),
                                 "link": f"https://bench.example/{number}", "title": f"Headline {number}",
                                 "published_at": published, "arrived_at": now, "text": " ".join(words),
                                 "summary": "A summary sentence of ordinary length for the benchmark. " * 3})
                topics += [{"article_id": number + 1, "key": t.casefold(), "name": t, "position": i,
                            "published_at": published} for i, t in enumerate(chosen)]
            connection.execute(insert(Article), articles)
            connection.execute(insert(ArticleTopic), topics)
        names = dict(connection.execute(select(ArticleTopic.key, ArticleTopic.name).distinct()).all())
        connection.execute(insert(Topic), [{"key": k, "name": n, "article_count": 0} for k, n in names.items()])
        connection.exec_driver_sql(
            "UPDATE topics SET article_count = (SELECT count(*) FROM article_topics WHERE key = topics.key)")
        store.search_index.rebuild(connection)  # the rows went in around add_articles (SQLite; PostgreSQL: generated)
        if connection.dialect.name == "postgresql":
            connection.exec_driver_sql("ANALYZE")  # as autovacuum would soon after such an insert


def timed(call, repeats: int = 200) -> tuple[float, float, float]:
    """Median, 99th percentile and worst time of the call, in ms."""
    samples = []
    for _ in range(repeats):
        began = time.perf_counter()
        call()
        samples.append((time.perf_counter() - began) * 1000)
    return statistics.median(samples), statistics.quantiles(samples, n=100)[98], max(samples)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--articles", type=int, default=100_000)
    parser.add_argument("--database", default="sqlite", help="sqlite, postgresql (a throwaway server) or a URL")
    parser.add_argument("--shuffled", action="store_true",
                        help="publication times in any order of arrival (an archive copied in), not in order")
    arguments = parser.parse_args()
    count = arguments.articles
    with tempfile.TemporaryDirectory() as folder, fresh_database(arguments.database, Path(folder)) as url:
        migrate(url)
        store = open_store(url)
        print(f"database: {store.engine.dialect.name} {store.engine.dialect.server_version_info or ''}")
        began = time.perf_counter()
        fill(store, count, arguments.shuffled)
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
            "store.search(['w1']) (many times in each)": lambda: store.search(["w1"], 5),
            "store.search(['w300'])": lambda: store.search(["w300"], 5),
            "store.search(['trade']) (a twentieth)": lambda: store.search(["trade"], 5),
            "store.search(['body']) (every article)": lambda: store.search(["body"], 5),
            "store.search(['body', 'trade'])": lambda: store.search(["body", "trade"], 5),
            "store.search(['monsoon']) (only long ago)": lambda: store.search(["monsoon"], 5),
            "store.search(['cricket']) (none)": lambda: store.search(["cricket"], 5),
            "/search body (whole reply)": lambda: commands.handle(chat, "search", ["body"]),
        }
        print(f"{'call':42} {'median ms':>10} {'p99 ms':>8} {'max ms':>8}")
        for name, call in cases.items():
            median, p99, worst = timed(call)
            print(f"{name:42} {median:10.2f} {p99:8.2f} {worst:8.2f}")
        store.close()


if __name__ == "__main__":
    main()
