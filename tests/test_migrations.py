"""Schema migrations: a database written by 0.1.0 upgrades with every row kept, both ways, and the schema the
revisions make is the models' (so that a change to the models without a revision fails here)."""

import os
import sqlite3
import subprocess
import sys
from datetime import UTC, datetime
from pathlib import Path

import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import create_engine, text

from digests.ingest import ingest
from digests.models import Base
from digests.topics import topic_key
from digests.storage import (NewArticle, SchemaError, Store, current_revision, downgrade, ensure_schema,
                             head_revision, history, made_before_migrations, migrate, open_store)
from digests.storage.schema import BASELINE, include_object
from tests.conftest import KOLKATA, write_article

ROOT = Path(__file__).resolve().parents[1]
RELEASE_0_1_0 = Path(__file__).parent / "fixtures" / "release-0.1.0.sql"
HEAD = head_revision()


def release_0_1_0_database(path: Path) -> str:
    """A database file as newsdigest 0.1.0 wrote it (tests/fixtures/make_release_0_1_0_dump.py), from its dump."""
    connection = sqlite3.connect(path)
    connection.executescript(RELEASE_0_1_0.read_text(encoding="utf-8"))
    connection.close()
    return f"sqlite:///{path}"


def sql(url: str, query: str, *args) -> list[tuple]:
    connection = sqlite3.connect(url.removeprefix("sqlite:///"))
    try:
        with connection:  # committed
            return connection.execute(query, args).fetchall()
    finally:
        connection.close()


LATER_COLUMNS = {"excluded", "date_known", "unknown_parts"}  # added by revisions after the baseline
TOPIC_TABLES = {"topics", "article_topics", "subscriber_topics"}


def all_rows(url: str, topic_keys: bool = True) -> dict[str, list[tuple]]:
    """Every row of every table of 0.1.0, in 0.1.0's columns, with SQLite's rowid first (without the topic
    tables' keys if ``topic_keys`` is false: revision 0004 recomputes them)."""
    tables = [name for (name,) in sql(url, "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT "
                                           "LIKE 'articles_fts%' AND name NOT LIKE 'sqlite_%' "
                                           "AND name != 'alembic_version' AND sql NOT LIKE '%WITHOUT ROWID%'")]
    rows = {}
    for table in tables:
        columns = [row[1] for row in sql(url, f"PRAGMA table_info({table})") if row[1] not in LATER_COLUMNS
                   and (topic_keys or table not in TOPIC_TABLES or row[1] != "key")]
        rows[table] = sorted(sql(url, f"SELECT rowid, {', '.join(map(repr, columns))} FROM {table}"), key=repr)
    return rows


def search_index_is_sound(url: str) -> None:
    """FTS5's own check that the index holds exactly the articles' current headlines and texts."""
    sql(url, "INSERT INTO articles_fts(articles_fts, rank) VALUES ('integrity-check', 1)")


def triggers(url: str) -> set[str]:
    return {name for (name,) in sql(url, "SELECT name FROM sqlite_master WHERE type = 'trigger'")}


def schema_differences(engine, metadata=Base.metadata) -> list:
    """What ``alembic revision --autogenerate`` would write for this database."""
    with engine.connect() as connection:
        context = MigrationContext.configure(connection, opts={"include_object": include_object,
                                                               "target_metadata": metadata})
        return compare_metadata(context, metadata)


