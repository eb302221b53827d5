"""The whole real-feeds corpus in one scratch database, read as a user of the bot would see it: topics a
person can use, dates that can be trusted, and every message within Telegram's limits."""

from __future__ import annotations

import re
from collections import defaultdict
from datetime import UTC, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest

from bot.commands import Chat, Commands
from bot.formatting import MAX_MESSAGE_LENGTH, digest_messages, html_to_plain, visible_length
from digests.digest import group_by_topic, rank
from digests.ingest import ingest
from digests.schedule import Schedule
from digests.sources import Source
from digests.storage import open_store
from tests.conftest import SHARED

REALFEEDS = SHARED / "testdata" / "realfeeds"
FEEDS = sorted(REALFEEDS.glob("*.xml")) if REALFEEDS.is_dir() else []
pytestmark = pytest.mark.skipif(not FEEDS, reason=f"the real feeds corpus is absent ({REALFEEDS})")

# What no reader should see as a topic, written independently of digests/topics.py: the labels the issue
# names, the flags and codes found in the corpus, and the shapes of machine labels.
JUNK = {"paid", "uncategorized", "uncategorised", "sponsorshipblock", "sponsored", "sponsor", "tc", "paywall free",
        "default", "active", "pinned", "post", "external", "audio embed", "post to buffer", "news", "новости",
        "...другое", "multimedia", "author", "ugc", "deals", "editors' picks", "subscribers' picks", "работает",
        "временно не работает", "rue89", "urdu"}
MACHINE = re.compile(r"://|^www\.|^\d+$|_|^[a-z0-9]+(-[a-z0-9]+){2,}$|^[A-Z]{2,8}:[A-Z0-9.]+$|\.jpe?g$")


@pytest.fixture(scope="module")
def corpus(tmp_path_factory):
    folder = tmp_path_factory.mktemp("realfeeds")
    store = open_store(f"sqlite:///{folder / 'corpus.db'}")
    # one source per feed, named after its file, as an operator's sources file would
    report = ingest(store, [Source(location=str(path), name=path.stem.split("_")[0]) for path in FEEDS],
                    source_tz=UTC)
    yield store, report
    store.close()


def test_every_feed_ingests(corpus):
    store, report = corpus
    assert report.new > 1000
    whole_files = [r for r in report.rejected if "(item" not in r.path]
    assert whole_files == []
    by_source = {article.source for article in store.published(datetime(1990, 1, 1, tzinfo=UTC),
                                                                datetime.now(UTC) + timedelta(days=1))}
    assert len(by_source) >= 30


def test_no_junk_topic(corpus):
    store, _ = corpus
    names = [topic.name for topic in store.topics()]
    assert not [name for name in names if name.casefold() in JUNK or MACHINE.search(name.lower())
                or MACHINE.search(name) or "&amp;" in name or "," in name or len(name) > 60
                or name.startswith("Rue89 ") or len(name) == 2 and not name.isupper()]


def test_topics_are_named_as_an_editor_would(corpus):
    """The spelling most feeds give, singular (boston.com's "Businesses" beside ABC News' and Foreign Policy's
    "Business"), not a newsletter or series (Foreign Policy's), nor a calendar's venues (the Washington Post's)."""
    store, _ = corpus
    names = {topic.name for topic in store.topics()}
    assert {"Business", "World", "Sport", "Media", "Education"} <= names
    assert not names & {"Businesses", "World News", "Sports", "Médias", "Éducation"}
    assert not names & {"Situation Report", "FP Weekend", "FP Insider", "The Reading List", "Weekend", "Insider"}
    assert not names & {"Episcopal Church", "United Methodist Church", "Jesus Christ", "Respubliki-belarus"}


def _loose(name: str) -> str:
    """Near-copies of one topic, by a rule of the test's own: case, punctuation, "X news", a plural s."""
    words = re.sub(r"(?<=[a-z])(?=[A-Z])", " ", name).casefold()
    words = re.sub(r"[\W_]+", " ", words.replace("&", " and ")).split()
    if len(words) > 1 and words[-1] == "news":
        words.pop()
    return " ".join(w[:-1] if len(w) > 3 and w.endswith("s") and not w.endswith("ss") else w for w in words)


def test_no_near_duplicate_topics(corpus):
    store, _ = corpus
    groups = defaultdict(list)
    for topic in store.topics():
        groups[_loose(topic.name)].append(topic.name)
    assert [names for names in groups.values() if len(names) > 1] == []


def test_dates_can_be_trusted(corpus):
    """No item dated later than it was first seen; none of the 2009-2021 feeds' stories dated today (every feed
    in the corpus was captured before this test ran, so nothing in it is from the last day)."""
    store, _ = corpus
    articles = store.published(datetime(1990, 1, 1, tzinfo=UTC), datetime.now(UTC) + timedelta(days=365))
    assert articles
    assert [a.title for a in articles if a.published_at > a.arrived_at] == []
    recent = datetime.now(UTC) - timedelta(days=1)
    assert [(a.source, a.title) for a in articles if a.published_at > recent and a.date_known] == []
    assert all(a.date_known for a in articles)  # every item or its feed gives a date
    latest = store.latest(20)
    assert all(a.date_known for a in latest)


def _fits(reply) -> None:
    assert 1 <= visible_length(reply.text) <= MAX_MESSAGE_LENGTH, reply.text[:200]
    for row in reply.buttons:
        for button in row:
            assert button.url or 1 <= len(button.data.encode()) <= 64, button


def test_what_the_bot_sends_fits_telegrams_limits(corpus):
    store, _ = corpus
    commands = Commands(store, Schedule(time(8, 0), ZoneInfo("Asia/Kolkata")), admin_ids=[1])
    chat = Chat(id=9, user_id=1)
    for command, args in [("latest", []), ("latest", ["20"]), ("topics", []), ("topic", []), ("topic", ["World"]),
                          ("topic", ["world news"]), ("search", ["Trump"]), ("stats", []), ("sources", [])]:
        for reply in commands.handle(chat, command, args):
            _fits(reply)
    # an article names its first two topics, not abcnetau's five
    latest = html_to_plain(commands.handle(chat, "latest", ["20"])[0].text)
    metas = re.findall(r"^\d{1,2} \w{3} \d{4} · (.*)$", latest, re.MULTILINE)
    assert len(metas) >= 10 and max(meta.count(",") for meta in metas) == 1
    view = commands.handle(chat, "topics", [])[0]
    for _ in range(100):
        more = [b for row in view.buttons for b in row if b.text.startswith("More ▸")]
        if not more:
            break
        view = commands.press(chat, more[0].data)[0]
        _fits(view)
    # the day's digest as delivery renders it, from everything that arrived (the corpus is years old: a digest
    # would leave most of it out as no news, DIGEST_MAX_AGE_HOURS), grouped, split into messages
    now = datetime.now(UTC)
    ranked = rank(group_by_topic(store.arrived(now - timedelta(days=1), now + timedelta(minutes=1))), now=now)
    sections = ranked.sections
    messages = digest_messages(sections, ZoneInfo("Asia/Kolkata"), now.date(), ranked.left_out)
    assert messages and all(visible_length(message) <= MAX_MESSAGE_LENGTH for message in messages)
    small = [s for s in sections[:-1] if len(s.articles) <= 2]
    assert small == []  # topics with one or two items are in "More news"
