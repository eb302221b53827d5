"""``newsdigest db copy``: every row of one database into another, new one (SQLite to PostgreSQL, usually).

The target is brought to this release's schema through the migrations, then newsdigest's tables (those of the
models: not Alembic's version table, not other software's tables such as a job queue's) are copied in the
order their foreign keys need, a batch at a time, from one snapshot of the source, in one transaction of the
target: a copy that fails leaves the target without any of newsdigest's rows. /search's index is the target's
own: PostgreSQL computes each article's ``tsvector`` as it is inserted, SQLite's FTS5 index is rebuilt at the
end. PostgreSQL's sequences are then set past the copied ids, and the rows of each table counted on both sides.
"""

from __future__ import annotations

import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass

from alembic.migration import MigrationContext
from sqlalchemy import Table, func, insert, inspect, select, text
from sqlalchemy.engine import Connection, Engine, make_url
from sqlalchemy.exc import DBAPIError

from digests.models import Base
from digests.storage.base import database_label, engine_url, is_in_memory, make_engine, sqlite_file
from digests.storage.schema import describe, head_revision, history, made_before_migrations, migrate
from digests.storage.search import search_index_for

BATCH = 2000  # rows read and inserted at a time: a few MB of articles, whatever the size of the database
UPGRADE = "newsdigest db upgrade"


class CopyError(Exception):
    """The copy cannot be made, or failed (and left no rows behind); the message is one line, without passwords."""


@dataclass
class TableCount:
    table: str
    source: int
    target: int


@dataclass
class CopyReport:
    revision: str
    counts: list[TableCount]
    seconds: float

    @property
    def rows(self) -> int:
        return sum(count.target for count in self.counts)


# State that is only good for the moment: the senders' budget of the current second
TRANSIENT = {"send_slots"}


def tables() -> list[Table]:
    """newsdigest's tables that hold data, each after the tables its rows refer to."""
    return [table for table in Base.metadata.sorted_tables if table.name not in TRANSIENT]


def copy_database(source_url: str, target_url: str, *, batch: int = BATCH, progress: bool = False) -> CopyReport:
    """Copy every row of newsdigest's tables from ``source_url`` into ``target_url``, which must hold none yet.

    ``progress``: a progress bar on stderr when it is a terminal. Raises CopyError (or SchemaError, from the
    target's migrations) with a one-line message.
    """
    began = time.monotonic()
    source_url, target_url = engine_url(source_url), engine_url(target_url)
    source_label, target_label = database_label(source_url), database_label(target_url)
    if _same_database(source_url, target_url):
        raise CopyError(f"The target {target_label} is the database being copied: name another one")
    if is_in_memory(target_url):
        raise CopyError("The target is an in-memory SQLite database, gone when the command ends: name a file or a "
                        "server database")
    path = sqlite_file(source_url)
    if is_in_memory(source_url) or path is not None and not path.is_file():
        raise CopyError(f"The database to copy, {source_label}, does not exist: check DATABASE_URL")
    source, target = make_engine(source_url), make_engine(target_url)
    try:
        with _snapshot(source, source_label) as reading:
            revision = _check_source(reading, source_label)
            counts = {table.name: _count(reading, table) for table in tables()}
            with _connected(target, target_label) as writing:
                _check_empty(writing, target_label)
            migrate(target_url)  # a new database gets its tables; an older, empty one is brought up to date
            copied = _copy(reading, target, counts, batch, progress, target_label)
    except DBAPIError as error:  # a server gone away mid-copy, a disk full, ...
        raise CopyError(f"The copy to {target_label} failed, so nothing was copied: {_reason(error)}") from None
    finally:
        source.dispose()
        target.dispose()
    return CopyReport(revision, [TableCount(name, counts[name], copied[name]) for name in counts],
                      time.monotonic() - began)


def _same_database(first: str, second: str) -> bool:
    one, other = make_url(first), make_url(second)
    if one.get_backend_name() == "sqlite" and other.get_backend_name() == "sqlite":
        first_file, second_file = sqlite_file(one), sqlite_file(other)
        return first_file is not None and second_file is not None and first_file.resolve() == second_file.resolve()
    return (one.get_backend_name(), one.host or "localhost", one.port, one.database) == \
        (other.get_backend_name(), other.host or "localhost", other.port, other.database)


def _reason(error: DBAPIError) -> str:
    """The driver's message, first line (psycopg's and sqlite3's name no password)."""
    first = (str(error.orig or error).strip().splitlines() or ["unknown error"])[0]
    return " ".join(first.split())


