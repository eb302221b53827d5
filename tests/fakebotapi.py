"""A fake Telegram Bot API server on 127.0.0.1, owned by the tests.

It speaks the Bot API's JSON over real HTTP so that the real python-telegram-bot client can long-poll it, or,
once a webhook is set (setWebhook), POSTs each update to the webhook as Telegram does: with the secret token in
``X-Telegram-Bot-Api-Secret-Token``, one at a time, keeping an update until it is answered with a 2xx and trying
it again after an error (reported by getWebhookInfo), and refusing getUpdates meanwhile.
Like Telegram, it rejects HTML it cannot parse ("can't parse entities"), empty texts and texts over 4096
characters after entity parsing (counted in UTF-16 code units), and callback data over 64 bytes.
"""

from __future__ import annotations

import asyncio
import functools
import gc
import itertools
import os
import json
import re
import threading
import time
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass, field
from http import HTTPStatus
from urllib.parse import parse_qsl, urlsplit

import httpx

TOKEN = "123456789:AAHfakeTOKENforTESTSonly_abcdefghij"
BOT_USER = {"id": 123456789, "is_bot": True, "first_name": "News Digest", "username": "newsdigest_test_bot",
            "can_join_groups": True, "can_read_all_group_messages": False, "supports_inline_queries": False}
MAX_TEXT = 4096
ALLOWED_TAGS = {"b", "strong", "i", "em", "u", "ins", "s", "strike", "del", "tg-spoiler", "span", "a", "code",
                "pre", "blockquote", "tg-emoji"}
NAMED_ENTITIES = {"lt": "<", "gt": ">", "amp": "&", "quot": '"'}
_HTML_TOKEN = re.compile(
    r"<(?P<close>/?)(?P<tag>[a-zA-Z][a-zA-Z0-9-]*)(?P<attrs>(?:\s+[a-zA-Z-]+(?:=(?:\"[^\"]*\"|'[^']*'|[^\s>\"']*))?)*)\s*>"
    r"|&(?P<entity>#[0-9]+|#x[0-9a-fA-F]+|[a-zA-Z]+);"
    r"|(?P<bare>[<>&])"
)
_ATTR = re.compile(r"([a-zA-Z-]+)(?:=(?:\"([^\"]*)\"|'([^']*)'|([^\s>\"']*)))?")


class BadRequest(Exception):
    pass


class ApiError(Exception):
    """Any other Bot API error: an HTTP status, a description and optional ``parameters``."""

    def __init__(self, status: int, description: str, parameters: dict | None = None):
        super().__init__(description)
        self.status, self.description, self.parameters = status, description, parameters


@dataclass
class FloodLimits:
    """Telegram's flood limits, as the fake enforces them on sendMessage (by arrival time)."""

    per_second: int = 30  # all chats together, in any one-second window
    private_interval: float = 1.0  # seconds between two messages to one private chat
    group_per_minute: int = 20  # one group, supergroup or channel, in any 60-second window
    retry_after: int = 1
    # Windows and intervals shortened by this share: room for the time a request spends between a sender
    # that paced it and this server's clock, which on a busy 2-core test machine can reach tens of ms.
    slack: float = 0.0

    def scaled(self, factor: float) -> "FloodLimits":
        return FloodLimits(int(self.per_second * factor), self.private_interval / factor,
                           int(self.group_per_minute * factor), self.retry_after, self.slack)


ENTITY_TYPES = {"b": "bold", "strong": "bold", "i": "italic", "em": "italic", "u": "underline", "ins": "underline",
                "s": "strikethrough", "strike": "strikethrough", "del": "strikethrough", "tg-spoiler": "spoiler",
                "span": "spoiler", "a": "text_link", "code": "code", "pre": "pre", "blockquote": "blockquote",
                "tg-emoji": "custom_emoji"}


def parse_html(text: str) -> str:
    """Telegram's HTML parse mode: the plain text, or BadRequest with Telegram's wording."""
    return parse_entities(text)[0]


