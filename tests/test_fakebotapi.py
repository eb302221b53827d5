"""The fake server must reject what Telegram rejects, or the end-to-end tests prove nothing."""

import pytest

from tests.fakebotapi import BadRequest, parse_html


def test_accepts_telegram_html():
    assert parse_html('<b>A &amp; <a href="x?a=1&amp;b=2">B</a></b> &#233; &quot;') == 'A & B é "'


@pytest.mark.parametrize("bad", ["a < b", "AT&T", "x > y", "<p>para</p>", "<b>open", "&nbsp;", "<i>x</b>",
                                 "<a>no href</a>"])
def test_rejects_what_telegram_rejects(bad):
    with pytest.raises(BadRequest):
        parse_html(bad)
