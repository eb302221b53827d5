"""The engine and sessions every part of the store shares, and small helpers for batched queries.

SQLite and PostgreSQL (through psycopg 3) are supported. What differs between them beyond search is kept
here: the URL's driver, connection settings, INSERT ... ON CONFLICT, and the lock writers of articles take.
"""

from __future__ import annotations

import functools
import os
import re
import tempfile
from collections.abc import Iterable
from pathlib import Path

from sqlalchemy import Table, create_engine, event
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.engine import URL, Connection, Engine, make_url
from sqlalchemy.exc import ArgumentError, IntegrityError, NoSuchModuleError
from sqlalchemy.orm import Session, sessionmaker
from sqlalchemy.pool import NullPool

CHUNK = 400  # bound parameters per IN (...); well under SQLite's and psycopg's (65,535) limits
BACKENDS = ("sqlite", "postgresql")
# pg_advisory_xact_lock's key for writers of articles (any 64-bit number other applications do not use)
ARTICLE_WRITERS_LOCK = 0x6E657773  # "news"
EXAMPLES = "such as sqlite:///data/newsdigest.db or postgresql://USER:PASSWORD@HOST/NAME"
POSTGRES_EXTRA = "pip install 'newsdigest[postgres]'"


class DatabaseURLError(ValueError):
    """DATABASE_URL cannot be used; the message (one line) names the setting and what is expected."""


def database_url(value: str, home: Path, setting: str = "DATABASE_URL") -> str:
    """DATABASE_URL as the engine gets it, or DatabaseURLError saying what is wrong with it.

    A relative SQLite path is taken from ``home`` (the folder of the settings file, or NEWSDIGEST_HOME), never
    from the folder the command happens to be started in; ``postgresql://`` means the psycopg driver (the
    ``postgres`` extra). The SQLite file must be one this user may write, in a folder it may write (WAL
    journal files go beside it). ``setting`` is how messages name where the URL came from.
    """
    shown = _without_password(value)
    try:
        url = make_url(value.strip())
    except (ArgumentError, ValueError):  # ValueError: a port that is not a number
        raise DatabaseURLError(f"{setting}={shown!r} is not a database URL: expected one {EXAMPLES}") from None
    if url.drivername in ("postgresql", "postgres"):  # driver-less: psycopg 3
        url = url.set(drivername="postgresql+psycopg")
    if url.get_backend_name() == "postgresql" and url.get_driver_name() != "psycopg":
        raise DatabaseURLError(f"{setting}={shown!r} names the {url.get_driver_name()} driver: newsdigest talks "
                               f"to PostgreSQL through psycopg 3: write postgresql://... and {POSTGRES_EXTRA}")
    try:
        dialect = url.get_dialect()
    except NoSuchModuleError:
        raise DatabaseURLError(f"{setting}={shown!r} names a kind of database SQLAlchemy does not know "
                               f"({url.drivername!r}): expected a URL {EXAMPLES}") from None
    if url.get_backend_name() not in BACKENDS:
        raise DatabaseURLError(f"{setting}={shown!r} names a {url.get_backend_name()} database: newsdigest works "
                               f"with SQLite and PostgreSQL, {EXAMPLES}")
    try:
        dialect.import_dbapi()
    except ImportError as error:
        if url.get_backend_name() == "postgresql":
            driver = url.get_driver_name()
            hint = POSTGRES_EXTRA if driver == "psycopg" else f"pip install {driver}, or write postgresql:// and " \
                                                              f"{POSTGRES_EXTRA}"
            raise DatabaseURLError(f"{setting} names a PostgreSQL database, but its driver is not installed "
                                   f"({error}): {hint}") from None
        raise DatabaseURLError(f"{setting}={shown!r} needs a database driver that is not installed "
                               f"({error})") from None
    if url.get_backend_name() != "sqlite" or is_in_memory(url):
        return url.render_as_string(hide_password=False) if url.drivername != make_url(value.strip()).drivername \
            else value.strip()
    path = Path(url.database).expanduser()
    path = path if path.is_absolute() else Path(home) / path
    _check_writable(path.resolve(), setting)
    return url.set(database=str(path.resolve())).render_as_string(hide_password=False)