def test_a_database_of_0_1_0_upgrades_with_every_row_kept_and_search_working(tmp_path):
    url = release_0_1_0_database(tmp_path / "news.db")
    before = all_rows(url, topic_keys=False)
    assert made_before_migrations(create_engine(url)) and current_revision(create_engine(url)) is None
    assert len(before["articles"]) == 7 and len(before["subscribers"]) == 7 and len(before["deliveries"]) == 5
    store = open_store(url)  # what every command does first
    assert current_revision(store.engine) == HEAD
    assert all_rows(url, topic_keys=False) == before  # the same rows, with the same rowids (FTS5's rowids)
    # topics are stored under today's keys ("MSME & Startups" is "msme and startup"), articles' and chats' too
    assert all(key == topic_key(name) for key, name in sql(url, "SELECT key, name FROM topics"))
    assert {key for (key,) in sql(url, "SELECT key FROM article_topics")} <= \
           {key for (key,) in sql(url, "SELECT key FROM topics")}
    assert sql(url, "SELECT DISTINCT excluded FROM subscriber_topics") == [(0,)]
    assert [a.title for a in store.search(["export"], 5)] == ["Textile exports rise by a tenth",
                                                               "Exporters get a new credit line"]
    assert [a.also_sources for a in store.search(["credit"], 5)] == [["wire.example"]]
    assert {"articles_fts_delete", "articles_fts_update"} <= triggers(url)  # articles was copied: kept
    search_index_is_sound(url)
    # fixed lists stay fixed (chat 1005 dropped Sport from all topics in 0.1.0: a list of the others)
    assert store.subscriber(1002).topic_keys == {"msme", "policy"}
    assert store.subscriber(1005).topic_keys == {"global", "msme", "msme and startup", "policy"}
    assert store.subscriber(1001).all_topics and store.subscriber(1001).carries("a topic that comes later")
    assert store.filters(-1002003).keep == {"exporters", "msme"}
    assert store.target(1004).channel_name == "@knn_digest"
    assert store.rejected_files()[0].path == "/srv/newsdigest/news/broken.xml"
    assert store.source_state("knn").etag == '"abc123"' and store.source_state("flaky").alerted
    # and the database goes on working: an in-flight delivery recovered, new articles stored and found
    assert store.recover_in_flight() == [(1002, 1, 1)]
    write_article(tmp_path / "new", 8, title="Exporters meet in Chennai", link="https://example.org/news/8")
    assert ingest(store, [str(tmp_path / "new")], source_tz=KOLKATA).new == 1
    assert len(store.search(["exporters"], 5)) == 3
    store.close()


def test_topics_0_1_0_ignored_on_an_all_topics_chat_do_not_become_exclusions(tmp_path):
    """0.1.0 read no topic rows of a chat on all topics (and never left any): should one be there, it is not
    taken for a topic left out, nor for a fixed list."""
    url = release_0_1_0_database(tmp_path / "news.db")
    sql(url, "INSERT INTO subscriber_topics (chat_id, key, name) VALUES (1001, 'sport', 'Sport')")
    store = open_store(url)
    assert store.subscriber(1001).all_topics and store.subscriber(1001).topics == []
    assert store.subscriber(1001).carries("sport")


def test_the_triggers_keep_the_index_right_after_the_copy(tmp_path):
    url = release_0_1_0_database(tmp_path / "news.db")
    open_store(url).close()
    sql(url, "UPDATE articles SET title = 'Monsoon floods Kochi', text = 'Rain all week.' WHERE id = 2")
    sql(url, "DELETE FROM articles WHERE id = 6")
    store = Store(url)
    assert [a.id for a in store.search(["kochi"], 5)] == [2] and store.search(["kerala"], 5) == []
    assert [a.id for a in store.search(["exports"], 5)] == [1]
    search_index_is_sound(url)


def test_0_1_0_databases_are_recognised_as_the_baseline_not_remade(tmp_path):
    """Marked at the baseline, a 0.1.0 database is exactly what the baseline makes: the same DDL, table by
    table, and nothing for autogenerate to add against the baseline's tables."""
    old = release_0_1_0_database(tmp_path / "old.db")
    migrate(old, BASELINE)
    new = f"sqlite:///{tmp_path / 'new.db'}"
    migrate(new, BASELINE)
    ddl = "SELECT name, sql FROM sqlite_master WHERE name != 'sqlite_autoindex_alembic_version_1' ORDER BY name"
    assert sql(old, ddl) == sql(new, ddl)
    baseline = next(script for script in history() if script.revision == BASELINE).module.metadata
    assert schema_differences(create_engine(old), baseline) == []
    assert len(all_rows(old)["articles"]) == 7


