"""Telegram HTML: escaped fields, digest split between articles within 4096 characters."""

from datetime import UTC, date, datetime
from zoneinfo import ZoneInfo

from bot.formatting import (MAX_MESSAGE_LENGTH, article_html, article_list_messages, digest_messages, html_to_plain,
                            pack_messages, visible_length)
from digests.digest import MORE_NEWS, Section, render_text
from digests.models import AlsoSource, Article, ArticleTopic
from tests.fakebotapi import FakeBotAPI, parse_entities, parse_html, utf16_length


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


EMOJI = "\U0001F4F0"  # one character, two UTF-16 code units (outside the Basic Multilingual Plane)


def test_visible_length_counts_non_bmp_characters_and_entities_as_telegram_does():
    assert visible_length(EMOJI * 3 + " &amp; &#128240;") == 11
    assert visible_length('<b><a href="https://x.org/?a=1&amp;b=2">' + EMOJI + "</a></b>") == 2


def test_blocks_join_up_to_the_limit_with_the_separator_counted():
    first = EMOJI * 1000 + "x" * 47  # 2047 units, 1047 characters
    assert pack_messages([first, first]) == [first + "\n\n" + first]  # 2047 + 2 + 2047 = 4096: one message
    second = first + "y"  # 2048 units
    assert pack_messages([first, second]) == [first, second]  # 4097 with the separator: two
    assert pack_messages([first, second], separator="\n") == [first + "\n" + second]  # 4096 again


def test_blocks_of_non_bmp_characters_are_split_by_their_utf16_length():
    block = EMOJI * 1500  # 3000 units in 1500 characters: two of them are 3002 characters but 6002 units
    assert pack_messages([block, block, block]) == [block, block, block]


def test_an_oversized_block_of_non_bmp_characters_is_shortened_within_the_limit():
    [message] = pack_messages([(EMOJI + " ") * 3000])
    assert message.endswith("…") and MAX_MESSAGE_LENGTH // 2 < visible_length(message) <= MAX_MESSAGE_LENGTH


def test_a_digest_full_of_emoji_is_split_into_parts_telegram_accepts_and_no_part_is_left_half_empty():
    fake = FakeBotAPI()
    sections = [Section(topic, [make_article(i, title=f"{EMOJI} Story {i} " + "𝕏" * 60, summary=EMOJI * 140,
                                             topic=topic) for i in range(number, number + 25)])
                for number, topic in ((0, "Global 🌍"), (100, "Markets 📈"))]
    messages = digest_messages(sections, ZoneInfo("UTC"), date(2025, 8, 7))
    assert len(messages) >= 4
    for message in messages:
        plain, _ = fake._check_text({"text": message, "parse_mode": "HTML"})  # what Telegram would refuse
        assert utf16_length(plain) <= MAX_MESSAGE_LENGTH
    for message, following in zip(messages, messages[1:]):  # split only when the next article did not fit
        next_block = following.split("\n\n<b><a href")[0] if following.startswith("<b>■") else following.split(
            "\n\n")[0]
        assert visible_length(message + "\n\n" + next_block) > MAX_MESSAGE_LENGTH
    joined = "\n\n".join(messages)
    assert all(f"Story {i} " in joined for i in [*range(25), *range(100, 125)])


def test_a_digest_reads_header_count_and_topic_headings_as_written():
    global_news = [make_article(1, title="Rice exports rise", summary="Up 5 per cent."),
                   make_article(2, title="Steel output up", summary="", topic="Global")]
    msme = [make_article(3, title="Loans for MSMEs", summary="Cheaper credit.", topic="MSME")]
    msme[0].also = [AlsoSource(source="ani"), AlsoSource(source="pti")]
    for article in [*global_news, *msme]:
        article.published_at = datetime(2025, 8, 7, 20, 0, tzinfo=UTC)  # 8 Aug in India
    [message] = digest_messages([Section("Global", global_news), Section("MSME", msme)], ZoneInfo("Asia/Kolkata"),
                                date(2025, 8, 7))
    assert parse_html(message) == (
        "📰 Your news digest · 7 Aug 2025\n3 new stories\n\n"
        "■ Global\n\nRice exports rise\n8 Aug 2025\nUp 5 per cent.\n\nSteel output up\n8 Aug 2025\n\n"
        "■ MSME\n\nLoans for MSMEs\n8 Aug 2025\nCheaper credit.\nAlso: ani, pti")
    assert message.startswith("<b>📰 Your news digest · 7 Aug 2025</b>\n3 new stories\n\n<b>■ Global</b>\n\n<b><a href=")
    [single] = digest_messages([Section("MSME", msme)], ZoneInfo("UTC"), date(2025, 8, 7))
    assert parse_html(single).startswith("📰 Your news digest · 7 Aug 2025\n1 new story\n\n■ MSME")


