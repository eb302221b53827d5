"""How fast /latest, /topic, /topics, "More" and /search answer with 100,000 stored articles (run on demand, not in CI).

    .venv/bin/python bench/queries.py [--articles 100000] [--database sqlite|postgresql|URL]

Fills a fresh database (an SQLite file, or a throwaway PostgreSQL server) with synthetic articles of a news
feed's shape (bulk insert, 20 topics, one in ten with two topics, a year of publication times, one in fifty
undated, headlines of 6 to 14 words, texts of 80 to 900 words), then times the store calls that the commands
make and prints the median, 95th and 99th percentile of each in milliseconds. The searches cover a rare word,
a common one, one in every article, one in a twelfth of them all published long ago, several words, a word
found by its stem (``export`` finds ``exporters``) and a word in none; each search's answer is checked
against the plain query (every match sorted) first. ``--shuffled``: articles arrived in any order of
publication. ``--repeats``: timings per call.
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
    copied in at once). One in fifty has no date (``date_known`` false, published when it arrived). Headlines
    and texts drawn by Zipf's law, with a few words planted: "body" in every article, each topic's name in a
    twentieth, "monsoon" in half of those older than 300 days, a form of "export" in one in thirty, "zanzibar"
    in three."""
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
                known = number % 50 != 25
                chosen = rng.sample(TOPICS, 2 if number % 10 == 0 else 1)
                words = rng.choices(VOCABULARY, cum_weights=CUMULATIVE, k=int(rng.triangular(80, 900, 250)))
                words += ["body", *chosen] + (["monsoon"] if ages[number] > 300 * 24 * 60 and number % 2 else [])
                words += [rng.choice(["exporters", "exported", "exporting"])] if number % 30 == 3 else []
                words += ["zanzibar"] if number in (count // 7, count // 2, count - 10) else []
                rng.shuffle(words)
                title = " ".join(rng.choices(VOCABULARY, cum_weights=CUMULATIVE, k=rng.randint(6, 14)))
                articles.append({"id": number + 1, "source": "bench", "external_id": str(number),
                                 "link": f"https://bench.example/{number}", "title": f"{title} {number}",
                                 "published_at": published, "date_known": known, "arrived_at": now,
                                 "text": " ".join(words),
                                 "summary": "A summary sentence of ordinary length for the benchmark. " * 3})
                topics += [{"article_id": number + 1, "key": t.casefold(), "name": t, "position": i,
                            "published_at": published, "date_known": known} for i, t in enumerate(chosen)]
            connection.execute(insert(Article), articles)
            connection.execute(insert(ArticleTopic), topics)
        names = dict(connection.execute(select(ArticleTopic.key, ArticleTopic.name).distinct()).all())
        connection.execute(insert(Topic), [{"key": k, "name": n, "article_count": 0} for k, n in names.items()])
        connection.exec_driver_sql(
            "UPDATE topics SET article_count = (SELECT count(*) FROM article_topics WHERE key = topics.key)")
        store.search_index.rebuild(connection)  # the rows went in around add_articles (SQLite; PostgreSQL: triggers)
        if connection.dialect.name == "postgresql":
            connection.exec_driver_sql("ANALYZE")  # as autovacuum would soon after such an insert


def timed(call, repeats: int) -> tuple[float, float, float]:
    """Median, 95th and 99th percentile time of the call, in ms."""
    samples = []
    for _ in range(repeats):
        began = time.perf_counter()
        call()
        samples.append((time.perf_counter() - began) * 1000)
    cuts = statistics.quantiles(samples, n=100)
    return statistics.median(samples), cuts[94], cuts[98]


def plain_search(store: Store, words: list[str], limit: int) -> list[int]:
    """The ids /search must answer: every match, sorted in the order readers see."""
    with store.session() as session:
        return list(session.scalars(
            select(Article.id).where(store.search_index.matching(words))
            .order_by(Article.date_known.desc(), Article.published_at.desc(), Article.id.desc()).limit(limit)))


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--articles", type=int, default=100_000)
    parser.add_argument("--database", default="sqlite", help="sqlite, postgresql (a throwaway server) or a URL")
    parser.add_argument("--repeats", type=int, default=200)
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
        searches = {
            "a rare word (3 articles)": ["zanzibar"],
            "a rare pair (headline words)": ["w4242", "w4243"],
            "w300 (a common word)": ["w300"],
            "w1 (many times in each)": ["w1"],
            "trade (a twentieth)": ["trade"],
            "body (every article)": ["body"],
            "body trade (two words)": ["body", "trade"],
            "w20 w30 w40 (three words)": ["w20", "w30", "w40"],
            "export (stem of exporters...)": ["export"],
            "monsoon (only long ago)": ["monsoon"],
            "cricket (none)": ["cricket"],
        }
        for words in searches.values():
            for limit in (1, 11):
                got = [article.id for article in store.search(words, limit)]
                assert got == plain_search(store, words, limit), (words, limit)
        cases = {
            "store.latest(6)": lambda: store.latest(6),
            "store.latest(6, topic='msme')": lambda: store.latest(6, topic="msme"),
            "store.find_topic('Global')": lambda: store.find_topic("Global"),
            "store.topics()": lambda: store.topics(),
            "/latest (whole reply)": lambda: commands.handle(chat, "latest", []),
            "/topic Global (whole reply)": lambda: commands.handle(chat, "topic", ["Global"]),
            "/topics (whole reply)": lambda: commands.handle(chat, "topics", []),
            "store.older(6) mid-way (More)": lambda: store.older(6, (True, middle.published_at, middle.id)),
            "store.older(6, topic) mid-way": lambda: store.older(6, (True, middle.published_at, middle.id), "msme"),
            **{f"search {name}": (lambda words=words: store.search(words, 5)) for name, words in searches.items()},
            "/search body (whole reply)": lambda: commands.handle(chat, "search", ["body"]),
            "/search export (whole reply)": lambda: commands.handle(chat, "search", ["export"]),
        }
        print(f"{'call':42} {'p50 ms':>8} {'p95 ms':>8} {'p99 ms':>8}")
        for name, call in cases.items():
            median, p95, p99 = timed(call, arguments.repeats)
            print(f"{name:42} {median:8.2f} {p95:8.2f} {p99:8.2f}", flush=True)
        store.close()


if __name__ == "__main__":
    main()
