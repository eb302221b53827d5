"""ADMIN_IDS operators: /stats and /sources in Telegram; everyone else gets the ordinary help."""

from dataclasses import replace
from pathlib import Path

import pytest

from tests.conftest import Reader, days_ago, write_article
from tests.test_bot_controls import ingest_folder

pytestmark = pytest.mark.asyncio
OPERATOR = 9001


@pytest.fixture
def settings(settings):
    return replace(settings, admin_ids=frozenset({OPERATOR}))


async def test_operators_get_stats_and_sources_others_the_help(running_bot, fake_api, settings, store, tmp_path):
    for number, topic in enumerate(["Global", "Global", "MSME"], start=1):
        write_article(tmp_path, number, category=topic, source="example.org" if number < 3 else "wire.in")
    ingest_folder(store, tmp_path)
    store.subscribe(3001, "private", None, days_ago(0), settings.schedule)
    store.subscribe(3002, "private", None, days_ago(0), settings.schedule)
    store.unsubscribe(3002, None)
    store.record_poll("wire.in", "https://wire.in/rss", days_ago(0.1), days_ago(0))
    for hours in (30, 20, 1):
        store.record_poll("down.example", "https://down.example/feed", days_ago(hours / 24), days_ago(0),
                          error="HTTP 503")
    operator, reader = Reader(fake_api, OPERATOR), Reader(fake_api, 3001)
    [stats] = await operator.ask("/stats")
    assert "Subscribers: 1 active, 1 inactive" in stats.plain and "Articles: 3" in stats.plain
    assert "Global: 2" in stats.plain and "MSME: 1" in stats.plain
    assert "example.org: 2" in stats.plain and "wire.in: 1" in stats.plain
    assert "Digests sent today: 0" in stats.plain
    assert "1 of 2 polled sources failing" in stats.plain
    [sources] = await operator.ask("/sources")
    assert "example.org: 2 articles, latest" in sources.plain and "wire.in: 1 article, latest" in sources.plain
    assert "✅ wire.in: last read" in sources.plain
    assert "⚠️ down.example: failing since" in sources.plain and "(3 attempts): HTTP 503" in sources.plain
    for command in ("/stats", "/sources"):
        [answer] = await reader.ask(command)
        assert answer.plain.startswith("Commands") and "Subscribers" not in answer.plain


def _admin(store, statement: str) -> None:
    """Run a statement on the PostgreSQL server of ``store``, from its maintenance database."""
    import psycopg

    url = store.engine.url.set(drivername="postgresql", database="postgres")
    with psycopg.connect(url.render_as_string(hide_password=False), autocommit=True) as connection:
        connection.execute(statement)


async def test_admins_hear_once_that_the_database_is_down_and_once_that_it_is_back(running_bot, fake_api, store):
    job = running_bot.job_queue.get_jobs_by_name("health")[0]
    if store.engine.dialect.name == "sqlite":
        database = Path(store.engine.url.database)
        store.engine.dispose()
        database.rename(database.with_suffix(".away"))
        database.mkdir()  # where the file was, something SQLite cannot open
        expected = "unable to open database file"
    else:  # the server refuses connections to the database, and ends those open
        name = store.engine.url.database
        _admin(store, f'ALTER DATABASE "{name}" ALLOW_CONNECTIONS false')
        _admin(store, f"SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = '{name}'")
        expected = "is not currently accepting connections"
    for _ in range(3):
        await job.run(running_bot)
    [alert] = fake_api.messages_to(OPERATOR)
    assert "The database does not answer" in alert.plain and expected in alert.plain
    if store.engine.dialect.name == "sqlite":
        database.rmdir()
        database.with_suffix(".away").rename(database)
    else:
        _admin(store, f'ALTER DATABASE "{store.engine.url.database}" ALLOW_CONNECTIONS true')
    for _ in range(2):
        await job.run(running_bot)
    [_, back] = fake_api.messages_to(OPERATOR)
    assert "The database answers again" in back.plain
