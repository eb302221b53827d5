"""RSS 2.0, RSS 1.0 (RDF) and Atom, read with feedparser into the same ``RawArticle`` as the article XML.

feedparser only ever gets bytes (a string it could open as a path or URL), and only once
``refused_encoding`` found no encoding that could hide markup and ``declares_entities`` no entity
declaration, both in the raw bytes and in the text feedparser will decode them to (its own
``convert_to_utf8``: the HTTP charset, the declaration and its fallbacks as it reads them). Its strict
parser is expat with external entities off, and its loose fallback only knows the entities feedparser
passes it, which are then none. So no expansion, no local file and no network, whatever the feed is.
feedparser also decodes (BOM, HTTP charset, declared, sniffed legacy encodings). Its HTML sanitiser and
relative-URI rewriting are off: they cost three times the parse itself, and the HTML is never kept or
shown, only turned into text by ``cleaning``, which leaves out scripts, styles, frames and every attribute.

Media RSS's ``<media:description>`` is a photo's or a video's caption, not the item's: feedparser reads it as
the item's description (or content), so here it is kept apart as ``media_description`` and never becomes the
body or the summary (``<media:text>``, ``<media:credit>`` and ``<media:title>`` never did).

A keyword list is not a section. feedparser reads ``<dc:subject>`` as a category, beside the item's
``<category>``: BBC Urdu files each item under one ``<category term="world">`` and lists its keywords, places
and people in Urdu and English in a ``<dc:subject>`` ("چین، بھارت، ملائیشیا، ..., missing malaysia plane,
Investigator, study, pilot, china, india"). Here the tags a ``<dc:subject>`` made are noted (``dc_subjects``),
and they are an item's categories only when it has no other (an RSS 1.0 feed's one subject): ``entry_tags``.
"""

from __future__ import annotations

import difflib
import hashlib
import html
import io
import re
from collections.abc import Mapping
from datetime import UTC, datetime, tzinfo
from urllib.parse import urlsplit
from xml.sax.expatreader import ExpatParser

import feedparser
import feedparser.api
from feedparser.encodings import convert_to_utf8
from feedparser.namespaces import dc, mediarss

from digests.cleaning import fix_mojibake, html_to_text, is_boilerplate
from digests.headlines import without_publisher
from digests.links import absolute_link
from digests.stories import VIA
from digests.summary import shorten
from digests.topics import (is_curation_word, is_junk, is_person_scheme, name_in_order, publisher_initials,
                            site_name, without_feed_name)
from digests.parsing import (ENTITIES_REFUSED, ParseResult, RawArticle, Rejection, declares_entities, parse_date,
                             refused_encoding, utf8_if_misdeclared)

FEED_ROOTS = {"rss", "rdf", "feed", "channel"}  # RSS 0.9x-2.0, RSS 1.0 (rdf:RDF), Atom, CDF
_BOMS = [(b"\xef\xbb\xbf", "utf-8"), (b"\xff\xfe\x00\x00", "utf-32-le"), (b"\x00\x00\xfe\xff", "utf-32-be"),
         (b"\xff\xfe", "utf-16-le"), (b"\xfe\xff", "utf-16-be")]
_NUL_PATTERNS = [(b"\x00\x00\x00<", "utf-32-be"), (b"<\x00\x00\x00", "utf-32-le"), (b"\x00<", "utf-16-be"),
                 (b"<\x00", "utf-16-le")]
_SKIPPED = re.compile(r"<\?.*?\?>|<!--.*?-->|<!DOCTYPE[^>\[]*(?:\[.*?\])?\s*>", re.DOTALL | re.IGNORECASE)
_ROOT = re.compile(r"<(?:[\w.\-]+:)?([A-Za-z_][\w.\-]*)")
HEAD_BYTES = 16384  # enough for a declaration, comments and a DOCTYPE before the root
QUICK_HEAD_BYTES = 1024  # enough for most documents: tried first
_UNFINISHED = re.compile(r"<[!?]")  # a declaration, comment or DOCTYPE that the head cut short
_AFTER_NAME = frozenset(" \t\r\n>/")


def _start_media_description(self, attrs_d) -> None:
    self.push("media_description", 1)


def _end_media_description(self) -> None:
    self.pop("media_description")


_end_dc_subject_as_category = dc.Namespace._end_dc_subject


