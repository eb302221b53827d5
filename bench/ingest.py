"""Benchmark (not a test): ingest many generated articles into a fresh database and compare with a floor.

    .venv/bin/python bench/ingest.py [--articles 100000] [--rss-files 100] [--items-per-rss 50]
                                     [--database sqlite|postgresql|URL]

Writes the articles in the sample's format (one file each, bodies of varied size) and a set of RSS files to a
temporary folder, streaming (never all in memory), ingests them with the real pipeline, and prints:
articles per second, the floor (html2text alone on the same bodies, one process, i.e. per core), the ratio of
the pipeline's rate per core to that floor, the same ratio by CPU time (the floor's CPU per article over the
workers'; with a local PostgreSQL server, also counting the server's), and the peak memory (max RSS) of this
process and its workers.
"""

from __future__ import annotations

import argparse
import os
import random
import resource
import sys
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path
from xml.sax.saxutils import escape

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

import html2text  # noqa: E402

from digests.ingest import WORKERS, ingest  # noqa: E402
from digests.storage import migrate, open_store  # noqa: E402
from bench.databases import fresh_database  # noqa: E402

WORDS = ("government ministry export trade small enterprises credit scheme growth quarter percent india "
         "russia industrial cooperation session delegation agreement sector investment policy market "
         "manufacturing support rupees crore digital platform bank loan farmers rural energy").split()
TOPICS = ["Global", "MSME", "Policy", "Finance", "Trade", "Technology", "Energy", "Agriculture"]
START = datetime(2025, 1, 1, tzinfo=UTC)
# Headlines draw on a larger vocabulary than the bodies, as real ones do: made-up words of two or three
# syllables (names, places) besides the bodies' words, so that a day's headlines share some words and few
# are alike. Every tenth feed item retells an article in other words (another source's telling of the story).
_SYLLABLES = "ka lo mi ne ru sa ti vo da pe gu ha ji ko ma ni po ra se ta".split()
HEADLINE_WORDS = WORDS + [a + b + c for a in _SYLLABLES for b in _SYLLABLES for c in ("", "n", "ra")][:1200]
RETOLD = 10  # every n-th feed item retells an article


def headline(number: int) -> str:
    """A headline of 6 to 9 words: the same for the same number."""
    rng = random.Random(number * 7919)
    return " ".join(rng.sample(HEADLINE_WORDS, rng.randint(6, 9))).capitalize()


def retold(number: int) -> str:
    """Article ``number``'s headline in other words: one word changed, the last left out."""
    words = headline(number).split()
    words[1] = random.Random(number).choice(HEADLINE_WORDS)
    return " ".join(words[:-1])


def body(number: int) -> str:
    """An HTML body like the KNN sample's, from 1 to 30 paragraphs: the same for the same number."""
    rng = random.Random(number)
    paragraphs = []
    for index in range(rng.choice([1, 2, 3, 5, 8, 12, 20, 30])):
        sentences = [" ".join(rng.choices(WORDS, k=rng.randint(8, 25))).capitalize() + "." for _ in range(3)]
        text = " ".join(sentences)
        if index == 0:
            text = f"<strong>New Delhi, Aug 7 (KNN) </strong>{text}"
        paragraphs.append(f'<p><span style="font-size:12pt">{text}</span></p>')
    return "".join(paragraphs)


def article_xml(number: int) -> str:
    when = START + timedelta(minutes=7 * number)
    return (
        '<?xml version="1.0" encoding="UTF-8"?>\n<root>\n'
        f"<author>Desk</author><category>{TOPICS[number % len(TOPICS)]}</category>"
        f"<date>{when:%Y-%m-%d %H:%M:%S}</date><fulldesc>{escape(body(number))}</fulldesc>"
        f"<id>{number}</id><link>https://bench.example/news/{number}?utm_source=bench</link>"
        f"<source>bench.example</source><title>{headline(number)}</title>"
        "</root>\n"
    )


def rss_xml(file_number: int, items: int, first: int, articles: int) -> str:
    parts = [f'<?xml version="1.0" encoding="utf-8"?>\n<rss version="2.0"><channel><title>Feed {file_number}</title>'
             "<link>https://feed.example/</link>"]
    for number in range(first, first + items):
        when, title, text = START + timedelta(minutes=7 * number), headline(number), body(number)
        if number % RETOLD == 0 and articles:  # another source's telling of an article, half an hour later
            story = number % articles
            when, title, text = START + timedelta(minutes=7 * story + 30), retold(story), body(story)
        parts.append(f"<item><title>{escape(title)}</title><link>https://feed.example/{number}</link>"
                     f"<guid>f{number}</guid><pubDate>{when:%a, %d %b %Y %H:%M:%S} +0000</pubDate>"
                     f"<category>{TOPICS[number % len(TOPICS)]}</category>"
                     f"<description>{escape(text)}</description></item>")
    parts.append("</channel></rss>\n")
    return "".join(parts)


def generate(folder: Path, articles: int, rss_files: int, items_per_rss: int) -> int:
    for number in range(articles):
        sub = folder / "articles" / f"{number // 1000:04d}"
        if number % 1000 == 0:
            sub.mkdir(parents=True, exist_ok=True)
        (sub / f"{number}.xml").write_text(article_xml(number), encoding="utf-8")
    (folder / "feeds").mkdir()
    for file_number in range(rss_files):
        first = articles + file_number * items_per_rss
        (folder / "feeds" / f"feed{file_number}.rss").write_text(rss_xml(file_number, items_per_rss, first, articles))
    return articles + rss_files * items_per_rss


