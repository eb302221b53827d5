"""Telegram HTML: escaped fields, digest split between articles within 4096 characters."""

from datetime import UTC, date, datetime
from zoneinfo import ZoneInfo

from bot.formatting import MAX_MESSAGE_LENGTH, article_html, digest_messages, html_to_plain, pack_messages, visible_length
from digests.digest import Section
from digests.models import Article, ArticleTopic
from tests.fakebotapi import parse_html, utf16_length


def make_article(number: int, title: str = "Title", summary: str = "Summary.", topic: str = "Global") -> Article:
    when = datetime(2025, 8, 7, 9, 12, tzinfo=UTC)
    article = Article(id=number, title=title, link=f"https://x.org/{number}?a=1&b=2", summary=summary,
                      published_at=when, source="s", text="")
    article.topics = [ArticleTopic(key=topic.casefold(), name=topic, published_at=when)]
    return article


def test_every_field_is_escaped():
    article = make_article(1, title="<script>Tom & Jerry</script>", summary="5 < 6 > 4 & \"quoted\"")
    html = article_html(article, ZoneInfo("UTC"), with_topic=True)
    assert parse_html(html) == '<script>Tom & Jerry</script>\n7 Aug 2025 · Global\n5 < 6 > 4 & "quoted"'
    assert 'href="https://x.org/1?a=1&amp;b=2"' in html


def test_date_shown_in_the_readers_timezone():
    article = make_article(1)
    article.published_at = datetime(2025, 8, 7, 20, 0, tzinfo=UTC)
    assert "8 Aug 2025" in article_html(article, ZoneInfo("Asia/Kolkata"))
    assert "7 Aug 2025" in article_html(article, ZoneInfo("UTC"))


def test_digest_is_split_between_articles_within_the_limit():
    sections = [Section("Global", [make_article(i, title=f"Story {i} " + "é" * 80, summary="Ω" * 290)
                                   for i in range(60)])]
    messages = digest_messages(sections, ZoneInfo("UTC"), date(2025, 8, 7))
    assert len(messages) > 1
    for message in messages:
        assert utf16_length(parse_html(message)) <= MAX_MESSAGE_LENGTH
    joined = "".join(messages)
    assert all(f"Story {i} " in joined for i in range(60))
    assert all(m.count("<b><a href") == m.count("</a></b>") for m in messages)  # no article cut in two


def test_visible_length_counts_utf16_units_like_telegram():
    assert visible_length("<b>😀</b>") == 2
    assert visible_length("&lt;b&gt;") == 3


def test_one_oversized_block_is_shortened_not_dropped():
    messages = pack_messages(["x " * 5000, "<b>next</b>"])
    assert messages[0].startswith("x x x") and "…" in messages[0]
    assert messages[-1].endswith("<b>next</b>")
    assert all(utf16_length(parse_html(m)) <= MAX_MESSAGE_LENGTH for m in messages)


def test_html_to_plain_for_the_console():
    assert html_to_plain('<b><a href="https://x.org/?a=1&amp;b=2">A &amp; B</a></b>') == "A & B (https://x.org/?a=1&b=2)"
