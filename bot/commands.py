"""What each command answers, independent of how the answer travels.

The Telegram handlers and the offline ``newsdigest chat`` console both call ``Commands.handle`` and
``Commands.press`` and get ``Reply`` objects back (Telegram HTML plus optional inline buttons).
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Callable, Collection
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from urllib.parse import urlencode

from bot.formatting import article_list_messages, esc, pack_messages
from bot.settings import parse_clock
from digests.filters import Filters, normalise_word
from digests.models import Article, SourceState, Topic
from digests.schedule import Schedule, find_timezone
from digests.storage import Store
from digests.summary import shorten

DEFAULT_LATEST = 5
MAX_LATEST = 20
TOPICS_PAGE = 20  # topics a /topics or /topic page lists (two buttons a row)
ACTIVE_DAYS = 7  # "most active": the most articles published in the last days
TOPIC_BUTTON_PREFIX = "topic:"
SHOWN_NAME = 60  # the longest topic name in a list or on a button
SHOWN_INPUT = 80  # the most of a user's argument repeated in a reply
LISTED = 20  # names in a one-line list ("Topics: a, b, ... and 12 more")
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
    ("search", "Recent articles with all these words: /search <words>"),
    ("filter", "Keep or drop digest items by word: /filter +word -word, /filter clear"),
    ("settings", "Time, timezone, topics and filters, with buttons"),
    ("channel", "Send the digest to a channel: /channel @name, /channel off"),
]
# Only for the users in ADMIN_IDS; everyone else gets the ordinary help.
OPERATOR_COMMANDS = ["stats", "sources"]
# What only a group's administrators may do there (reading stays open to everyone).
CHANGING_COMMANDS = {"start", "subscribe", "unsubscribe", "time", "timezone", "filter", "channel"}
# Callback data, at most 64 bytes: <code> is topic_code, <cursor> a page's keyset "<µs since 1970>.<id>" or "-".
#   topic:<code>               show a topic (the /topic keyboard)
#   tk:<page>                  a page of the /topic keyboard
#   tp:<page>[:s]              a page of /topics (":s": opened from /settings, keep its back button)
#   tt:<code>[:<page>][:s]     toggle a topic in /topics, and show that page again
#   ta:<page>[:s]              toggle "All topics" in /topics (every topic, new ones too)
#   ts:<code>:<n>:<cursor>     toggle a topic on its /topic page, and show that page again
#   m:<code or *>:<n>:<cursor> More: the n articles before the cursor, of a topic or of all (*)
#   st:HH:MM, sd:on|off, sf:clear    /settings: a quick time, the digest on or off, clear the filters
#   set:topics, set:back             /settings: to its topic toggles and back
CHANGING_BUTTONS = ("tt:", "ta:", "ts:", "st:", "sd:", "sf:")
ADMINS_ONLY = "Only this group's administrators can change its digest."
START_TOPIC = "topic-"
START_ALPHABET = re.compile(r"[A-Za-z0-9_-]+")
MAX_FILTER_WORDS = 50
FILTERS_SHOWN = 1500  # characters of a chat's filters shown
QUICK_TIMES = ["07:00", "08:00", "12:00", "18:00", "21:00"]
EPOCH = datetime(1970, 1, 1, tzinfo=UTC)


@dataclass(frozen=True)
class Button:
    text: str
    data: str = ""  # callback data: at most 64 bytes
    url: str | None = None  # a link button instead


@dataclass
class Reply:
    text: str  # Telegram HTML
    buttons: list[list[Button]] = field(default_factory=list)
    edit: bool = False  # answering a button: replace the message that carried it


@dataclass(frozen=True)
class ChannelCheck:
    """What Telegram said of a channel named in /channel (looked up by the handler)."""

    id: int
    title: str
    bot_is_admin: bool
    user_is_admin: bool


@dataclass(frozen=True)
class Chat:
    id: int
    kind: str = "private"
    user_id: int | None = None
    may_change: bool = True  # False: a group member who is not its administrator
    thread_id: int | None = None  # the forum topic the message came from
    operator: bool = False  # the one at the terminal of `newsdigest chat`: may use the operators' commands


def topic_code(key: str) -> str:
    """A short, stable code for a topic: fits callback data whatever the topic's name."""
    return hashlib.sha1(key.encode()).hexdigest()[:12]


