"""The engine and sessions every part of the store shares, and small helpers for batched queries."""

from __future__ import annotations

import os
import re
import tempfile
from collections.abc import Iterable
from pathlib import Path

from sqlalchemy import create_engine, event
from sqlalchemy.engine import URL, Engine, make_url
from sqlalchemy.exc import ArgumentError, NoSuchModuleError
from sqlalchemy.orm import Session, sessionmaker
from sqlalchemy.pool import NullPool

CHUNK = 400  # bound parameters per IN (...)
EXAMPLES = "such as sqlite:///data/newsdigest.db or postgresql://USER:PASSWORD@HOST/NAME"
POSTGRES_EXTRA = "pip install 'newsdigest[postgres]'"


class DatabaseURLError(ValueError):
    """DATABASE_URL cannot be used; the message (one line) names the setting and what is expected."""


def database_url(value: str, home: Path) -> str:
    """DATABASE_URL as the engine gets it, or DatabaseURLError saying what is wrong with it.

    A relative SQLite path is taken from ``home`` (the folder of the settings file, or NEWSDIGEST_HOME), never
    from the folder the command happens to be started in; ``postgresql://`` means the psycopg driver (the
    ``postgres`` extra). The SQLite file must be one this user may write, in a folder it may write (WAL
    journal files go beside it).
    """
    shown = _without_password(value)
    try:
        url = make_url(value.strip())
    except ArgumentError:
        raise DatabaseURLError(f"DATABASE_URL={shown!r} is not a database URL: expected one {EXAMPLES}") from None
    if url.drivername == "postgresql":
        url = url.set(drivername="postgresql+psycopg")
    try:
        dialect = url.get_dialect()
    except NoSuchModuleError:
        raise DatabaseURLError(f"DATABASE_URL={shown!r} names a kind of database SQLAlchemy does not know "
                               f"({url.drivername!r}): expected a URL {EXAMPLES}") from None
    try:
        dialect.import_dbapi()
    except ImportError as error:
        if url.get_backend_name() == "postgresql":
            driver = url.get_driver_name()
            hint = POSTGRES_EXTRA if driver == "psycopg" else f"pip install {driver}, or write postgresql:// and " \
                                                              f"{POSTGRES_EXTRA}"
            raise DatabaseURLError(f"DATABASE_URL names a PostgreSQL database, but its driver is not installed "
                                   f"({error}): {hint}") from None
        raise DatabaseURLError(f"DATABASE_URL={shown!r} needs a database driver that is not installed "
                               f"({error})") from None
    if url.get_backend_name() != "sqlite" or is_in_memory(url):
        return url.render_as_string(hide_password=False) if url.drivername != make_url(value.strip()).drivername \
            else value.strip()
    path = Path(url.database).expanduser()
    path = path if path.is_absolute() else Path(home) / path
    _check_writable(path.resolve())
    return url.set(database=str(path.resolve())).render_as_string(hide_password=False)


def _check_writable(path: Path) -> None:
    if path.is_dir():
        raise DatabaseURLError(f"DATABASE_URL names {path}, which is a folder: expected a database file, such as "
                               f"sqlite:///{path / 'newsdigest.db'}")
    folder = path.parent
    while not folder.exists():  # the folders that are missing are made on first use
        folder = folder.parent
    if not folder.is_dir():
        raise DatabaseURLError(f"DATABASE_URL names {path}, but {folder} is a file, not a folder: expected the "
                               "path of a database file in a folder")
    for place in (path, folder) if path.exists() else (folder,):
        if not _writable(place):
            raise DatabaseURLError(f"DATABASE_URL names {path}, but this user ({_user()}) cannot write to {place}: "
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


def make_engine(url: str) -> Engine:
    parsed = make_url(url)
    if parsed.get_backend_name() == "sqlite":
        if (path := sqlite_file(parsed)) is not None:
            path.parent.mkdir(parents=True, exist_ok=True)
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


def grouped(pairs: Iterable[tuple]) -> list[tuple]:
    """(a, b) pairs as [(a, [its distinct b, ...]), ...]."""
    groups: dict = {}
    for first, second in pairs:
        groups.setdefault(first, {})[second] = None
    return [(first, list(seconds)) for first, seconds in groups.items()]


def chunks(values: list, size: int) -> Iterable[list]:
    for start in range(0, len(values), size):
        yield values[start:start + size]

