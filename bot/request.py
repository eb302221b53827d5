"""The requests of the digest fan-out: python-telegram-bot's ``BaseRequest`` over an httpx client, as its own
``HTTPXRequest`` does (HTTP/1.1, keep-alive connections, the same timeouts and errors), lighter where a fan-out
spends its CPU: the form body is encoded here, and a long value (a digest's text, the same for thousands of
chats) is quoted once, not for every chat."""

from __future__ import annotations

from urllib.parse import quote_plus

import httpx
from telegram.error import NetworkError, TimedOut
from telegram.request import BaseRequest, RequestData

_DEFAULT = type(BaseRequest.DEFAULT_NONE)  # a timeout not given: the client's
FORM = {"Content-Type": "application/x-www-form-urlencoded"}
QUOTED_LENGTH = 64  # values this long or longer are quoted once and kept
QUOTED_KEPT = 256  # texts kept quoted (a fan-out sends a few renderings; more: the oldest go)


class FanOutRequest(BaseRequest):
    """``connections``: the most requests at once (the fan-out's messages in flight)."""

    USER_AGENT = BaseRequest.USER_AGENT

    def __init__(self, connections: int, *, timeout: float = 5.0, pool_timeout: float = 30.0):
        self._client = httpx.AsyncClient(
            http1=True, http2=False,
            limits=httpx.Limits(max_connections=connections, max_keepalive_connections=connections),
            timeout=httpx.Timeout(timeout, pool=pool_timeout),
            headers={"User-Agent": self.USER_AGENT},
        )
        self._quoted: dict[str, str] = {}

    @property
    def read_timeout(self) -> float | None:
        return self._client.timeout.read

    async def initialize(self) -> None:
        pass

    async def shutdown(self) -> None:
        await self._client.aclose()

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

    async def do_request(self, url: str, method: str, request_data: RequestData | None = None,
                         read_timeout=BaseRequest.DEFAULT_NONE, write_timeout=BaseRequest.DEFAULT_NONE,
                         connect_timeout=BaseRequest.DEFAULT_NONE, pool_timeout=BaseRequest.DEFAULT_NONE,
                         ) -> tuple[int, bytes]:
        given = self._client.timeout
        timeout = httpx.Timeout(
            connect=given.connect if isinstance(connect_timeout, _DEFAULT) else connect_timeout,
            read=given.read if isinstance(read_timeout, _DEFAULT) else read_timeout,
            write=given.write if isinstance(write_timeout, _DEFAULT) else write_timeout,
            pool=given.pool if isinstance(pool_timeout, _DEFAULT) else pool_timeout,
        )
        try:
            if request_data is not None and request_data.contains_files:  # not the fan-out's: as HTTPXRequest
                response = await self._client.request(method, url, timeout=timeout, files=request_data.multipart_data,
                                                      data=request_data.json_parameters)
            else:
                response = await self._client.request(method, url, timeout=timeout, content=self._form(request_data),
                                                      headers=FORM)
        except httpx.TimeoutException as error:
            if isinstance(error, httpx.PoolTimeout):
                raise TimedOut("Pool timeout: all connections in the pool are busy; the request was not sent") from error
            raise TimedOut from error
        except httpx.HTTPError as error:
            raise NetworkError(f"httpx.{error.__class__.__name__}: {error}") from error
        return response.status_code, response.content
