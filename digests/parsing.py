"""Read the operators' article XML (one ``<root>`` article per file, or many article elements in one file).

The parser is hardened: no entity expansion, no DTD loading, no network, and a size cap checked before the
file is read. A file that cannot be read is one rejection; an article element without a title or link is
one rejection too, and the other articles of the same file still go in.
"""

from __future__ import annotations

import codecs
import email.utils
import functools
import os
import re
import threading
from dataclasses import dataclass, field
from datetime import UTC, datetime, tzinfo
from pathlib import Path

from lxml import etree

from digests.cleaning import fix_mojibake

DEFAULT_MAX_FILE_BYTES = 20 * 1024 * 1024

# Field names as the operators' CMS writes them, with the usual aliases, in order of preference.
TITLE_FIELDS = ("title", "headline")
LINK_FIELDS = ("link", "url")
DATE_FIELDS = ("pubDate", "date", "published", "updated")
BODY_FIELDS = ("fulldesc", "description", "content", "body", "summary")
DESCRIPTION_FIELDS = ("description", "summary")  # a short description beside a fuller body
ID_FIELDS = ("id", "guid")


@dataclass
class RawArticle:
    """One article as found in a source file, before cleaning and summarising."""

    source: str
    title: str
    link: str
    external_id: str | None = None
    published_at: datetime | None = None  # aware, UTC; None when the file gives no usable date
    feed_date: datetime | None = None  # the feed's own date, for an item without one (see ingest.placed_date)
    categories: list[str] = field(default_factory=list)
    author: str | None = None
    html: str = ""
    description: str = ""  # the item's own short description (HTML) when ``html`` is a fuller text; else ''
    language: str = ""  # the item's or its feed's language code ("ur", "pt-BR"), if it says one


@dataclass
class Rejection:
    path: str
    reason: str

    def __str__(self) -> str:
        return f"{self.path}: {self.reason}"


@dataclass
class ParseResult:
    articles: list[RawArticle] = field(default_factory=list)
    rejections: list[Rejection] = field(default_factory=list)


def _hardened_parser() -> etree.XMLParser:
    return etree.XMLParser(
        resolve_entities=False,
        no_network=True,
        load_dtd=False,
        dtd_validation=False,
        huge_tree=False,
        remove_pis=True,
    )


_parsers = threading.local()  # an lxml parser serves one thread at a time


def _shared_parser() -> etree.XMLParser:
    """This thread's hardened parser, made once: making one costs a fifth of parsing a small article file."""
    parser = getattr(_parsers, "parser", None)
    if parser is None:
        parser = _parsers.parser = _hardened_parser()
    return parser


def read_capped(path: Path | str, max_bytes: int) -> bytes | Rejection:
    """The file's bytes, or why not: the size cap is checked before reading (and while reading, for a file
    that grows meanwhile). One open, fstat and read: this runs once per article file."""
    try:
        fd = os.open(path, os.O_RDONLY | getattr(os, "O_BINARY", 0))
        try:
            size = os.fstat(fd).st_size
            if size > max_bytes:
                return Rejection(str(path), f"file too large ({size} bytes, limit {max_bytes})")
            data = os.read(fd, size + 1)
            if len(data) > size:  # it grew since: read on, up to just over the cap (parse_bytes refuses it)
                parts, total = [data], len(data)
                while total <= max_bytes and (more := os.read(fd, 1 << 20)):
                    parts.append(more)
                    total += len(more)
                data = b"".join(parts)
            return data
        finally:
            os.close(fd)
    except OSError as exc:
        return Rejection(str(path), f"cannot read file: {exc.strerror or exc}")


def parse_file(
    path: Path,
    *,
    default_source: str,
    source_tz: tzinfo,
    max_bytes: int = DEFAULT_MAX_FILE_BYTES,
) -> ParseResult:
    """Parse one article XML file; never raises for bad content, reports it instead."""
    data = read_capped(path, max_bytes)
    if isinstance(data, Rejection):
        return ParseResult(rejections=[data])
    return parse_bytes(data, shown=str(path), default_source=default_source, source_tz=source_tz,
                       max_bytes=max_bytes)


