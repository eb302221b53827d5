"""``newsdigest serve``: Telegram's webhook behind a reverse proxy, and ``newsdigest webhook set|delete|info``.

The web side follows python-telegram-bot's customwebhookbot example (Starlette on uvicorn, an ``Application``
without an updater): PTB's own webhook server (tornado) cannot also answer ``/healthz``. Two routes:

- ``POST WEBHOOK_PATH``: an update. Without the right ``X-Telegram-Bot-Api-Secret-Token`` it gets 403 and is not
  read. Otherwise it is handled before the answer goes back, so Telegram counts an update as delivered only once
  it has been handled: a process killed mid-update leaves it unacknowledged, and Telegram sends it again (to this
  process or another behind the same proxy).
- ``GET /healthz``: 200 when the database answers, 503 when it does not, for load balancers.

Nothing is kept in memory between updates (buttons carry their state, the rest is in the database), so any
number of ``serve`` processes may answer the same bot.
"""

from __future__ import annotations

import asyncio
import hmac
import logging
import signal
import socket

import uvicorn
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import PlainTextResponse, Response
from starlette.routing import Route
from telegram import Bot, Update, WebhookInfo
from telegram.ext import Application

from bot.app import ALLOWED_UPDATES, build_application
from bot.settings import Settings
from digests.storage import Store

log = logging.getLogger(__name__)

SECRET_HEADER = "X-Telegram-Bot-Api-Secret-Token"
HEALTH_TIMEOUT = 5.0  # seconds the database may take to answer /healthz
GRACEFUL_SECONDS = 30  # on SIGTERM, updates being handled get this long to finish (the rest Telegram resends)


class ListenError(Exception):
    """The listen address cannot be used; the message names the settings."""


def web_app(application: Application, store: Store, settings: Settings) -> Starlette:
    secret = (settings.webhook_secret or "").encode()

    async def telegram(request: Request) -> Response:
        given = request.headers.get(SECRET_HEADER, "").encode()
        if not secret or not hmac.compare_digest(given, secret):  # constant time: no guessing it byte by byte
            log.warning("Refused an update without the right secret token from %s",
                        request.client.host if request.client else "an unknown address")
            return PlainTextResponse("Forbidden", status_code=403)
        try:
            update = Update.de_json(await request.json(), application.bot)
        except Exception:  # noqa: BLE001 - not JSON, or not an update: nothing to handle
            return PlainTextResponse("Not an update", status_code=400)
        await application.process_update(update)  # errors go to the error handler (bot/handlers.py)
        return Response()

    healthy = [True]  # only to log the changes, not every check of the load balancer

    async def healthz(request: Request) -> Response:
        try:
            await asyncio.wait_for(asyncio.to_thread(store.ping), HEALTH_TIMEOUT)
        except Exception as error:  # noqa: BLE001 - whatever the reason, the database does not answer
            if healthy[0]:
                reason = str(getattr(error, "orig", None) or error or type(error).__name__).splitlines()[0]
                log.error("Health check: the database does not answer: %s", reason)
            healthy[0] = False
            return PlainTextResponse("database not answering\n", status_code=503)
        if not healthy[0]:
            log.info("Health check: the database answers again")
        healthy[0] = True
        return PlainTextResponse("ok\n")

    return Starlette(routes=[Route(settings.webhook_path, telegram, methods=["POST"]),
                             Route("/healthz", healthz, methods=["GET"])])


def listen(settings: Settings) -> socket.socket:
    """The listening socket, bound before anything else starts, so a wrong address fails at once."""
    host, port = settings.webhook_listen, settings.webhook_port
    try:
        family, kind, proto, _, address = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM,
                                                             flags=socket.AI_PASSIVE)[0]
        sock = socket.socket(family, kind, proto)
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        sock.bind(address)
        sock.listen(2048)
    except OSError as error:
        raise ListenError(f"Cannot listen on {host}:{port} (WEBHOOK_LISTEN, WEBHOOK_PORT): "
                          f"{error.strerror or error}") from None
    return sock


