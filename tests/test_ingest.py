"""Ingest into a real database (SQLite and PostgreSQL): counts, deduplication, rejections that do not stop the batch."""

import asyncio
import os
import signal
import sqlite3
from datetime import UTC, datetime
from pathlib import Path

import pytest
from sqlalchemy import text

from digests.ingest import DEFAULT_TOPIC, POOL_THRESHOLD, IngestAborted, ingest
from digests.storage import Store
from digests.storage.base import ARTICLE_WRITERS_LOCK
from tests.conftest import KOLKATA, days_ago, write_article


def run(store: Store, *paths: Path | str, **kw):
    return ingest(store, [str(p) for p in paths], source_tz=KOLKATA, **kw)


def test_sample_ingested_and_reingest_adds_nothing(store, sample_file):
    first = run(store, sample_file)
    assert (first.new, first.duplicate, first.rejected) == (1, 0, [])
    again = run(store, sample_file)
    assert (again.new, again.duplicate, again.unchanged) == (0, 0, 1)  # the ledger: not parsed again
    assert store.article_count() == 1
    [article] = store.latest(5)
    assert article.summary.startswith("India and Russia convened the 11th Session of their Working Group")
    assert article.topic_names == ["Global"]


def test_same_link_from_another_source_is_a_duplicate(store, tmp_path):
    write_article(tmp_path / "a", 1, link="https://example.org/story", source="one.example")
    write_article(tmp_path / "b", 2, link="https://example.org/story", source="two.example")
    report = run(store, tmp_path / "a", tmp_path / "b")
    assert (report.new, report.duplicate) == (1, 1)


def test_same_source_and_id_is_a_duplicate_even_with_a_new_link(store, tmp_path):
    write_article(tmp_path / "a", 7, link="https://example.org/old")
    write_article(tmp_path / "b", 7, link="https://example.org/new")
    assert (run(store, tmp_path / "a", tmp_path / "b").new) == 1


def test_broken_file_is_reported_and_the_rest_goes_in(store, tmp_path):
    folder = tmp_path / "drop"
    write_article(folder, 1)
    write_article(folder, 2)
    (folder / "broken.xml").write_text("<root><title>half a file")
    (folder / "nolink.xml").write_text("<root><title>Lonely</title></root>")
    (folder / "notes.txt").write_text("not an article file, left alone")
    report = run(store, folder, tmp_path / "missing")
    assert report.new == 2
    reasons = {Path(r.path).name: r.reason for r in report.rejected}
    assert reasons["broken.xml"].startswith("not well-formed XML")
    assert reasons["nolink.xml"] == "missing <link>"
    assert reasons["missing"] == "no such file or folder"
    assert "notes.txt" not in reasons
    assert report.summary_line() == "2 new, 0 duplicate, 3 rejected"


def test_a_large_batch_shared_out_to_workers_misses_no_duplicate_and_reads_nothing_twice(store, tmp_path, caplog):
    """Enough files for the worker processes, which write their shares themselves: a story repeated in
    another worker's share is still found (by link or by headline), broken files are reported and moved
    aside, and a second run reads nothing again."""
    drop = tmp_path / "drop"
    stories = POOL_THRESHOLD + 100
    for number in range(stories):
        write_article(drop / "a", number)
    for number in range(0, stories, 10):  # the same link, with a tracking parameter, from another source
        write_article(drop / "b", 10_000 + number, link=f"https://example.org/news/{number}?utm_source=feed",
                      source="other.example")
    for number in range(5, stories, 10):  # the same headline the same day, from a third source
        write_article(drop / "c", 20_000 + number, title=f"Headline number {number}",
                      link=f"https://third.example/{number}", source="third.example")
    for number in range(7):
        (drop / "d" / f"{number}.xml").parent.mkdir(parents=True, exist_ok=True)
        (drop / "d" / f"{number}.xml").write_text("<root><title>cut off")
    repeats = 2 * stories // 10

    caplog.set_level("INFO", logger="digests.ingest")
    report = run(store, drop, move_files=True)
    assert "shared out to 2 worker processes" in caplog.text
    assert (report.new, report.duplicate, len(report.rejected)) == (stories, repeats, 7)
    assert sum(counts["new"] for counts in report.by_source.values()) == stories
    assert store.article_count() == stories
    carried = {}
    for article in store.latest(stories):
        number = int(article.link.rsplit("/", 1)[1])
        carried[number] = {article.source, *article.also_sources}
    assert carried[0] == {"example.org", "other.example"}
    assert carried[5] == {"example.org", "third.example"}
    assert carried[1] == {"example.org"}
    assert sum(len(sources) - 1 for sources in carried.values()) == repeats
    assert len(list((drop / "rejected").rglob("*.xml"))) == 7
    assert len(list((drop / "done").rglob("*.xml"))) == stories + repeats

    again = run(store, drop)
    assert (again.new, again.duplicate, again.rejected, again.unchanged) == (0, 0, [], 0)
    assert store.article_count() == stories


