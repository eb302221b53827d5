"""The database's schema: the Alembic revisions in ``digests/migrations``, applied by newsdigest itself.

``migrate`` brings a database to a revision (the newest, ``head``, by default) in one transaction: it makes a
new database, recognises one made by 0.1.0 (newsdigest's tables without Alembic's version table) and marks it
at the baseline without touching its rows, then applies the revisions after it. ``ensure_schema`` is what
each command does before it uses the database: an SQLite file is upgraded then and there; a server database
(shared, with backups of its own) is never changed unasked, and a command stops with ``SchemaError`` saying
to run ``newsdigest db upgrade`` when it is behind.
"""

from __future__ import annotations

import logging
from collections.abc import Iterator
from contextlib import contextmanager
from functools import cache
from pathlib import Path

from alembic import command
from alembic.config import Config
from alembic.migration import MigrationContext
from alembic.script import Script, ScriptDirectory
from sqlalchemy import create_engine, event, inspect
from sqlalchemy.engine import Connection, Engine, make_url
from sqlalchemy.pool import NullPool

from digests.migrations import fts5
from digests.storage.base import database_label, is_in_memory, sqlite_file

log = logging.getLogger(__name__)

BASELINE = "0001_release_0_1_0"
RELEASE_0_1_0_TABLES = frozenset({
    "articles", "topics", "article_topics", "subscribers", "subscriber_topics", "renderings", "deliveries",
    "source_states", "ingested_files", "article_headlines", "also_sources", "chat_filters", "chat_targets",
})
UPGRADE = "newsdigest db upgrade"


class SchemaError(Exception):
    """The database's schema is not one this release can use as it is; the message (one line) says what to do."""


SEARCH_TABLE = "article_search"  # PostgreSQL's /search index (revision 0011, digests.storage.search)
PROCRASTINATE_PREFIX = "procrastinate_"  # procrastinate's tables (revision 0008): its schema, not our models
# The newest of procrastinate's own migrations its schema.sql holds, in every release pyproject.toml allows (3.4 to
# 3.10 share it): revision 0008 applies that schema. A procrastinate with a newer one needs a revision of ours.
PROCRASTINATE_SCHEMA = "03.04.00"


def include_object(obj, name: str | None, type_: str, reflected: bool, compare_to) -> bool:
    """What autogenerate compares: all but /search's indexes, made with raw DDL: SQLite's FTS5 table (with its
    shadow tables), PostgreSQL's article_search table (revision 0011); and procrastinate's job queue (revision
    0008), whose schema procrastinate owns."""
    if type_ == "table" and name is not None and name.startswith((fts5.TABLE, SEARCH_TABLE, PROCRASTINATE_PREFIX)):
        return False
    table = getattr(obj, "table", None)  # an index or column of such a table, compared on its own
    return not (table is not None and getattr(table, "name", "").startswith((SEARCH_TABLE, PROCRASTINATE_PREFIX)))


def procrastinate_schema() -> str:
    """The version of the installed procrastinate's job queue schema: the newest of its own migrations
    (``03.04.00``); SchemaError (one line) when procrastinate is not installed."""
    try:
        from procrastinate.schema import SchemaManager
    except ImportError as error:
        raise SchemaError(f"The job queue needs procrastinate ({error}): pip install 'newsdigest[postgres]'") from None
    folder = Path(SchemaManager.get_migrations_path())
    return max((path.name[:8] for path in folder.glob("*.sql")), default="")


def check_procrastinate() -> None:
    """SchemaError (one line) when procrastinate is missing, or is a release whose job queue schema is newer than the
    one our revisions know (outside pyproject.toml's range): its queries would fail on the database."""
    newest = procrastinate_schema()
    if newest > PROCRASTINATE_SCHEMA:
        from procrastinate import __version__ as version
        raise SchemaError(f"procrastinate {version} has a newer job queue schema ({newest}) than this newsdigest uses "
                          f"({PROCRASTINATE_SCHEMA}): pip install 'newsdigest[postgres]' installs the release it "
                          "was made for")