def _end_dc_subject(self) -> None:
    """feedparser's, which makes a ``<dc:subject>`` a tag like a ``<category>``, noting which tags it made
    (``dc_subjects``): the tags stay as feedparser reads them."""
    tags = self._get_context().setdefault("tags", [])
    count, last = len(tags), tags[-1]["term"] if tags else None
    _end_dc_subject_as_category(self)
    if len(tags) > count or tags and tags[-1]["term"] != last:
        self._get_context().setdefault("dc_subjects", []).append(tags[-1]["term"])


# feedparser's parsers take these methods from its namespace mixins, looked up when each element is met
mediarss.Namespace._start_media_description = _start_media_description
mediarss.Namespace._end_media_description = _end_media_description
dc.Namespace._end_dc_subject = _end_dc_subject


class _BufferedExpat(ExpatParser):
    """expat as feedparser's strict parser drives it, but handing on text in runs (``buffer_text``) rather than a
    piece per line and per entity: feedparser's handler pays per piece, and an escaped HTML body is a piece per
    "&lt;" and "&gt;" (a third of the parse). The pieces are joined anyway, so the feed reads the same."""

    def reset(self) -> None:
        super().reset()
        self._parser.buffer_text = True


def create_parser() -> ExpatParser:
    """The SAX driver ``xml.sax.make_parser`` takes from this module, for feedparser: see ``_BufferedExpat``."""
    return _BufferedExpat()


feedparser.api.PREFERRED_XML_PARSERS = [__name__]  # the modules feedparser asks make_parser for a driver


def _head_text(data: bytes, size: int) -> str:
    head = data[:size]
    for bom, encoding in _BOMS:
        if head.startswith(bom):
            return head[len(bom):].decode(encoding, "ignore")
    for pattern, encoding in _NUL_PATTERNS:
        if head.startswith(pattern):
            return head.decode(encoding, "ignore")
    return head.decode("latin-1")


def root_name(data: bytes) -> str:
    """The local name of the document's first element, lower-cased ('' if none is found).

    The first kilobyte usually tells; the full head is read only when it does not (no element in it, one
    that might be inside a comment or DOCTYPE going on past it, or a name the kilobyte may cut short)."""
    for size in (QUICK_HEAD_BYTES, HEAD_BYTES):
        text = _SKIPPED.sub("", _head_text(data, size))
        match = _ROOT.search(text)
        if (size == HEAD_BYTES or len(data) <= size
                or match and text[match.end():match.end() + 1] in _AFTER_NAME  # the name is whole
                and not _UNFINISHED.search(text, 0, match.start())):
            return match.group(1).lower() if match else ""
    return ""


def is_feed(data: bytes) -> bool:
    return root_name(data) in FEED_ROOTS


def parse_feed(
    data: bytes,
    *,
    shown: str,
    default_source: str,
    source_tz: tzinfo,
    headers: Mapping[str, str] | None = None,
    publisher_named: bool = False,
    url: str = "",
) -> ParseResult:
    """Parse an RSS/Atom document; ``headers`` are the HTTP response's (charset, Content-Location), ``url`` the
    address it was fetched from ('' for a file).

    Relative links are made whole: feedparser resolves them against ``xml:base`` (and Content-Location); what is
    still relative then, against the feed's site (its channel or alternate link), else its ``url``. A link that
    stays relative is stored as it is, and shown as no link.

    ``publisher_named``: the articles' source is the feed's publisher (``feed_publisher``), ``default_source``
    only when the feed has no title (a drop folder of many publishers' feeds)."""
    headers = {name.lower(): value for name, value in (headers or {}).items()}
    charset = _charset(headers.get("content-type", ""))
    # With no HTTP charset, the declaration is what feedparser reads; with one, its misreading is feedparser's.
    given = utf8_if_misdeclared(data) if charset is None else data
    read_as, text = _as_feedparser_reads(given, headers)
    if refused := refused_encoding(data, charset, read_as):
        return ParseResult(rejections=[Rejection(shown, refused)])
    if declares_entities(data) or declares_entities(text):
        return ParseResult(rejections=[Rejection(shown, ENTITIES_REFUSED)])
    data = given
    parsed = feedparser.parse(io.BytesIO(data), response_headers=headers, sanitize_html=False,
                              resolve_relative_uris=False)
    entries = parsed.get("entries", [])
    if not entries:
        problem = parsed.get("bozo_exception")
        reason = f"not a readable feed: {problem}" if problem else "the feed has no items"
        return ParseResult(rejections=[Rejection(shown, reason)])
    channel = parsed.get("feed", {})
    feed_link = absolute_link(str(channel.get("link") or ""), url)
    feed_title = " ".join(str(channel.get("title") or "").split())
    languages = feed_languages(channel)
    feed_date = channel_date(channel, source_tz, languages)
    publisher = feed_publisher(channel)
    initials = publisher_initials(publisher)  # a series it brands with them is no topic ("FP Weekend")
    if publisher_named:
        default_source = publisher or default_source
    result = ParseResult()
    for number, entry in enumerate(entries, start=1):
        article = entry_article(entry, default_source=default_source, source_tz=source_tz, feed_link=feed_link,
                                languages=languages, feed_date=feed_date, feed_title=feed_title,
                                initials=initials, feed_url=url)
        if isinstance(article, str):
            where = shown if len(entries) == 1 else f"{shown} (item {number})"
            result.rejections.append(Rejection(where, article))
        else:
            result.articles.append(article)
    return result