def test_the_revisions_make_the_models_schema(tmp_path):
    """New databases and upgraded 0.1.0 ones alike: autogenerate finds nothing to do (a change to the models
    must come with its revision), and leaves the FTS5 tables alone."""
    new, old = f"sqlite:///{tmp_path / 'new.db'}", release_0_1_0_database(tmp_path / "old.db")
    for url in (new, old):
        migrate(url)
        assert schema_differences(create_engine(url)) == []
    for table in ("articles", "renderings", "subscriber_topics"):  # the tables the revisions copied
        assert clauses(old, table) == clauses(new, table)


def clauses(url: str, table: str) -> set[str]:
    """A table's columns and constraints (their order in the DDL aside)."""
    [(ddl,)] = sql(url, "SELECT sql FROM sqlite_master WHERE name = ?", table)
    return {part.strip() for part in ddl[ddl.index("(") + 1:ddl.rindex(")")].split(", \n")}


def test_downgrade_then_upgrade_round_trips(tmp_path):
    url = release_0_1_0_database(tmp_path / "news.db")
    store = open_store(url)
    every_topic = store.topics()
    store.unsubscribe(1001, [store.find_topic("Sport")], every_topic=every_topic)  # all topics but Sport
    store.unsubscribe(-1002003, [t for t in every_topic if t.key != "policy"], every_topic=every_topic)
    store.close()
    at_head = all_rows(url)
    assert downgrade(url, BASELINE) == (HEAD, BASELINE)
    assert "excluded" not in [row[1] for row in sql(url, "PRAGMA table_info(subscriber_topics)")]
    # what 0.1.0 can show of "all topics but Sport": a fixed list of every other topic
    chosen = "SELECT s.all_topics, t.key FROM subscribers s JOIN subscriber_topics t USING (chat_id) " \
             "WHERE chat_id = ? ORDER BY t.key"
    assert sql(url, chosen, 1001) == [(0, "global"), (0, "msme"), (0, "msme and startup"), (0, "policy")]
    assert sql(url, chosen, -1002003) == [(0, "policy")]
    assert sql(url, "SELECT rowid FROM articles_fts WHERE articles_fts MATCH 'monsoon'") == [(2,)]
    at_baseline = all_rows(url)
    unchanged = {"subscribers", "subscriber_topics"}
    assert {t: r for t, r in at_baseline.items() if t not in unchanged} == \
           {t: r for t, r in at_head.items() if t not in unchanged}
    assert migrate(url) == (BASELINE, HEAD)
    assert all_rows(url) == at_baseline and schema_differences(create_engine(url)) == []
    search_index_is_sound(url)
    assert downgrade(url, "base") == (HEAD, None)
    assert sql(url, "SELECT name FROM sqlite_master WHERE name NOT LIKE 'sqlite_%'") == [("alembic_version",)]
    assert migrate(url) == (None, HEAD)


def test_a_failed_upgrade_leaves_the_database_as_it_was(tmp_path, monkeypatch):
    """All revisions run in one transaction, DDL included: a failure half-way changes nothing."""
    url = release_0_1_0_database(tmp_path / "news.db")
    before = sql(url, "SELECT name, sql FROM sqlite_master ORDER BY name")
    from digests.migrations import batch
    working = batch.batch_alter_table

    def failing_on_the_last_revision(table, **options):
        if table == "subscriber_topics":  # after 0.1.0's database was marked and 0002 copied two tables
            raise RuntimeError("the disk is full")
        return working(table, **options)

    monkeypatch.setattr(batch, "batch_alter_table", failing_on_the_last_revision)
    with pytest.raises(RuntimeError, match="the disk is full"):
        migrate(url)
    assert sql(url, "SELECT name, sql FROM sqlite_master ORDER BY name") == before  # not even marked, nor copied
    assert made_before_migrations(create_engine(url))
    monkeypatch.undo()
    assert migrate(url) == (None, HEAD)


def test_an_in_memory_database_gets_the_schema_too():
    store = Store("sqlite://")
    assert ensure_schema(store.engine) == HEAD
    now = datetime.now(UTC)
    store.add_articles([NewArticle(source="s", link="https://e.org/1", title="Exporters gather", published_at=now,
                                   text="Text.", summary="Text.", topics=["Global"])], arrived_at=now)
    assert [a.title for a in store.search(["exporter"], 5)] == ["Exporters gather"]
    store.close()


