"""Digests: the articles a chat should get, grouped by topic, and their plain-text form."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import datetime, tzinfo

from digests.models import Article


@dataclass
class Section:
    topic: str
    articles: list[Article]


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
    return sorted(sections.values(), key=lambda section: section.topic.casefold())


def article_count(sections: list[Section]) -> int:
    return sum(len(section.articles) for section in sections)


def format_date(moment: datetime, tz: tzinfo) -> str:
    """``7 Aug 2025``, in the reader's timezone."""
    local = moment.astimezone(tz)
    return f"{local.day} {local:%b %Y}"


def render_text(sections: list[Section], tz: tzinfo, title: str) -> str:
    """The digest as plain text, for the terminal."""
    lines = [title, "=" * len(title)]
    if not sections:
        lines += ["", "No articles."]
    for section in sections:
        lines += ["", f"## {section.topic} ({len(section.articles)})"]
        for article in section.articles:
            lines += ["", f"* {article.title}", f"  {format_date(article.published_at, tz)} | {article.link}"]
            if article.summary:
                lines.append(f"  {article.summary}")
            if article.also_sources:
                lines.append(f"  Also: {', '.join(article.also_sources)}")
    return "\n".join(lines)