PUBLISHER_CHARS = 200  # the source column's width
_TITLE_PARTS = re.compile(r"\s+[-–—|:·•>»]+\s+|\s*:\s+|\s*--\s*")  # "Publisher - Section", "Section: tagline"
_FEED_WORDS = re.compile(r"\s+(?:rss\s+)?feed$|\s+rss$", re.IGNORECASE)  # "TheWeek feed"
_NOT_NAME_LABELS = frozenset({"www", "www1", "www2", "rss", "feed", "feeds", "news", "blog", "blogs", "com", "net",
                              "org", "gov", "edu"})
_COPYRIGHT = re.compile(r"copyright|\(c\)|©|\ball rights reserved\b.*|\b\d{4}\b|[.,]", re.IGNORECASE)
SECTION_WORDS = 3  # a title part this short that names no site is a section's name ("Asia", "Top Stories")


def feed_publisher(channel: Mapping) -> str:
    """The publisher a feed names, from its title (its mojibake repaired, a dangling separator and a trailing
    "feed" off: "Rest of World - " is "Rest of World", "TheWeek feed" "TheWeek"), at most the source column's
    width; '' for none.

    A title's parts are in no fixed order ("CNN.com - Top Stories", "Top stories - Google News"), and besides the
    publisher they name a section or a slogan. The part that names the feed's site (its link's host) is the
    publisher: "Al-Monitor" of "Al-Monitor: The Pulse of The Middle East", "The Washington Post" of "Wellness:
    Health, Fitness, Nutrition & More - The Washington Post"; a title in one part that names it is kept as it
    is ("Foreign Policy", "All TPM News" for talkingpointsmemo.com), but for the words it adds to a name the
    channel gives elsewhere ("Latest News चीन News18 हिंदी" is its image's "News18 हिंदी", "Flux RSS du magazine de
    psychologie Le Cercle Psy" its copyright's "Le Cercle Psy"). A title that does not may be a section's
    name (The Economist's "Asia", ABC Australia's "Top Stories"): then the first of the channel's author ("ABC
    News"), publisher, image title or copyright holder that names the site is the publisher; failing those, a
    title whose first part is a section's name (a curation label, "Новости", or at most three Latin words:
    "World News: Breaking news, ...") gives way to the site's address ("economist.com", "boston.com")."""
    title = _tidy_name(str(channel.get("title") or ""))
    host = (urlsplit(str(channel.get("link") or "")).hostname or "").removeprefix("www.")
    keys = _site_keys(host)
    if not keys:
        return title
    copyright_holder = " ".join(_COPYRIGHT.sub(" ", str(channel.get("rights") or "")).split())
    others = [_tidy_name(name) for name in ((channel.get("author_detail") or {}).get("name"),
                                            (channel.get("publisher_detail") or {}).get("name"),
                                            (channel.get("image") or {}).get("title"), copyright_holder)
              if name and not re.search(r"[@/]", name) and _names_site(name, keys)]
    parts = [part for part in _TITLE_PARTS.split(title) if part.strip()]
    if named := next((_tidy_name(part) for part in parts if _names_site(part, keys)), None) or (
            title if _names_site(title, keys) else None):
        # the channel's shorter name for it, where the title adds words ("Latest News चीन News18 हिंदी")
        named = min((name for name in others if name in named), key=len, default=named)
        return _without_section(named, keys, _link_words(channel), host)
    if others:
        return others[0]
    first = parts[0] if parts else ""
    # a name in another script than the address's cannot be told from a section's by its words
    short = len(first.split()) <= SECTION_WORDS and re.search("[A-Za-z]", first)
    return host[:PUBLISHER_CHARS] if not title or is_junk(first) or short else title