def serve(settings: Settings, store: Store, sock: socket.socket, *, jobs: bool) -> None:
    """Answer the webhook on ``sock`` (from ``listen``) until SIGINT or SIGTERM; with ``jobs`` also ingest and send
    digests, as ``run`` does."""
    asyncio.run(_serve(settings, store, sock, jobs))


async def _serve(settings: Settings, store: Store, sock: socket.socket, jobs: bool) -> None:
    application = build_application(settings, store, schedule=jobs, polling=False, worker=not settings.sqlite)
    config = uvicorn.Config(web_app(application, store, settings), lifespan="off", log_config=None,
                            access_log=False, server_header=False, timeout_graceful_shutdown=GRACEFUL_SECONDS)
    server = uvicorn.Server(config)

    def stop(*_) -> None:
        server.should_exit = True

    # uvicorn catches these signals while it serves, then raises them again once it has stopped: to these
    # handlers, so that the Application can stop in turn (the default ones would end the process there).
    for number in (signal.SIGINT, signal.SIGTERM):
        signal.signal(number, stop)
    async with application:  # initialize (getMe: a wrong token stops here) ... shutdown
        await application.post_init(application)
        await application.start()  # the job queue, when there are jobs
        try:
            host, port = sock.getsockname()[:2]
            log.info("Serving the webhook on http://%s:%s%s and /healthz; jobs: %s", host, port,
                     settings.webhook_path, "on (ingest, digests)" if jobs else "off (only updates)")
            await server.serve(sockets=[sock])
        finally:
            await application.stop()
            await application.post_shutdown(application)


# --- webhook set / delete / info ------------------------------------------------------------------------------

def _bot(settings: Settings) -> Bot:
    return Bot(settings.token, base_url=settings.api_base_url)


async def set_webhook(settings: Settings, *, drop_pending_updates: bool = False) -> str:
    async with _bot(settings) as bot:
        await bot.set_webhook(settings.webhook_url, secret_token=settings.webhook_secret,
                              allowed_updates=ALLOWED_UPDATES, drop_pending_updates=drop_pending_updates)
    dropped = "; pending updates dropped" if drop_pending_updates else ""
    return f"Webhook set: Telegram now sends {', '.join(ALLOWED_UPDATES)} to {settings.webhook_url}{dropped}"


async def delete_webhook(settings: Settings, *, drop_pending_updates: bool = False) -> str:
    async with _bot(settings) as bot:
        await bot.delete_webhook(drop_pending_updates=drop_pending_updates)
    dropped = "; pending updates dropped" if drop_pending_updates else ""
    return f"Webhook deleted: `newsdigest run` can poll for updates again{dropped}"


async def webhook_info(settings: Settings) -> WebhookInfo:
    async with _bot(settings) as bot:
        return await bot.get_webhook_info()


def describe(info: WebhookInfo, settings: Settings) -> list[str]:
    """``newsdigest webhook info``: what Telegram says, as lines."""
    if not info.url:
        return ["No webhook is set: the bot gets its updates by long polling (newsdigest run).",
                f"Pending updates: {info.pending_update_count}"]
    lines = [f"Webhook: {info.url}"]
    if settings.webhook_url and info.url != settings.webhook_url:
        lines.append(f"  (WEBHOOK_URL is {settings.webhook_url}: run `newsdigest webhook set` to register it)")
    lines.append(f"Pending updates: {info.pending_update_count}")
    lines.append(f"Updates sent: {', '.join(info.allowed_updates) if info.allowed_updates else 'the default'}")
    if info.max_connections:
        lines.append(f"Connections at most: {info.max_connections}")
    if info.ip_address:
        lines.append(f"IP address: {info.ip_address}")
    if info.last_error_date:
        lines.append(f"Last error: {info.last_error_date:%Y-%m-%d %H:%M:%S} UTC: {info.last_error_message}")
    else:
        lines.append("Last error: none")
    return lines


def in_the_way(url: str) -> str:
    """Why ``run`` will not start while a webhook is set (Telegram refuses getUpdates then)."""
    return (f"A webhook is set ({url}): Telegram sends the updates there and refuses long polling. "
            "Run `newsdigest serve` behind it, or `newsdigest webhook delete` to poll with `newsdigest run`.")