def _config(connection: Connection | None = None) -> Config:
    config = Config()
    config.set_main_option("script_location", "digests:migrations")
    config.attributes["connection"] = connection
    return config


@cache
def _scripts() -> ScriptDirectory:
    return ScriptDirectory.from_config(_config())


def head_revision() -> str:
    """The revision this release's code expects."""
    return _scripts().get_current_head()


def history() -> list[Script]:
    """Every revision, oldest first (``.revision`` is its id, ``.doc`` its first line)."""
    return list(reversed(list(_scripts().walk_revisions())))


def current_revision(engine: Engine) -> str | None:
    """The database's revision: None for a new database and for one made by 0.1.0 (``made_before_migrations``)."""
    with engine.connect() as connection:
        return _revision(connection)


def made_before_migrations(engine_or_connection: Engine | Connection) -> bool:
    """Whether the database was made by 0.1.0: newsdigest's tables, without Alembic's version table."""
    names = set(inspect(engine_or_connection).get_table_names())
    return "alembic_version" not in names and bool(names & RELEASE_0_1_0_TABLES)


def describe(revision: str | None, before_migrations: bool = False) -> str:
    if revision is None:
        return "0.1.0's schema, from before migrations" if before_migrations else "empty (no tables yet)"
    return revision + (" (the newest)" if revision == head_revision() else "")


def migrate(target: Engine | str, revision: str = "head") -> tuple[str | None, str | None]:
    """Upgrade the database to ``revision``, all in one transaction; returns its revisions before and after.

    ``target`` is a URL or, for an in-memory SQLite database (which only its own engine sees), the engine.
    """
    with migration_connection(target) as connection:
        before = _known_revision(connection, target)
        new = before is None and not made_before_migrations(connection)
        if before is None and not new:
            _adopt_release_0_1_0(connection)
        config = _config(connection)
        config.attributes["new"] = new  # a new database: one line for all its revisions, not one each
        command.upgrade(config, revision)
        after = _revision(connection)
        if new and after is not None:
            log.info("Made the tables of a new database %s (schema %s)", database_label(connection.engine.url), after)
        return before, after


def downgrade(target: Engine | str, revision: str) -> tuple[str | None, str | None]:
    """Take the database back to ``revision`` (``base``: no tables at all); returns its revisions before and after."""
    with migration_connection(target) as connection:
        before = _known_revision(connection, target)
        if before is None and made_before_migrations(connection):
            _adopt_release_0_1_0(connection)
        command.downgrade(_config(connection), revision)
        return before, _revision(connection)


def ensure_schema(engine: Engine, *, upgrade: bool | None = None) -> str:
    """Make sure the database has this release's schema before a command uses it; returns its revision.

    ``upgrade`` (by default: for SQLite) upgrades it as needed. Otherwise the database is left as it is, and
    SchemaError says what to run when it is behind.
    """
    with engine.connect() as connection:  # without a lock, and without Alembic's machinery, when nothing is to do
        current = _known_revision(connection, engine)
        before_migrations = current is None and made_before_migrations(connection)
    if current == head_revision():
        return current
    if engine.dialect.name == "sqlite" if upgrade is None else upgrade:
        return migrate(engine)[1]
    label = database_label(engine.url)
    if current is None and not before_migrations:
        raise SchemaError(f"The database {label} has no tables yet: run `{UPGRADE}` to make them.")
    state = "has 0.1.0's schema, from before migrations" if current is None else f"is at revision {current}"
    raise SchemaError(f"The database {label} {state}, and this newsdigest needs {head_revision()}: back the "
                      f"database up, then run `{UPGRADE}`.")