def parse_bytes(
    data: bytes,
    *,
    shown: str,
    default_source: str,
    source_tz: tzinfo,
    max_bytes: int = DEFAULT_MAX_FILE_BYTES,
) -> ParseResult:
    if len(data) > max_bytes:
        return ParseResult(rejections=[Rejection(shown, f"file too large ({len(data)} bytes, limit {max_bytes})")])
    if not data.strip():
        return ParseResult(rejections=[Rejection(shown, "file is empty")])
    if refused := refused_encoding(data):
        return ParseResult(rejections=[Rejection(shown, refused)])
    if declares_entities(data):
        return ParseResult(rejections=[Rejection(shown, ENTITIES_REFUSED)])
    try:
        root = etree.fromstring(utf8_if_misdeclared(data), _shared_parser())
    except etree.XMLSyntaxError as exc:
        recoded = _recoded(data) if _is_encoding_error(exc) else None
        try:
            root = etree.fromstring(recoded, _hardened_parser()) if recoded else None
        except etree.XMLSyntaxError:
            root = None
        if root is None:
            return ParseResult(rejections=[Rejection(shown, f"not well-formed XML: {exc}")])
    if _declares_entities(root):
        return ParseResult(rejections=[Rejection(shown, ENTITIES_REFUSED)])

    result = ParseResult()
    fields = _children(root)  # most files are one article: its fields, read once for both uses
    is_one = any(name in TITLE_FIELDS for name in fields) and any(
        _text(child) for name in LINK_FIELDS for child in fields.get(name, ()))
    elements = [root] if is_one else find_article_elements(root)
    if not elements:
        result.rejections.append(Rejection(shown, "no article found (expected elements with <title> and <link>)"))
    for number, element in enumerate(elements, start=1):
        where = shown if len(elements) == 1 else f"{shown} (article {number})"
        article, problem = _read_article(element, default_source=default_source, source_tz=source_tz,
                                         fields=fields if is_one else None)
        if article is None:
            result.rejections.append(Rejection(where, problem))
        else:
            result.articles.append(article)
    return result


ENTITIES_REFUSED = "the document declares XML entities, which are not allowed"
ENCODING_REFUSED = "the {} encoding is not accepted: markup can hide in it from the entity check"
_ENTITY_DECLARATION = "<!ENTITY"
_ENTITY_FORMS = {_ENTITY_DECLARATION.encode(name) for name in ("utf-8", "utf-16-le", "utf-16-be", "utf-32-le",
                                                              "utf-32-be")}
_ENTITY_DECLARATION_UTF8 = _ENTITY_DECLARATION.encode("utf-8")
_DECLARED_ENCODING = re.compile(rb"""encoding\s*=\s*["']([A-Za-z0-9._:\-]{1,40})["']""")


def declares_entities(data: bytes) -> bool:
    """Whether the raw document declares an entity, as UTF-8, UTF-16 or UTF-32 (or any encoding that reads
    ASCII as ASCII, byte for byte) write it: ``refused_encoding`` turns the others away first.

    Checked on the bytes before any parser sees them, so that neither lxml nor feedparser (expat, or its
    loose fallback) ever gets a document with entity declarations: no expansion bombs, no external
    entities.
    """
    if _ENTITY_DECLARATION_UTF8 in data:
        return True
    return b"\x00" in data and any(form in data for form in _ENTITY_FORMS)  # UTF-16 and -32 have NULs in ASCII


# First bytes that make lxml or feedparser read a document in an encoding it never names in ASCII ("<?xm").
_SIGNATURES = {b"\x4c\x6f\xa7\x94": "EBCDIC", b"\x00\x00\x3c\x00": "UCS-4 (byte order 2143)",
               b"\x00\x3c\x00\x00": "UCS-4 (byte order 3412)"}
_LEADING_DECLARATION = re.compile(rb"(?:\xef\xbb\xbf)?\s*<\?[^>]*")
_ANY_ENCODING_NAME = re.compile(rb"""encoding\s*=\s*["']([^"'<>]{1,40})["']""")
_WIDE = {"utf-16", "utf-16-le", "utf-16-be", "utf-32", "utf-32-le", "utf-32-be"}  # their forms are checked


