"""Canonical links and headline keys: how the same story from several sources is recognised."""

from __future__ import annotations

import re
import unicodedata
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

TRACKING = {"fbclid", "gclid", "dclid", "gbraid", "wbraid", "msclkid", "yclid", "igshid", "mc_cid", "mc_eid",
            "_hsenc", "_hsmi", "mkt_tok", "ocid", "cmpid"}
_DEFAULT_PORTS = {"http": 80, "https": 443}
_NOT_WORD = re.compile(r"[\W_]+")


def canonical_link(link: str) -> str:
    """The link without tracking parameters (``utm_*``, ``fbclid``, ``gclid``, ...), default port or case in the host.

    Anything that is not an http(s) URL is returned as it is.
    """
    link = link.strip()
    try:
        parts = urlsplit(link)
        port = parts.port
    except ValueError:
        return link
    if parts.scheme.lower() not in _DEFAULT_PORTS or not parts.hostname:
        return link
    pairs = parse_qsl(parts.query, keep_blank_values=True) if parts.query else []
    query = [(k, v) for k, v in pairs if not k.lower().startswith("utm_") and k.lower() not in TRACKING]
    host = parts.hostname.lower()
    if port and port != _DEFAULT_PORTS[parts.scheme.lower()]:
        host = f"{host}:{port}"
    if parts.username or parts.password:
        host = f"{parts.netloc.rsplit('@', 1)[0]}@{host}"
    new_query = urlencode(query, doseq=True) if len(query) != len(pairs) else parts.query
    return urlunsplit((parts.scheme.lower(), host, parts.path or "/", new_query, parts.fragment))


def headline_key(title: str) -> str:
    """A headline reduced to its words: case, accents' forms, punctuation and spacing do not count."""
    text = unicodedata.normalize("NFKC", title).casefold()
    return " ".join(_NOT_WORD.sub(" ", text).split())[:500]