def _connected_to(store: Store) -> set[str]:
    """What a process using the store's database has open: the SQLite file, or a TCP connection to the
    PostgreSQL server's port (as ``socket:[inode]``)."""
    url = store.engine.url
    if url.get_backend_name() == "sqlite":
        return {str(Path(url.database).resolve())}
    found = set()
    for table in ("/proc/net/tcp", "/proc/net/tcp6"):
        for line in Path(table).read_text().splitlines()[1:]:
            fields = line.split()
            if int(fields[2].rsplit(":", 1)[1], 16) == url.port:
                found.add(f"socket:[{fields[9]}]")
    return found


def _other_processes_with_open(targets: set[str]) -> list[int]:
    """The processes other than this one that have one of ``targets`` open: here, the ingest's workers."""
    found = []
    for fds in Path("/proc").glob("[0-9]*/fd"):
        if int(fds.parent.name) == os.getpid():
            continue
        try:
            if any(os.readlink(fd) in targets for fd in fds.iterdir()):
                found.append(int(fds.parent.name))
        except OSError:
            continue
    return found


class _WriteHolder:
    """Holds what writers of articles wait for (SQLite's write lock, PostgreSQL's advisory lock)."""

    def __init__(self, store: Store):
        if store.engine.dialect.name == "sqlite":
            self.connection = sqlite3.connect(store.engine.url.database, isolation_level=None)
            self.connection.execute("BEGIN IMMEDIATE")
        else:
            import psycopg

            self.connection = psycopg.connect(store.url.replace("+psycopg", ""), autocommit=True)
            self.connection.execute(f"SELECT pg_advisory_lock({ARTICLE_WRITERS_LOCK})")

    def release(self) -> None:
        self.connection.close()


@pytest.mark.skipif(not Path("/proc/self/fd").exists(), reason="finds the worker processes through /proc")
async def test_a_worker_killed_in_the_bot_fails_the_ingest_not_the_bot(store, tmp_path):
    """As in the bot (an event loop handling SIGTERM, the ingest in a thread): a worker killed half-way (the
    OOM killer) fails that ingest with a clear error, neither hanging it nor stopping the bot, and the next
    run stores every article once."""
    drop = tmp_path / "drop"
    total = POOL_THRESHOLD + 60
    for number in range(total):
        write_article(drop, number)
    loop = asyncio.get_running_loop()
    stop_requested = asyncio.Event()
    loop.add_signal_handler(signal.SIGTERM, stop_requested.set)
    holder = _WriteHolder(store)  # the workers wait to write, so one can be caught at work
    try:
        running = asyncio.create_task(asyncio.to_thread(run, store, drop))
        for _ in range(200):
            workers = _other_processes_with_open(_connected_to(store))
            if len(workers) == 2:
                break
            await asyncio.sleep(0.05)
        assert len(workers) == 2, workers
        os.kill(workers[0], signal.SIGKILL)
        with pytest.raises(IngestAborted, match="worker process died"):
            await asyncio.wait_for(running, 30)
        holder.release()
        await asyncio.sleep(0.3)
        assert not stop_requested.is_set(), "the pool's SIGTERM to the other worker reached the bot"
    finally:
        holder.release()
        loop.remove_signal_handler(signal.SIGTERM)
    assert store.article_count() == 0
    again = run(store, drop)
    assert (again.new, again.duplicate) == (total, 0)
    assert store.article_count() == total


def test_an_article_that_trips_a_bug_is_rejected_and_the_rest_go_in(store, tmp_path, monkeypatch):
    """Whatever goes wrong on one article (here, a library raising on its body) is reported as that
    article's rejection; the rest of the batch is stored."""
    from digests import ingest as ingest_module

    write_article(tmp_path, 1, body="<p>Fine.</p>")
    write_article(tmp_path, 2, body="<p>Trips the bug.</p>")
    clean = ingest_module.html_to_text

    def buggy(html):
        if "Trips" in html:
            raise RecursionError("maximum recursion depth exceeded")
        return clean(html)

    monkeypatch.setattr(ingest_module, "html_to_text", buggy)
    report = run(store, tmp_path)
    assert report.new == 1
    [rejection] = report.rejected
    assert rejection.path.endswith("2.xml") and "could not be cleaned: RecursionError" in rejection.reason


