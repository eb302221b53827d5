"""``newsdigest db copy --to URL``: an SQLite installation moved to PostgreSQL (and back) with every row, the
bot answering the same on both, ids and /search working on the copy; and each mistake one line, exit 2."""

import os
import socket
import sqlite3
import subprocess
import sys
import time as clock
from datetime import UTC, datetime, time, timedelta
from pathlib import Path

import pytest
from sqlalchemy import create_engine, func, select, text

from bot.commands import Chat, Commands
from digests.ingest import ingest
from digests.models import Article
from digests.schedule import Schedule
from digests.storage import Store, current_revision, head_revision, migrate, open_store
from digests.storage.copying import CopyError, copy_database, tables
from tests.conftest import KOLKATA, write_article
from tests.test_migrations import release_0_1_0_database, tsvector_index_is_sound

NEWSDIGEST = str(Path(sys.executable).with_name("newsdigest"))
SCHEDULE = Schedule(time(8), KOLKATA)
NOW = datetime.now(UTC)


def newsdigest(*args: str, database_url: str, cwd: Path) -> subprocess.CompletedProcess:
    clean = {k: v for k, v in os.environ.items() if not k.startswith(("TELEGRAM_", "NEWS_", "DATABASE_"))}
    result = subprocess.run([NEWSDIGEST, *args], env={**clean, "DATABASE_URL": database_url}, cwd=cwd,
                            capture_output=True, text=True, timeout=300)
    assert "Traceback" not in result.stderr + result.stdout
    return result


def populated(folder: Path) -> str:
    """An SQLite installation with rows in every table: 0.1.0's database (subscribers, deliveries and their
    renderings, filters, targets, source states, the ledger, articles with other sources), upgraded, then
    used as this release uses it: articles ingested (topics, headlines, story words), chats subscribing,
    leaving a topic out of all topics, filtering, a poll recorded."""
    url = release_0_1_0_database(folder / "news.db")
    store = open_store(url)  # upgrades it, as every command does
    for number, (title, topic) in enumerate([("Exporters of rice meet in Chennai", "Trade"),
                                             ("Steel exports climb for a third month", "Trade"),
                                             ("Monsoon arrives early in Kerala", "Weather"),
                                             ("Small firms get faster payments", "MSME")], start=100):
        write_article(folder / "drop", number, title=title, category=topic, when=NOW - timedelta(hours=number - 99))
    assert ingest(store, [str(folder / "drop")], source_tz=KOLKATA).new == 4
    trade, weather = store.find_topic("Trade"), store.find_topic("Weather")
    store.subscribe(2001, "private", [trade], NOW, SCHEDULE)
    store.subscribe(2002, "private", None, NOW, SCHEDULE)
    store.unsubscribe(2002, [weather])  # all topics but Weather: an exclusion
    store.set_filters(2002, ["rice"], ["cricket"])
    store.set_schedule(2001, digest_time=time(6, 30), timezone="Europe/London", next_digest_at=NOW + timedelta(hours=3))
    store.record_poll("wire", "https://wire.example/feed", NOW, NOW + timedelta(minutes=30), etag='"v2"')
    store.close()
    return url


def every_row(url: str) -> dict[str, list[tuple]]:
    """Every row of newsdigest's tables, as the models read them (aware times, booleans), in key order."""
    store = Store(url)
    try:
        with store.engine.connect() as connection:
            return {table.name: [tuple(row) for row in connection.execute(
                select(*table.columns).order_by(*table.primary_key.columns))] for table in tables()}
    finally:
        store.close()


CHATS = [Chat(1001), Chat(1002), Chat(1005), Chat(2001), Chat(2002), Chat(-1002003, "supergroup"), Chat(3000)]
ASKED = [("latest", []), ("latest", ["3"]), ("latest", ["20"]), ("topic", ["Trade"]), ("topic", ["global"]),
         ("topics", []), ("search", ["export"]), ("search", ["rice", "exporter"]), ("settings", []),
         ("filter", []), ("channel", []), ("time", []), ("timezone", [])]


def answers(url: str) -> list:
    """What the bot replies to each chat's commands, and to pressing each "More" those replies carry."""
    store = open_store(url)
    commands = Commands(store, SCHEDULE)
    try:
        replies = [(chat.id, name, args, commands.handle(chat, name, args)) for chat in CHATS for name, args in ASKED]
        pressed = [commands.press(CHATS[0], button.data) for *_, sent in replies for reply in sent
                   for row in reply.buttons for button in row if button.data.startswith("m:")]
        assert pressed, "no More button to press"
        return replies + pressed
    finally:
        store.close()