def refused_encoding(data: bytes, *names: str | None) -> str | None:
    """Why the document's encoding is refused, or None when ``declares_entities`` can read it.

    The byte check sees "<!ENTITY" as UTF-8 and UTF-16/32 write it. Other encodings can hide it: UTF-7 writes
    "<" as ``+ADw-``, ISO-2022 and HZ put escape sequences between its letters, EBCDIC and UCS-4 in odd byte
    orders use other bytes, and lxml's iconv reads JAVA's ``\\u003c``. A parser reads a document in such an
    encoding when its first bytes or its declaration say so, or when it is told to: ``names`` are those it
    was given or chose (a feed's HTTP charset, feedparser's choice). Refused outright, with or without
    entities, before any parser sees the document.
    """
    if signature := _SIGNATURES.get(data[:4]):
        return ENCODING_REFUSED.format(signature)
    declaration = _LEADING_DECLARATION.match(data)
    declared = _ANY_ENCODING_NAME.findall(declaration.group()) if declaration else []
    for name in (*(name.decode("latin-1") for name in declared), *names):
        if name and not _checkable_cached(name):
            return ENCODING_REFUSED.format(name)
    return None


def _checkable(name: str) -> bool:
    """Whether "<!ENTITY" in text read in this encoding is in the bytes as ``declares_entities`` looks for it.

    True for UTF-16 and UTF-32, and for encodings that read each ASCII byte alone and at once, "<!ENTITY"'s
    letters from their ASCII bytes only, and no byte from 0x80 as ASCII (UTF-8, ISO 8859, windows-125x,
    Shift_JIS, GB18030, ...). A name Python does not know passes only if lxml does not know it either: lxml
    then fails on it and the document is read again as UTF-8 or windows-1252, which pass.
    """
    try:
        codec = codecs.lookup(name)
        b"  ".decode(codec.name, "replace")  # a LookupError for codecs that are not text ones (base64, zlib)
    except LookupError:
        return not _lxml_reads(name)
    except ValueError:  # a NUL in the name; a codec without "replace" (idna)
        return False
    if codec.name in _WIDE:
        return True
    decoder = codecs.getincrementaldecoder(codec.name)
    try:
        alone = [decoder("replace").decode(bytes([byte])) for byte in range(256)]
    except UnicodeError:  # punycode fails even so
        return False
    return (all(len(text) == 1 for text in alone[:0x80])
            and all(alone.count(letter) == 1 and alone[ord(letter)] == letter for letter in _ENTITY_DECLARATION)
            and not any(char.isascii() for text in alone[0x80:] for char in text))


def _lxml_reads(name: str) -> bool:
    """Whether lxml (its iconv) reads documents declared in this encoding."""
    probe = b'<?xml version="1.0" encoding="' + name.encode("latin-1", "replace") + b'"?><a/>'
    try:
        etree.fromstring(probe, _hardened_parser())
    except etree.XMLSyntaxError:
        return False
    return True


_checkable_cached = functools.lru_cache(maxsize=64)(_checkable)  # not a decorator: mutmut mutates only plain defs


_DECLARED_AT_START = re.compile(rb"^\s*<\?xml[^>]*" + _DECLARED_ENCODING.pattern)  # in the XML declaration
_READ_AS_WINDOWS_1252 = {"ascii", "iso8859-1"}  # Python's names for the labels browsers read as windows-1252
_XML_DECLARATION = re.compile(r"^\s*<\?xml[^>]*\?>")


def _is_encoding_error(exc: etree.XMLSyntaxError) -> bool:
    message = str(exc).lower()
    return "encoding" in message or "utf-8" in message or "char 0x" in message or "bytes:" in message


