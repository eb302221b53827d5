"""What each command answers, independent of how the answer travels.

The Telegram handlers and the offline ``newsdigest chat`` console both call ``Commands.handle`` and
``Commands.press`` and get ``Reply`` objects back (Telegram HTML plus optional inline buttons).
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from datetime import UTC, datetime

from bot.formatting import article_list_messages, esc
from bot.settings import parse_clock
from digests.models import Topic
from digests.schedule import Schedule, find_timezone
from digests.storage import Store

DEFAULT_LATEST = 5
MAX_LATEST = 20
MAX_TOPIC_BUTTONS = 40
TOPIC_BUTTON_PREFIX = "topic:"
NO_TOPICS = "No topics yet. They appear once the news sources have been read."

# (command, what it does): the /help text and the command menu registered with Telegram.
COMMAND_MENU: list[tuple[str, str]] = [
    ("start", "Welcome, and subscribe to the daily digest"),
    ("help", "What the bot can do"),
    ("latest", "The most recent articles: /latest [n]"),
    ("topic", "Recent articles of one topic: /topic <name> [n]"),
    ("topics", "The topics with their article counts"),
    ("subscribe", "Get the daily digest: /subscribe [topic ...]"),
    ("unsubscribe", "Stop the digest or drop topics: /unsubscribe [topic ...|all]"),
    ("time", "When the daily digest comes: /time HH:MM"),
    ("timezone", "The digest's timezone: /timezone Area/City"),
    ("settings", "What this chat is subscribed to"),
]


@dataclass(frozen=True)
class Button:
    text: str
    data: str  # callback data: at most 64 bytes


@dataclass
class Reply:
    text: str  # Telegram HTML
    buttons: list[list[Button]] = field(default_factory=list)


@dataclass(frozen=True)
class Chat:
    id: int
    kind: str = "private"


def topic_code(key: str) -> str:
    """A short, stable code for a topic: fits callback data whatever the topic's name."""
    return hashlib.sha1(key.encode()).hexdigest()[:12]


def _plural(count: int, word: str) -> str:
    return f"{count} {word}{'' if count == 1 else 's'}"


