"""The engine and sessions every part of the store shares, and small helpers for batched queries."""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path

from sqlalchemy import create_engine, event
from sqlalchemy.engine import Engine, make_url
from sqlalchemy.orm import Session, sessionmaker
from sqlalchemy.pool import NullPool

CHUNK = 400  # bound parameters per IN (...)


def _sqlite_pragmas(dbapi_connection, _record) -> None:
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute("PRAGMA busy_timeout=10000")
    cursor.close()


def make_engine(url: str) -> Engine:
    parsed = make_url(url)
    if parsed.get_backend_name() == "sqlite":
        if parsed.database and parsed.database != ":memory:":
            Path(parsed.database).expanduser().parent.mkdir(parents=True, exist_ok=True)
        engine = create_engine(url, connect_args={"timeout": 10})
        event.listen(engine, "connect", _sqlite_pragmas)
        return engine
    return create_engine(url, pool_pre_ping=True)


class StoreBase:
    """The connection to the database; the query mixins of ``Store`` use ``session()`` and ``engine``."""

    def __init__(self, url: str):
        self.url = url
        self.engine = make_engine(url)
        self._sessions = sessionmaker(self.engine, expire_on_commit=False)
        self._ping_engine: Engine | None = None

    def session(self) -> Session:
        return self._sessions()

    @property
    def in_memory(self) -> bool:
        """True for an in-memory SQLite database, which no other process can open."""
        url = self.engine.url
        return url.get_backend_name() == "sqlite" and (url.database in (None, "", ":memory:")
                                                       or url.query.get("mode") == "memory")

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


def grouped(pairs: Iterable[tuple]) -> list[tuple]:
    """(a, b) pairs as [(a, [its distinct b, ...]), ...]."""
    groups: dict = {}
    for first, second in pairs:
        groups.setdefault(first, {})[second] = None
    return [(first, list(seconds)) for first, seconds in groups.items()]


def chunks(values: list, size: int) -> Iterable[list]:
    for start in range(0, len(values), size):
        yield values[start:start + size]

