"""``batch_alter_table`` for revisions: Alembic's, plus what newsdigest's tables need when SQLite copies one.

SQLite cannot alter most of a table in place, so Alembic's batch mode makes a new table, copies the rows
(ids included, so the FTS5 index, which refers to articles by rowid, stays right), drops the old one and renames
the new one. Dropping a table drops its triggers: those of ``articles`` keep /search's index up to date, so
they are made again after the copy, as they were. Constraints that 0.1.0 left unnamed on SQLite get the names of
``NAMING_CONVENTION`` in the copy, so a revision can refer to any constraint by that name.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

from alembic import op
from alembic.operations import BatchOperations

from digests.models import NAMING_CONVENTION


@contextmanager
def batch_alter_table(table: str, **options) -> Iterator[BatchOperations]:
    bind = op.get_bind()
    triggers = []
    if bind.dialect.name == "sqlite":
        triggers = bind.exec_driver_sql(
            "SELECT name, sql FROM sqlite_master WHERE type = 'trigger' AND tbl_name = ?", (table,)).all()
    with op.batch_alter_table(table, naming_convention=NAMING_CONVENTION, **options) as batch:
        yield batch
    for name, sql in triggers:
        if bind.exec_driver_sql("SELECT 1 FROM sqlite_master WHERE type = 'trigger' AND name = ?",
                                (name,)).first() is None:
            bind.exec_driver_sql(sql)
