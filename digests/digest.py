"""Digests: the articles a chat should get, grouped by topic, and their plain-text form."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import datetime, tzinfo

from digests.models import Article


MORE_NEWS = "More news"
SMALL_SECTION = 2  # a topic with this many items or fewer goes into "More news"


@dataclass
class Section:
    topic: str
    articles: list[Article]
    mixed: bool = False  # "More news": items of several topics, each shown with its topic


def group_by_topic(articles: Iterable[Article], carries: Callable[[str], bool] | None = None) -> list[Section]:
    """Sections by topic name; an article shows once, under its first topic that the chat follows.

    ``carries`` tells from a topic's key whether the digest carries it (None: every topic). Articles keep their
    order (newest first) inside a section.
    """
    sections: dict[str, Section] = {}
    for article in articles:
        topic = next((t for t in article.topics if carries is None or carries(t.key)), None)
        if topic is None:
            continue
        sections.setdefault(topic.key, Section(topic.name, [])).articles.append(article)
    return gather_small(sorted(sections.values(), key=lambda section: section.topic.casefold()))


def gather_small(sections: list[Section]) -> list[Section]:
    """Few, full sections: topics with ``SMALL_SECTION`` items or fewer go into one "More news" section at the
    end (newest first), when there are two such topics or more (one alone keeps its name)."""
    small = [section for section in sections if len(section.articles) <= SMALL_SECTION]
    if len(small) < 2:
        return sections
    gathered = sorted((article for section in small for article in section.articles),
                      key=lambda article: (article.date_known is not False, article.published_at), reverse=True)
    return [section for section in sections if len(section.articles) > SMALL_SECTION] + [
        Section(MORE_NEWS, gathered, mixed=True)]


def article_count(sections: list[Section]) -> int:
    return sum(len(section.articles) for section in sections)


def format_date(moment: datetime, tz: tzinfo) -> str:
    """``7 Aug 2025``, in the reader's timezone."""
    local = moment.astimezone(tz)
    return f"{local.day} {local:%b %Y}"


def article_date(article: Article, tz: tzinfo) -> str:
    """The date shown with an article: ``seen 7 Aug 2025`` when neither it nor its feed gave one."""
    shown = format_date(article.published_at, tz)
    return shown if article.date_known is not False else f"seen {shown}"


def render_text(sections: list[Section], tz: tzinfo, title: str) -> str:
    """The digest as plain text, for the terminal."""
    lines = [title, "=" * len(title)]
    if not sections:
        lines += ["", "No articles."]
    for section in sections:
        lines += ["", f"## {section.topic} ({len(section.articles)})"]
        for article in section.articles:
            topics = f" | {', '.join(article.topic_names)}" if section.mixed else ""
            lines += ["", f"* {article.title}", f"  {article_date(article, tz)}{topics} | {article.link}"]
            if article.summary:
                lines.append(f"  {article.summary}")
            if article.also_sources:
                lines.append(f"  Also: {', '.join(article.also_sources)}")
    return "\n".join(lines)