def _check_writable(path: Path, setting: str) -> None:
    if path.is_dir():
        raise DatabaseURLError(f"{setting} names {path}, which is a folder: expected a database file, such as "
                               f"sqlite:///{path / 'newsdigest.db'}")
    folder = path.parent
    while not folder.exists():  # the folders that are missing are made on first use
        folder = folder.parent
    if not folder.is_dir():
        raise DatabaseURLError(f"{setting} names {path}, but {folder} is a file, not a folder: expected the "
                               "path of a database file in a folder")
    for place in (path, folder) if path.exists() else (folder,):
        if not _writable(place):
            raise DatabaseURLError(f"{setting} names {path}, but this user ({_user()}) cannot write to {place}: "
                                   "expected a database file in a folder it may write")


def _writable(place: Path) -> bool:
    """Tried, not only asked: os.access says yes to root on /proc or on a file system mounted read-only."""
    if not os.access(place, os.W_OK):
        return False
    if place.is_file():
        return True
    try:
        tempfile.TemporaryFile(dir=place).close()
    except OSError:
        return False
    return True


def _user() -> str:
    try:
        import pwd
        return pwd.getpwuid(os.getuid()).pw_name
    except (ImportError, KeyError):
        return "the user running newsdigest"


def _without_password(text: str) -> str:
    return re.sub(r"(://[^:/@\s]*:)[^@\s]*@", r"\1***@", text)


def database_label(url: str | URL) -> str:
    """How logs and messages name the database: its URL without the password."""
    return make_url(url).render_as_string(hide_password=True)


def is_in_memory(url: str | URL) -> bool:
    """True for an in-memory SQLite database, which no other process (and no other engine) can open."""
    url = make_url(url)
    return url.get_backend_name() == "sqlite" and (url.database in (None, "", ":memory:")
                                                   or url.query.get("mode") == "memory")


def sqlite_file(url: str | URL) -> Path | None:
    """The file of an SQLite database (None for other databases and in-memory ones)."""
    url = make_url(url)
    if url.get_backend_name() != "sqlite" or is_in_memory(url):
        return None
    return Path(url.database).expanduser()


def _sqlite_pragmas(dbapi_connection, _record) -> None:
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute("PRAGMA busy_timeout=10000")
    cursor.close()


def engine_url(url: str) -> str:
    """``url`` with PostgreSQL's driver made explicit: psycopg 3, whatever driver-less form was written."""
    parsed = make_url(url)
    if parsed.drivername in ("postgresql", "postgres"):
        parsed = parsed.set(drivername="postgresql+psycopg")
    return parsed.render_as_string(hide_password=False)


def make_engine(url: str) -> Engine:
    url = engine_url(url)
    parsed = make_url(url)
    if parsed.get_backend_name() == "sqlite":
        if (path := sqlite_file(parsed)) is not None:
            path.parent.mkdir(parents=True, exist_ok=True)
        engine = create_engine(url, connect_args={"timeout": 10})
        event.listen(engine, "connect", _sqlite_pragmas)
        return engine
    # a server that does not answer (a firewall dropping packets) fails in seconds, not the system's minutes
    return create_engine(url, pool_pre_ping=True, connect_args={"connect_timeout": 10})


class StoreBase:
    """The connection to the database; the query mixins of ``Store`` use ``session()`` and ``engine``."""

    def __init__(self, url: str):
        self.url = engine_url(url)
        self.engine = make_engine(self.url)
        self._sessions = sessionmaker(self.engine, expire_on_commit=False)
        self._ping_engine: Engine | None = None

    def session(self) -> Session:
        return self._sessions()

    @property
    def in_memory(self) -> bool:
        """True for an in-memory SQLite database, which no other process can open."""
        return is_in_memory(self.engine.url)

    def ping(self) -> None:
        """Raises if the database does not answer.

        A SQLite file is opened afresh each time, and never created: the pool's open connections would go on
        reading a file that has been deleted, moved away or made unreadable, which no new process could open.
        """
        url = self.engine.url
        if url.get_backend_name() != "sqlite" or self.in_memory:
            with self.engine.connect() as connection:
                connection.exec_driver_sql("SELECT 1")
            return
        if self._ping_engine is None:
            path = Path(url.database).expanduser().resolve()
            self._ping_engine = create_engine(f"sqlite:///{path.as_uri()}?mode=rw&uri=true", poolclass=NullPool,
                                              connect_args={"timeout": 10})
        with self._ping_engine.connect() as connection:
            connection.exec_driver_sql("SELECT count(*) FROM sqlite_master")  # reads the file's first page

    def close(self) -> None:
        self.engine.dispose()


