"""The fake server must reject what Telegram rejects, or the end-to-end tests prove nothing."""

import pytest

from tests.fakebotapi import MAX_TEXT, BadRequest, FakeBotAPI, parse_entities, parse_html


def test_accepts_telegram_html():
    assert parse_html('<b>A &amp; <a href="x?a=1&amp;b=2">B</a></b> &#233; &quot;') == 'A & B é "'


@pytest.mark.parametrize("bad", ["a < b", "AT&T", "x > y", "<p>para</p>", "<b>open", "&nbsp;", "<i>x</b>",
                                 "<a>no href</a>"])
def test_rejects_what_telegram_rejects(bad):
    with pytest.raises(BadRequest):
        parse_html(bad)


@pytest.mark.parametrize("bad", [
    '<a href="https://x.org/?a=1&b=2">x</a>',  # a bare & in the value
    '<a href="https://x.org/<p>">x</a>',  # a bare <
    '<a href="https://x.org/?q="quoted"">x</a>',  # a quote ends the value early
    '<a href="https://x.org/?q=&nbsp;">x</a>',  # an entity Telegram does not know
])
def test_rejects_malformed_attribute_values(bad):
    with pytest.raises(BadRequest):
        parse_html(bad)


def test_links_and_entities_as_telegram_returns_them():
    plain, entities = parse_entities('😀 <b><a href="https://x.org/?a=1&amp;b=&quot;2&quot;&lt;">T &amp; U</a></b>')
    assert plain == "😀 T & U"
    assert entities == [{"type": "bold", "offset": 3, "length": 5},  # UTF-16 units: the emoji is two
                        {"type": "text_link", "offset": 3, "length": 5, "url": 'https://x.org/?a=1&b="2"<'}]


@pytest.mark.parametrize(("text", "accepted"), [
    ("😀" * (MAX_TEXT // 2), True),  # 4096 UTF-16 units in 2048 characters
    ("😀" * (MAX_TEXT // 2) + "x", False),  # 4097 units in 2049 characters: too long for Telegram
    ("&amp;" * MAX_TEXT, True),  # 4096 after entity parsing, 20480 before
    ("<b>" + "x" * MAX_TEXT + "</b>", True),  # tags do not count
    ("x" * (MAX_TEXT + 1), False),
])
def test_the_limit_is_counted_in_utf16_units_after_entity_parsing(text, accepted):
    fake = FakeBotAPI()
    if accepted:
        assert fake._check_text({"text": text, "parse_mode": "HTML"})[0]
    else:
        with pytest.raises(BadRequest, match="message is too long"):
            fake._check_text({"text": text, "parse_mode": "HTML"})
