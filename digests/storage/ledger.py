"""The file ledger: which files of the drop folders were read, when, and with what outcome."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import datetime

from sqlalchemy import delete, select
from sqlalchemy.engine import Connection

from digests.models import IngestedFile
from digests.storage.base import CHUNK, chunks, insert_for

LedgerEntry = tuple[str, int, int, str, "str | None"]  # path, size, mtime_ns, outcome ("done"/"rejected"), reason


class LedgerQueries:
    def file_ledger(self, paths: Sequence[str]) -> dict[str, tuple[int, int]]:
        """Those of ``paths`` read before, as path -> (size, mtime_ns)."""
        found = {}
        with self.session() as session:
            for chunk in chunks(list(paths), CHUNK):
                query = select(IngestedFile.path, IngestedFile.size, IngestedFile.mtime_ns).where(
                    IngestedFile.path.in_(chunk))
                found.update((path, (size, mtime_ns)) for path, size, mtime_ns in session.execute(query))
        return found

    def record_files(self, entries: Iterable[LedgerEntry], now: datetime, *, forget: Iterable[str] = ()) -> None:
        """Ledger entries (replacing any for the same paths); ``forget``: paths to drop from the ledger."""
        table = IngestedFile.__table__
        with self.engine.begin() as connection:
            for chunk in chunks(list(forget), CHUNK):
                connection.execute(delete(table).where(table.c.path.in_(chunk)))
            record_files(connection, entries, now)

    def rejected_files(self) -> list[IngestedFile]:
        """Every file the ledger holds as rejected, with its reason, newest first."""
        with self.session() as session:
            query = select(IngestedFile).where(IngestedFile.outcome == "rejected")
            return list(session.scalars(query.order_by(IngestedFile.ingested_at.desc())))

    # --- reader controls: pages, search, filters, delivery targets, figures ---------------------------------


def read_meanwhile(connection: Connection, entries: Sequence[LedgerEntry]) -> set[str]:
    """Those of ``entries`` the ledger already holds with the same size and mtime: read by another process since
    this one looked them up. Asked under the article writers' lock, it is the last word: of two processes that
    read a file at once, the first to write records it and stores its articles, the second neither."""
    wanted = {path: (size, mtime_ns) for path, size, mtime_ns, _, _ in entries}
    found = set()
    for chunk in chunks(list(wanted), CHUNK):
        query = select(IngestedFile.path, IngestedFile.size, IngestedFile.mtime_ns).where(IngestedFile.path.in_(chunk))
        found.update(path for path, size, mtime_ns in connection.execute(query) if wanted[path] == (size, mtime_ns))
    return found


def record_files(connection: Connection, entries: Iterable[LedgerEntry], now: datetime) -> None:
    """Insert or replace ledger entries (by path). In path order, so that two processes recording the same
    files at once wait for one another rather than deadlock."""
    rows = sorted((dict(path=path, size=size, mtime_ns=mtime_ns, outcome=outcome, reason=reason, ingested_at=now)
                   for path, size, mtime_ns, outcome, reason in entries), key=lambda row: row["path"])
    if rows:
        statement = insert_for(connection, IngestedFile.__table__)
        connection.execute(statement.on_conflict_do_update(index_elements=["path"], set_={
            name: statement.excluded[name] for name in ("size", "mtime_ns", "outcome", "reason", "ingested_at")}),
            rows)