def test_a_server_database_behind_is_refused_with_what_to_run(tmp_path):
    """What ``run`` does on a server database that is behind (here an SQLite file told not to upgrade, as a
    server database is: no server runs in the tests): one line, saying to back up and run the upgrade."""
    url = release_0_1_0_database(tmp_path / "news.db")
    with pytest.raises(SchemaError) as refused:
        ensure_schema(create_engine(url), upgrade=False)
    message = str(refused.value)
    assert "\n" not in message and "has 0.1.0's schema" in message and "back the database up" in message
    assert "`newsdigest db upgrade`" in message and HEAD in message
    assert made_before_migrations(create_engine(url))  # untouched
    migrate(url, BASELINE)
    with pytest.raises(SchemaError, match=f"is at revision {BASELINE}, and this newsdigest needs {HEAD}: back"):
        ensure_schema(create_engine(url), upgrade=False)
    empty = f"sqlite:///{tmp_path / 'empty.db'}"
    with pytest.raises(SchemaError, match="has no tables yet: run `newsdigest db upgrade` to make them"):
        ensure_schema(create_engine(empty), upgrade=False)


def test_a_database_from_a_newer_release_is_refused(tmp_path):
    url = f"sqlite:///{tmp_path / 'news.db'}"
    migrate(url)
    sql(url, "UPDATE alembic_version SET version_num = '0099_from_the_future'")
    with pytest.raises(SchemaError, match="0099_from_the_future, which this newsdigest does not know"):
        open_store(url)


def test_every_revision_copies_tables_through_the_helper_that_keeps_triggers():
    for script in history():
        source = Path(script.path).read_text(encoding="utf-8")
        assert "op.batch_alter_table" not in source, (
            f"{script.path}: use digests.migrations.batch.batch_alter_table, which keeps the FTS5 triggers")


def test_the_developers_alembic_command_line_works(tmp_path):
    """``alembic upgrade`` and ``alembic check`` from the repository, as a developer writing a revision runs them."""
    env = {**os.environ, "DATABASE_URL": f"sqlite:///{tmp_path / 'dev.db'}"}
    for command in (["upgrade", "head"], ["check"]):
        result = subprocess.run([sys.executable, "-m", "alembic", "-c", str(ROOT / "alembic.ini"), *command],
                                cwd=ROOT, env=env, capture_output=True, text=True, timeout=120)
        assert result.returncode == 0, result.stdout + result.stderr
    assert "No new upgrade operations detected" in result.stdout + result.stderr


def newsdigest(*args: str, env: dict, cwd: Path) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "bot.cli", *args], env=env, cwd=cwd, capture_output=True,
                          text=True, timeout=120)


