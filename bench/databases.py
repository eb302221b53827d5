"""The database a benchmark runs on: ``--database sqlite`` (a file in a temporary folder), ``postgresql`` (a
throwaway server started for the run, as the tests do: tests/pgcluster.py), or any database URL."""

from __future__ import annotations

import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from tests.pgcluster import PostgresCluster  # noqa: E402


@contextmanager
def fresh_database(kind: str, folder: Path) -> Iterator[str]:
    """A URL of a new, empty database, dropped (or its server stopped) afterwards."""
    if kind == "sqlite":
        yield f"sqlite:///{folder / 'bench.db'}"
    elif kind == "postgresql":
        with PostgresCluster.start() as cluster:
            yield cluster.create_database("bench")
    else:
        yield kind
