"""Where articles come from: the files and folders named in ``NEWS_SOURCES``."""

from __future__ import annotations

import os
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from digests.parsing import Rejection

ARTICLE_SUFFIXES = {".xml", ".rss", ".atom"}  # so that a half-written "x.xml.tmp" is left alone


@dataclass(frozen=True)
class SourceFile:
    path: Path
    source: str  # the source name used when the file names none: its folder's name


def split_sources(value: str) -> list[str]:
    """``NEWS_SOURCES`` is a comma-separated list (``os.pathsep`` works too)."""
    parts = value.replace(os.pathsep, ",").split(",")
    return [part.strip() for part in parts if part.strip()]


def iter_source_files(locations: list[str]) -> Iterator[SourceFile | Rejection]:
    """Every article file under the given files and folders, in a stable order.

    Yields a rejection instead of a file for a location that does not exist.
    """
    for location in locations:
        path = Path(location).expanduser()
        if path.is_file():
            yield SourceFile(path, path.parent.name or path.stem)
        elif path.is_dir():
            for file in sorted(path.rglob("*")):
                if _is_article_file(file, path):
                    yield SourceFile(file, file.parent.name)
        else:
            yield Rejection(location, "no such file or folder")


def _is_article_file(file: Path, top: Path) -> bool:
    hidden = any(part.startswith(".") for part in file.relative_to(top).parts)
    return (
        not hidden
        and file.suffix.lower() in ARTICLE_SUFFIXES
        and file.is_file()
    )
