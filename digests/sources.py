"""Where articles come from: folders, files and http(s) URLs, from ``NEWS_SOURCES`` or a ``sources.toml``.

A source file looks like this (every key but ``location`` is optional)::

    [sources.knn]
    location = "/srv/drop/knn"        # a folder, a file or an http(s) URL
    topic = "India"                   # for items that name no category
    timezone = "Asia/Kolkata"         # for dates written without one
    poll_minutes = 60                 # URLs only: how often to fetch
    topics = ["Business", "Policy"]   # only these topics from its categories; the rest go under `topic`
    aliases = { "Local" = "Delhi" }   # this source's labels -> topics

    [topics]                          # for every source
    ignore = ["Работает"]             # labels that are never topics, besides the built-in list
    aliases = { "U.S." = "United States", "Trump, Donald J" = "Donald Trump" }
"""

from __future__ import annotations

import os
import re
import tomllib
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import tzinfo
from pathlib import Path
from urllib.parse import urlsplit
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from digests.parsing import Rejection
from digests.topics import BUILT_IN, TopicRules

ARTICLE_SUFFIXES = {".xml", ".rss", ".atom"}  # so that a half-written "x.xml.tmp" is left alone
DONE_FOLDER, REJECTED_FOLDER = "done", "rejected"  # where processed files go when moving is on


class SourcesFileError(ValueError):
    """The sources file is wrong; the message says where and how."""


@dataclass(frozen=True)
class Source:
    """One configured source. ``name`` None: files are named after their folder, URLs after their host."""

    location: str
    name: str | None = None
    topic: str | None = None
    timezone: tzinfo | None = None
    poll_minutes: int | None = None
    topics: tuple[str, ...] | None = None  # the allow-list; None: every label that reads as a topic
    aliases: tuple[tuple[str, str], ...] = ()  # (label, topic), this source's
    topic_map: TopicMap | None = None  # the sources file's [topics], for every source

    @property
    def rules(self) -> TopicRules:
        """How this source's categories become topics (the built-in rules when nothing is configured)."""
        shared = self.topic_map or TopicMap()
        if not (self.topic or self.topics is not None or self.aliases or shared.ignore or shared.aliases):
            return BUILT_IN
        return TopicRules.make(self.topic, shared.ignore, {**dict(shared.aliases), **dict(self.aliases)}, self.topics)

    @property
    def is_url(self) -> bool:
        return self.location.lower().startswith(("http://", "https://"))

    @property
    def label(self) -> str:
        """The name reports and the database use for the source."""
        if self.name:
            return self.name
        if self.is_url:
            return urlsplit(self.location).hostname or self.location
        path = Path(self.location).expanduser()
        return (path.parent.name or path.stem) if path.is_file() else path.name


@dataclass(frozen=True)
class TopicMap:
    """The sources file's ``[topics]`` table: labels never to take as topics, and aliases, for every source."""

    ignore: tuple[str, ...] = ()
    aliases: tuple[tuple[str, str], ...] = ()


@dataclass(frozen=True)
class SourceFile:
    path: str  # absolute
    source: str  # the source name used when the file names none (see _folder_source)


def split_sources(value: str) -> list[str]:
    """``NEWS_SOURCES`` is a comma-separated list (``os.pathsep`` works too, except inside URLs)."""
    parts = value.split(",") if "://" in value else value.replace(os.pathsep, ",").split(",")
    return [part.strip() for part in parts if part.strip()]


def load_sources_file(path: str | Path) -> list[Source]:
    """The ``[sources.NAME]`` tables of a TOML file, checked, each with the file's ``[topics]`` map."""
    path = Path(path).expanduser()
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except OSError as exc:
        raise SourcesFileError(f"cannot read {path}: {exc.strerror or exc}") from None
    except tomllib.TOMLDecodeError as exc:
        raise SourcesFileError(f"{path} is not valid TOML: {exc}") from None
    unknown = set(data) - {"sources", "topics"}
    if unknown:
        raise SourcesFileError(f"{path} has unknown tables: {', '.join(sorted(unknown))} (expected [sources.NAME] "
                               "and [topics])")
    topic_map = _topic_map(data.get("topics", {}), f"{path} [topics]")
    tables = data.get("sources")
    if tables is None and "topics" in data:
        return []  # a topic map for NEWS_SOURCES alone
    if not isinstance(tables, dict) or not tables:
        raise SourcesFileError(f"{path} has no [sources.NAME] tables")
    sources = []
    for name, table in tables.items():
        where = f"{path} [sources.{name}]"
        if not isinstance(table, dict) or not isinstance(table.get("location"), str) or not table["location"]:
            raise SourcesFileError(f"{where} needs location = \"a folder, file or http(s) URL\"")
        unknown = set(table) - {"location", "topic", "timezone", "poll_minutes", "topics", "aliases"}
        if unknown:
            raise SourcesFileError(f"{where} has unknown keys: {', '.join(sorted(unknown))}")
        poll = table.get("poll_minutes")
        if poll is not None and (not isinstance(poll, int) or not 1 <= poll <= 7 * 24 * 60):
            raise SourcesFileError(f"{where} poll_minutes must be a whole number of minutes from 1 to 10080")
        zone = None
        if "timezone" in table:
            try:
                zone = ZoneInfo(str(table["timezone"]))
            except (ZoneInfoNotFoundError, ValueError):
                raise SourcesFileError(f"{where} timezone {table['timezone']!r} is not an IANA name") from None
        topic = " ".join(str(table.get("topic", "")).split()) or None
        allowed = _names(table["topics"], where, "topics") if "topics" in table else None
        sources.append(Source(location=table["location"], name=name, topic=topic, timezone=zone, poll_minutes=poll,
                              topics=allowed, aliases=_aliases(table.get("aliases", {}), where),
                              topic_map=topic_map))
    return sources