def _without_section(name: str, keys: list[str], link_words: set[str], host: str) -> str:
    """A name less the section its words end with after the site's own name: "Bloomberg Markets"
    (bloomberg.com/markets/) is "Bloomberg", "NPR Topics" is "NPR". Words are a section's when the paths of
    the channel's links name them or they are curation words ("Topics", "News", "Top Stories"), but not when
    the host does ("Google News" of news.google.com); any other word after the site's name is part of it
    ("News18 हिंदी", "NBC New York")."""
    words = name.split()
    at = next((n for n, word in enumerate(words) if _squashed(word) in keys), None)
    if at is None or at == len(words) - 1:
        return name
    rest = [_squashed(word) for word in words[at + 1:]]
    in_host = set(host.split("."))
    if any(rest) and all(word not in in_host and (word in link_words or is_curation_word(word))
                         for word in rest if word):
        return " ".join(words[:at + 1])
    return name


def _link_words(channel: Mapping) -> set[str]:
    """The words of the paths of a channel's links (its own and its image's): "markets" of
    bloomberg.com/markets/, "sections" and "world" of npr.org/sections/world/."""
    links = (channel.get("link"), (channel.get("image") or {}).get("link"))
    return {word for link in links if link for word in re.split(r"[^a-z0-9]+", urlsplit(str(link)).path.casefold())
            if word}


def _tidy_name(name: str) -> str:
    name = fix_mojibake(" ".join(name.split())).rstrip(" -–—|:·•>»,;")
    return (_FEED_WORDS.sub("", name) or name)[:PUBLISHER_CHARS].rstrip()


def _site_keys(host: str) -> list[str]:
    """The parts of a site's address that may be its name: "talkingpointsmemo" of talkingpointsmemo.com, "bbc" of
    www.bbc.co.uk, "le-cercle-psy" and "scienceshumaines" of le-cercle-psy.scienceshumaines.com."""
    labels = host.split(".")[:-1]
    return [_squashed(label) for label in labels
            if len(label) >= 3 and label not in _NOT_NAME_LABELS and not label.isdigit()]


def _squashed(text: str) -> str:
    return "".join(ch for ch in text.casefold() if ch.isalnum())


def _names_site(name: str, keys: list[str]) -> bool:
    """Whether a name carries the site's: written out ("The Moscow Times", themoscowtimes.com), nearly so
    ("Varthabharathi", varthabahrati.in), or by its initials ("TPM", "Australian Broadcasting Corporation")."""
    squashed = _squashed(name)
    words = [_squashed(word) for word in name.split()]
    capitals = [word for word in (word.strip(".,:;()'\"") for word in name.split())
                if 2 <= len(word) <= 5 and word.isalpha() and word.isupper()]
    initials = "".join(word[0] for word in name.split() if word[:1].isupper())
    for key in keys:
        if key in squashed or squashed and squashed in key or initials.casefold() == key:
            return True
        if any(difflib.SequenceMatcher(None, word, key).ratio() >= 0.8 for word in words if len(word) >= 5):
            return True
        if any(_initials_of(capital.casefold(), key) for capital in capitals):
            return True
    return False


def _initials_of(acronym: str, key: str) -> bool:
    """"tpm" of "talkingpointsmemo": its letters in order, the first the key's first."""
    if not key.startswith(acronym[0]):
        return False
    rest = iter(key[1:])
    return all(letter in rest for letter in acronym[1:])


def _as_feedparser_reads(data: bytes, headers: Mapping[str, str]) -> tuple[str, bytes]:
    """The encoding feedparser will read the document in ('' if none works) and the UTF-8 its parsers get."""
    found: dict = {}
    text = convert_to_utf8(headers, data, found)
    return found.get("encoding", ""), text


def _charset(content_type: str) -> str | None:
    match = re.search(r"""charset\s*=\s*["']?\s*([\w.:\-]+)""", content_type, re.IGNORECASE)
    return match.group(1) if match else None