def insert_for(connection: Connection, table: Table):
    """An INSERT of this database's dialect, for its ``on_conflict_do_nothing`` / ``on_conflict_do_update``
    (same API on SQLite and PostgreSQL): where another process may insert the same key at the same moment."""
    return (postgresql if connection.dialect.name == "postgresql" else sqlite).insert(table)


def insert_rows(connection: Connection, table: Table, columns: tuple[str, ...], rows: list[tuple]) -> None:
    """Insert many rows (tuples of ``columns``' values), each value bound as its column's type binds it, at the
    least cost a row: PostgreSQL's COPY, and SQLite's executemany, both straight through the driver. For the
    large plain inserts of an ingest, where SQLAlchemy's executemany costs more than the database: about
    1.5 µs a row of Python on SQLite, and 10 µs on PostgreSQL (psycopg's executemany; COPY costs 0.5)."""
    if not rows:
        return
    processors = _bind_processors(connection.dialect, table, columns)
    if processors:
        rows = _bound(rows, processors)
    names = ", ".join(columns)
    if connection.dialect.name == "postgresql":
        with connection.connection.driver_connection.cursor() as cursor, \
                cursor.copy(f"COPY {table.name} ({names}) FROM STDIN") as copy:
            for row in rows:
                copy.write_row(row)
    else:
        marks = ", ".join("?" * len(columns))
        connection.exec_driver_sql(f"INSERT INTO {table.name} ({names}) VALUES ({marks})", rows)


def _bound(rows: list[tuple], processors: tuple) -> list[tuple]:
    """The rows with the values of the columns that have a processor bound by it: column by column (only those
    touched), each distinct value bound once (a batch's rows share their arrival time, an article's topic rows
    its date). The processed columns' values must be hashable: times, dates, booleans, as the ingest's are."""
    values = list(zip(*rows))
    for index, process in enumerate(processors):
        if process is not None:
            done: dict = {None: None}
            values[index] = [done[value] if value in done else done.setdefault(value, process(value))
                             for value in values[index]]
    return list(zip(*values))


def bound_value(connection: Connection, table: Table, column: str, value):
    """``value`` as the driver takes it for ``table.column`` on this connection (a time in the database's form),
    for statements written for the driver."""
    [process] = _bind_processors(connection.dialect, table, (column,)) or [None]
    return value if process is None or value is None else process(value)


@functools.lru_cache(maxsize=64)
def _bind_processors(dialect, table: Table, columns: tuple[str, ...]) -> tuple | None:
    """Each column's bind processor on this dialect (None where the value goes as it is); None if all do."""
    processors = tuple(table.c[name].type.dialect_impl(dialect).bind_processor(dialect) for name in columns)
    return processors if any(processors) else None


def lock_article_writers(connection: Connection) -> None:
    """Wait for, and hold until this transaction ends, the right to write articles: one writer at a time,
    across processes and machines, so that a writer looking up whether a story is stored sees every story
    stored before it (two processes bringing the same story at once store it once). The first statement of
    its transaction. PostgreSQL: an advisory lock (other writes go on meanwhile); SQLite: the database's
    write lock, which it takes only at a transaction's first write otherwise."""
    if connection.dialect.name == "postgresql":
        connection.exec_driver_sql(f"SELECT pg_advisory_xact_lock({ARTICLE_WRITERS_LOCK})")
    else:
        connection.exec_driver_sql("BEGIN IMMEDIATE")


def retried_on_conflict(method):
    """For a read-then-write another process may race (two updates of one chat at once): the unique key
    clashing means the other went first, and the second try sees its row."""
    @functools.wraps(method)
    def once_more(*args, **kwargs):
        try:
            return method(*args, **kwargs)
        except IntegrityError:
            return method(*args, **kwargs)
    return once_more


def grouped(pairs: Iterable[tuple]) -> list[tuple]:
    """(a, b) pairs as [(a, [its distinct b, ...]), ...]."""
    groups: dict = {}
    for first, second in pairs:
        groups.setdefault(first, {})[second] = None
    return [(first, list(seconds)) for first, seconds in groups.items()]


def chunks(values: list, size: int) -> Iterable[list]:
    for start in range(0, len(values), size):
        yield values[start:start + size]