def test_missing_category_and_date_get_defaults(store, tmp_path):
    path = tmp_path / "bare.xml"
    path.write_text("<root><title>Bare</title><link>https://x.org/bare</link></root>")
    now = datetime(2026, 1, 2, 3, 4, 5, tzinfo=UTC)
    run(store, path, now=now)
    [article] = store.latest(1)
    assert article.topic_names == [DEFAULT_TOPIC]
    assert article.published_at == now and article.arrived_at == now


def test_topics_matched_case_insensitively_and_counted(store, tmp_path):
    write_article(tmp_path, 1, category="Global")
    write_article(tmp_path, 2, category=" global ")
    write_article(tmp_path, 3, category="MSME")
    run(store, tmp_path)
    assert [(t.name, t.article_count) for t in store.topics()] == [("Global", 2), ("MSME", 1)]
    assert store.find_topic("GLOBAL").article_count == 2
    assert [a.title for a in store.latest(5, topic="msme")] == ["Headline number 3"]


def test_latest_is_newest_published_first(store, tmp_path):
    for number, age in [(1, 3), (2, 1), (3, 2)]:
        write_article(tmp_path, number, when=days_ago(age))
    run(store, tmp_path)
    assert [a.title for a in store.latest(2)] == ["Headline number 2", "Headline number 3"]


def test_database_file_uses_wal(tmp_path):
    store = Store(f"sqlite:///{tmp_path / 'news.db'}")
    with store.engine.connect() as connection:
        assert connection.execute(text("PRAGMA journal_mode")).scalar() == "wal"
    store.close()


def _plan(connection, sql: str, parameters=None) -> str:
    """The query plan, one line; PostgreSQL told to avoid table scans (with a few rows it would rather scan),
    so that its plan scans a table only where no index serves."""
    if connection.dialect.name == "sqlite":
        rows = connection.exec_driver_sql("EXPLAIN QUERY PLAN " + sql, parameters or ())
        return " ".join(str(row[-1]) for row in rows)
    connection.exec_driver_sql("SET enable_seqscan = off")
    return " ".join(row[0] for row in connection.exec_driver_sql("EXPLAIN " + sql, parameters or {}))


def _scans_a_table(plan: str) -> bool:
    """SQLite's SCAN reads a whole table or index; PostgreSQL's Seq Scan a whole table."""
    return "SCAN" in plan.replace("SCAN CONSTANT ROW", "") or "Seq Scan" in plan


def test_latest_and_topic_queries_use_indexes(store, tmp_path):
    """With 100,000 articles a full scan would be slow: the queries behind /latest, /topic and More (dated and
    undated parts) must search an index and need no sorting of their own."""
    from sqlalchemy import event

    write_article(tmp_path, 1)
    run(store, tmp_path)
    first = store.latest(1)[0]
    statements = []

    def remember(conn, cursor, statement, parameters, context, executemany):
        statements.append((statement, parameters))

    event.listen(store.engine, "before_cursor_execute", remember)
    try:
        store.latest(5), store.latest(5, "global")
        store.older(5, (True, first.published_at, first.id)), store.older(5, (False, first.published_at, 9), "global")
    finally:
        event.remove(store.engine, "before_cursor_execute", remember)
    ordered = [(sql, parameters) for sql, parameters in statements if "LIMIT" in sql]  # not the topic loads
    assert len(ordered) >= 6, statements
    with store.engine.connect() as connection:
        for sql, parameters in ordered:
            plan = _plan(connection, sql, parameters)
            assert "USING INDEX" in plan or "USING COVERING INDEX" in plan or "Index" in plan, plan
            assert "Seq Scan" not in plan, plan
            assert "TEMP B-TREE" not in plan, plan  # SQLite: the index gives the order (PostgreSQL's planner may
            # still sort the few rows of a test database after an index scan)


def test_storing_a_batch_searches_indexes_and_never_scans_a_table(store, tmp_path):
    """Deduplication looks each batch up by link, source id and headline, and the file ledger by path: a
    table scan there would make every ingest slower as the archive grows. Every query must search an index."""
    from sqlalchemy import event

    write_article(tmp_path / "a", 1)
    run(store, tmp_path / "a")  # something stored, so that every lookup has rows to find
    for number in range(2, 6):
        write_article(tmp_path / "b", number, source="other.example")
    statements = []

    def remember(conn, cursor, statement, parameters, context, executemany):
        if statement.lstrip().upper().startswith("SELECT"):
            statements.append((statement, parameters))

    event.listen(store.engine, "before_cursor_execute", remember)
    try:
        assert run(store, tmp_path / "b").new == 4
    finally:
        event.remove(store.engine, "before_cursor_execute", remember)
    looked_up = [sql for sql, _ in statements if "articles" in sql]
    assert len(looked_up) >= 3, statements
    with store.engine.connect() as connection:
        for sql, parameters in statements:
            plan = _plan(connection, sql, parameters)
            assert not _scans_a_table(plan), (sql, plan)
