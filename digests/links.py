"""Canonical links and headline keys: how the same story from several sources is recognised."""

from __future__ import annotations

import base64
import re
import unicodedata
from urllib.parse import parse_qsl, unquote, urlencode, urljoin, urlsplit, urlunsplit

TRACKING = {"fbclid", "gclid", "dclid", "gbraid", "wbraid", "msclkid", "yclid", "igshid", "mc_cid", "mc_eid",
            "_hsenc", "_hsmi", "mkt_tok", "ocid", "cmpid", "wprss"}  # wprss: The Washington Post's feeds
_DEFAULT_PORTS = {"http": 80, "https": 443}
_NOT_WORD = re.compile(r"[\W_]+")


# Query parameters that redirectors put the real address in (Facebook's l.php?u=, Bing's url=, ...); Google's
# /url?q= is read only on that path, since q= is elsewhere a search.
_REDIRECT_PARAMETERS = ("url", "u", "dest", "destination", "redirect", "redirect_url", "redirect_uri", "target",
                        "goto", "out", "link", "to")
_STAR_LINK = re.compile(r"\*+(https?(?::|%3a)(?://|%2f%2f).*)$", re.IGNORECASE)  # Yahoo's ...*https://real.example/
_FEEDSPORTAL = re.compile(r"/l/(0L[0-9A-Za-z]+)/story\d*\.html?$")
# Feedsportal's escapes ("0L0Srue890N0C2013..." is "http://www.rue89.com/2013..."): "0" and a letter per character.
_FEEDSPORTAL_CODES = {"0A": "0", "0B": ".", "0C": "/", "0D": "?", "0E": "-", "0F": "=", "0G": "&", "0H": ",",
                      "0I": "_", "0J": "%", "0K": "+", "0L": "http://", "0N": ".com", "0O": ".co.uk", "0P": ";",
                      "0R": ":", "0S": "www.", "0T": "https://"}
_GOOGLE_NEWS = re.compile(r"^/(?:__i/rss/rd/|rss/)?articles/([A-Za-z0-9_-]+)")
UNWRAP_DEPTH = 3  # a redirect to a redirect to a redirect: that far and no further


def unwrap_redirect(link: str) -> str:
    """The address a redirect link leads to, when the link itself says it; else the link as it is.

    Reads the forms found in real feeds: ``https://redir.example/...*https://real.example/story`` (Yahoo),
    a redirector's ``?url=``/``?u=`` parameter holding a whole address, Google's ``/url?q=``, Feedsportal's
    ``/l/0L0S.../story01.htm`` and Google News' ``/rss/articles/CBMi...`` (the address is in the token).
    FeedBurner's ``/~r/.../~3/...`` hides it: its feeds give it as ``feedburner:origLink`` instead.
    """
    for _ in range(UNWRAP_DEPTH):
        if not _may_wrap(link):
            return link  # the common case, told without parsing
        inner = _inner_link(link)
        if inner is None:
            return link
        link = inner
    return link


def _may_wrap(link: str) -> bool:
    """Whether ``_inner_link`` may find an address in ``link``, told without parsing: it needs a "*",
    Feedsportal's "/l/", Google News' host, or a query with "http" or "%" in it (most queries, "utm_source=...",
    have neither). A link with a tab or line break in it, which ``urlsplit`` takes out, is parsed."""
    if "*" in link or "/l/" in link or "news.google." in link:
        return True
    if "?" not in link:
        return False
    if "\t" in link or "\n" in link or "\r" in link:
        return True
    query = link.partition("?")[2]  # holds urlsplit's query, if any
    return "http" in query or "%" in query or "news.google." in link.lower()


def _inner_link(link: str) -> str | None:
    if match := _STAR_LINK.search(link):
        inner = match.group(1)
        return unquote(inner) if inner[4:8].lower() in ("%3a/", "s%3a") else inner
    try:
        parts = urlsplit(link)
    except ValueError:
        return None
    host, path = (parts.hostname or "").lower(), parts.path
    if match := _FEEDSPORTAL.search(path):
        return _feedsportal(match.group(1))
    if host == "news.google.com" and (match := _GOOGLE_NEWS.match(path)):
        return _google_news(match.group(1))
    # a parameter holding an address has "http" in it, as written or percent-encoded: most queries have neither
    if parts.query and ("http" in parts.query or "%" in parts.query):
        names = _REDIRECT_PARAMETERS + (("q",) if path == "/url" else ())
        for name, value in parse_qsl(parts.query):
            if name.lower() in names and value.startswith(("http://", "https://")) and _is_web_link(value):
                return value
    return None


