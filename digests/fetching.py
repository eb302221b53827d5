"""HTTP for URL sources (httpx): conditional GET, a timeout, a size cap, bounded redirects, an honest User-Agent.

Errors come back as ``FetchError`` with a one-line reason for the operator; nothing else escapes.
"""

from __future__ import annotations

import importlib.metadata
import time
from dataclasses import dataclass, field
from datetime import datetime, timedelta

import httpx

try:
    __version__ = importlib.metadata.version("newsdigest")
except importlib.metadata.PackageNotFoundError:  # running from a checkout that was not installed
    __version__ = "0"


DEFAULT_TIMEOUT_SECONDS = 20.0
MAX_REDIRECTS = 5
MAX_BACKOFF = timedelta(hours=6)
ACCEPT = "application/rss+xml, application/atom+xml, application/xml;q=0.9, text/xml;q=0.9, */*;q=0.5"


class FetchError(Exception):
    """The source could not be fetched; the message says why."""


@dataclass
class Fetched:
    """A 200 with its body, or ``not_modified`` for a 304 (no body)."""

    url: str
    not_modified: bool = False
    body: bytes = b""
    headers: dict[str, str] = field(default_factory=dict)
    etag: str | None = None
    last_modified: str | None = None


def user_agent(contact: str | None) -> str:
    """``newsdigest/VERSION (+CONTACT)``: who is fetching, and how a feed's owner reaches the operator."""
    return f"newsdigest/{__version__} (+{contact})" if contact else f"newsdigest/{__version__}"


def next_attempt(now: datetime, poll: timedelta, failures: int) -> datetime:
    """The next poll: one interval after a success, doubling with each consecutive failure, up to 6 hours."""
    if failures == 0:
        return now + poll
    return now + min(poll * 2 ** (failures - 1), max(MAX_BACKOFF, poll))


class Fetcher:
    def __init__(self, *, agent: str, timeout: float = DEFAULT_TIMEOUT_SECONDS, max_bytes: int,
                 max_redirects: int = MAX_REDIRECTS):
        self.timeout, self.max_bytes = timeout, max_bytes
        self.client = httpx.Client(
            headers={"User-Agent": agent, "Accept": ACCEPT},
            timeout=httpx.Timeout(timeout), follow_redirects=True, max_redirects=max_redirects, trust_env=False,
        )

    def close(self) -> None:
        self.client.close()

    def __enter__(self) -> Fetcher:
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    def get(self, url: str, *, etag: str | None = None, last_modified: str | None = None) -> Fetched:
        headers = {}
        if etag:
            headers["If-None-Match"] = etag
        if last_modified:
            headers["If-Modified-Since"] = last_modified
        try:
            return self._get(url, headers)
        except httpx.TooManyRedirects:
            raise FetchError("too many redirects") from None
        except httpx.TimeoutException:
            raise FetchError(f"timed out after {self.timeout:g} s") from None
        except httpx.HTTPError as exc:
            raise FetchError(f"{type(exc).__name__}: {exc}") from None

    def _get(self, url: str, headers: dict[str, str]) -> Fetched:
        deadline = time.monotonic() + self.timeout  # httpx's timeout is per read; a slow drip must end too
        with self.client.stream("GET", url, headers=headers) as response:
            if response.status_code == 304:
                return Fetched(str(response.url), not_modified=True,
                               etag=response.headers.get("etag", headers.get("If-None-Match")),
                               last_modified=response.headers.get("last-modified", headers.get("If-Modified-Since")))
            if response.status_code != 200:
                raise FetchError(f"HTTP {response.status_code} {response.reason_phrase}".strip())
            declared = response.headers.get("content-length", "")
            if declared.isdigit() and int(declared) > self.max_bytes:
                raise FetchError(f"response too large ({declared} bytes, limit {self.max_bytes})")
            chunks, size = [], 0
            for chunk in response.iter_bytes():
                size += len(chunk)
                if size > self.max_bytes:
                    raise FetchError(f"response too large (over {self.max_bytes} bytes)")
                if time.monotonic() > deadline:
                    raise FetchError(f"timed out after {self.timeout:g} s (body still arriving)")
                chunks.append(chunk)
            return Fetched(str(response.url), body=b"".join(chunks), headers=dict(response.headers),
                           etag=response.headers.get("etag"), last_modified=response.headers.get("last-modified"))