@contextmanager
def migration_connection(target: Engine | str) -> Iterator[Connection]:
    """A connection holding one transaction for a whole migration.

    On SQLite, foreign keys are off while tables are copied (dropping the old copy of a table must not cascade
    to the rows that refer to it) and checked before the commit, and the write lock is taken at the start, so
    two processes starting at once upgrade one after the other.
    """
    url = target.url if isinstance(target, Engine) else make_url(target)
    if url.get_backend_name() != "sqlite":
        engine = target if isinstance(target, Engine) else create_engine(url, poolclass=NullPool)
        try:
            with engine.begin() as connection:
                yield connection
        finally:
            if engine is not target:
                engine.dispose()
        return
    if isinstance(target, Engine) and is_in_memory(url):
        with target.connect() as connection:
            connection.exec_driver_sql("PRAGMA foreign_keys=OFF")
            connection.commit()
            try:
                with connection.begin():
                    broken = _broken_foreign_keys(connection)
                    yield connection
                    _check_foreign_keys(connection, broken)
            finally:
                connection.exec_driver_sql("PRAGMA foreign_keys=ON")
                connection.commit()
        return
    engine = _sqlite_migration_engine(url)
    try:
        with engine.begin() as connection:
            broken = _broken_foreign_keys(connection)
            yield connection
            _check_foreign_keys(connection, broken)
    finally:
        engine.dispose()


def _sqlite_migration_engine(url) -> Engine:
    """An engine whose transactions are real SQLite transactions, DDL included.

    Python's sqlite3 module commits before each CREATE, DROP or ALTER on its own; SQLAlchemy's documented
    recipe turns that off and begins the transactions itself (here BEGIN IMMEDIATE: the write lock at once).
    """
    if (path := sqlite_file(url)) is not None:
        path.parent.mkdir(parents=True, exist_ok=True)
    engine = create_engine(url, poolclass=NullPool, connect_args={"timeout": 30})

    @event.listens_for(engine, "connect")
    def _connect(dbapi_connection, _record) -> None:
        dbapi_connection.isolation_level = None
        dbapi_connection.execute("PRAGMA foreign_keys=OFF")
        dbapi_connection.execute("PRAGMA journal_mode=WAL")

    @event.listens_for(engine, "begin")
    def _begin(connection) -> None:
        connection.exec_driver_sql("BEGIN IMMEDIATE")

    return engine


def _broken_foreign_keys(connection: Connection) -> int:
    return len(connection.exec_driver_sql("PRAGMA foreign_key_check").all())


def _check_foreign_keys(connection: Connection, before: int) -> None:
    """With foreign keys off, nothing stops a migration from losing rows that others refer to: check."""
    broken = connection.exec_driver_sql("PRAGMA foreign_key_check").all()
    if len(broken) > before:
        tables = ", ".join(sorted({row[0] for row in broken}))
        raise SchemaError(f"The migration would leave rows of {tables} pointing at rows that are gone, so nothing "
                          "was changed: please report this")


def _revision(connection: Connection) -> str | None:
    return MigrationContext.configure(connection).get_current_revision()


def _known_revision(connection: Connection, target: Engine | str) -> str | None:
    revision = _revision(connection)
    if revision is not None and revision not in {script.revision for script in history()}:
        url = target.url if isinstance(target, Engine) else make_url(target)
        raise SchemaError(
            f"The database {database_label(url)} is at revision {revision}, which this newsdigest does not know: a "
            "newer release upgraded it. Run that release, or take the database back with its `newsdigest db "
            f"downgrade {head_revision()}`.")
    return revision


def _adopt_release_0_1_0(connection: Connection) -> None:
    """Mark a database made by 0.1.0 at the baseline, after doing what 0.1.0 itself did on start."""
    missing = RELEASE_0_1_0_TABLES - set(inspect(connection).get_table_names())
    if missing:
        raise SchemaError(
            f"The database {database_label(connection.engine.url)} has some of newsdigest's tables but not "
            f"{', '.join(sorted(missing))}, so it was not made by newsdigest 0.1.0: start a new database")
    if connection.dialect.name == "sqlite":
        connection.exec_driver_sql(f"DROP TRIGGER IF EXISTS {fts5.OLD_INSERT_TRIGGER}")
        if not fts5.exists(connection):  # made before /search had its index: index what is there
            fts5.create(connection)
    command.stamp(_config(connection), BASELINE)
    log.info("The database was made by newsdigest 0.1.0, before migrations: marked at %s", BASELINE)