def _is_web_link(link: str) -> bool:
    try:
        parts = urlsplit(link)
        return parts.scheme in ("http", "https") and bool(parts.hostname) and " " not in link
    except ValueError:
        return False


def _feedsportal(code: str) -> str | None:
    pieces = re.findall(r"0[A-Z]|[^0]+|0", code)
    if any(len(piece) == 2 and piece[0] == "0" and piece not in _FEEDSPORTAL_CODES for piece in pieces):
        return None  # an escape we do not know: better the redirect than a wrong address
    link = "".join(_FEEDSPORTAL_CODES.get(piece, piece) for piece in pieces)
    return link if _is_web_link(link) else None


def _google_news(token: str) -> str | None:
    """The old tokens are a protobuf message whose field 4 is the article's address (newer ones are opaque)."""
    try:
        data = base64.urlsafe_b64decode(token + "=" * (-len(token) % 4))
    except ValueError:
        return None
    if not data.startswith(b"\x08\x13\x22") or len(data) < 5:
        return None
    length, start = data[3], 4
    if length & 0x80:  # a two-byte varint
        length, start = (length & 0x7F) | (data[4] << 7), 5
    try:
        link = data[start:start + length].decode("ascii")
    except UnicodeDecodeError:
        return None
    return link if len(link) == length and _is_web_link(link) else None


def is_web_address(link: str) -> bool:
    """An http(s) address with a host: what a reader can follow (``/news/story`` alone leads nowhere)."""
    return _is_web_link(link)


def absolute_link(link: str, *bases: str) -> str:
    """A relative link made whole against the first of ``bases`` that is a web address (a feed's site, its own
    URL); as it is when it already is one, or when nothing makes it one (no base; not a path: "Correct Value",
    an Atom id feedparser took for a link): then it is no address to follow."""
    if not link or is_web_address(link):
        return link
    for base in bases:
        if base and is_web_address(base):
            joined = urljoin(base, link)
            return joined if is_web_address(joined) else link
    return link


def canonical_link(link: str) -> str:
    """The link unwrapped from redirects (``unwrap_redirect``), without tracking parameters (``utm_*``, ``fbclid``,
    ``gclid``, ...), default port or case in the host.

    Anything that is not an http(s) URL is returned as it is.
    """
    link = unwrap_redirect(link.strip())
    try:
        parts = urlsplit(link)
        netloc = parts.netloc
        if "@" in netloc or ":" in netloc or "[" in netloc or "%" in netloc:
            port, hostname, user = parts.port, parts.hostname, parts.username or parts.password
        else:  # a bare host name (most links): what urlsplit's properties would make of it, without their parsing
            port, hostname, user = None, netloc.lower() or None, None
    except ValueError:
        return link
    if parts.scheme.lower() not in _DEFAULT_PORTS or not hostname:
        return link
    pairs = parse_qsl(parts.query, keep_blank_values=True) if parts.query else []
    query = [(k, v) for k, v in pairs if not k.lower().startswith("utm_") and k.lower() not in TRACKING]
    host = hostname.lower()
    if port and port != _DEFAULT_PORTS[parts.scheme.lower()]:
        host = f"{host}:{port}"
    if user:
        host = f"{netloc.rsplit('@', 1)[0]}@{host}"
    new_query = urlencode(query, doseq=True) if len(query) != len(pairs) else parts.query
    return urlunsplit((parts.scheme.lower(), host, parts.path or "/", new_query, parts.fragment))


def headline_key(title: str) -> str:
    """A headline reduced to its words: case, accents' forms, punctuation and spacing do not count."""
    text = unicodedata.normalize("NFKC", title).casefold()
    return " ".join(_NOT_WORD.sub(" ", text).split())[:500]