def test_db_commands(tmp_path):
    url = release_0_1_0_database(tmp_path / "news.db")
    env = {**{k: v for k, v in os.environ.items() if not k.startswith(("DATABASE_", "NEWSDIGEST_"))},
           "DATABASE_URL": url}
    result = newsdigest("db", "current", env=env, cwd=tmp_path)
    assert result.returncode == 0 and "0.1.0's schema, from before migrations" in result.stdout
    assert "run `newsdigest db upgrade`" in result.stdout
    result = newsdigest("db", "upgrade", env=env, cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    assert f"0.1.0's schema, from before migrations -> {HEAD} (the newest)" in result.stdout
    assert f"Upgraded the database to {HEAD}" in result.stderr  # the log, one line a revision
    result = newsdigest("db", "history", env=env, cwd=tmp_path)
    lines = result.stdout.splitlines()
    assert [line.split(":")[0] for line in lines] == [s.revision for s in history()][:-1] + [f"{HEAD} (the database)"]
    result = newsdigest("db", "downgrade", BASELINE, env=env, cwd=tmp_path)
    assert result.returncode == 0 and f"-> {BASELINE}" in result.stdout
    result = newsdigest("stats", env=env, cwd=tmp_path)  # any command upgrades an SQLite database by itself
    assert result.returncode == 0 and "Subscribers: 5 active, 1 inactive" in result.stdout
    assert current_revision(create_engine(url)) == HEAD


def test_a_database_from_a_newer_release_stops_a_command_in_one_line(tmp_path):
    url = f"sqlite:///{tmp_path / 'news.db'}"
    migrate(url)
    sql(url, "UPDATE alembic_version SET version_num = '0099_from_the_future'")
    env = {**os.environ, "DATABASE_URL": url}
    result = newsdigest("stats", env=env, cwd=tmp_path)
    assert result.returncode == 2 and "Traceback" not in result.stderr
    assert result.stderr.strip().count("\n") == 0 and "0099_from_the_future" in result.stderr


def test_databases_made_before_search_had_its_index_get_one(tmp_path):
    """Development versions before 0.1.0: no FTS5 table at all, or an insert trigger that would now index each
    article twice. Recognised with 0.1.0's databases, they are brought to what 0.1.0 left on its start."""
    url = release_0_1_0_database(tmp_path / "news.db")
    for statement in ("DROP TRIGGER articles_fts_update", "DROP TRIGGER articles_fts_delete",
                      "DROP TABLE articles_fts"):
        sql(url, statement)
    store = open_store(url)
    assert [a.id for a in store.search(["monsoon"], 5)] == [2]
    search_index_is_sound(url)
    url = release_0_1_0_database(tmp_path / "other.db")
    sql(url, "CREATE TRIGGER articles_fts_insert AFTER INSERT ON articles BEGIN "
             "INSERT INTO articles_fts(rowid, title, text) VALUES (new.id, new.title, new.text); END")
    store = open_store(url)
    write_article(tmp_path / "news", 8, title="Monsoon reaches Goa", link="https://example.org/news/8")
    ingest(store, [str(tmp_path / "news")], source_tz=KOLKATA)
    assert sql(url, "SELECT count(*) FROM articles_fts WHERE articles_fts MATCH 'goa'") == [(1,)]
    search_index_is_sound(url)


def tsvector_index_is_sound(url: str) -> None:
    """PostgreSQL: article_search holds one row per article, with its order columns and its words as the server
    computes them now (without positions since revision 0012)."""
    engine = create_engine(url)
    with engine.connect() as connection:
        wrong = connection.execute(text(
            "SELECT a.id, s.article_id FROM articles a FULL JOIN article_search s ON s.article_id = a.id "
            "WHERE a.id IS NULL OR s.article_id IS NULL OR s.date_known <> a.date_known "
            "OR s.published_at <> a.published_at OR s.words <> strip(to_tsvector('newsdigest', a.title || ' ' || a.text))"
        )).all()
    engine.dispose()
    assert wrong == []


def test_revision_0011_moves_postgresql_search_to_its_table_and_back(postgres, tmp_path):
    url = postgres.create_database()
    try:
        migrate(url, "0010_search_order_index")
        old = Store(url)  # the schema of 0010: the tsvector a generated column of articles
        old.add_articles([NewArticle(source="wire", link=f"https://example.org/{n}", title=title, text=text_,
                                     summary=title, published_at=datetime(2026, 3, n, tzinfo=UTC), topics=["Trade"])
                          for n, title, text_ in [(1, "Exporters meet in Chennai", "Rice and tea."),
                                                  (2, "Monsoon reaches Goa", "Rain all week."),
                                                  (3, "Export rules eased", "Monsoon or not, ports open.")]],
                         arrived_at=datetime(2026, 3, 4, tzinfo=UTC))
        old.close()
        assert migrate(url) == ("0010_search_order_index", HEAD)
        tsvector_index_is_sound(url)
        store = Store(url)
        assert [a.title for a in store.search(["export"], 5)] == ["Export rules eased", "Exporters meet in Chennai"]
        assert [a.title for a in store.search(["monsoon"], 5)] == ["Export rules eased", "Monsoon reaches Goa"]
        engine = create_engine(url)
        assert schema_differences(engine) == []
        store.close()
        assert downgrade(url, "0010_search_order_index") == (HEAD, "0010_search_order_index")
        with engine.connect() as connection:
            assert connection.scalar(text("SELECT to_regclass('article_search')")) is None
            assert connection.scalar(text(  # the generated column again, found through its GIN index
                "SELECT array_agg(id ORDER BY id) FROM articles WHERE search @@ plainto_tsquery('newsdigest', "
                "'monsoon')")) == [2, 3]
        assert migrate(url) == ("0010_search_order_index", HEAD)
        tsvector_index_is_sound(url)
        engine.dispose()
    finally:
        postgres.drop_database(url.rsplit("/", 1)[1])


def words_out_of_line(url: str) -> int:
    """How many rows of article_search keep their tsvector in TOAST, out of the row."""
    engine = create_engine(url)
    with engine.connect() as connection:
        toast = connection.scalar(text("SELECT reltoastrelid::regclass FROM pg_class WHERE relname = 'article_search'"))
        count = connection.scalar(text(f"SELECT count(DISTINCT chunk_id) FROM {toast}"))
    engine.dispose()
    return count


def test_revision_0012_keeps_postgresql_search_rows_narrow_and_finds_the_same(postgres, tmp_path):
    """A short article's words, once kept in its row of article_search, go out of line like a long one's (the
    rows a search sorts by date fill fewer pages), without positions; /search finds the same, stems included."""
    url = postgres.create_database()
    try:
        migrate(url, "0011_search_table")
        old = Store(url)
        long_text = " ".join(f"cargo{n} harbour" for n in range(400))  # some 6 KB of words: out of line anyway
        old.add_articles([NewArticle(source="wire", link=f"https://example.org/{n}", title=title, text=text_,
                                     summary=title, published_at=datetime(2026, 3, n, tzinfo=UTC), topics=["Trade"])
                          for n, title, text_ in [(1, "Exporters meet in Chennai", "Rice and tea."),
                                                  (2, "Monsoon reaches Goa", long_text),
                                                  (3, "Export rules eased", "Monsoon or not, ports open.")]],
                         arrived_at=datetime(2026, 3, 4, tzinfo=UTC))
        old.close()
        assert words_out_of_line(url) == 1  # the long one only
        assert migrate(url) == ("0011_search_table", HEAD)
        tsvector_index_is_sound(url)
        assert words_out_of_line(url) == 3
        store = Store(url)
        assert [a.title for a in store.search(["export"], 5)] == ["Export rules eased", "Exporters meet in Chennai"]
        assert [a.title for a in store.search(["monsoon"], 5)] == ["Export rules eased", "Monsoon reaches Goa"]
        assert [a.title for a in store.search(["harbours", "cargo399"], 5)] == ["Monsoon reaches Goa"]
        store.add_articles([NewArticle(source="wire", link="https://example.org/4", title="Exported tea",
                                       text="Shipped from Kolkata to Rotterdam in the spring, as every year since the war.",
                                       summary="Shipped.", published_at=datetime(2026, 3, 5, tzinfo=UTC),
                                       topics=["Trade"])], arrived_at=datetime(2026, 3, 5, tzinfo=UTC))
        assert words_out_of_line(url) == 4  # written by the trigger: out of line too (all but a few words')
        assert [a.title for a in store.search(["exporting"], 5)] == ["Exported tea", "Export rules eased",
                                                                     "Exporters meet in Chennai"]
        engine = create_engine(url)
        assert schema_differences(engine) == []
        store.close()
        assert downgrade(url, "0011_search_table") == (HEAD, "0011_search_table")
        with engine.connect() as connection:  # the words with their positions again, as 0011 computed them
            assert connection.scalar(text(
                "SELECT count(*) FROM article_search s JOIN articles a ON a.id = s.article_id "
                "WHERE s.words = to_tsvector('newsdigest', a.title || ' ' || a.text)")) == 4
            assert connection.scalar(text(
                "SELECT array_agg(article_id ORDER BY article_id) FROM article_search "
                "WHERE words @@ plainto_tsquery('newsdigest', 'exporters')")) == [1, 3, 4]
        engine.dispose()
        assert migrate(url) == ("0011_search_table", HEAD)
        tsvector_index_is_sound(url)
        assert words_out_of_line(url) == 4
    finally:
        postgres.drop_database(url.rsplit("/", 1)[1])