def _decode_entity(entity: str) -> str:
    if entity.startswith("#"):
        return chr(int(entity[2:], 16) if entity[1] in "xX" else int(entity[1:]))
    if entity not in NAMED_ENTITIES:
        raise BadRequest(f"can't parse entities: unsupported HTML entity '&{entity};'")
    return NAMED_ENTITIES[entity]


def _attribute_value(value: str) -> str:
    """An attribute's value with its entities decoded; a bare ``&``, ``<`` or ``>`` in it is refused."""
    parts, position = [], 0
    for match in re.finditer(r"&(#[0-9]+|#x[0-9a-fA-F]+|[a-zA-Z]+);|[<>&]", value):
        parts.append(value[position:match.start()])
        position = match.end()
        if match.group(1) is None:
            raise BadRequest(f"can't parse entities: unescaped {match.group()!r} in an attribute value")
        parts.append(_decode_entity(match.group(1)))
    parts.append(value[position:])
    return "".join(parts)


def parse_entities(text: str) -> tuple[str, list[dict]]:
    """The plain text and its message entities as Telegram returns them (offsets and lengths in UTF-16 code
    units; a link's ``url`` decoded), or BadRequest for what Telegram refuses."""
    plain: list[str] = []
    entities: list[dict] = []
    stack: list[tuple[str, int, dict, int]] = []  # open tags: name, start offset, attributes, order
    position = units = 0
    opened = itertools.count()

    def add(piece: str) -> None:
        nonlocal units
        plain.append(piece)
        units += utf16_length(piece)

    for match in _HTML_TOKEN.finditer(text):
        add(text[position:match.start()])
        position = match.end()
        if match.group("bare"):
            raise BadRequest(f"can't parse entities: unsupported start tag or unescaped "
                             f"{match.group('bare')!r} at byte offset {match.start()}")
        if entity := match.group("entity"):
            add(_decode_entity(entity))
            continue
        tag = match.group("tag").lower()
        if tag not in ALLOWED_TAGS:
            raise BadRequest(f"can't parse entities: unsupported start tag \"{tag}\" at byte offset {match.start()}")
        if match.group("close"):
            if not stack or stack[-1][0] != tag:
                raise BadRequest(f"can't parse entities: unmatched end tag at byte offset {match.start()}")
            _, start, attrs, order = stack.pop()
            if units > start:  # Telegram drops empty entities
                found = {"type": ENTITY_TYPES[tag], "offset": start, "length": units - start, "order": order}
                if tag == "a":
                    found["url"] = attrs["href"]
                entities.append(found)
            continue
        attrs = {m.group(1).lower(): _attribute_value(next((g for g in m.groups()[1:] if g is not None), ""))
                 for m in _ATTR.finditer(match.group("attrs"))}
        if tag == "a" and not attrs.get("href"):
            raise BadRequest("can't parse entities: <a> without href")
        stack.append((tag, units, attrs, next(opened)))
    if stack:
        raise BadRequest(f"can't parse entities: can't find end tag corresponding to start tag \"{stack[-1][0]}\"")
    add(text[position:])
    entities.sort(key=lambda e: (e["offset"], -e["length"], e["order"]))  # outer before inner
    return "".join(plain), [{k: v for k, v in e.items() if k != "order"} for e in entities]


@functools.lru_cache(maxsize=256)
def _parsed_html(text: str) -> tuple[str, tuple[dict, ...]]:
    """``parse_entities`` of a text sent again and again (a digest goes to thousands of chats): parsed once, so
    the fan-out benchmarks measure the sender more than this fake."""
    plain, entities = parse_entities(text)
    return plain, tuple(entities)


def utf16_length(text: str) -> int:
    return len(text.encode("utf-16-le")) // 2