def test_an_sqlite_installation_moves_to_postgresql_with_every_row_and_the_same_answers(postgres, tmp_path):
    source = populated(tmp_path)
    rows = every_row(source)
    assert all(rows.values()), [name for name, found in rows.items() if not found]  # every table has rows
    target = postgres.create_database()  # a new, empty database, as an operator makes with createdb
    try:
        result = newsdigest("db", "copy", "--to", target, database_url=source, cwd=tmp_path)
        assert result.returncode == 0, result.stderr
        printed = {line.split()[0]: line.split()[1:] for line in result.stdout.splitlines()[2:-1]}
        assert printed == {name: [f"{len(found):,}"] * 2 for name, found in rows.items()}
        assert current_revision(create_engine(target)) == head_revision()
        assert every_row(target) == rows
        assert answers(target) == answers(source)
        tsvector_index_is_sound(target)  # the search index as the server computes it, one row per article
        store = open_store(target)
        assert [article.title for article in store.search(["exporter"], 5)][:1] == \
               ["Exporters of rice meet in Chennai"]
        # the bot goes on: a new article gets an id after the copied ones, a new rendering and delivery too
        highest = max(row[0] for row in rows["articles"])
        write_article(tmp_path / "later", 200, title="Exporters welcome the new port rules", category="Trade")
        assert ingest(store, [str(tmp_path / "later")], source_tz=KOLKATA).new == 1
        with store.session() as session:
            assert session.scalar(select(func.max(Article.id))) == highest + 1
        rendering = store.save_rendering("after the copy", "[]", 0, NOW)
        assert rendering.id == max(row[0] for row in rows["renderings"]) + 1
        assert store.search(["welcomed"], 5)[0].id == highest + 1
        store.close()
    finally:
        postgres.drop_database(target.rsplit("/", 1)[1])


def test_postgresql_copies_to_postgresql_and_back_to_sqlite_in_small_batches(postgres, tmp_path):
    source = populated(tmp_path)
    first, middle = postgres.create_database(), postgres.create_database()
    try:
        copy_database(source, first)
        copy_database(first, middle, batch=5)
        assert every_row(middle) == every_row(source)
        tsvector_index_is_sound(middle)
        back = f"sqlite:///{tmp_path / 'back' / 'news.db'}"
        report = copy_database(middle, back, batch=3)  # several batches per table
        assert {count.table: count.target for count in report.counts} == \
               {name: len(found) for name, found in every_row(source).items()}
        assert every_row(back) == every_row(source)
        connection = sqlite3.connect(tmp_path / "back" / "news.db")  # FTS5's own check of its index
        connection.execute("INSERT INTO articles_fts(articles_fts, rank) VALUES ('integrity-check', 1)")
        connection.close()
        store = open_store(back)
        assert [article.title for article in store.search(["exporter"], 5)][:1] == \
               ["Exporters of rice meet in Chennai"]
        store.close()
    finally:
        for url in (first, middle):
            postgres.drop_database(url.rsplit("/", 1)[1])


def test_a_target_holding_newsdigest_data_is_refused_and_left_as_it_was(postgres, tmp_path):
    source = populated(tmp_path)
    target = postgres.create_database()
    try:
        migrate(target)
        store = open_store(target)
        store.subscribe(9, "private", None, NOW, SCHEDULE)
        store.close()
        before = every_row(target)
        result = newsdigest("db", "copy", "--to", target, database_url=source, cwd=tmp_path)
        assert result.returncode == 2
        assert result.stderr.splitlines() == [
            f"The target database {target} already holds newsdigest data: subscribers (1 row); copy only into an "
            "empty database (nothing was changed)"]
        assert every_row(target) == before
    finally:
        postgres.drop_database(target.rsplit("/", 1)[1])


def test_an_empty_database_of_an_older_revision_is_brought_up_to_date_and_filled(tmp_path):
    source = populated(tmp_path)
    target = f"sqlite:///{tmp_path / 'old.db'}"
    migrate(target, "0005_unknown_parts")
    report = copy_database(source, target)
    assert current_revision(create_engine(target)) == head_revision() and report.rows > 0
    assert every_row(target) == every_row(source)


def closed_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]  # nothing listens there once it is closed