def start_parameter(topic: Topic) -> str:
    """The deep-link start parameter that subscribes to a topic (at most 64 characters of [A-Za-z0-9_-])."""
    fits = START_ALPHABET.fullmatch(topic.name) and len(START_TOPIC + topic.name) <= 64
    return START_TOPIC + (topic.name if fits else topic_code(topic.key))


def _cursor(before: tuple[bool, datetime, int] | None) -> str:
    """A page's keyset (date_known, published_at, id) as callback data: microseconds since 1970, a dot, the id;
    "u" first when the date is not known."""
    if before is None:
        return "-"
    known, moment, article_id = before
    return f"{'' if known else 'u'}{(moment - EPOCH) // timedelta(microseconds=1)}.{article_id}"


def _page_size(text: str) -> int:
    return min(max(int(text), 1), MAX_LATEST) if text.isdigit() else DEFAULT_LATEST


def _read_cursor(text: str) -> tuple[bool, datetime, int] | None:
    micros, _, article_id = text.removeprefix("u").partition(".")
    if not (micros.lstrip("-").isdigit() and article_id.isdigit()):
        return None
    return not text.startswith("u"), EPOCH + timedelta(microseconds=int(micros)), int(article_id)


def _page_number(parts: list[str]) -> int:
    return next((int(part) for part in parts if part.isdigit() and len(part) < 6), 0)