@dataclass
class Sent:
    """A message the bot sent (or edited), as the fake server accepted it."""

    method: str
    chat_id: int
    text: str  # the HTML the bot sent
    plain: str  # as the user sees it
    params: dict
    message_id: int
    entities: list[dict] = field(default_factory=list)  # as Telegram parsed them from the HTML

    @property
    def links(self) -> list[tuple[str, str]]:
        """(text, url) of each link, as the user sees and follows it."""
        units = self.plain.encode("utf-16-le")
        return [(units[2 * e["offset"]:2 * (e["offset"] + e["length"])].decode("utf-16-le"), e["url"])
                for e in self.entities if e["type"] == "text_link"]

    @property
    def buttons(self) -> list[dict]:
        markup = self.params.get("reply_markup") or {}
        return [button for row in markup.get("inline_keyboard", []) for button in row]


@dataclass
class FakeBotAPI:
    token: str = TOKEN
    sent: list[Sent] = field(default_factory=list)
    requests: list[tuple[str, dict]] = field(default_factory=list)
    errors: list[tuple[str, str]] = field(default_factory=list)  # (method, description) of rejected calls
    commands: list[dict] = field(default_factory=list)
    blocked_chats: set[int] = field(default_factory=set)  # answer 403: the user blocked the bot
    missing_chats: set[int] = field(default_factory=set)  # answer 400: chat not found
    migrated_chats: dict[int, int] = field(default_factory=dict)  # group id -> its new supergroup id
    limits: FloodLimits | None = None  # None: no flood control
    fail_next: list[int] = field(default_factory=list)  # HTTP statuses for the next sendMessage calls
    hang_next: int = 0  # the next N sendMessage calls hang for hang_seconds, then fail unrecorded
    hang_seconds: float = 3.0
    drop_next: int = 0  # the next N sendMessage calls: the connection is closed unanswered, the message not taken
    answer_seconds: float = 0.0  # sendMessage answers this long after the message is accepted (a slow round trip)
    slow_methods: dict[str, float] = field(default_factory=dict)  # method -> seconds before it is answered
    on_accept: Callable[[int], None] | None = None  # called with the count of accepted messages, before answering
    flood_errors: int = 0  # 429s answered
    floods: list[tuple[str, int]] = field(default_factory=list)  # (which limit, chat) of each 429
    flood_times: list[float] = field(default_factory=list)  # arrival (time.monotonic) of each 429
    admins: dict[int, set[int]] = field(default_factory=dict)  # chat -> its administrators (getChatMember)
    creators: dict[int, int] = field(default_factory=dict)  # chat -> the user who created it (status "creator")
    chat_types: dict[int, str] = field(default_factory=dict)  # chat -> its type, where a test set it
    forums: set[int] = field(default_factory=set)  # supergroups with topics (threads)
    usernames: dict[str, int] = field(default_factory=dict)  # "@channel" -> its chat id (getChat)
    webhook: dict | None = None  # what setWebhook registered: url, secret_token, allowed_updates, max_connections
    # A load balancer in front of the webhook's URL: updates go to these URLs in turn (none: to the URL itself).
    webhook_backends: list[str] = field(default_factory=list)
    webhook_deliveries: list[tuple[int, str, int | str]] = field(default_factory=list)  # (update, URL, status)
    webhook_retry_seconds: float = 0.2

    def __post_init__(self):
        self._updates: list[dict] = []
        self._update_ids = itertools.count(1)
        self._message_ids = itertools.count(1000)
        self._lock = threading.RLock()  # the state is shared by the server's thread and the test's
        self._loop: asyncio.AbstractEventLoop | None = None
        self._thread: threading.Thread | None = None
        self._stopping = False
        self._recent: deque[float] = deque()  # arrival times of accepted messages in the last second
        self._chat_times: dict[int, deque[float]] = {}
        self.accepted_times: list[tuple[float, int]] = []  # (arrival, chat) of every accepted sendMessage
        self._webhook_error: tuple[int, str] | None = None  # (unix time, message) of the last failed delivery
        self._next_backend = itertools.count()
        self.attempts: list[tuple[float, int]] = []  # (arrival, chat) of every sendMessage, accepted or not
        # The client of each of ``attempts``: the path before /bot, telling apart processes that share this fake
        # ("worker-1" for TELEGRAM_API_BASE_URL=http://127.0.0.1:PORT/worker-1; "" without one).
        self.attempt_clients: list[str] = []

    # --- lifecycle ------------------------------------------------------------------------------------------

    def start(self, port: int = 0) -> str:
        """Serve on 127.0.0.1 (a free port unless ``port``) from a thread of its own; returns the base URL for the
        bot."""
        ready = threading.Event()
        address: list[int] = []

        async def serve() -> None:
            server = await asyncio.start_server(self._connection, "127.0.0.1", port, backlog=512)
            address.append(server.sockets[0].getsockname()[1])
            asyncio.create_task(self._deliver_to_webhook())
            ready.set()
            while not self._stopping:
                await asyncio.sleep(0.05)
            server.close()
            connections = [task for task in asyncio.all_tasks() if task is not asyncio.current_task()]
            for task in connections:
                task.cancel()
            await asyncio.gather(*connections, return_exceptions=True)
            await server.wait_closed()

        def run() -> None:
            self._loop.run_until_complete(serve())
            self._loop.close()

        self._loop = asyncio.new_event_loop()
        self._thread = threading.Thread(target=run, daemon=True)
        self._thread.start()
        ready.wait(10)
        return f"http://127.0.0.1:{address[0]}/bot"

    def stop(self) -> None:
        self._stopping = True
        if self._thread is not None:
            self._thread.join(10)

    # --- what users do --------------------------------------------------------------------------------------

    def _chat(self, chat_id: int, chat_type: str | None = None) -> dict:
        chat_type = chat_type or self.chat_types.get(chat_id) or ("private" if chat_id > 0 else "group")
        self.chat_types.setdefault(chat_id, chat_type)
        chat = {"id": chat_id, "type": chat_type}
        if chat_type == "private":
            chat["first_name"] = "Reader"
        else:
            chat["title"] = "Newsroom"
        if chat_type == "supergroup" and chat_id in self.forums:
            chat["is_forum"] = True
        return chat

    def user_sends(self, text: str, chat_id: int = 1001, chat_type: str = "private", user_id: int | None = None,
                   thread_id: int | None = None) -> dict:
        """``thread_id``: the message is in that topic of a forum supergroup."""
        user = {"id": user_id or abs(chat_id), "is_bot": False, "first_name": "Reader"}
        message = {"message_id": next(self._message_ids), "date": int(time.time()),
                   "chat": self._chat(chat_id, chat_type), "from": user, "text": text}
        if thread_id is not None:
            message["message_thread_id"], message["is_topic_message"] = thread_id, True
        if text.startswith("/"):
            message["entities"] = [{"type": "bot_command", "offset": 0, "length": len(text.split()[0])}]
        self._push({"message": message})
        return message

    def user_presses(self, sent: Sent, button_text: str, user_id: int | None = None) -> None:
        button = next(b for b in sent.buttons if b["text"] == button_text)
        message = {"message_id": sent.message_id, "date": int(time.time()),
                   "chat": self._chat(sent.chat_id), "from": BOT_USER, "text": sent.plain}
        query = {"id": str(next(self._message_ids)), "chat_instance": "1",
                 "from": {"id": user_id or abs(sent.chat_id), "is_bot": False, "first_name": "Reader"},
                 "message": message, "data": button["callback_data"]}
        self._push({"callback_query": query})

    def _push(self, update: dict) -> None:
        with self._lock:
            update["update_id"] = next(self._update_ids)
            self._updates.append(update)

    # --- the webhook ----------------------------------------------------------------------------------------

    async def _deliver_to_webhook(self) -> None:
        """While a webhook is set, POST the oldest update to it until it is answered with a 2xx, as Telegram does."""
        async with httpx.AsyncClient(timeout=30) as client:
            while not self._stopping:
                with self._lock:
                    hook, update = self.webhook, self._updates[0] if self._updates else None
                    if hook is not None and update is not None:
                        targets = self.webhook_backends or [hook["url"]]
                        target = targets[next(self._next_backend) % len(targets)]
                if hook is None or update is None:
                    await asyncio.sleep(0.01)
                    continue
                headers = {"X-Telegram-Bot-Api-Secret-Token": hook["secret_token"]} if hook.get("secret_token") else {}
                try:
                    response = await client.post(target, json=update, headers=headers)
                    outcome: int | str = response.status_code
                    problem = None if 200 <= outcome < 300 else (f"Wrong response from the webhook: {outcome} "
                                                                 f"{HTTPStatus(outcome).phrase}")
                except httpx.HTTPError as error:
                    outcome = problem = f"Connection failed: {type(error).__name__}"
                with self._lock:
                    self.webhook_deliveries.append((update["update_id"], target, outcome))
                    if problem is None:
                        self._updates = [u for u in self._updates if u is not update]
                    else:
                        self._webhook_error = (int(time.time()), problem)
                if problem is not None:
                    await asyncio.sleep(self.webhook_retry_seconds)

    def api_setWebhook(self, params):  # noqa: N802
        url = str(params.get("url") or "")
        if not url:
            return self.api_deleteWebhook(params)
        parts = urlsplit(url)
        # Telegram's servers want HTTPS; a local Bot API server (which this fake stands for) also calls http://.
        if parts.scheme not in ("https", "http") or not parts.hostname:
            raise BadRequest("bad webhook: An HTTPS URL must be provided for webhook")
        secret = params.get("secret_token")
        if secret is not None and not re.fullmatch(r"[A-Za-z0-9_-]{1,256}", str(secret)):
            raise BadRequest("secret token contains unallowed characters")
        with self._lock:
            if params.get("drop_pending_updates"):
                self._updates = []
            self.webhook = {"url": url, "secret_token": secret, "allowed_updates": params.get("allowed_updates"),
                            "max_connections": int(params.get("max_connections") or 40)}
            self._webhook_error = None
        return True

    def api_deleteWebhook(self, params):  # noqa: N802
        with self._lock:
            if params.get("drop_pending_updates"):
                self._updates = []
            self.webhook, self._webhook_error = None, None
        return True

    def api_getWebhookInfo(self, params):  # noqa: N802
        with self._lock:
            info = {"url": self.webhook["url"] if self.webhook else "", "has_custom_certificate": False,
                    "pending_update_count": len(self._updates)}
            if self.webhook:
                info["max_connections"] = self.webhook["max_connections"]
                if self.webhook["allowed_updates"]:
                    info["allowed_updates"] = self.webhook["allowed_updates"]
                if self._webhook_error:
                    info["last_error_date"], info["last_error_message"] = self._webhook_error
        return info

    # --- what tests read ------------------------------------------------------------------------------------

    def messages_to(self, chat_id: int) -> list[Sent]:
        with self._lock:
            return [s for s in self.sent if s.chat_id == chat_id and s.method == "sendMessage"]

    def edits_to(self, chat_id: int) -> list[Sent]:
        with self._lock:
            return [s for s in self.sent if s.chat_id == chat_id and s.method.startswith("editMessage")]

    def calls(self, method: str) -> list[dict]:
        with self._lock:
            return [params for name, params in self.requests if name == method]

    # --- the Bot API ----------------------------------------------------------------------------------------

    async def _connection(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        """One keep-alive HTTP/1.1 connection: requests in, JSON answers out, until the client closes it."""
        try:
            while not self._stopping:
                request_line = await reader.readline()
                if not request_line:
                    break
                headers = {}
                while (line := await reader.readline()) not in (b"\r\n", b"\n", b""):
                    name, _, value = line.decode("latin-1").partition(":")
                    headers[name.strip().lower()] = value.strip()
                body = await reader.readexactly(int(headers.get("content-length") or 0))
                path = request_line.split()[1].decode()
                if path.endswith("/sendMessage") and self._take_drop():
                    break  # closed (finally) without an answer
                status, payload = await self._dispatch(path, headers.get("content-type", ""), body)
                data = json.dumps(payload).encode()
                writer.write(f"HTTP/1.1 {status} {HTTPStatus(status).phrase}\r\nContent-Type: application/json\r\n"
                             f"Content-Length: {len(data)}\r\n\r\n".encode() + data)
                await writer.drain()
        except (ConnectionError, asyncio.IncompleteReadError):
            pass
        finally:
            writer.close()

    async def _dispatch(self, path: str, content_type: str, body: bytes) -> tuple[int, dict]:
        match = re.fullmatch(r"(?P<client>(?:/[\w.-]+)*?)/bot(?P<token>[^/]+)/(?P<method>\w+)", path.split("?")[0])
        if not match:
            return 404, {"ok": False, "error_code": 404, "description": "Not Found"}
        if match.group("token") != self.token:
            return 401, {"ok": False, "error_code": 401, "description": "Unauthorized"}
        method = match.group("method")
        params = self._params(content_type, body)
        with self._lock:
            self.requests.append((method, params))
        if method == "getUpdates":  # long polling: wait here, not in a thread
            deadline = time.monotonic() + min(float(params.get("timeout") or 0), 5.0)
            while (not self._pending_updates(params) and self.webhook is None and time.monotonic() < deadline
                   and not self._stopping):
                await asyncio.sleep(0.01)
        if method == "sendMessage":
            with self._lock:
                self.attempts.append((time.monotonic(), int(params.get("chat_id") or 0)))
                self.attempt_clients.append(match.group("client").lstrip("/"))
        if method == "sendMessage" and self._take_hang():
            await asyncio.sleep(self.hang_seconds)
            return 504, {"ok": False, "error_code": 504, "description": "Gateway Timeout"}
        if delay := self.slow_methods.get(method):
            await asyncio.sleep(delay)
        handler = getattr(self, f"api_{method}", None)
        if handler is None:
            return 404, {"ok": False, "error_code": 404, "description": "Not Found"}
        try:
            result = handler(params)
            if method == "sendMessage" and self.answer_seconds:
                await asyncio.sleep(self.answer_seconds)
            return 200, {"ok": True, "result": result}
        except BadRequest as error:
            with self._lock:
                self.errors.append((method, str(error)))
            return 400, {"ok": False, "error_code": 400, "description": f"Bad Request: {error}"}
        except ApiError as error:
            payload = {"ok": False, "error_code": error.status, "description": error.description}
            if error.parameters:
                payload["parameters"] = error.parameters
            return error.status, payload

    @staticmethod
    def _params(content_type: str, body: bytes) -> dict:
        if not body:
            return {}
        if "json" in content_type:
            return json.loads(body)
        params = dict(parse_qsl(body.decode(), keep_blank_values=True))
        for key, value in params.items():
            if value[:1] in "{[" or value in ("true", "false") or value.lstrip("-").isdigit():
                try:
                    params[key] = json.loads(value)
                except ValueError:
                    pass
        return params

    def api_getMe(self, params):  # noqa: N802 - Bot API method names
        return BOT_USER

    def api_setMyCommands(self, params):  # noqa: N802
        commands = params.get("commands") or []
        for command in commands:
            if not re.fullmatch(r"[a-z0-9_]{1,32}", command["command"]) or not 1 <= len(command["description"]) <= 256:
                raise BadRequest("BOT_COMMAND_INVALID")
        self.commands = commands
        return True

    def _pending_updates(self, params: dict) -> list[dict]:
        with self._lock:
            self._updates = [u for u in self._updates if u["update_id"] >= int(params.get("offset") or 0)]
            return self._updates

    def api_getUpdates(self, params):  # noqa: N802
        if self.webhook is not None:
            raise ApiError(409, "Conflict: can't use getUpdates method while webhook is active; use deleteWebhook "
                                "to delete the webhook first")
        return list(self._pending_updates(params)[: int(params.get("limit") or 100)])

    def _take_drop(self) -> bool:
        with self._lock:
            drop = self.drop_next > 0
            self.drop_next -= 1 if drop else 0
            return drop

    def _take_hang(self) -> bool:
        with self._lock:
            hang = self.hang_next > 0
            self.hang_next -= 1 if hang else 0
            return hang

    def _check_text(self, params: dict) -> tuple[str, list[dict]]:
        text = str(params.get("text", ""))
        plain, entities = text, []
        if params.get("parse_mode") == "HTML":
            plain, parsed = _parsed_html(text)
            entities = [dict(entity) for entity in parsed]
        if not plain.strip():
            raise BadRequest("message text is empty")
        if utf16_length(plain) > MAX_TEXT:
            raise BadRequest("message is too long")
        markup = params.get("reply_markup") or {}
        for row in markup.get("inline_keyboard", []):
            for button in row:
                if "callback_data" in button and not 1 <= len(button["callback_data"].encode()) <= 64:
                    raise BadRequest("BUTTON_DATA_INVALID")
        return plain, entities

    def _message(self, method: str, params: dict, message_id: int | None = None) -> dict:
        chat_id = int(params["chat_id"])
        if chat_id in self.blocked_chats:
            raise ApiError(403, "Forbidden: bot was blocked by the user")
        if chat_id in self.missing_chats:
            raise ApiError(400, "Bad Request: chat not found")
        if chat_id in self.migrated_chats:
            raise ApiError(400, "Bad Request: group chat was upgraded to a supergroup chat",
                           {"migrate_to_chat_id": self.migrated_chats[chat_id]})
        plain, entities = self._check_text(params)
        message_id = message_id or next(self._message_ids)
        with self._lock:
            if method == "sendMessage":
                self._flood_check(chat_id)
            self.sent.append(Sent(method, chat_id, str(params["text"]), plain, params, message_id, entities))
            accepted = len(self.accepted_times)
        if self.on_accept is not None and method == "sendMessage":
            self.on_accept(accepted)
        return {"message_id": message_id, "date": int(time.time()), "from": BOT_USER,
                "chat": {"id": chat_id, "type": "private" if chat_id > 0 else "supergroup"}, "text": plain,
                "entities": entities}

    def _flood_check(self, chat_id: int) -> None:
        """Called under the lock: a 429 if this message would break a limit, else it is counted."""
        now = time.monotonic()
        if self.limits is not None:
            kept = 1 - self.limits.slack
            while self._recent and self._recent[0] <= now - kept:
                self._recent.popleft()
            times = self._chat_times.setdefault(chat_id, deque())
            while times and times[0] <= now - 60.0 * kept:
                times.popleft()
            broken = ("overall" if len(self._recent) >= self.limits.per_second
                      else "private chat" if chat_id > 0 and times and now - times[-1] < self.limits.private_interval * kept
                      else "group" if chat_id < 0 and len(times) >= self.limits.group_per_minute else None)
            if broken:
                self.flood_errors += 1
                self.floods.append((broken, chat_id))
                self.flood_times.append(now)
                raise ApiError(429, f"Too Many Requests: retry after {self.limits.retry_after}",
                               {"retry_after": self.limits.retry_after})
            self._recent.append(now)
            times.append(now)
        self.accepted_times.append((now, chat_id))

    def api_sendMessage(self, params):  # noqa: N802
        with self._lock:
            failure = self.fail_next.pop(0) if self.fail_next else None
        if failure is not None:
            raise ApiError(failure, HTTPStatus(failure).phrase)
        return self._message("sendMessage", params)

    def api_editMessageText(self, params):  # noqa: N802
        return self._message("editMessageText", params, int(params["message_id"]))

    def api_editMessageReplyMarkup(self, params):  # noqa: N802
        with self._lock:
            original = next(s for s in reversed(self.sent) if s.message_id == int(params["message_id"]))
            self.sent.append(Sent("editMessageReplyMarkup", original.chat_id, original.text, original.plain,
                                  {**original.params, "reply_markup": params.get("reply_markup")}, original.message_id,
                                  original.entities))
        return True

    def api_answerCallbackQuery(self, params):  # noqa: N802
        return True

    def api_getChat(self, params):  # noqa: N802
        chat_id = params["chat_id"]
        if isinstance(chat_id, str) and chat_id.startswith("@"):
            if chat_id not in self.usernames:
                raise BadRequest("chat not found")
            chat_id = self.usernames[chat_id]
        chat = self._chat(int(chat_id))
        gifts = dict.fromkeys(["unlimited_gifts", "limited_gifts", "unique_gifts", "premium_subscription",
                               "gifts_from_channels"], False)
        return {**chat, "accent_color_id": 0, "max_reaction_count": 11, "accepted_gift_types": gifts}

    def api_getChatMember(self, params):  # noqa: N802
        """Creator, administrator or plain member as ``creators`` and ``admins`` say (the bot itself is an
        administrator where listed). A creator is no administrator in Telegram's answer: its own status."""
        chat_id, user_id = int(params["chat_id"]), int(params["user_id"])
        user = BOT_USER if user_id == BOT_USER["id"] else {"id": user_id, "is_bot": False, "first_name": "Reader"}
        if self.creators.get(chat_id) == user_id:
            return {"status": "creator", "user": user, "is_anonymous": False}
        if user_id in self.admins.get(chat_id, set()):
            return {"status": "administrator", "user": user, "can_be_edited": False, "is_anonymous": False,
                    "can_manage_chat": True, "can_delete_messages": True, "can_manage_video_chats": True,
                    "can_restrict_members": True, "can_promote_members": False, "can_change_info": True,
                    "can_invite_users": True, "can_post_stories": False, "can_edit_stories": False,
                    "can_delete_stories": False, "can_post_messages": True}
        return {"status": "member", "user": user}



class FakeInProcess:
    """The fake server in a process of its own, as Telegram is: timing tests then measure arrivals that the
    sender's own work (and its interpreter lock) cannot bunch together. ``stats()`` reads its figures."""

    def __init__(self, limits: FloodLimits | None = None):
        import multiprocessing

        self._pipe, child = multiprocessing.Pipe()
        self._process = multiprocessing.get_context("spawn").Process(
            target=_serve_until_asked, args=(limits, child), daemon=True)
        self._process.start()
        self.base_url = self._pipe.recv()

    def stats(self) -> dict:
        """Ends the server: the accepted (arrival, chat) pairs, the 429s it answered and when."""
        self._pipe.send("stats")
        stats = self._pipe.recv()
        self._process.join(10)
        return stats


def _serve_until_asked(limits: FloodLimits | None, pipe) -> None:
    try:  # Telegram's clock is not held up by the sender's load: run ahead of it where allowed (root, as in CI)
        os.nice(-10)
    except OSError:
        pass
    # Nor by a garbage collection of its own: with thousands of messages recorded (each with its entities), a full
    # collection holds the loop for tens of ms, and the requests that came meanwhile would be stamped together.
    gc.disable()
    fake = FakeBotAPI(limits=limits)
    pipe.send(fake.start())
    pipe.recv()
    with fake._lock:
        pipe.send({"accepted_times": list(fake.accepted_times), "floods": list(fake.floods),
                   "flood_times": list(fake.flood_times)})
    fake.stop()