def _plain(value: str, content_type: str = "") -> str:
    """A feed text construct as one line of plain text (its HTML, if any, taken off)."""
    if "html" in content_type:
        value = html_to_text(value)
    return " ".join(value.split())


def _as_html(detail: Mapping) -> str:
    value = detail["value"]
    return value if "html" in detail.get("type", "text/html") else html.escape(value)


def entry_body(entry: Mapping) -> str:
    """The entry's HTML body: its full content if it has one, else its summary/description."""
    candidates = [*entry.get("content", []), entry.get("summary_detail")]
    for detail in candidates:
        if detail and detail.get("value", "").strip():
            return _as_html(detail)
    return ""


def entry_description(entry: Mapping, body: str) -> str:
    """The entry's own short description (RSS ``<description>``, Atom ``<summary>``) as HTML, when its body is
    another, fuller text; else ''. It may give the better summary: it is what the publisher wrote as one."""
    detail = entry.get("summary_detail")
    if not detail or not detail.get("value", "").strip():
        return ""
    description = _as_html(detail)
    return "" if description == body else description


def feed_languages(channel: Mapping) -> tuple[str, ...]:
    """The feed's language as dateparser names it ("pt-BR", "en_US" -> "pt", "en"), if it says one (its
    ``<language>``, or an Atom feed's ``xml:lang``)."""
    said = channel.get("language") or (channel.get("title_detail") or {}).get("language") or ""
    code = re.split(r"[-_]", str(said).strip().lower())[0]
    return (code,) if code.isalpha() and 2 <= len(code) <= 3 else ()


def channel_date(channel: Mapping, source_tz: tzinfo, languages: tuple[str, ...] = ()) -> datetime | None:
    """The feed's own date (``pubDate``, ``lastBuildDate``, Atom ``updated``, ``dc:date``): the earliest it
    gives, the closest bound on when its undated items were published."""
    plain = dict(channel)  # not feedparser's mapping, which warns of its updated/published fallback
    return min(filter(None, (entry_date(plain, source_tz, languages, keys=(key,))
                             for key in ("published", "updated"))), default=None)


def entry_date(entry: Mapping, source_tz: tzinfo, languages: tuple[str, ...] = (),
               keys: tuple[str, ...] = ("published", "updated", "created")) -> datetime | None:
    """Published (else updated) date: our reading first, so naive times are in the source's timezone, and
    dates feedparser misreads ("2020/1/10" as 1 November) are read right; feedparser's as a last resort."""
    for key in keys:
        if entry.get(key):
            moment = parse_date(entry[key], source_tz, languages)
            if moment is None and entry.get(f"{key}_parsed"):
                moment = datetime(*entry[f"{key}_parsed"][:6], tzinfo=UTC)
            if moment is not None:
                return moment
    return None


def entry_link(entry: Mapping, feed_link: str, body: str, feed_url: str = "") -> str:
    """The item's link (FeedBurner's or Pheedo's ``origLink`` rather than their redirect: the Washington Post's
    ``feeds.washingtonpost.com/click.phdo?i=...``); else its guid if that is a URL; else the feed's site with a
    stable fragment. A relative link is made whole against the feed's site, else its ``feed_url``
    (``absolute_link``; feedparser has already applied ``xml:base``).

    RSS allows items with only a description: they still go in, linked to the site that published them.
    """
    guid = entry.get("id") or ""
    original = (entry.get("feedburner_origlink") or entry.get("pheedo_origlink") or "").strip()
    link = original if original.startswith(("http://", "https://")) else entry.get("link")
    link = (link or (guid if guid.startswith(("http://", "https://")) else "")).strip()
    link = absolute_link(link, feed_link, feed_url)
    if link or not feed_link.startswith(("http://", "https://")):
        return link
    digest = hashlib.sha1((guid or entry.get("title", "") + body).encode("utf-8", "replace")).hexdigest()
    return f"{feed_link.split('#')[0]}#item-{digest[:12]}"


def entry_tags(entry: Mapping) -> list[Mapping]:
    """The item's categories: its ``<category>`` (Atom's too) if it has any, else its ``<dc:subject>``."""
    tags = entry.get("tags") or []
    subjects = set(entry.get("dc_subjects") or ())
    own = [tag for tag in tags if not (tag.get("term") in subjects and not tag.get("scheme") and not tag.get("label"))]
    return own or tags