@contextmanager
def _connected(engine: Engine, label: str, what: str = "the target database") -> Iterator[Connection]:
    """A connection holding one transaction; a database that cannot be reached is one line naming it."""
    try:
        connection = engine.connect()
    except DBAPIError as error:
        raise CopyError(f"Cannot connect to {what} {label}: {_reason(error)}") from None
    with connection, connection.begin():
        yield connection


@contextmanager
def _snapshot(engine: Engine, label: str) -> Iterator[Connection]:
    """A read transaction that sees the source as it was when it began, whatever is written meanwhile."""
    if engine.dialect.name == "postgresql":
        engine = engine.execution_options(isolation_level="REPEATABLE READ", postgresql_readonly=True)
    with _connected(engine, label, "the database to copy,") as connection:
        if engine.dialect.name == "sqlite":
            # Python's sqlite3 begins a transaction only before a write: begin one, so every read sees one state
            connection.exec_driver_sql("BEGIN")
        yield connection


def _check_source(connection: Connection, label: str) -> str:
    revision = MigrationContext.configure(connection).get_current_revision()
    if revision == head_revision():
        return revision
    if revision is None and not made_before_migrations(connection):
        raise CopyError(f"The database to copy, {label}, has no newsdigest tables: nothing to copy (check "
                        "DATABASE_URL)")
    if revision is not None and revision not in {script.revision for script in history()}:
        raise CopyError(f"The database to copy, {label}, is at revision {revision}, which this newsdigest does not "
                        "know (a newer release upgraded it): copy it with that release")
    state = describe(revision, before_migrations=revision is None)
    raise CopyError(f"The database to copy, {label}, is at {state}, and this newsdigest copies {head_revision()}: "
                    f"back it up, run `{UPGRADE}`, then copy")


def _count(connection: Connection, table: Table) -> int:
    return connection.scalar(select(func.count()).select_from(table))


def _check_empty(connection: Connection, label: str) -> None:
    """Refuse a target holding any of newsdigest's rows: a copy is never merged into other data."""
    present = set(inspect(connection).get_table_names())
    held = [(table.name, rows) for table in tables() if table.name in present
            and (rows := _count(connection, table))]
    if held:
        listed = ", ".join(f"{name} ({rows:,} row{'s' if rows > 1 else ''})" for name, rows in held)
        raise CopyError(f"The target database {label} already holds newsdigest data: {listed}; copy only into an "
                        "empty database (nothing was changed)")


def _copy(reading: Connection, target: Engine, counts: dict[str, int], batch: int, progress: bool,
          target_label: str) -> dict[str, int]:
    """Every table, a batch at a time, into one transaction of the target; the target's row counts."""
    bar = _progress_bar(sum(counts.values())) if progress else None
    try:
        with _connected(target, target_label) as writing:
            _check_empty(writing, target_label)  # again, in this transaction
            for table in tables():
                if bar is not None:
                    bar.set_description(table.name)
                rows = reading.execution_options(stream_results=True, yield_per=batch).execute(
                    select(*table.columns).order_by(*table.primary_key.columns))
                for part in rows.partitions(batch):
                    try:
                        writing.execute(insert(table), [row._asdict() for row in part])
                    except DBAPIError as error:
                        raise CopyError(f"Copying {table.name} into {target_label} failed, so nothing was copied: "
                                        f"{_reason(error)}") from None
                    if bar is not None:
                        bar.update(len(part))
            if writing.dialect.name == "sqlite":
                search_index_for(target).rebuild(writing)  # FTS5 takes in the copied articles' words
            else:
                _continue_sequences(writing)
            copied = {table.name: _count(writing, table) for table in tables()}
            wrong = [name for name, rows in copied.items() if rows != counts[name]]
            if wrong:
                raise CopyError(f"The target's row counts differ from the source's in {', '.join(wrong)}, so nothing "
                                "was copied: please report this")
    finally:
        if bar is not None:
            bar.close()
    return copied


def _continue_sequences(connection: Connection) -> None:
    """PostgreSQL: ids the database gives (a new article's) continue after the highest copied one."""
    for table in tables():
        column = table.autoincrement_column
        if column is None:
            continue
        connection.execute(text(
            f"SELECT setval(pg_get_serial_sequence(:table, :column), COALESCE(MAX({column.name}), 0) + 1, false) "
            f"FROM {table.name}"), {"table": table.name, "column": column.name})


def _progress_bar(total: int):
    """A tqdm bar on stderr when someone watches it (a TTY), or None."""
    if not sys.stderr.isatty():
        return None
    from tqdm import tqdm

    return tqdm(total=total, unit="row", unit_scale=True, desc="copy", file=sys.stderr)