def floor_rate(total: int, sample: int, repeats: int = 3) -> tuple[float, float, int]:
    """Articles per second of html2text alone (one process), on every n-th of the same bodies: the best of
    a few timings, as timeit takes, so that a moment of noise on the machine does not lower the bar; and its
    CPU time per article (ms), the best of the same timings."""
    step = max(1, total // sample)
    bodies = [body(number) for number in range(0, total, step)]
    best = best_cpu = float("inf")
    for _ in range(repeats):
        converter = html2text.HTML2Text()
        converter.body_width = 0
        started, cpu = time.perf_counter(), time.process_time()
        for html in bodies:
            converter.handle(html)
        best = min(best, time.perf_counter() - started)
        best_cpu = min(best_cpu, time.process_time() - cpu)
    return len(bodies) / best, best_cpu / len(bodies) * 1000, len(bodies)


def server_cpu(url: str) -> float | None:
    """CPU seconds a local PostgreSQL server has used so far (its processes, live and ended), from /proc; None
    for SQLite, or a server this process cannot see."""
    if not url.startswith("postgresql"):
        return None
    from sqlalchemy import create_engine

    engine = create_engine(url)
    try:
        with engine.connect() as connection:
            folder = connection.exec_driver_sql("SHOW data_directory").scalar()
        postmaster = Path(folder, "postmaster.pid").read_text().split()[0]
        ticks, total = os.sysconf("SC_CLK_TCK"), 0
        for stat in Path("/proc").glob("[0-9]*/stat"):
            try:
                fields = stat.read_text().rpartition(")")[2].split()
            except OSError:
                continue
            if stat.parent.name == postmaster:  # its own time and that of its children that ended
                total += sum(int(value) for value in fields[11:15])
            elif fields[1] == postmaster:
                total += int(fields[11]) + int(fields[12])
        return total / ticks
    except (OSError, IndexError, ValueError):
        return None
    finally:
        engine.dispose()


def _burn(n: int) -> int:
    total = 0
    for i in range(n):
        total += i * i
    return total


def parallel_speedup(workers: int) -> float:
    """How much faster this machine runs ``workers`` CPU-bound processes than one: the most a pool can give."""
    import multiprocessing

    work = [3_000_000] * (2 * workers)
    started = time.perf_counter()
    for n in work:
        _burn(n)
    serial = time.perf_counter() - started
    started = time.perf_counter()
    with multiprocessing.get_context("fork").Pool(workers) as pool:
        pool.map(_burn, work)
    return serial / (time.perf_counter() - started)


def peak_mb() -> tuple[float, float]:
    scale = 1024 if sys.platform != "darwin" else 1024 * 1024
    own = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / scale
    children = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / scale
    return own, children


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--articles", type=int, default=100_000)
    parser.add_argument("--rss-files", type=int, default=100)
    parser.add_argument("--items-per-rss", type=int, default=50)
    parser.add_argument("--floor-sample", type=int, default=5000, help="bodies timed for the floor")
    parser.add_argument("--database", default="sqlite", help="sqlite, postgresql (a throwaway server) or a URL")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="newsdigest-bench-") as temp, \
            fresh_database(args.database, Path(temp)) as url:
        folder = Path(temp)
        started = time.perf_counter()
        total = generate(folder, args.articles, args.rss_files, args.items_per_rss)
        print(f"generated {total} articles ({args.articles} article files, {args.rss_files} RSS files) "
              f"in {time.perf_counter() - started:.1f} s")
        migrate(url)
        store = open_store(url)
        print(f"database: {store.engine.dialect.name}")
        server = server_cpu(url)
        started, cpu = time.perf_counter(), os.times()
        report = ingest(store, [str(folder / "articles"), str(folder / "feeds")], source_tz=UTC)
        elapsed, cpu = time.perf_counter() - started, [b - a for a, b in zip(cpu, os.times())]
        server = server_cpu(url) - server if server is not None else None
        store.close()
        rate = report.new / elapsed
        floor, floor_cpu, sampled = floor_rate(total, args.floor_sample)
        worker_cpu = (cpu[2] + cpu[3]) / report.new * 1000
        own, children = peak_mb()
        cores = min(WORKERS, os.cpu_count() or 1)
        print(f"ingest: {report.summary_line()} (every {RETOLD}th feed item retells an article: "
              f"{args.rss_files * args.items_per_rss // RETOLD} expected as duplicates)")
        print(f"ingest: {report.new} articles in {elapsed:.1f} s = {rate:.0f} articles/s "
              f"({rate / cores:.0f} per core, {cores} worker processes)")
        print(f"cpu: {worker_cpu:.3f} ms per article in the workers (parse, clean, "
              f"store), {(cpu[0] + cpu[1]) / report.new * 1000:.3f} ms in this process (finding the files)"
              + (f", {server / report.new * 1000:.3f} ms in the database server" if server is not None else ""))
        print(f"floor: html2text alone on {sampled} of the same bodies (best of 3): {floor:.0f} articles/s per core, "
              f"{floor_cpu:.3f} ms of CPU per article")
        print(f"ratio: {rate / cores / floor:.2f} of the floor per core (target 0.8); "
              f"{rate / floor:.2f} of the single-process floor; by CPU time (what other processes on the "
              f"machine do not change): {floor_cpu / worker_cpu:.2f} of the floor"
              + (f", {floor_cpu / (worker_cpu + server / report.new * 1000):.2f} with the server's"
                 if server is not None else ""))
        print(f"machine: {cores} CPU-bound processes run {parallel_speedup(cores):.2f}x as fast as one")
        print(f"peak memory (max RSS): this process {own:.0f} MB, largest worker {children:.0f} MB")


if __name__ == "__main__":
    main()