def utf8_if_misdeclared(data: bytes) -> bytes:
    """The document as UTF-8 without its declaration if that declares a one-byte encoding wrongly, else as is.

    Bytes that are valid UTF-8 with non-ASCII in them are UTF-8 whatever one-byte encoding is declared (a CMS
    that writes UTF-8 under an old template's declaration): real legacy text is practically never valid UTF-8.
    Latin-1 and ASCII are read as windows-1252, as browsers do (WHATWG Encoding): text declared so comes from
    Windows with its curly quotes, dashes and euro sign at 0x80-0x9F, which are unused controls in Latin-1.
    """
    declared = _DECLARED_AT_START.match(data)
    if not declared or data.isascii() or not _one_byte_per_character(name := declared.group(1).decode("ascii")):
        return data
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError:
        if codecs.lookup(name).name not in _READ_AS_WINDOWS_1252:
            return data
        text = data.decode("windows-1252", "replace")
    return _XML_DECLARATION.sub("", text, count=1).encode("utf-8")


@functools.lru_cache(maxsize=64)
def _one_byte_per_character(name: str) -> bool:
    """Whether the encoding reads each byte from 0x80 up alone, as one character or one error (ASCII, Latin-1,
    windows-125x, ISO 8859-x, KOI8, ...), unlike UTF-8/16/32 and the East Asian ones, which wait for more."""
    try:
        b"  ".decode(name, "replace")  # a LookupError for unknown names and for codecs that are not text ones
        decoder = codecs.getincrementaldecoder(name)
        return all(decoder("replace").decode(bytes([byte])) for byte in range(0x80, 0x100))
    except (LookupError, ValueError):
        return False


def _recoded(data: bytes) -> bytes | None:
    """For a document lxml could not decode (no or a wrong declaration): UTF-8 if it is that, else
    windows-1252, the usual undeclared legacy encoding of Western news text. None for UTF-16/32 with a BOM."""
    if data.startswith((b"\xff\xfe", b"\xfe\xff")):
        return None
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError:
        text = data.decode("windows-1252", "replace")
    return _XML_DECLARATION.sub("", text, count=1).encode("utf-8")


def _declares_entities(root: etree._Element) -> bool:
    dtd = root.getroottree().docinfo.internalDTD
    return dtd is not None and any(True for _ in dtd.iterentities())


def _is_article(element: etree._Element) -> bool:
    return any(isinstance(tag := child.tag, str) and tag.rpartition("}")[2] in TITLE_FIELDS for child in element)


def _has_link(element: etree._Element) -> bool:
    return any(isinstance(tag := child.tag, str) and tag.rpartition("}")[2] in LINK_FIELDS and _text(child)
               for child in element)


def find_article_elements(root: etree._Element) -> list[etree._Element]:
    """The outermost elements that carry a ``<title>`` child: the root itself for one-article files.

    A root with a title but no link of its own is an export's wrapper (the title names the export) when there
    are articles below it; without any, it is one article that lacks its link."""
    if _is_article(root) and _has_link(root):
        return [root]
    found: list[etree._Element] = []
    pending = list(root)
    while pending:
        element = pending.pop(0)
        if not isinstance(element.tag, str):
            continue
        if _is_article(element):
            found.append(element)
        else:
            pending[0:0] = list(element)
    return found or ([root] if _is_article(root) else [])


def _children(element: etree._Element) -> dict[str, list[etree._Element]]:
    fields: dict[str, list[etree._Element]] = {}
    for child in element:
        if isinstance(tag := child.tag, str):  # not a comment; the name without its namespace
            fields.setdefault(tag.rpartition("}")[2], []).append(child)
    return fields


def _text(element: etree._Element) -> str:
    text = element.text or "" if len(element) == 0 else "".join(element.itertext())
    return " ".join(text.split())


def _first_text(fields: dict[str, list[etree._Element]], names: tuple[str, ...]) -> str:
    for name in names:
        for element in fields.get(name, []):
            value = _text(element)
            if value:
                return value
    return ""


def _inner_html(element: etree._Element) -> str:
    """The body as HTML: escaped HTML arrives as text, embedded XHTML as child elements."""
    parts = [element.text or ""]
    parts.extend(etree.tostring(child, encoding="unicode", with_tail=True) for child in element)
    return "".join(parts)