def load_topic_map(path: str | Path) -> TopicMap | None:
    """Only the ``[topics]`` table of a sources file, if it has one (for ``NEWS_SOURCES``); call
    ``load_sources_file`` first, which checks the file."""
    data = tomllib.loads(Path(path).expanduser().read_text(encoding="utf-8"))
    return _topic_map(data["topics"], f"{path} [topics]") if "topics" in data else None


def _topic_map(table, where: str) -> TopicMap:
    if not isinstance(table, dict):
        raise SourcesFileError(f"{where} must be a table with ignore = [...] and aliases = {{...}}")
    unknown = set(table) - {"ignore", "aliases"}
    if unknown:
        raise SourcesFileError(f"{where} has unknown keys: {', '.join(sorted(unknown))}")
    return TopicMap(ignore=_names(table.get("ignore", []), where, "ignore"),
                    aliases=_aliases(table.get("aliases", {}), where))


def _names(value, where: str, key: str) -> tuple[str, ...]:
    if not isinstance(value, list) or not all(isinstance(name, str) and name.strip() for name in value):
        raise SourcesFileError(f"{where} {key} must be a list of names, like {key} = [\"Business\", \"World\"]")
    return tuple(" ".join(name.split()) for name in value)


def _aliases(value, where: str) -> tuple[tuple[str, str], ...]:
    if not isinstance(value, dict) or not all(isinstance(topic, str) and topic.strip() for topic in value.values()):
        raise SourcesFileError(f"{where} aliases must map labels to topics, like aliases = "
                               "{ \"World news\" = \"World\" }")
    return tuple((label, " ".join(topic.split())) for label, topic in value.items())


def as_source(item: str | Source) -> Source:
    return item if isinstance(item, Source) else Source(location=item)


def iter_source_files(locations: list[str | Source]) -> Iterator[SourceFile | Rejection]:
    """Every article file under the given files and folders, in a stable order, by absolute path.

    Yields a rejection instead of a file for a location that does not exist.
    """
    for item in locations:
        source = as_source(item)
        path = Path(source.location).expanduser().absolute()
        if path.is_file():
            yield SourceFile(os.path.normpath(path), source.name or path.parent.name or path.stem)
        elif path.is_dir():
            top, folder_source = os.path.normpath(path), {}
            for folder, name in _article_files(top):
                if folder not in folder_source:
                    folder_source = {folder: source.name or _folder_source(top, folder)}  # once a folder
                yield SourceFile(os.path.join(folder, name), folder_source[folder])
        else:
            yield Rejection(source.location, "no such file or folder")


_DATE_PART = re.compile(r"[\d_.-]+")  # 2025, 08, 2025-08-07: folders a crawler files by date


def _folder_source(top: str, folder: str) -> str:
    """The source a file is named after: its folder (drop/knn/), or the nearest one above it that is not named
    by a date (knn/2025/08/07/ is knn's)."""
    names = [os.path.basename(top), *os.path.relpath(folder, top).split(os.sep)]
    return next((name for name in reversed(names) if name != "." and not _DATE_PART.fullmatch(name)), names[0])


def _article_files(top: str) -> Iterator[tuple[str, str]]:
    """(folder, name) of the article files under a folder, by name, skipping hidden names and the
    done/rejected sub-folders.

    A walk over directory entries, in plain strings: a drop folder may hold a hundred thousand files, and
    this costs no system call per file (the caller stats each one once, and leaves out what is not a
    regular file).
    """
    for folder, folders, files in os.walk(top):
        at_top = folder == top
        folders[:] = sorted(name for name in folders
                            if not name.startswith(".") and not (at_top and name in (DONE_FOLDER, REJECTED_FOLDER)))
        for name in sorted(files):
            if not name.startswith(".") and os.path.splitext(name)[1].lower() in ARTICLE_SUFFIXES:
                yield folder, name
