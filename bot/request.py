"""The requests of the digest fan-out: python-telegram-bot's ``BaseRequest`` over an aiohttp client session
(HTTP/1.1, a pool of keep-alive connections, the same timeouts and errors as its own ``HTTPXRequest``), lighter
where a fan-out spends its CPU. aiohttp parses HTTP in C and writes a request's head and body in one go; httpx
(over httpcore and anyio) cost a sender about half its CPU a message, much of it checking a pooled connection's
socket before each request. The form body is encoded here, and a long value (a digest's text, the same for
thousands of chats) is quoted once, not for every chat."""

from __future__ import annotations

from urllib.parse import quote_plus

import aiohttp
from telegram.error import NetworkError, TimedOut
from telegram.request import BaseRequest, RequestData

_DEFAULT = type(BaseRequest.DEFAULT_NONE)  # a timeout not given: the client's
FORM = {"Content-Type": "application/x-www-form-urlencoded"}
QUOTED_LENGTH = 64  # values this long or longer are quoted once and kept
QUOTED_KEPT = 256  # texts kept quoted (a fan-out sends a few renderings; more: the oldest go)


class FanOutRequest(BaseRequest):
    """``connections``: the most requests at once (the fan-out's messages in flight). ``timeout``: to connect and
    between two reads of an answer (aiohttp has none for writing a request: a ``write_timeout`` given is not
    used); ``pool_timeout``: the wait for a free connection."""

    USER_AGENT = BaseRequest.USER_AGENT

    def __init__(self, connections: int, *, timeout: float = 5.0, pool_timeout: float = 30.0):
        self._connections = connections
        self._timeouts = {"read": timeout, "connect": timeout, "pool": pool_timeout}
        self._timeout = self._client_timeout(timeout, timeout, pool_timeout)
        self._session: aiohttp.ClientSession | None = None  # made in the running event loop (aiohttp needs one)
        self._quoted: dict[str, str] = {}

    @property
    def read_timeout(self) -> float | None:
        return self._timeouts["read"]

    @staticmethod
    def _client_timeout(read: float | None, connect: float | None, pool: float | None) -> aiohttp.ClientTimeout:
        # aiohttp's ``connect`` is the wait for a connection from the pool (a new one included), ``sock_connect``
        # the connecting of a new one; it has no timeout of its own for writing a request.
        return aiohttp.ClientTimeout(total=None, connect=pool, sock_connect=connect, sock_read=read)

    async def initialize(self) -> None:
        if self._session is None or self._session.closed:
            self._session = aiohttp.ClientSession(
                connector=aiohttp.TCPConnector(limit=self._connections, limit_per_host=0),
                headers={"User-Agent": self.USER_AGENT}, cookie_jar=aiohttp.DummyCookieJar(),
                timeout=self._timeout, raise_for_status=False,
            )

    async def shutdown(self) -> None:
        if self._session is not None and not self._session.closed:
            await self._session.close()

    def _quote(self, value: str) -> str:
        if len(value) < QUOTED_LENGTH:
            return quote_plus(value)
        quoted = self._quoted.get(value)
        if quoted is None:
            if len(self._quoted) >= QUOTED_KEPT:
                del self._quoted[next(iter(self._quoted))]
            quoted = self._quoted[value] = quote_plus(value)
        return quoted

    def _form(self, request_data: RequestData | None) -> bytes:
        if request_data is None:
            return b""
        return "&".join(f"{name}={self._quote(value)}"
                        for name, value in request_data.json_parameters.items()).encode("ascii")

    @staticmethod
    def _multipart(request_data: RequestData) -> aiohttp.FormData:
        """A request with files (not the fan-out's): the parameters and the files as multipart/form-data."""
        form = aiohttp.FormData()
        for name, value in request_data.json_parameters.items():
            form.add_field(name, value)
        for name, (filename, content, mimetype) in request_data.multipart_data.items():
            form.add_field(name, content, filename=filename, content_type=mimetype)
        return form

    async def do_request(self, url: str, method: str, request_data: RequestData | None = None,
                         read_timeout=BaseRequest.DEFAULT_NONE, write_timeout=BaseRequest.DEFAULT_NONE,
                         connect_timeout=BaseRequest.DEFAULT_NONE, pool_timeout=BaseRequest.DEFAULT_NONE,
                         ) -> tuple[int, bytes]:
        if self._session is None or self._session.closed:
            await self.initialize()
        timeout = self._timeout
        if not (isinstance(read_timeout, _DEFAULT) and isinstance(connect_timeout, _DEFAULT)
                and isinstance(pool_timeout, _DEFAULT)):
            given = self._timeouts
            timeout = self._client_timeout(
                given["read"] if isinstance(read_timeout, _DEFAULT) else read_timeout,
                given["connect"] if isinstance(connect_timeout, _DEFAULT) else connect_timeout,
                given["pool"] if isinstance(pool_timeout, _DEFAULT) else pool_timeout,
            )
        if request_data is not None and request_data.contains_files:
            data, headers = self._multipart(request_data), None
        else:
            data, headers = self._form(request_data), FORM
        try:
            async with self._session.request(method, url, data=data, headers=headers, timeout=timeout) as response:
                return response.status, await response.read()
        except TimeoutError as error:  # aiohttp's timeouts are TimeoutErrors (asyncio.TimeoutError, 3.11 on)
            raise TimedOut(f"aiohttp.{error.__class__.__name__}: {error}" if str(error) else None) from error
        except aiohttp.ClientError as error:
            raise NetworkError(f"aiohttp.{error.__class__.__name__}: {error}") from error
