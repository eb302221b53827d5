"""The engine and sessions every part of the store shares, and small helpers for batched queries.

SQLite and PostgreSQL (through psycopg 3) are supported. What differs between them beyond search is kept
here: the URL's driver, connection settings, INSERT ... ON CONFLICT, and the lock writers of articles take.
"""

from __future__ import annotations

import functools
import importlib.util
from collections.abc import Iterable
from pathlib import Path

from sqlalchemy import Table, create_engine, event
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.engine import Connection, Engine, make_url
from sqlalchemy.exc import ArgumentError, IntegrityError
from sqlalchemy.orm import Session, sessionmaker

CHUNK = 400  # bound parameters per IN (...); well under SQLite's and psycopg's (65,535) limits
BACKENDS = ("sqlite", "postgresql")
# pg_advisory_xact_lock's key for writers of articles (any 64-bit number other applications do not use)
ARTICLE_WRITERS_LOCK = 0x6E657773  # "news"


def database_url(url: str) -> str:
    """``url`` as the engine is given it: PostgreSQL through psycopg 3 whatever driver-less form was written
    (``postgresql://``, ``postgres://``). Raises ValueError, with a message for operators, for a URL that is
    not SQLite or PostgreSQL, or PostgreSQL without psycopg installed."""
    try:
        parsed = make_url(url)
    except ArgumentError:
        raise ValueError("is not a database URL such as sqlite:///data/newsdigest.db or "
                         "postgresql://user:password@host/database") from None
    if parsed.drivername in ("postgresql", "postgres"):
        parsed = parsed.set(drivername="postgresql+psycopg")
    if parsed.get_backend_name() not in BACKENDS:
        raise ValueError(f"names a {parsed.get_backend_name()} database; newsdigest works with SQLite "
                         "(sqlite:///path) and PostgreSQL (postgresql://user:password@host/database)")
    if parsed.get_backend_name() == "postgresql":
        if parsed.get_driver_name() != "psycopg":
            raise ValueError(f"names the {parsed.get_driver_name()} driver; newsdigest talks to PostgreSQL "
                             "through psycopg 3: write postgresql://user:password@host/database")
        if importlib.util.find_spec("psycopg") is None:
            raise ValueError("names PostgreSQL, which needs psycopg: pip install 'newsdigest[postgres]'")
    return parsed.render_as_string(hide_password=False)


def _sqlite_pragmas(dbapi_connection, _record) -> None:
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute("PRAGMA busy_timeout=10000")
    cursor.close()


def make_engine(url: str) -> Engine:
    url = database_url(url)
    parsed = make_url(url)
    if parsed.get_backend_name() == "sqlite":
        if parsed.database and parsed.database != ":memory:":
            Path(parsed.database).expanduser().parent.mkdir(parents=True, exist_ok=True)
        engine = create_engine(url, connect_args={"timeout": 10})
        event.listen(engine, "connect", _sqlite_pragmas)
        return engine
    # a server that does not answer (a firewall dropping packets) fails in seconds, not the system's minutes
    return create_engine(url, pool_pre_ping=True, connect_args={"connect_timeout": 10})


class StoreBase:
    """The connection to the database; the query mixins of ``Store`` use ``session()`` and ``engine``."""

    def __init__(self, url: str):
        self.url = database_url(url)
        self.engine = make_engine(self.url)
        self._sessions = sessionmaker(self.engine, expire_on_commit=False)

    def session(self) -> Session:
        return self._sessions()

    @property
    def in_memory(self) -> bool:
        """True for an in-memory SQLite database, which no other process can open."""
        url = self.engine.url
        return url.get_backend_name() == "sqlite" and (url.database in (None, "", ":memory:")
                                                       or url.query.get("mode") == "memory")

    def ping(self) -> None:
        """Raises if the database does not answer."""
        with self.engine.connect() as connection:
            connection.exec_driver_sql("SELECT 1")

    def close(self) -> None:
        self.engine.dispose()


def insert_for(connection: Connection, table: Table):
    """An INSERT of this database's dialect, for its ``on_conflict_do_nothing`` / ``on_conflict_do_update``
    (same API on SQLite and PostgreSQL): where another process may insert the same key at the same moment."""
    return (postgresql if connection.dialect.name == "postgresql" else sqlite).insert(table)


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