def _page_of(items: list, page: int) -> tuple[int, list, int]:
    """(the page, its items, how many pages) of a list shown ``TOPICS_PAGE`` at a time; a page past the end
    (the list shrank since the button was made) is the last."""
    pages = max(1, -(-len(items) // TOPICS_PAGE))
    page = min(max(page, 0), pages - 1)
    return page, items[page * TOPICS_PAGE:(page + 1) * TOPICS_PAGE], pages


def _page_buttons(page: int, pages: int, data: Callable[[int], str]) -> list[list[Button]]:
    row = ([Button("◂ Back", data(page - 1))] if page > 0 else []) + (
        [Button(f"More ▸ ({page + 2}/{pages})", data(page + 1))] if page + 1 < pages else [])
    return [row] if row else []


def _shown(name: str) -> str:
    return shorten(name, SHOWN_NAME)


def _echo(text: str) -> str:
    """A user's input repeated in a reply: escaped, and cut so that the reply fits whatever was sent."""
    return esc(shorten(" ".join(text.split()), SHOWN_INPUT))


def _listing(names: list[str], most: int = LISTED) -> str:
    """Names joined by commas, at most ``most`` of them, then how many more."""
    shown = ", ".join(_shown(name) for name in names[:most])
    return shown + (f" and {len(names) - most} more" if len(names) > most else "")


def _plural(count: int, word: str) -> str:
    return f"{count} {word}{'' if count == 1 else 's'}"


class Commands:
    def __init__(self, store: Store, default: Schedule, admin_ids: Collection[int] = ()):
        self.store = store
        self.default = default  # for chats that have not chosen a time or timezone
        self.admin_ids = set(admin_ids)  # operators: /stats and /sources
        self.bot_username: str | None = None  # known once connected to Telegram: for deep links

    # --- entry points ---------------------------------------------------------------------------------------

    @staticmethod
    def changes(command: str, args: list[str]) -> bool:
        """Whether the command would change the chat's digest (in a group: for administrators only)."""
        command = command.lower()
        return command in CHANGING_COMMANDS and (bool(args) or command in ("start", "subscribe", "unsubscribe"))

    @staticmethod
    def press_changes(data: str) -> bool:
        return data.startswith(CHANGING_BUTTONS)

    def handle(self, chat: Chat, command: str, args: list[str]) -> list[Reply]:
        command = command.lower()
        if command in OPERATOR_COMMANDS and not (chat.operator or chat.user_id in self.admin_ids):
            command = "help"
        method = getattr(self, f"cmd_{command}", None)
        if method is None:
            return [Reply(f"I don't know /{_echo(command)}. Send /help to see what I can do.")]
        if not chat.may_change and self.changes(command, args):
            return [Reply(ADMINS_ONLY)]
        return method(chat, args)

    def press(self, chat: Chat, data: str) -> list[Reply]:
        """An inline button was pressed. Buttons carry all they need (no state is kept per message)."""
        if not chat.may_change and self.press_changes(data):
            return [Reply(ADMINS_ONLY)]
        kind, _, rest = data.partition(":")
        parts = rest.split(":")
        if kind == "topic" and (topic := self._topic_by_code(rest)):
            return self._topic_page(chat, topic, DEFAULT_LATEST)
        if kind == "tt" and (topic := self._topic_by_code(parts[0])):  # toggle in /topics (":s": from /settings)
            self._toggle_topic(chat, topic)
            return [self._topics_view(chat, _page_number(parts[1:]), edit=True, back="s" in parts[1:])]
        if kind == "ta":  # toggle "All topics" in /topics
            self._toggle_all_topics(chat)
            return [self._topics_view(chat, _page_number(parts), edit=True, back="s" in parts)]
        if kind == "tp":
            return [self._topics_view(chat, _page_number(parts), edit=True, back="s" in parts)]
        if kind == "tk":
            return [self._topic_keyboard(_page_number(parts), edit=True)]
        if kind == "ts" and len(parts) == 3 and (topic := self._topic_by_code(parts[0])):  # toggle on /topic
            self._toggle_topic(chat, topic)
            return self._topic_page(chat, topic, _page_size(parts[1]), _read_cursor(parts[2]), edit=True)
        if kind == "m" and len(parts) == 3 and (before := _read_cursor(parts[2])):  # More
            count = _page_size(parts[1])
            if parts[0] == "*":
                return self._latest_page(chat, count, before, edit=True)
            if topic := self._topic_by_code(parts[0]):
                return self._topic_page(chat, topic, count, before, edit=True)
        if kind == "set" and rest == "topics":
            return [self._topics_view(chat, edit=True, back=True)]
        if kind == "set" and rest == "back":
            return [self._settings_view(chat, edit=True)]
        if kind == "st" and (clock := parse_clock(rest)):
            self._change_schedule(chat, [rest], "", valid=True, problem="",
                                  schedule=lambda current: Schedule(clock, current.tz), digest_time=clock)
            return [self._settings_view(chat, edit=True)]
        if kind == "sd" and rest in ("on", "off"):
            if rest == "on":
                self.store.subscribe(chat.id, chat.kind, None, datetime.now(UTC), self._schedule(chat))
            else:
                self.store.unsubscribe(chat.id, None)
            return [self._settings_view(chat, edit=True)]
        if kind == "sf" and rest == "clear":
            self.store.clear_filters(chat.id)
            return [self._settings_view(chat, edit=True)]
        return [Reply("That button is out of date. Send the command again to get fresh buttons.")]

    # --- commands -------------------------------------------------------------------------------------------

    def cmd_start(self, chat: Chat, args: list[str]) -> list[Reply]:
        if args and args[0].startswith(START_TOPIC):  # a deep link: t.me/<bot>?start=topic-Global
            topic = self._topic_by_parameter(args[0].removeprefix(START_TOPIC))
            if topic is None:
                return [Reply("That link names a topic I do not have (any more).\n" + self._available())]
            if not self._follows(chat, topic):
                self.store.follow_topic(chat.id, chat.kind, topic, datetime.now(UTC), self._schedule(chat))
                self._remember_thread(chat)
            done = Reply(f"Subscribed to {esc(topic.name)}: a daily digest at {self._when(chat)}. "
                         f"{self._topics_line(chat)}")
            return [done, *self._topic_page(chat, topic, DEFAULT_LATEST)]
        subscriber = self.store.subscriber(chat.id)
        if subscriber is None or not subscriber.active:
            self.store.subscribe(chat.id, chat.kind, None, datetime.now(UTC), self._schedule(chat))
            self._remember_thread(chat)
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
        return self._latest_page(chat, count)

    def cmd_topic(self, chat: Chat, args: list[str]) -> list[Reply]:
        if not args:
            if not self.store.topics():
                return [Reply(NO_TOPICS)]
            return [self._topic_keyboard(0)]
        count_arg = args[-1] if len(args) > 1 and args[-1].lstrip("-").isdigit() else None
        name = " ".join(args[:-1] if count_arg else args)
        count, problem = self._count(count_arg, f"/topic {name}")
        if problem:
            return [Reply(problem)]
        topic = self.store.find_topic(name)
        if topic is None:
            return [Reply(f"There is no topic called “{_echo(name)}”.\n{self._available()}")]
        return self._topic_page(chat, topic, count)

    def cmd_topics(self, chat: Chat, args: list[str]) -> list[Reply]:
        if not self.store.topics():
            return [Reply(NO_TOPICS)]
        return [self._topics_view(chat)]

    def cmd_subscribe(self, chat: Chat, args: list[str]) -> list[Reply]:
        topics, problem = self._resolve_topics(args, "subscribe")
        if problem:
            return [Reply(problem)]
        self.store.subscribe(chat.id, chat.kind, topics, datetime.now(UTC), self._schedule(chat))
        self._remember_thread(chat)
        where = " in this topic" if chat.thread_id else ""
        return [Reply(f"Subscribed: a daily digest{where} at {self._when(chat)}. {self._topics_line(chat)}")]

    def cmd_unsubscribe(self, chat: Chat, args: list[str]) -> list[Reply]:
        subscriber = self.store.subscriber(chat.id)
        if subscriber is None or not subscriber.active:
            return [Reply("This chat is not subscribed. Send /subscribe to get the daily digest.")]
        if not args or (len(args) == 1 and args[0].lower() == "all"):
            self.store.unsubscribe(chat.id, None)
            return [Reply("Unsubscribed: no more daily digests. Send /subscribe to start again.")]
        topics, problem = self._resolve_topics(args, "unsubscribe")
        if problem:
            return [Reply(problem)]
        subscriber = self.store.unsubscribe(chat.id, topics, every_topic=self.store.topics())
        if not subscriber.active:
            return [Reply("That was the last topic, so the daily digest is off. Send /subscribe to start again.")]
        return [Reply(f"Done. {self._topics_line(chat)}")]

    def cmd_settings(self, chat: Chat, args: list[str]) -> list[Reply]:
        return [self._settings_view(chat)]

    def cmd_filter(self, chat: Chat, args: list[str]) -> list[Reply]:
        if not args:
            return [Reply(self._filters_text(self.store.filters(chat.id)) + "\n\n" + esc(FILTER_USAGE))]
        if len(args) == 1 and args[0].lower() == "clear":
            self.store.clear_filters(chat.id)
            return [Reply("Filters cleared: the digest carries every item of your topics.")]
        keep = [normalise_word(a[1:]) for a in args if a.startswith("+") and normalise_word(a[1:])]
        drop = [normalise_word(a[1:]) for a in args if a.startswith("-") and normalise_word(a[1:])]
        if len(keep) + len(drop) != len(args):
            return [Reply(esc(FILTER_USAGE))]
        have = self.store.filters(chat.id)
        if len(have.keep | have.drop | set(keep) | set(drop)) > MAX_FILTER_WORDS:
            return [Reply(f"A chat can filter by up to {MAX_FILTER_WORDS} words. /filter clear starts again.")]
        filters = self.store.set_filters(chat.id, keep, drop)
        return [Reply("Done. " + self._filters_text(filters))]

    def cmd_channel(self, chat: Chat, args: list[str]) -> list[Reply]:
        """Show or turn off the channel target; setting one needs Telegram's word (``point_at_channel``)."""
        target = self.store.target(chat.id)
        if args and args[0].lower() == "off":
            self.store.set_target(chat.id, channel_id=None, channel_name=None)
            return [Reply("Done: the digest comes to this chat again.")]
        if args:
            return [Reply("Channels can be set only in Telegram.")]
        where = f"the channel {esc(target.channel_name)}" if target and target.channel_id else "this chat"
        return [Reply(f"The digest goes to {where}.\n{esc(CHANNEL_USAGE)}")]

    def point_at_channel(self, chat: Chat, asked: str, check: ChannelCheck | None) -> list[Reply]:
        subscriber = self.store.subscriber(chat.id)
        if subscriber is None or not subscriber.active:
            return [Reply("This chat is not subscribed. Send /subscribe first, then choose the channel.")]
        if check is None:
            return [Reply(f"I cannot find the channel {esc(asked)}. Add me to it as an administrator, then try "
                          "again with its @name or id.")]
        if not check.bot_is_admin:
            return [Reply(f"I am not an administrator of {esc(check.title)}. Add me as one who may post "
                          "messages, then try again.")]
        if not check.user_is_admin:
            return [Reply(f"Only an administrator of {esc(check.title)} can send the digest there.")]
        self.store.set_target(chat.id, channel_id=check.id, channel_name=check.title)
        return [Reply(f"Done: the daily digest now goes to {esc(check.title)}. /channel off brings it back here.")]

    def cmd_search(self, chat: Chat, args: list[str]) -> list[Reply]:
        if not args:
            return [Reply("Usage: /search <i>words</i>, for example /search export policy.")]
        articles = self.store.search(args, DEFAULT_LATEST)
        query = shorten(" ".join(args), SHOWN_INPUT)
        if not articles:
            return [Reply(f"Nothing found for “{esc(query)}”.")]
        return self._articles(chat, f"Search: {query}", articles, with_topic=True)

    def cmd_stats(self, chat: Chat, args: list[str]) -> list[Reply]:
        return [Reply(text) for text in pack_messages(
            [esc(line) for line in operator_figures(self.store, self.default.tz)], separator="\n")]

    def cmd_sources(self, chat: Chat, args: list[str]) -> list[Reply]:
        rows = self.store.figures(datetime.now(UTC))["sources"]
        states = self.store.source_states()
        if not rows and not states:
            return [Reply("No sources have delivered articles yet.")]
        lines = ["<b>Articles by source</b>"] + [
            f"• {esc(source)}: {_plural(count, 'article')}, latest {latest:%Y-%m-%d %H:%M} UTC"
            for source, count, latest in rows]
        if states:
            lines += ["", "<b>Polled sources</b>"] + [esc(source_health(state)) for state in states]
        return [Reply(text) for text in pack_messages(lines, separator="\n")]

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
            return [Reply(f"“{_echo(' '.join(args))}” {esc(problem)}")]
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
        """Which topics the digest carries, and whether new ones will be added."""
        subscriber = self.store.subscriber(chat.id)
        if subscriber is None or subscriber.all_topics:
            left_out = [topic.name for topic in subscriber.topics if topic.excluded] if subscriber else []
            if left_out:
                return f"Topics: all but {esc(_listing(left_out))} (new topics included)."
            return "Topics: all (new topics included)."
        chosen = [topic.name for topic in subscriber.topics if not topic.excluded]
        return f"Topics: only {esc(_listing(chosen))} (new topics not included)."

    def _available(self, command: str = "topic") -> str:
        """The most active topics, for a reply that could not find one, and an example of ``command``."""
        ranked = self.store.topics_by_activity(datetime.now(UTC) - timedelta(days=ACTIVE_DAYS))
        if not ranked:
            return NO_TOPICS
        names = [topic.name for topic, _ in ranked]
        return (f"Available topics: {esc(_listing(names, LISTED))}.\nFor example: /{command} {esc(_shown(names[0]))}"
                + ("\nSend /topics for all of them." if len(names) > LISTED else ""))

    @staticmethod
    def _count(value: str | None, usage: str) -> tuple[int, str | None]:
        if value is None:
            return DEFAULT_LATEST, None
        try:
            count = int(value)
        except ValueError:
            return 0, f"“{_echo(value)}” is not a number. Try {_echo(usage)} 10 (from 1 to {MAX_LATEST})."
        if not 1 <= count <= MAX_LATEST:
            return 0, f"I can show 1 to {MAX_LATEST} articles at a time. Try {_echo(usage)} {MAX_LATEST}."
        return count, None

    def _articles(self, chat: Chat, title: str, articles, *, with_topic: bool) -> list[Reply]:
        tz = self._schedule(chat).tz
        return [Reply(text) for text in article_list_messages(title, articles, tz, with_topic=with_topic)]

    def _page(self, chat: Chat, title: str, articles: list[Article], count: int, scope: str, *,
              with_topic: bool, edit: bool, extra: list[Button] = ()) -> list[Reply]:
        """One page of an article list; ``articles`` holds one more than the page when there are older ones.

        The "More" button carries the keyset of the page's last article, so nothing is stored per message.
        """
        if not articles:
            replies = [Reply("No older articles.")]
        else:
            replies = self._articles(chat, title, articles[:count], with_topic=with_topic)
        row = []
        if len(articles) > count:
            last = articles[count - 1]
            cursor = _cursor((last.date_known, last.published_at, last.id))
            row = [Button("More ▸", f"m:{scope}:{count}:{cursor}")]
        replies[-1].buttons = [r for r in (row, list(extra)) if r]
        replies[0].edit = edit
        return replies

    def _latest_page(self, chat: Chat, count: int, before: tuple[bool, datetime, int] | None = None, *,
                     edit: bool = False) -> list[Reply]:
        articles = self.store.older(count + 1, before) if before else self.store.latest(count + 1)
        if not articles and not before:
            return [Reply("No articles yet. They appear here once the news sources have been read.")]
        title = "Older news" if before else "Latest news"
        return self._page(chat, title, articles, count, "*", with_topic=True, edit=edit)

    def _topic_page(self, chat: Chat, topic: Topic, count: int, before: tuple[bool, datetime, int] | None = None, *,
                    edit: bool = False) -> list[Reply]:
        """A topic's articles, with More and a button to subscribe to it (or drop it)."""
        articles = (self.store.older(count + 1, before, topic.key) if before
                    else self.store.latest(count + 1, topic=topic.key))
        page = _cursor(before)
        label = f"✅ Subscribed · drop {topic.name}" if self._follows(chat, topic) else f"Subscribe to {topic.name}"
        extra = [Button(label[:60], f"ts:{topic_code(topic.key)}:{count}:{page}")]
        if link := self.deep_link(topic):
            extra.append(Button("Share", url="https://t.me/share/url?" + urlencode(
                {"url": link, "text": f"{topic.name} news, daily"})))
        title = f"Older in {topic.name}" if before else f"Latest in {topic.name}"
        return self._page(chat, title, articles, count, topic_code(topic.key), with_topic=False, edit=edit,
                          extra=extra)

    def deep_link(self, topic: Topic) -> str | None:
        """The link that subscribes whoever opens it to the topic."""
        return f"https://t.me/{self.bot_username}?start={start_parameter(topic)}" if self.bot_username else None

    def _topics_view(self, chat: Chat, page: int = 0, *, edit: bool = False, back: bool = False) -> Reply:
        """/topics: a page of topics, the most active first, with their counts and one toggle button each
        (✅ when the chat's digest carries it), "All topics" on top; ◂ and ▸ turn the pages."""
        ranked = self.store.topics_by_activity(datetime.now(UTC) - timedelta(days=ACTIVE_DAYS))
        page, shown, pages = _page_of(ranked, page)
        lines = [f"• {esc(_shown(topic.name))}: {_plural(topic.article_count, 'article')}"
                 + (f", {recent} in the last {ACTIVE_DAYS} days" if recent else "") for topic, recent in shown]
        where = f" · {page * TOPICS_PAGE + 1}–{page * TOPICS_PAGE + len(shown)} of {len(ranked)}" if pages > 1 else ""
        subscriber = self.store.subscriber(chat.id)
        on = subscriber is not None and subscriber.active
        state = self._topics_line(chat) if on else "Your daily digest is off."
        text = (f"<b>Topics</b>{where}, the most active first\n" + "\n".join(lines) + f"\n\n{state}\nTap a topic to "
                "add it to your daily digest or drop it (✅: in the digest). With ✅ All topics, topics that appear "
                "later come too. Send /topic <i>name</i> to read one.")
        follows, origin = self._followed(chat), ":s" if back else ""
        buttons = [Button(("✅ " if follows(t) else "") + _shown(t.name), f"tt:{topic_code(t.key)}:{page}{origin}")
                   for t, _ in shown]
        every = Button(("✅ " if on and subscriber.all_topics else "") + "All topics", f"ta:{page}{origin}")
        rows = [[every]] + [buttons[i:i + 2] for i in range(0, len(buttons), 2)]
        rows += _page_buttons(page, pages, lambda n: f"tp:{n}{origin}")
        if back:
            rows.append([Button("« Settings", "set:back")])
        return Reply(text, rows, edit=edit)

    def _settings_view(self, chat: Chat, *, edit: bool = False) -> Reply:
        subscriber = self.store.subscriber(chat.id)
        filters = self.store.filters(chat.id)
        clear = [Button("Clear filters", "sf:clear")] if filters else []
        if subscriber is None or not subscriber.active:
            rows = [[Button("Turn the digest on", "sd:on"), Button("Topics", "set:topics")], clear]
            return Reply(f"<b>Settings</b>\nDaily digest: off.\n{self._filters_text(filters)}",
                         [row for row in rows if row], edit=edit)
        schedule = self._schedule(chat)
        text = (f"<b>Settings</b>\nDaily digest: on, at {self._when(chat)}.\n{self._topics_line(chat)}\n"
                f"{self._filters_text(filters)}\n\nTap a time to get the digest then, or Topics to choose them. "
                "Change the timezone with /timezone Area/City, filters with /filter.")
        times = [Button(("✅ " if f"{schedule.at:%H:%M}" == t else "") + t, f"st:{t}") for t in QUICK_TIMES]
        rows = [times, [Button("Topics", "set:topics"), Button("Turn the digest off", "sd:off")], clear]
        return Reply(text, [row for row in rows if row], edit=edit)

    @staticmethod
    def _filters_text(filters: Filters) -> str:
        if not filters:
            return "Filters: none."
        parts = [f"+{w}" for w in sorted(filters.keep)] + [f"-{w}" for w in sorted(filters.drop)]
        # 50 words of up to 100 characters would not fit a message with the rest of /settings
        return "Filters: " + esc(shorten(" ".join(parts), FILTERS_SHOWN)) + "."

    def _follows(self, chat: Chat, topic: Topic) -> bool:
        return self._followed(chat)(topic)

    def _followed(self, chat: Chat) -> Callable[[Topic], bool]:
        """Whether the chat's digest carries a topic (one query for a whole keyboard)."""
        subscriber = self.store.subscriber(chat.id)
        if subscriber is None or not subscriber.active:
            return lambda topic: False
        return lambda topic: subscriber.carries(topic.key)

    def _toggle_topic(self, chat: Chat, topic: Topic) -> None:
        """Add the topic to the chat's digest (turning it on if off), or drop it (off when it was the last)."""
        if self._follows(chat, topic):
            self.store.unsubscribe(chat.id, [topic], every_topic=self.store.topics())
        else:
            self.store.follow_topic(chat.id, chat.kind, topic, datetime.now(UTC), self._schedule(chat))
            self._remember_thread(chat)

    def _toggle_all_topics(self, chat: Chat) -> None:
        """All topics on (every topic, new ones too; the digest on), or off: a fixed list of what it carries now."""
        subscriber = self.store.subscriber(chat.id)
        on = not (subscriber is not None and subscriber.active and subscriber.all_topics)
        self.store.set_all_topics(chat.id, chat.kind, on, self.store.topics(), datetime.now(UTC), self._schedule(chat))
        if on:
            self._remember_thread(chat)

    def _remember_thread(self, chat: Chat) -> None:
        """In a forum supergroup, the digest goes to the topic where it was asked for (General: no thread)."""
        target = self.store.target(chat.id)
        if chat.thread_id is not None or (target is not None and target.thread_id is not None):
            self.store.set_target(chat.id, thread_id=chat.thread_id)

    def _topic_by_code(self, code: str) -> Topic | None:
        return next((t for t in self.store.topics() if topic_code(t.key) == code), None)

    def _topic_by_parameter(self, value: str) -> Topic | None:
        return self.store.find_topic(value) or self._topic_by_code(value)

    def _topic_keyboard(self, page: int, *, edit: bool = False) -> Reply:
        """/topic without a name: a page of buttons, the most active topics first, ◂ and ▸ to turn pages."""
        ranked = self.store.topics_by_activity(datetime.now(UTC) - timedelta(days=ACTIVE_DAYS))
        page, shown, pages = _page_of(ranked, page)
        buttons = [Button(f"{_shown(t.name)} ({t.article_count})", TOPIC_BUTTON_PREFIX + topic_code(t.key))
                   for t, _ in shown]
        rows = [buttons[i:i + 2] for i in range(0, len(buttons), 2)]
        rows += _page_buttons(page, pages, lambda n: f"tk:{n}")
        where = f" ({page * TOPICS_PAGE + 1}–{page * TOPICS_PAGE + len(shown)} of {len(ranked)})" if pages > 1 else ""
        return Reply(f"Pick a topic{where}, the most active first:", rows, edit=edit)

    def _resolve_topics(self, args: list[str], command: str) -> tuple[list[Topic] | None, str | None]:
        """Topic names from the arguments of ``command``: comma-separated, or one name of several words, or one
        per word. No names: None, meaning all topics. Unknown names: the problem, with an example of ``command``.
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
        return None, f"Unknown topic: {_echo(', '.join(unknown))}.\n{self._available(command)}"


CHANNEL_USAGE = ("/channel @name sends the digest to a channel where I am an administrator; "
                 "/channel off brings it back here.")
FILTER_USAGE = ("Usage: /filter +word keeps only digest items that mention the word, /filter -word drops items "
                "that mention it (whole words, headline or summary, any case); /filter clear removes them all.")


def source_health(state: SourceState) -> str:
    """One line on a polled source: fine since when, or failing since when and why."""
    if state.first_failure_at is None:
        when = f"{state.last_success_at:%Y-%m-%d %H:%M} UTC" if state.last_success_at else "never yet"
        return f"✅ {state.name}: last read {when}"
    return (f"⚠️ {state.name}: failing since {state.first_failure_at:%Y-%m-%d %H:%M} UTC "
            f"({_plural(state.consecutive_failures, 'attempt')}): {state.last_error or 'unknown error'}")[:500]


def operator_figures(store: Store, tz) -> list[str]:
    """The operators' figures, as lines: /stats in Telegram and `newsdigest stats` in the terminal."""
    today = datetime.now(tz).replace(hour=0, minute=0, second=0, microsecond=0)
    figures = store.figures(today)
    lines = [
        "Statistics",
        f"Subscribers: {figures['active']} active, {figures['inactive']} inactive",
        f"Articles: {figures['articles']}",
        f"Digests sent today: {figures['sent_today']}; pending: {figures['pending']}; failed: {figures['failed']}",
        f"Digests with a message of unknown fate (in flight at a crash, not sent again): {figures['fate_unknown']}",
        "Articles per source:",
        *(f"  {source}: {count}" for source, count, _ in figures["sources"]),
        "Articles per topic:",
        *(f"  {name}: {count}" for name, count in figures["topics"]),
    ]
    states = store.source_states()
    if states:
        last = max(states, key=lambda state: state.last_attempt_at or EPOCH)
        failing = sum(1 for state in states if state.first_failure_at is not None)
        lines.append(f"Last poll: {last.last_attempt_at:%Y-%m-%d %H:%M} UTC; "
                     f"{failing} of {_plural(len(states), 'polled source')} failing")
        lines += [f"  {source_health(state)}" for state in states]
    return lines