def test_an_article_list_has_its_title_then_each_article_with_its_topic():
    articles = [make_article(1, title="Rice exports rise", topic="Global"), make_article(2, title="Loans", topic="MSME")]
    [message] = article_list_messages("Latest news", articles, ZoneInfo("UTC"), with_topic=True)
    assert parse_html(message) == ("Latest news\n\nRice exports rise\n7 Aug 2025 · Global\nSummary.\n\n"
                                   "Loans\n7 Aug 2025 · MSME\nSummary.")
    assert message.startswith("<b>Latest news</b>\n\n<b><a href=\"https://x.org/1?a=1&amp;b=2\">Rice exports rise</a></b>")
    articles[1].published_at = datetime(2025, 8, 7, 20, 0, tzinfo=UTC)
    [without] = article_list_messages("Latest in MSME", articles[1:], ZoneInfo("Asia/Kolkata"), with_topic=False)
    assert parse_html(without) == "Latest in MSME\n\nLoans\n8 Aug 2025\nSummary."  # the reader's day
    many = article_list_messages("Latest news", [make_article(n, summary="S" * 900) for n in range(12)],
                                 ZoneInfo("UTC"), with_topic=True)
    assert len(many) == 3 and many[0].startswith("<b>Latest news</b>") and not many[1].startswith("<b>Latest")


def test_a_link_with_quotes_stays_inside_its_attribute_and_every_topic_is_named():
    article = make_article(1, title="Q&A")
    article.link = 'https://x.org/a"b\'c<d>'
    article.topics.append(ArticleTopic(key="msme", name="MSME", published_at=article.published_at))
    html = article_html(article, ZoneInfo("UTC"), with_topic=True)
    assert 'href="https://x.org/a&quot;b&#x27;c&lt;d&gt;"' in html
    plain, entities = parse_entities(html)
    assert plain.splitlines()[:2] == ["Q&A", "7 Aug 2025 · Global, MSME"]
    assert [e["url"] for e in entities if e["type"] == "text_link"] == ['https://x.org/a"b\'c<d>']


def test_an_article_names_its_first_two_topics_not_a_keyword_list():
    """abcnetau files a story under five: "Media, Media Industry, Urban Development and Planning, ..."."""
    article = make_article(1)
    for name in ["Media Industry", "Urban Development and Planning", "Federal Government"]:
        article.topics.append(ArticleTopic(key=name.casefold(), name=name, published_at=article.published_at))
    assert parse_html(article_html(article, ZoneInfo("UTC"), with_topic=True)).splitlines()[1] == \
        "7 Aug 2025 · Global, Media Industry"
    text = render_text([Section(MORE_NEWS, [article], mixed=True)], ZoneInfo("UTC"), "D")
    assert "7 Aug 2025 | Global, Media Industry | https://x.org/1" in text


def test_a_byline_is_not_shown_but_an_aggregators_publisher_is():
    article = make_article(1)
    article.author = "Jason Koebler"
    assert parse_html(article_html(article, ZoneInfo("UTC"))).splitlines()[1] == "7 Aug 2025"
    article.author = "via The Associated Press"
    assert parse_html(article_html(article, ZoneInfo("UTC"))).splitlines()[1] == "7 Aug 2025 · via The Associated Press"


def test_a_block_exactly_at_the_limit_is_sent_whole():
    assert pack_messages(["x" * MAX_MESSAGE_LENGTH]) == ["x" * MAX_MESSAGE_LENGTH]
    assert pack_messages(["x" * (MAX_MESSAGE_LENGTH + 1)])[0].endswith("…")