class Commands:
    def __init__(self, store: Store, default: Schedule):
        self.store = store
        self.default = default  # for chats that have not chosen a time or timezone

    # --- entry points ---------------------------------------------------------------------------------------

    def handle(self, chat: Chat, command: str, args: list[str]) -> list[Reply]:
        method = getattr(self, f"cmd_{command.lower()}", None)
        if method is None:
            return [Reply(f"I don't know /{esc(command)}. Send /help to see what I can do.")]
        return method(chat, args)

    def press(self, chat: Chat, data: str) -> list[Reply]:
        """An inline button was pressed."""
        if data.startswith(TOPIC_BUTTON_PREFIX):
            code = data.removeprefix(TOPIC_BUTTON_PREFIX)
            topic = next((t for t in self.store.topics() if topic_code(t.key) == code), None)
            if topic is not None:
                return self._topic_articles(chat, topic, DEFAULT_LATEST)
        return [Reply("That button is out of date. Send /topic to get a fresh list.")]

    # --- commands -------------------------------------------------------------------------------------------

    def cmd_start(self, chat: Chat, args: list[str]) -> list[Reply]:
        subscriber = self.store.subscriber(chat.id)
        if subscriber is None or not subscriber.active:
            self.store.subscribe(chat.id, chat.kind, None, datetime.now(UTC), self._schedule(chat))
        welcome = (
            "<b>Welcome to newsdigest!</b>\n"
            "I turn the day's news into short digests: a headline, a date, a link and a sentence or two.\n\n"
            f"This chat now gets a daily digest at {self._when(chat)}. {self._topics_line(chat)}\n\n"
            + self._help_text()
        )
        return [Reply(welcome)]

    def cmd_help(self, chat: Chat, args: list[str]) -> list[Reply]:
        return [Reply(self._help_text())]

    def cmd_latest(self, chat: Chat, args: list[str]) -> list[Reply]:
        if len(args) > 1:
            return [Reply("Usage: /latest [n], for example /latest 10.")]
        count, problem = self._count(args[0] if args else None, "/latest")
        if problem:
            return [Reply(problem)]
        articles = self.store.latest(count)
        if not articles:
            return [Reply("No articles yet. They appear here once the news sources have been read.")]
        return self._articles(chat, "Latest news", articles, with_topic=True)

    def cmd_topic(self, chat: Chat, args: list[str]) -> list[Reply]:
        if not args:
            topics = self.store.topics()
            if not topics:
                return [Reply(NO_TOPICS)]
            return [self._topic_keyboard(topics)]
        count_arg = args[-1] if len(args) > 1 and args[-1].lstrip("-").isdigit() else None
        name = " ".join(args[:-1] if count_arg else args)
        count, problem = self._count(count_arg, f"/topic {name}")
        if problem:
            return [Reply(problem)]
        topic = self.store.find_topic(name)
        if topic is None:
            return [Reply(f"There is no topic called “{esc(name)}”.\n{self._available(self.store.topics())}")]
        return self._topic_articles(chat, topic, count)

    def cmd_topics(self, chat: Chat, args: list[str]) -> list[Reply]:
        topics = self.store.topics()
        if not topics:
            return [Reply(NO_TOPICS)]
        lines = [f"• {esc(t.name)}: {_plural(t.article_count, 'article')}" for t in topics]
        text = "<b>Topics</b>\n" + "\n".join(lines) + "\n\nSend /topic <i>name</i> to read one."
        return [Reply(text)]

    def cmd_subscribe(self, chat: Chat, args: list[str]) -> list[Reply]:
        topics, problem = self._resolve_topics(args)
        if problem:
            return [Reply(problem)]
        self.store.subscribe(chat.id, chat.kind, topics, datetime.now(UTC), self._schedule(chat))
        return [Reply(f"Subscribed: a daily digest at {self._when(chat)}. {self._topics_line(chat)}")]

    def cmd_unsubscribe(self, chat: Chat, args: list[str]) -> list[Reply]:
        subscriber = self.store.subscriber(chat.id)
        if subscriber is None or not subscriber.active:
            return [Reply("This chat is not subscribed. Send /subscribe to get the daily digest.")]
        if not args or (len(args) == 1 and args[0].lower() == "all"):
            self.store.unsubscribe(chat.id, None)
            return [Reply("Unsubscribed: no more daily digests. Send /subscribe to start again.")]
        topics, problem = self._resolve_topics(args)
        if problem:
            return [Reply(problem)]
        subscriber = self.store.unsubscribe(chat.id, topics, every_topic=self.store.topics())
        if not subscriber.active:
            return [Reply("That was the last topic, so the daily digest is off. Send /subscribe to start again.")]
        return [Reply(f"Done. {self._topics_line(chat)}")]

    def cmd_settings(self, chat: Chat, args: list[str]) -> list[Reply]:
        subscriber = self.store.subscriber(chat.id)
        if subscriber is None or not subscriber.active:
            return [Reply("<b>Settings</b>\nDaily digest: off. Send /subscribe to turn it on.")]
        return [Reply(f"<b>Settings</b>\nDaily digest: on, at {self._when(chat)}.\n{self._topics_line(chat)}")]

    def cmd_time(self, chat: Chat, args: list[str]) -> list[Reply]:
        clock = parse_clock(args[0]) if len(args) == 1 else None
        return self._change_schedule(
            chat, args, "/time HH:MM, for example /time 07:30", valid=clock is not None,
            problem="is not a time of day. Use 24-hour HH:MM, for example /time 07:30.",
            schedule=lambda current: Schedule(clock, current.tz), digest_time=clock)

    def cmd_timezone(self, chat: Chat, args: list[str]) -> list[Reply]:
        zone = find_timezone(args[0]) if len(args) == 1 else None
        return self._change_schedule(
            chat, args, "/timezone Area/City, for example /timezone Europe/London", valid=zone is not None,
            problem="is not a timezone I know. Use an IANA name such as Europe/London, Asia/Kolkata or "
                    "America/New_York.",
            schedule=lambda current: Schedule(current.at, zone), timezone=zone.key if zone else None)

    def _change_schedule(self, chat: Chat, args: list[str], usage: str, *, valid: bool, problem: str,
                         schedule, **change) -> list[Reply]:
        """The shared shape of /time and /timezone: check, explain, or store and confirm."""
        subscriber = self.store.subscriber(chat.id)
        if subscriber is None or not subscriber.active:
            return [Reply("This chat is not subscribed. Send /subscribe first, then choose when it comes.")]
        if not args:
            return [Reply(f"The daily digest comes at {self._when(chat)}. Change it with {esc(usage)}.")]
        if not valid:
            return [Reply(f"“{esc(' '.join(args))}” {esc(problem)}")]
        upcoming = schedule(self._schedule(chat)).next_after(datetime.now(UTC))
        self.store.set_schedule(chat.id, next_digest_at=upcoming, **change)
        return [Reply(f"Done: the daily digest now comes at {self._when(chat)}.")]

    # --- helpers --------------------------------------------------------------------------------------------

    def _help_text(self) -> str:
        return "<b>Commands</b>\n" + "\n".join(f"/{name}: {esc(text)}" for name, text in COMMAND_MENU)

    def _schedule(self, chat: Chat) -> Schedule:
        subscriber = self.store.subscriber(chat.id)
        if subscriber is None:
            return self.default
        return Schedule(subscriber.digest_time or self.default.at,
                        find_timezone(subscriber.timezone) if subscriber.timezone else self.default.tz)

    def _when(self, chat: Chat) -> str:
        schedule = self._schedule(chat)
        return f"{schedule.at:%H:%M} ({schedule.tz})"

    def _topics_line(self, chat: Chat) -> str:
        subscriber = self.store.subscriber(chat.id)
        if subscriber is None or subscriber.all_topics:
            return "Topics: all."
        return "Topics: " + esc(", ".join(topic.name for topic in subscriber.topics)) + "."

    @staticmethod
    def _available(topics: list[Topic]) -> str:
        if not topics:
            return NO_TOPICS
        names = ", ".join(topic.name for topic in topics)
        return f"Available topics: {esc(names)}.\nFor example: /topic {esc(topics[0].name)}"

    @staticmethod
    def _count(value: str | None, usage: str) -> tuple[int, str | None]:
        if value is None:
            return DEFAULT_LATEST, None
        try:
            count = int(value)
        except ValueError:
            return 0, f"“{esc(value)}” is not a number. Try {esc(usage)} 10 (from 1 to {MAX_LATEST})."
        if not 1 <= count <= MAX_LATEST:
            return 0, f"I can show 1 to {MAX_LATEST} articles at a time. Try {esc(usage)} {MAX_LATEST}."
        return count, None

    def _articles(self, chat: Chat, title: str, articles, *, with_topic: bool) -> list[Reply]:
        tz = self._schedule(chat).tz
        return [Reply(text) for text in article_list_messages(title, articles, tz, with_topic=with_topic)]

    def _topic_articles(self, chat: Chat, topic: Topic, count: int) -> list[Reply]:
        articles = self.store.latest(count, topic=topic.key)
        return self._articles(chat, f"Latest in {topic.name}", articles, with_topic=False)

    def _topic_keyboard(self, topics: list[Topic]) -> Reply:
        shown = sorted(topics, key=lambda t: -t.article_count)[:MAX_TOPIC_BUTTONS]
        buttons = [Button(f"{t.name} ({t.article_count})", TOPIC_BUTTON_PREFIX + topic_code(t.key)) for t in
                   sorted(shown, key=lambda t: t.key)]
        rows = [buttons[i:i + 2] for i in range(0, len(buttons), 2)]
        return Reply("Pick a topic:", rows)

    def _resolve_topics(self, args: list[str]) -> tuple[list[Topic] | None, str | None]:
        """Topic names from command arguments: comma-separated, or one name of several words, or one per word.

        No names: None, meaning all topics.
        """
        if not args:
            return None, None
        text = " ".join(args)
        if "," in text:
            names = [part.strip() for part in text.split(",") if part.strip()]
            readings = [names]
        else:
            names = args
            readings = [[text], names]
        for reading in readings:
            found = [self.store.find_topic(name) for name in reading]
            if reading and all(found):
                return found, None
        unknown = [name for name in names if self.store.find_topic(name) is None] or [text]
        return None, f"Unknown topic: {esc(', '.join(unknown))}.\n{self._available(self.store.topics())}"
