"""Dates as real feeds write them: missing (the feed's date stands in), in other languages, malformed, in
the future; and where an article whose date cannot be known is placed."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from digests.formats import parse_document
from digests.ingest import ingest, placed_date, prepare
from digests.parsing import RawArticle, parse_bytes, parse_date
from tests.conftest import SHARED, write_article

REALFEEDS = SHARED / "testdata" / "realfeeds"
NOW = datetime(2026, 3, 1, 12, 0, tzinfo=UTC)


def real_feed(name: str) -> bytes:
    path = REALFEEDS / name
    if not path.is_file():
        pytest.skip(f"the real feeds corpus is absent ({path})")
    return path.read_bytes()


def articles_of(data: bytes, name: str = "feed.xml"):
    parsed = parse_document(data, shown=name, default_source="src", source_tz=UTC)
    assert parsed.articles, parsed.rejections
    return [prepare(raw, now=NOW) for raw in parsed.articles]


def test_item_without_a_date_takes_the_feeds_date():
    # WDR: one of seven entries (the Facebook one) has no date; the feed's <updated> is 2015-01-05 08:18
    articles = articles_of(real_feed("wdr_lokalzeit_duesseldorf_rss10_rdf.xml"))
    [facebook] = [a for a in articles if "facebook.com" in a.link]
    assert facebook.published_at == datetime(2015, 1, 5, 8, 18, tzinfo=UTC)
    assert facebook.date_known
    dated = [a for a in articles if a is not facebook]
    assert datetime(2015, 3, 2, 13, 15, tzinfo=UTC) in {a.published_at for a in dated}  # their own dates stay


def test_feed_without_item_dates_is_dated_by_its_channel():
    # PC INpact with its items' dates taken out: every item takes the channel's 'Sun, 07 Apr 2013 15:39:57 Z'
    data = re.sub(rb"<a10:updated>[^<]*</a10:updated>", b"", real_feed("pcinpact_all_rss20_no_item_dates.xml"))
    articles = articles_of(data)
    assert len(articles) == 30
    assert {a.published_at for a in articles} == {datetime(2013, 4, 7, 15, 39, 57, tzinfo=UTC)}


def test_channel_date_in_german_is_read():
    # der brutkasten's lastBuildDate is 'Fr, 06 Jan 2017 11:46:00 +0000'
    data = re.sub(rb"<pubDate>[^<]*</pubDate>", b"", real_feed("derbrutkasten_all_rss20_german_dates_bom.xml"))
    assert {a.published_at for a in articles_of(data)} == {datetime(2017, 1, 6, 11, 46, tzinfo=UTC)}


def test_feed_date_later_than_first_seen_is_not_used_and_the_date_is_unknown():
    raw = RawArticle(source="s", title="t", link="https://x.example/1", feed_date=NOW + timedelta(days=3))
    assert placed_date(raw, NOW) == (NOW, False)
    assert placed_date(RawArticle(source="s", title="t", link="https://x.example/1"), NOW) == (NOW, False)


def test_portuguese_date_is_read():
    # Massa News (pt-BR), its first item dated the way Brazilian feeds write it
    data = real_feed("massanews_plantao_rss20_mojibake.xml").replace(
        b"<pubDate>Sat, 07 Jan 2017 12:52:04 -0200", b"<pubDate>Seg, 24 Set 2018 19:22:00 -0300", 1)
    first = articles_of(data)[0]
    assert first.published_at == datetime(2018, 9, 24, 22, 22, tzinfo=UTC)


def test_italian_date_is_read():
    [article] = articles_of(real_feed("ilmessaggero_mondo_rss20_italian_date_1item.xml"))
    assert article.published_at == datetime(2022, 11, 15, 23, 38, 15, tzinfo=UTC)  # 'mer, 16 nov 2022 00:38:15 +0100'


def test_twelve_hour_clock_is_not_read_as_morning():
    [article] = articles_of(real_feed("nbcnewyork_local_rss20_odd_date_1item.xml"))
    assert article.published_at == datetime(2023, 12, 16, 14, 2, 33, tzinfo=UTC)  # 'Sat, Dec 16 2023 02:02:33 PM'


def test_slashed_chinese_forum_date_is_the_tenth_of_january():
    # kc0011: '2020/1/10 14:33:00' (no zone); feedparser alone reads it as 1 November
    articles = articles_of(real_feed("kc0011_forum_rss20_gb2312.xml"))
    assert {a.published_at.date() for a in articles} == {datetime(2020, 1, 10).date()}


@pytest.mark.parametrize(("written", "expected"), [
    ("30Mar 2025", datetime(2025, 3, 30, tzinfo=UTC)),
    ("Friday, January 29, 2021 04:42 PM", datetime(2021, 1, 29, 16, 42, tzinfo=UTC)),
    ("Qua, 26 Set 2018 10:00:00 GMT", datetime(2018, 9, 26, 10, tzinfo=UTC)),
    ("24 сентября 2018 10:00", datetime(2018, 9, 24, 10, tzinfo=UTC)),
    ("2025-08-07 14:42:28", datetime(2025, 8, 7, 14, 42, 28, tzinfo=UTC)),
])
def test_written_dates(written, expected):
    assert parse_date(written, UTC) == expected


@pytest.mark.parametrize("nonsense", ["", "yesterday", "12", "Breaking news", "n/a", "24 Set"])
def test_what_is_no_date_gives_none(nonsense):
    assert parse_date(nonsense, UTC) is None


def test_malformed_date_in_article_xml(tmp_path):
    data = ('<?xml version="1.0" encoding="UTF-8"?><root><title>T</title><link>https://x.example/1</link>'
            "<pubDate>30Mar 2025</pubDate></root>").encode()
    [raw] = parse_bytes(data, shown="a.xml", default_source="s", source_tz=UTC).articles
    assert raw.published_at == datetime(2025, 3, 30, tzinfo=UTC)


def test_date_in_the_future_is_taken_as_the_arrival_time(store, tmp_path):
    write_article(tmp_path, 1, when=datetime.now(UTC) + timedelta(days=400))  # a wrong year
    write_article(tmp_path, 2, when=datetime.now(UTC) + timedelta(hours=5, minutes=30))  # a wrong zone
    ingest(store, [str(tmp_path)], source_tz=UTC)
    for article in store.latest(5):
        assert article.published_at <= article.arrived_at
        assert article.date_known


def test_undated_articles_never_outrank_dated_news(store, tmp_path):
    """An undated item is first seen now, but /latest lists every dated article before it, however old; the
    keyset pages run on from the dated into the undated."""
    rss = ('<?xml version="1.0"?><rss version="2.0"><channel><title>No dates</title><link>https://nd.example/</link>'
           + "".join(f"<item><title>Undated {n}</title><link>https://nd.example/{n}</link></item>" for n in (1, 2))
           + "</channel></rss>")
    (tmp_path / "undated").mkdir()
    (tmp_path / "undated" / "feed.xml").write_text(rss)
    for number in range(1, 4):
        write_article(tmp_path / "dated", number, when=datetime.now(UTC) - timedelta(days=30 * number))
    ingest(store, [str(tmp_path / "undated"), str(tmp_path / "dated")], source_tz=UTC)
    first = store.latest(2)
    assert [a.title for a in first] == ["Headline number 1", "Headline number 2"]
    last = first[-1]
    rest = store.older(10, (last.date_known, last.published_at, last.id))
    assert [a.title for a in rest][:1] == ["Headline number 3"]
    assert sorted(a.title for a in rest[1:]) == ["Undated 1", "Undated 2"]
    assert not any(a.date_known for a in rest[1:])
    more = store.older(10, (False, rest[1].published_at, rest[1].id))
    assert [a.title for a in more] == [rest[2].title]  # paging inside the undated part
    assert [a.title for a in store.search(["Undated"], 5)] == [a.title for a in rest[1:]]


def test_undated_article_shows_when_it_was_seen(store, tmp_path):
    from bot.formatting import article_html

    (tmp_path / "feed.xml").write_text('<?xml version="1.0"?><rss version="2.0"><channel><title>N</title>'
                                       "<item><title>Undated</title><link>https://nd.example/1</link></item>"
                                       "</channel></rss>")
    ingest(store, [str(tmp_path)], source_tz=UTC, now=datetime(2026, 2, 3, 10, tzinfo=UTC))
    [article] = store.latest(1)
    assert "<i>seen 3 Feb 2026" in article_html(article, UTC)


def test_first_written_date_costs_little(tmp_path):
    """dateparser is only for what the quick readers cannot read: a feed of RFC 822 dates never loads it."""
    import subprocess
    import sys

    code = ("import sys; from datetime import UTC; from digests.parsing import parse_date; "
            "parse_date('Thu, 07 Aug 2025 14:42:28 +0530', UTC); parse_date('2025-08-07T14:42:28Z', UTC); "
            "print('dateparser' in sys.modules)")
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=Path(__file__).parents[1])
    assert result.stdout.strip() == "False", result.stderr
