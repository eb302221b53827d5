"""Which parser reads a document: decided from its content (the root element), never from its file name."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import tzinfo
from pathlib import Path

from digests.feeds import is_feed, parse_feed
from digests.parsing import DEFAULT_MAX_FILE_BYTES, ParseResult, Rejection, parse_bytes, read_capped


def parse_document(
    data: bytes,
    *,
    shown: str,
    default_source: str,
    source_tz: tzinfo,
    headers: Mapping[str, str] | None = None,
    max_bytes: int = DEFAULT_MAX_FILE_BYTES,
    publisher_named: bool = False,
    url: str = "",
) -> ParseResult:
    """RSS/Atom go to feedparser, anything else to the article XML parser. ``publisher_named``: a feed's
    articles take its publisher as their source (see ``parse_feed``); article XML names its own anyway. ``url``:
    where a fetched feed came from, what its relative links are read against when it names no site."""
    if len(data) > max_bytes:
        return ParseResult(rejections=[Rejection(shown, f"file too large ({len(data)} bytes, limit {max_bytes})")])
    if is_feed(data):
        return parse_feed(data, shown=shown, default_source=default_source, source_tz=source_tz, headers=headers,
                          publisher_named=publisher_named, url=url)
    return parse_bytes(data, shown=shown, default_source=default_source, source_tz=source_tz, max_bytes=max_bytes)


def parse_path(path: Path | str, *, default_source: str, source_tz: tzinfo,
               max_bytes: int = DEFAULT_MAX_FILE_BYTES, publisher_named: bool = False) -> ParseResult:
    data = read_capped(path, max_bytes)
    if isinstance(data, Rejection):
        return ParseResult(rejections=[data])
    return parse_document(data, shown=str(path), default_source=default_source, source_tz=source_tz,
                          max_bytes=max_bytes, publisher_named=publisher_named)
