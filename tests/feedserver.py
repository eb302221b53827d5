"""A small HTTP server on 127.0.0.1 for the URL-source tests: routes with bodies, headers and misbehaviour."""

from __future__ import annotations

import threading
import time
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer


@dataclass
class Route:
    body: bytes = b""
    status: int = 200
    headers: dict[str, str] = field(default_factory=dict)
    redirect_to: str | None = None
    drip_seconds: float = 0  # pause between 1 KB chunks: a slow server
    endless: bool = False  # keep sending until the client gives up (no Content-Length)


class FeedServer:
    def __init__(self):
        self.routes: dict[str, Route] = {}
        self.requests: list[tuple[str, dict[str, str]]] = []  # (path, headers) of each request
        self._server: ThreadingHTTPServer | None = None

    def url(self, path: str) -> str:
        host, port = self._server.server_address[:2]
        return f"http://{host}:{port}{path}"

    def start(self) -> None:
        server = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self):  # noqa: N802 - the stdlib's name
                server.requests.append((self.path, {k.lower(): v for k, v in self.headers.items()}))
                route = server.routes.get(self.path)
                try:
                    server._answer(self, route)
                except (BrokenPipeError, ConnectionResetError):
                    pass

            def log_message(self, *args):
                pass

        self._server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self._server.daemon_threads = True
        threading.Thread(target=self._server.serve_forever, daemon=True).start()

    def stop(self) -> None:
        self._server.shutdown()
        self._server.server_close()

    def _answer(self, request: BaseHTTPRequestHandler, route: Route | None) -> None:
        if route is None:
            request.send_error(404)
            return
        if route.redirect_to:
            request.send_response(302)
            request.send_header("Location", route.redirect_to)
            request.send_header("Content-Length", "0")
            request.end_headers()
            return
        etag = route.headers.get("ETag")
        if etag and request.headers.get("If-None-Match") == etag:
            request.send_response(304)
            request.send_header("ETag", etag)
            request.end_headers()
            return
        request.send_response(route.status)
        for name, value in route.headers.items():
            request.send_header(name, value)
        if not route.endless:
            request.send_header("Content-Length", str(len(route.body)))
        request.end_headers()
        if route.endless:
            deadline = time.monotonic() + 30  # bounded even if the client never gives up
            while time.monotonic() < deadline:
                request.wfile.write(b"x" * 65536)
            return
        for start in range(0, len(route.body), 1024):
            request.wfile.write(route.body[start:start + 1024])
            request.wfile.flush()
            if route.drip_seconds:
                time.sleep(route.drip_seconds)
