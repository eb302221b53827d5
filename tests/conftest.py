"""Shared fixtures: article files, a real store (SQLite and PostgreSQL), the fake Bot API server and a running bot.

``database_url`` (and ``store`` and ``settings``, which use it) runs each test twice: on a fresh SQLite file,
and on a fresh database of a throwaway PostgreSQL server this test run starts (tests/pgcluster.py) when
PostgreSQL's binaries are installed; without them those runs skip, saying why. NEWSDIGEST_TEST_POSTGRES=required
(set by .ci/run) makes them fail instead. ``pytest -k sqlite`` or ``-k "not postgresql"`` runs one side only.
"""

from __future__ import annotations

import asyncio
import os
import shutil
from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta
from pathlib import Path
from xml.sax.saxutils import escape
from zoneinfo import ZoneInfo

import pytest
from telegram import Update

from bot.app import build_application
from bot.settings import Settings
from digests.storage import Store, migrate, open_store
from tests.fakebotapi import TOKEN, FakeBotAPI, Sent
from tests.pgcluster import ClusterUnavailable, PostgresCluster

# ../shared beside the repository; NEWSDIGEST_SHARED names it where the tests run from a copy (dev.py mutate).
SHARED = Path(os.environ.get("NEWSDIGEST_SHARED") or Path(__file__).resolve().parents[2] / "shared")
SAMPLE = SHARED / "samples" / "knn" / "43098.xml"
KOLKATA = ZoneInfo("Asia/Kolkata")
# Set by .ci/run: there, a missing ../shared fails the run instead of skipping hundreds of cases unseen.
REQUIRE_SHARED = os.environ.get("NEWSDIGEST_REQUIRE_SHARED", "") not in ("", "0")


def need_shared(path: Path, what: str) -> Path:
    """``path`` in ../shared, for the test to read. Where it is absent the test is skipped with the reason, or
    fails under NEWSDIGEST_REQUIRE_SHARED=1. Every test that reads ../shared goes through here."""
    if not path.exists():
        message = f"{what} is absent ({path})"
        if REQUIRE_SHARED:
            pytest.fail(f"{message}, and NEWSDIGEST_REQUIRE_SHARED is set", pytrace=False)
        pytest.skip(message)
    return path


def shared_files(folder: Path, suffixes: set[str]) -> list[Path]:
    """The files of a ../shared folder, to parametrize a test with. The folder alone where it is absent: the
    test then runs once, and its ``need_shared`` skips or fails it (an empty parameter set would just skip)."""
    if not folder.is_dir():
        return [folder]
    return sorted(path for path in folder.rglob("*") if path.suffix in suffixes and path.is_file())


TALLY = pytest.StashKey[Counter]()


@pytest.fixture
def tally(request) -> Counter:
    """Figures that tests add to, printed at the end of the run: how many cases checked what."""
    return request.config.stash.setdefault(TALLY, Counter())


def pytest_collection_modifyitems(config, items):
    """The long tests first: in a parallel run (pytest-xdist) they then overlap the rest instead of ending it."""
    items.sort(key=lambda item: item.get_closest_marker("long") is None)  # a stable sort: the rest keep their order


class ParallelTally:
    """In a parallel run each pytest-xdist worker sends its figures to the main process, which prints them."""

    @staticmethod
    def pytest_sessionfinish(session):
        if hasattr(session.config, "workeroutput"):  # in a worker
            session.config.workeroutput["tally"] = dict(session.config.stash.get(TALLY, Counter()))

    @staticmethod
    def pytest_testnodedown(node, error):
        if figures := getattr(node, "workeroutput", {}).get("tally"):
            node.config.stash.setdefault(TALLY, Counter()).update(figures)


def pytest_configure(config):
    if config.pluginmanager.hasplugin("xdist"):
        config.pluginmanager.register(ParallelTally())


def pytest_terminal_summary(terminalreporter, config):
    if figures := config.stash.get(TALLY, None):
        terminalreporter.write_sep("-", "what the tests checked")
        for name, count in sorted(figures.items()):
            terminalreporter.write_line(f"{name}: {count}")


@pytest.fixture
def sample_file() -> Path:
    return need_shared(SAMPLE, "the shared sample article")


def article_xml(number: int, *, title: str | None = None, category: str = "Global", when: datetime | None = None,
                body: str | None = None, link: str | None = None, source: str | None = "example.org") -> str:
    """One article in the operators' format (as in the KNN sample), with the HTML body escaped; ``source``
    None leaves the <source> element out."""
    when = (when or datetime.now(UTC)).astimezone(KOLKATA)
    body = body if body is not None else (
        f"<p><strong>Mumbai, Nov 3 (KNN) </strong>Story {number} opens with its first sentence. "
        f"It goes on with a second one.</p><p>And a third paragraph.</p>")
    link = link or f"https://example.org/news/{number}"
    return (
        '<?xml version="1.0" encoding="UTF-8"?>\n<root>\n'
        f"  <author>Desk</author>\n  <category>{escape(category)}</category>\n"
        f"  <date>{when:%Y-%m-%d %H:%M:%S}</date>\n  <fulldesc>{escape(body)}</fulldesc>\n"
        f"  <id>{number}</id>\n  <link>{escape(link)}</link>\n  <pubDate>{when:%Y-%m-%d %H:%M:%S}</pubDate>\n"
        + (f"  <source>{escape(source)}</source>\n" if source is not None else "")
        + f"  <title>{escape(title or f'Headline number {number}')}</title>\n</root>\n"
    )