def password_user(postgres) -> str:
    """A role that must give its password (the test server trusts everyone else): copier / right-password."""
    import psycopg

    hba = postgres.data / "pg_hba.conf"
    rule = "host all copier 127.0.0.1/32 scram-sha-256\n"
    if rule not in hba.read_text():
        hba.write_text(rule + hba.read_text())  # first match wins: only this role is asked
    with psycopg.connect(host="127.0.0.1", port=postgres.port, user="postgres", dbname="postgres",
                         autocommit=True) as connection:
        if not connection.execute("SELECT 1 FROM pg_roles WHERE rolname = 'copier'").fetchone():
            connection.execute("CREATE ROLE copier LOGIN SUPERUSER PASSWORD 'right-password'")
        connection.execute("SELECT pg_reload_conf()")
    deadline = clock.monotonic() + 20
    while True:  # the server reads the new rule a moment after the signal
        try:
            psycopg.connect(host="127.0.0.1", port=postgres.port, user="copier", password="wrong",
                            dbname="postgres").close()
        except psycopg.OperationalError:
            return "copier"
        assert clock.monotonic() < deadline, "the server did not start asking for passwords"
        clock.sleep(0.1)


def test_each_mistake_is_one_line_exit_2_without_the_password(postgres, tmp_path):
    source = populated(tmp_path)
    port, user = closed_port(), password_user(postgres)
    cases = {
        "not a URL": ("postgresql://news:s3cret@127.0.0.1:port/news",
                      "--to='postgresql://news:***@127.0.0.1:port/news' is not a database URL"),
        "another database": ("mysql://news:s3cret@db.example/news", "names a mysql database"),
        "no server": (f"postgresql://news:s3cret@127.0.0.1:{port}/news",
                      f"Cannot connect to the target database postgresql+psycopg://news:***@127.0.0.1:{port}/news: "),
        "wrong password": (f"postgresql://{user}:s3cret@127.0.0.1:{postgres.port}/postgres",
                           "password authentication failed for user \"copier\""),
        "no such database": (f"postgresql://{user}:right-password@127.0.0.1:{postgres.port}/nowhere",
                             'database "nowhere" does not exist'),
        "the same database": (source, "is the database being copied"),
        "in memory": ("sqlite://", "in-memory"),
    }
    for case, (to, expected) in cases.items():
        result = newsdigest("db", "copy", "--to", to, database_url=source, cwd=tmp_path)
        assert result.returncode == 2, (case, result.stderr)
        [line] = result.stderr.splitlines()
        assert expected in line, (case, line)
        assert "s3cret" not in result.stdout + result.stderr and "right-password" not in result.stdout + line


def test_a_source_that_is_not_up_to_date_is_refused_and_left_alone(tmp_path):
    old = release_0_1_0_database(tmp_path / "old.db")  # 0.1.0's, not upgraded
    dump = every_row_sqlite(old)
    result = newsdigest("db", "copy", "--to", f"sqlite:///{tmp_path / 'new.db'}", database_url=old, cwd=tmp_path)
    assert result.returncode == 2
    assert result.stderr.splitlines() == [
        f"The database to copy, {old}, is at 0.1.0's schema, from before migrations, and this newsdigest copies "
        f"{head_revision()}: back it up, run `newsdigest db upgrade`, then copy"]
    assert every_row_sqlite(old) == dump and not (tmp_path / "new.db").exists()
    missing = newsdigest("db", "copy", "--to", f"sqlite:///{tmp_path / 'new.db'}",
                         database_url=f"sqlite:///{tmp_path / 'nothing.db'}", cwd=tmp_path)
    assert missing.returncode == 2 and "does not exist: check DATABASE_URL" in missing.stderr
    assert not (tmp_path / "nothing.db").exists()


def every_row_sqlite(url: str) -> list:
    connection = sqlite3.connect(url.removeprefix("sqlite:///"))
    try:
        return [connection.execute(f"SELECT * FROM {name}").fetchall() for (name,) in connection.execute(
            "SELECT name FROM sqlite_master WHERE type = 'table' ORDER BY name")]
    finally:
        connection.close()


def test_a_copy_that_fails_half_way_leaves_no_rows(tmp_path):
    source = populated(tmp_path)
    connection = sqlite3.connect(source.removeprefix("sqlite:///"))  # foreign keys off: a topic of an article
    with connection:                                                  # that is not there, which the target refuses
        connection.execute("INSERT INTO article_topics (article_id, key, name, position, published_at, date_known) "
                           "VALUES (99999, 'ghost', 'Ghost', 0, '2026-01-01 00:00:00', 1)")
    connection.close()
    target = f"sqlite:///{tmp_path / 'copy.db'}"
    with pytest.raises(CopyError, match=r"^Copying article_topics into .* failed, so nothing was copied: FOREIGN KEY"):
        copy_database(source, target)
    assert not any(every_row(target).values())