def _read_article(element, *, default_source: str, source_tz: tzinfo,
                  fields: dict[str, list[etree._Element]] | None = None) -> tuple[RawArticle | None, str]:
    fields = _children(element) if fields is None else fields
    title = _first_text(fields, TITLE_FIELDS)
    link = _first_text(fields, LINK_FIELDS)
    if not title:
        return None, "missing <title>"
    if not link:
        return None, "missing <link>"
    bodies = ((name, _inner_html(e)) for name in BODY_FIELDS for e in fields.get(name, []))
    body_field, body = next(((name, html) for name, html in bodies if html.strip()), ("", ""))
    descriptions = (_inner_html(e) for name in DESCRIPTION_FIELDS if name != body_field for e in fields.get(name, []))
    description = next((html for html in descriptions if html.strip() and html != body), "")
    categories = [text for text in map(_text, fields.get("category", ())) if text]
    return (
        RawArticle(
            source=_first_text(fields, ("source",)) or default_source,
            title=fix_mojibake(title),
            link=link,
            external_id=_first_text(fields, ID_FIELDS) or None,
            published_at=parse_date(_first_text(fields, DATE_FIELDS), source_tz),
            categories=categories,
            author=fix_mojibake(_first_text(fields, ("author", "creator"))) or None,
            html=body,
            description=description,
        ),
        "",
    )


def parse_date(value: str, source_tz: tzinfo, languages: tuple[str, ...] = ()) -> datetime | None:
    """ISO 8601 (``2025-08-07 14:42:28`` included) or RFC 822 at once; any other written date (other languages,
    "Seg, 24 Set 2018", "30Mar 2025", "2020/1/10 14:33", a 12-hour clock) through dateparser. Times without a
    zone are in the source's timezone. ``languages``: the feed's own, tried first by dateparser.

    RFC 5322's ``-0000`` is UTC (the zone of origin unknown), though email.utils returns it naive like a time
    without a zone."""
    value = value.strip()
    if not value:
        return None
    try:
        parsed = datetime.fromisoformat(value)
    except ValueError:
        parsed = None
        if not _TWELVE_HOUR.search(value):  # email.utils would read "02:02:33 PM" as 02:02
            try:
                parsed = email.utils.parsedate_to_datetime(value)
            except (TypeError, ValueError, IndexError):
                pass
        if parsed is None:
            parsed = _written_date(value, languages)
            if parsed is None:
                return None
    if parsed.tzinfo is None:
        parsed = parsed.replace(tzinfo=UTC if "-0000" in value.split() else source_tz)
    return parsed.astimezone(UTC)


_TWELVE_HOUR = re.compile(r"\d\s*[AaPp]\.?[Mm]\b")
_YEAR = re.compile(r"(?<!\d)(?:19|20)\d\d(?!\d)")  # a date without a year is no date of an item
# Tried by dateparser after the feed's own language: the languages of most news (a fixed list, so that the first
# date read costs a quarter of a second rather than the two seconds of trying all 200 languages).
NEWS_LANGUAGES = ("en", "fr", "de", "es", "pt", "it", "ru", "nl", "pl", "tr", "id", "hi", "ar", "zh", "ja", "uk",
                  "el", "sk", "cs", "sv", "da", "no", "fi", "ro", "hu", "bn", "ur", "fa", "ko", "vi")


def _written_date(value: str, languages: tuple[str, ...]) -> datetime | None:
    """The slow path, for the few dates the quick readers cannot read: dateparser, imported on first use."""
    if not _YEAR.search(value) or len(value) > 100:
        return None
    try:
        return _date_parser(tuple(dict.fromkeys((*languages, *NEWS_LANGUAGES)))).get_date_data(value).date_obj
    except (ValueError, OverflowError):
        return None


@functools.lru_cache(maxsize=8)
def _date_parser(languages: tuple[str, ...]):
    from dateparser.data.languages_info import language_order
    from dateparser.date import DateDataParser

    known = set(language_order)  # a feed may say "kn" or "x-klingon"
    return DateDataParser(languages=[code for code in languages if code in known], try_previous_locales=True,
                          settings={"PARSERS": ["custom-formats", "absolute-time"],
                                    "REQUIRE_PARTS": ["day", "month", "year"], "PREFER_DATES_FROM": "past"})