def write_article(folder: Path, number: int, **fields) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / f"{number}.xml"
    path.write_text(article_xml(number, **fields), encoding="utf-8")
    return path


@pytest.fixture(scope="session")
def empty_database(tmp_path_factory) -> Path:
    """A database file with this release's schema and no rows, made once by the migrations: each test's store
    starts from a copy of it (migrating takes 0.1 to 0.3 s, a copy a millisecond)."""
    path = tmp_path_factory.mktemp("schema") / "empty.db"
    migrate(f"sqlite:///{path}")
    assert not path.with_name("empty.db-wal").exists()
    return path


def new_database(empty_database: Path, path: Path) -> str:
    """The URL of a new database at ``path``, with this release's schema."""
    path.parent.mkdir(parents=True, exist_ok=True)
    shutil.copyfile(empty_database, path)
    return f"sqlite:///{path}"


TEMPLATE = "newsdigest_template"


@pytest.fixture(scope="session")
def postgres() -> PostgresCluster:
    """The test run's PostgreSQL server, started on first use, with a template database holding the schema
    (each test's database is a copy of it, much faster than creating the tables)."""
    try:
        cluster = PostgresCluster.start()
    except ClusterUnavailable as error:
        if os.environ.get("NEWSDIGEST_TEST_POSTGRES") == "required":
            pytest.fail(f"NEWSDIGEST_TEST_POSTGRES=required, but no PostgreSQL server could be started: {error}")
        pytest.skip(f"no PostgreSQL server: {error}")
    try:
        migrate(cluster.create_database(TEMPLATE))
        yield cluster
    finally:
        cluster.stop()


@pytest.fixture(params=["sqlite", "postgresql"])
def database_url(request, tmp_path: Path) -> str:
    """A fresh, empty database with the schema: an SQLite file, then a PostgreSQL database."""
    if request.param == "sqlite":
        yield new_database(request.getfixturevalue("empty_database"), tmp_path / "data" / "news.db")
        return
    with copy_of_template(request.getfixturevalue("postgres")) as url:
        yield url


@pytest.fixture
def pg_url(postgres: PostgresCluster) -> str:
    """A fresh PostgreSQL database with this release's schema (procrastinate's included), for PostgreSQL-only
    tests."""
    with copy_of_template(postgres) as url:
        yield url


@contextmanager
def copy_of_template(cluster: PostgresCluster) -> Iterator[str]:
    """A new database made from the schema's template, dropped afterwards."""
    url = cluster.create_database(template=TEMPLATE)
    try:
        yield url
    finally:
        cluster.drop_database(url.rsplit("/", 1)[1])


@pytest.fixture
def store(database_url: str) -> Store:
    store = open_store(database_url)
    yield store
    store.close()


@pytest.fixture
def fake_api() -> FakeBotAPI:
    fake = FakeBotAPI()
    fake.base_url = fake.start()
    yield fake
    fake.stop()


@pytest.fixture
def settings(fake_api: FakeBotAPI, database_url: str) -> Settings:
    return Settings(token=TOKEN, api_base_url=fake_api.base_url, database_url=database_url,
                    digest_tz=KOLKATA, source_tz=KOLKATA)


@pytest.fixture
async def running_bot(settings: Settings, store: Store):
    """The real Application, long-polling the fake server, started the way ``run_polling`` starts it."""
    application = build_application(settings, store)
    await application.initialize()
    await application.post_init(application)
    await application.updater.start_polling(poll_interval=0.0, timeout=1, allowed_updates=Update.ALL_TYPES)
    await application.start()
    yield application
    await application.updater.stop()
    await application.stop()
    await application.shutdown()
    await application.post_shutdown(application)  # as run_polling does: the digest sender's connections closed


async def wait_for(condition, timeout: float = 10.0, what: str = "the bot's answer"):
    deadline = asyncio.get_running_loop().time() + timeout
    while not (result := condition()):
        if asyncio.get_running_loop().time() > deadline:
            raise AssertionError(f"timed out waiting for {what}")
        await asyncio.sleep(0.02)
    return result


class Reader:
    """A Telegram user talking to the bot through the fake server."""

    def __init__(self, fake: FakeBotAPI, chat_id: int = 1001, chat_type: str = "private", user_id: int | None = None,
                 thread_id: int | None = None):
        self.fake, self.chat_id, self.chat_type = fake, chat_id, chat_type
        self.user_id, self.thread_id = user_id, thread_id  # a member of a group; a forum topic

    async def ask(self, text: str, answers: int = 1) -> list[Sent]:
        before = len(self.fake.messages_to(self.chat_id))
        self.fake.user_sends(text, self.chat_id, self.chat_type, user_id=self.user_id, thread_id=self.thread_id)
        return await self.wait(before, answers)

    async def press(self, sent: Sent, button_text: str, answers: int = 1) -> list[Sent]:
        before = len(self.fake.messages_to(self.chat_id))
        self.fake.user_presses(sent, button_text, user_id=self.user_id)
        return await self.wait(before, answers)

    async def wait(self, before: int, answers: int) -> list[Sent]:
        await wait_for(lambda: len(self.fake.messages_to(self.chat_id)) >= before + answers)
        return self.fake.messages_to(self.chat_id)[before:]


@pytest.fixture
def reader(fake_api: FakeBotAPI) -> Reader:
    return Reader(fake_api)


def days_ago(days: float) -> datetime:
    return datetime.now(UTC) - timedelta(days=days)