def _category(tag: Mapping) -> str:
    """A category's label; a person's name written surname first in reading order when its scheme says it is
    one (the New York Times' ``nyt_per``: "Musk, Elon" is "Elon Musk")."""
    label = " ".join((tag.get("term") or tag.get("label") or "").split())
    if is_person_scheme(tag.get("scheme") or ""):
        label = name_in_order(label, person=True) or label
    return label


def aggregated_publisher(entry: Mapping, title: str, body: str, feed_title: str = "") -> str:
    """The outlet that wrote an aggregator's item (Google News: "Headline - Publisher"), '' for the feed's own.

    Its ``<source>`` names it, when the item has no author of its own and the source is not the feed itself
    (the Washington Post's items name the Post); an Atom entry, which has none, shows it by shape: its title
    ends with " - Publisher" and its body is the aggregator's list of coverage, opening with a link to the
    headline followed by that publisher's name."""
    named = " ".join(str((entry.get("source") or {}).get("title") or "").split())
    if named:
        return "" if entry.get("author") or named.casefold() in feed_title.casefold() else named
    headline, dash, publisher = title.rpartition(" - ")
    if dash and headline and 0 < len(publisher) <= 60 and (match := _FIRST_LINK.match(body)):
        if _plain_html(match.group(1)) == " ".join(headline.split()) and _plain_html(
                _TAG.sub(" ", body[match.end():match.end() + 300])).startswith(" ".join(publisher.split())):
            return publisher
    return ""


# the opening link of an aggregator's list of coverage: "<ol><li><a href=...>Headline</a>&nbsp;&nbsp;<font>..."
_FIRST_LINK = re.compile(r"\s*(?:<[ou]l>\s*<li>\s*)?<a\s[^>]*>([^<]{1,500})</a>", re.IGNORECASE)
_TAG = re.compile(r"<[^>]*>")


def _plain_html(fragment: str) -> str:
    return " ".join(html.unescape(fragment).split())


def is_coverage_list(body: str, headline: str) -> bool:
    """An aggregator's body that is only its list of coverage: the first link is the item's own headline."""
    match = _FIRST_LINK.match(body)
    return bool(match) and _plain_html(match.group(1)) == " ".join(headline.split())


def entry_article(entry: Mapping, *, default_source: str, source_tz: tzinfo, feed_link: str = "",
                  languages: tuple[str, ...] = (), feed_date: datetime | None = None,
                  feed_title: str = "", initials: str = "", feed_url: str = "") -> RawArticle | str:
    """The entry as a ``RawArticle``, or the reason it cannot be one. No title: the body's first words.

    An aggregator's item loses the publisher its headline ends with and its list of other outlets' coverage
    (neither is the story); the publisher is credited as "via Publisher" in ``author``, which readers see.
    ``initials``: the feed's publisher's, which its labels lose ("FP Weekend" is "Weekend")."""
    body = entry_body(entry)
    # not title_detail's value: feedparser may leave a nested <title> (an <image>'s) there
    title_type = (entry.get("title_detail") or {}).get("type", "")
    title = fix_mojibake(_plain(entry.get("title", ""), title_type)) or shorten(html_to_text(body), 120)
    author = fix_mojibake(" ".join(entry.get("author", "").split()))
    description = entry_description(entry, body)
    if publisher := aggregated_publisher(entry, title, body, feed_title):
        title = without_publisher(title, publisher)
        author = f"{VIA}{publisher}"
        if is_coverage_list(body, title):
            body = ""
        if is_coverage_list(description, title):
            description = ""
    link = entry_link(entry, feed_link, body, feed_url)
    guid = entry.get("id") or ""
    if not title:
        return "missing <title> (and no text to take one from)"
    if is_boilerplate(title) and not html_to_text(body):  # "Featured Advertiser" over an ad's image
        return f"an advertisement, not an article ({title!r})"
    if not link:
        return "missing <link>"
    tags = entry_tags(entry)
    site = site_name(feed_link) if tags else ""
    categories = [without_feed_name(_category(tag), site, initials) for tag in tags]
    language = (entry.get("title_detail") or {}).get("language") or (languages[0] if languages else "")
    return RawArticle(
        source=default_source,
        language=language or "",
        title=title,
        link=link,
        external_id=guid.strip() or None,
        published_at=entry_date(entry, source_tz, languages),
        feed_date=feed_date,
        categories=[name for name in categories if name],
        author=author or None,
        html=body,
        description=description,
    )
