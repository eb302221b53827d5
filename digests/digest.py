"""Digests: the articles a chat should get, grouped by topic, ranked and capped, and their plain-text form."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import datetime, timedelta, tzinfo

from digests.links import is_web_address
from digests.models import Article
from digests.stories import VIA

DEFAULT_MAX_ITEMS = 30  # stories in a digest (DIGEST_MAX_ITEMS)
# A digest holds news, not a feed's backlog: an article published longer than this before the digest's window
# began is left out of it, however recently it arrived (DIGEST_MAX_AGE_HOURS; see ``oldest_published``)
DEFAULT_MAX_AGE = timedelta(hours=48)
HALF_LIFE_HOURS = 24  # a story's weight halves with each day of age: a second source outweighs a day
MORE_NEWS = "More news"
ONLY_NEWS = "News in brief"  # the gathered section's name when it is the digest's only one: "more" than nothing
SMALL_SECTION = 2  # a topic with this many items or fewer goes into "More news"


@dataclass
class Section:
    topic: str
    articles: list[Article]
    mixed: bool = False  # "More news": items of several topics, each shown with its topic


def oldest_published(window_start: datetime, max_age: timedelta = DEFAULT_MAX_AGE) -> datetime:
    """The earliest publication time of an article in the digest whose window starts at ``window_start``: what
    arrived in the window but was published before it (a new feed's backlog, an old item re-sent) is no news.
    An undated article (``date_known`` false) counts by its arrival, so it is always in its window's digest."""
    return window_start - max_age


def group_by_topic(articles: Iterable[Article], carries: Callable[[str], bool] | None = None) -> list[Section]:
    """Sections by topic name; an article shows once, under its first topic that the chat follows.

    ``carries`` tells from a topic's key whether the digest carries it (None: every topic). Articles keep their
    order (newest first) inside a section; ``rank`` orders, caps and gathers them.
    """
    sections: dict[str, Section] = {}
    for article in articles:
        topic = next((t for t in article.topics if carries is None or carries(t.key)), None)
        if topic is None:
            continue
        sections.setdefault(topic.key, Section(topic.name, [])).articles.append(article)
    return sorted(sections.values(), key=lambda section: section.topic.casefold())


def article_count(sections: list[Section]) -> int:
    return sum(len(section.articles) for section in sections)


def story_weight(article: Article, now: datetime) -> float:
    """How high a story ranks: the sources that carried it, halved for each ``HALF_LIFE_HOURS`` of age."""
    hours = max(0.0, (now - article.published_at).total_seconds() / 3600)
    return (1 + len(article.also_sources)) * 0.5 ** (hours / HALF_LIFE_HOURS)


@dataclass
class Ranked:
    """A digest's sections, best first, within its cap; ``left_out`` counts the stories past it, by topic."""

    sections: list[Section]
    left_out: dict[str, int] = field(default_factory=dict)

    @property
    def more(self) -> int:
        return sum(self.left_out.values())


def rank(sections: list[Section], max_items: int = DEFAULT_MAX_ITEMS, now: datetime | None = None) -> Ranked:
    """Stories carried by more sources and fresher ones first, within each section and across them (a section
    goes by its best story); only the ``max_items`` best stories of the whole digest stay in it, and topics left
    with one or two of them are gathered into "More news", last (see ``gather_small``).

    ``now`` is when the digest is read (default: its newest article's time). Undated stories come last.
    """
    articles = [article for section in sections for article in section.articles]
    if not articles:
        return Ranked([])
    now = now or max(article.published_at for article in articles)

    def order(article: Article) -> tuple:
        return (article.date_known is False, -story_weight(article, now), -article.published_at.timestamp(),
                -article.id)

    kept = {id(article) for article in sorted(articles, key=order)[:max_items]}
    ranked, left_out = [], {}
    for section in sections:
        stories = sorted(section.articles, key=order)
        shown = [article for article in stories if id(article) in kept]
        if len(shown) < len(stories):
            left_out[section.topic] = len(stories) - len(shown)
        if shown:
            ranked.append(Section(section.topic, shown))
    ranked.sort(key=lambda section: order(section.articles[0]))
    return Ranked(gather_small(ranked, order), left_out)


def gather_small(sections: list[Section], order: Callable[[Article], tuple]) -> list[Section]:
    """Few, full sections: topics with ``SMALL_SECTION`` items or fewer go into one "More news" section at the
    end (in ``order``), when there are two such topics or more (one alone keeps its name); "News in brief" when
    no other section is left, as a digest of small topics only has nothing it is more than."""
    small = [section for section in sections if len(section.articles) <= SMALL_SECTION]
    if len(small) < 2:
        return sections
    gathered = sorted((article for section in small for article in section.articles), key=order)
    full = [section for section in sections if len(section.articles) > SMALL_SECTION]
    return full + [Section(MORE_NEWS if full else ONLY_NEWS, gathered, mixed=True)]


def format_date(moment: datetime, tz: tzinfo) -> str:
    """``7 Aug 2025``, in the reader's timezone."""
    local = moment.astimezone(tz)
    return f"{local.day} {local:%b %Y}"


def article_date(article: Article, tz: tzinfo) -> str:
    """The date shown with an article: ``seen 7 Aug 2025`` when neither it nor its feed gave one."""
    shown = format_date(article.published_at, tz)
    return shown if article.date_known is not False else f"seen {shown}"


def credit(article: Article) -> str:
    """The outlet an aggregator's item comes from ("via Reuters", kept in ``author``), shown beside its date;
    '' for every other article (bylines are not shown)."""
    author = article.author or ""
    return author if author.startswith(VIA) else ""


def article_meta(article: Article, tz: tzinfo) -> str:
    """What is shown under a headline: its date, and for an aggregator's item, the outlet."""
    return " · ".join(filter(None, (article_date(article, tz), credit(article))))


SHOWN_TOPICS = 2  # an article's topics named beside it: its first ones; a keyword list is no help to a reader


def shown_topics(article: Article) -> str:
    """The topics named beside an article in mixed lists (/latest, /search, "More news"): its first two."""
    return ", ".join(article.topic_names[:SHOWN_TOPICS])


def more_line(left_out: dict[str, int], topics: int = 5) -> str:
    """What a capped digest ends with: how many more stories there are, and the commands that show them."""
    more = sum(left_out.values())
    by_topic = sorted(left_out.items(), key=lambda item: (-item[1], item[0].casefold()))
    line = f"… and {more} more {'story' if more == 1 else 'stories'}: /latest shows the newest"
    if by_topic:
        line += "; by topic: " + ", ".join(f"/topic {topic} ({n})" for topic, n in by_topic[:topics])
        if len(by_topic) > topics:
            line += ", …"
    return line + "."


def render_text(sections: list[Section], tz: tzinfo, title: str, left_out: dict[str, int] | None = None) -> str:
    """The digest as plain text, for the terminal; ``left_out``: the stories past its cap, by topic."""
    lines = [title, "=" * len(title)]
    if not sections:
        lines += ["", "No articles."]
    for section in sections:
        lines += ["", f"## {section.topic} ({len(section.articles)})"]
        for article in section.articles:
            topics = f" | {shown_topics(article)}" if section.mixed else ""
            link = f" | {article.link}" if is_web_address(article.link) else ""  # none to follow: not shown
            lines += ["", f"* {article.title}", f"  {article_meta(article, tz)}{topics}{link}"]
            if article.summary:
                lines.append(f"  {article.summary}")
            if article.also_sources:
                lines.append(f"  Also: {', '.join(article.also_sources)}")
    if left_out:
        lines += ["", more_line(left_out)]
    return "\n".join(lines)
