"""Telegram HTML for articles, lists and digests, split into messages that fit Telegram's limit.

Every field is escaped; the length that counts is the one Telegram measures: the text after its HTML is
parsed, in UTF-16 code units.
"""

from __future__ import annotations

import html
import re
from datetime import date, tzinfo

from telegram.constants import MessageLimit

from digests.digest import Section, article_meta, more_line, shown_topics
from digests.links import is_web_address
from digests.models import Article
from digests.summary import shorten

MAX_MESSAGE_LENGTH = MessageLimit.MAX_TEXT_LENGTH  # 4096
_TAG = re.compile(r"<[^>]*>")
_LINK = re.compile(r'<a href="([^"]*)">(.*?)</a>', re.DOTALL)


def esc(text: str) -> str:
    return html.escape(text, quote=True)


def visible_length(text: str) -> int:
    """What Telegram counts against the 4096 limit: the text without tags, entities decoded, in UTF-16 units."""
    plain = html.unescape(_TAG.sub("", text))
    return len(plain.encode("utf-16-le")) // 2


def article_html(article: Article, tz: tzinfo, *, with_topic: bool = False) -> str:
    meta = article_meta(article, tz)
    if with_topic and article.topics:
        meta += " · " + shown_topics(article)
    headline = esc(article.title)
    if is_web_address(article.link):  # a link a feed left relative, with no site to read it against, leads nowhere
        headline = f'<a href="{esc(article.link)}">{headline}</a>'
    lines = [f"<b>{headline}</b>", f"<i>{esc(meta)}</i>"]
    if article.summary:
        lines.append(esc(article.summary))
    if article.also_sources:
        lines.append(f"<i>Also: {esc(', '.join(article.also_sources))}</i>")
    return "\n".join(lines)


def _fit(block: str, limit: int) -> str:
    """A single block that alone is too long is sent as shortened plain text rather than not at all."""
    if visible_length(block) <= limit:
        return block
    return esc(shorten(html_to_plain(block), limit // 2))


def pack_messages(blocks: list[str], limit: int = MAX_MESSAGE_LENGTH, separator: str = "\n\n") -> list[str]:
    """Join blocks into as few messages as possible, splitting only between blocks."""
    messages: list[str] = []
    current = ""
    for block in (_fit(block, limit) for block in blocks):
        candidate = f"{current}{separator}{block}" if current else block
        if current and visible_length(candidate) > limit:
            messages.append(current)
            current = block
        else:
            current = candidate
    if current:
        messages.append(current)
    return messages


def article_list_messages(title: str, articles: list[Article], tz: tzinfo, *, with_topic: bool) -> list[str]:
    blocks = [article_html(article, tz, with_topic=with_topic) for article in articles]
    blocks[0] = f"<b>{esc(title)}</b>\n\n{blocks[0]}"
    return pack_messages(blocks)


def digest_messages(sections: list[Section], tz: tzinfo, day: date, left_out: dict[str, int] | None = None) -> list[str]:
    """The daily digest: a header, then each topic's heading glued to its first article; a capped digest ends
    with how many more stories there are and how to see them (``left_out``: their count by topic)."""
    shown = sum(len(section.articles) for section in sections)
    more = sum((left_out or {}).values())
    total = shown + more
    count = f"{total} new stor{'ies' if total != 1 else 'y'}" + (f", the top {shown} here" if more else "")
    blocks = [f"<b>📰 Your news digest · {day.day} {day:%b %Y}</b>\n{count}"]
    for section in sections:
        items = [article_html(article, tz, with_topic=section.mixed) for article in section.articles]
        blocks.append(f"<b>■ {esc(section.topic)}</b>\n\n{items[0]}")
        blocks.extend(items[1:])
    if more:
        blocks.append(f"<i>{esc(more_line(left_out))}</i>")
    return pack_messages(blocks)


def html_to_plain(text: str) -> str:
    """Our own Telegram HTML as terminal text: links as ``title (url)``, other tags dropped."""
    text = _LINK.sub(lambda m: f"{m.group(2)} ({m.group(1)})", text)
    return html.unescape(_TAG.sub("", text))
