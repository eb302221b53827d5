"""A folder of many publishers' feeds (a crawler's drop): each article's source is its feed's publisher."""

import shutil
from datetime import UTC

import pytest

from bot.formatting import article_html
from digests.feeds import feed_publisher
from digests.ingest import ingest
from digests.sources import Source
from tests.conftest import KOLKATA, SHARED, need_shared
from tests.feedserver import FeedServer, Route

REALFEEDS = SHARED / "testdata" / "realfeeds"


def feed(title: str, *items: tuple[str, str, str, str]) -> str:
    """An RSS 2.0 feed titled ``title`` (none if empty) of (headline, link, date, body) items, on a site named
    after it (The Daily Planet's is www.thedailyplanet.example; none without a title)."""
    channel_title = f"<title>{title}</title>" if title else ""
    site = "".join(ch for ch in title.casefold() if ch.isalnum())
    channel_link = f"<link>https://www.{site}.example/</link>" if site else ""
    entries = "".join(f"<item><title>{headline}</title><link>{link}</link><pubDate>{date}</pubDate>"
                      f"<description>{body}</description><category>World</category></item>"
                      for headline, link, date, body in items)
    return (f'<?xml version="1.0" encoding="utf-8"?><rss version="2.0"><channel>{channel_title}'
            f"{channel_link}{entries}</channel></rss>")


TAIWAN_ONE = ("Taiwan president heads to US as Beijing watches", "https://planet.example/taiwan",
              "Tue, 10 Feb 2026 06:00:00 +0000", "Taiwan's president left for New York on Wednesday.")
TAIWAN_TWO = ("Taiwan leader heads to Americas; U.S. stops set to irk China", "https://gazette.example/taiwan",
              "Tue, 10 Feb 2026 11:00:00 +0000",
              "Taiwan's president set off for New York and Central America, angering China.")
MONSOON = ("Monsoon session of parliament to open next week", "https://untitled.example/monsoon",
           "Tue, 10 Feb 2026 07:00:00 +0000", "Parliament meets on Monday for its monsoon session.")


def test_feeds_in_one_folder_keep_their_publishers_and_a_story_both_tell_shows_once(store, tmp_path):
    drop = tmp_path / "crawl"
    drop.mkdir()
    (drop / "a.xml").write_text(feed("  The Daily\n Planet - ", TAIWAN_ONE), encoding="utf-8")
    (drop / "b.xml").write_text(feed("Gotham Gazette", TAIWAN_TWO), encoding="utf-8")
    (drop / "c.xml").write_text(feed("", MONSOON), encoding="utf-8")  # no title, no site: the folder's name
    report = ingest(store, [str(drop)], source_tz=KOLKATA)
    assert (report.new, report.duplicate) == (2, 1)
    assert list(report.by_source) == ["crawl"]  # counted by the configured source
    taiwan, monsoon = sorted(store.latest(5), key=lambda article: article.title, reverse=True)
    assert (taiwan.source, taiwan.also_sources) == ("The Daily Planet", ["Gotham Gazette"])
    assert "<i>Also: Gotham Gazette</i>" in article_html(taiwan, KOLKATA)
    assert monsoon.source == "crawl"
    assert {source for source, _, _ in store.figures(taiwan.published_at)["sources"]} == {"The Daily Planet",
                                                                                         "crawl"}


def test_a_named_file_source_and_a_feed_url_keep_the_operator_s_names(store, tmp_path):
    (tmp_path / "gazette.xml").write_text(feed("Gotham Gazette", TAIWAN_TWO), encoding="utf-8")
    server = FeedServer()
    server.routes["/planet.xml"] = Route(body=feed("The Daily Planet", TAIWAN_ONE).encode())
    server.start()
    try:
        ingest(store, [Source(location=str(tmp_path / "gazette.xml"), name="gazette"),
                       Source(location=server.url("/planet.xml"), name="planet")], source_tz=KOLKATA)
    finally:
        server.stop()
    [article] = store.latest(5)  # the URL is read first
    assert (article.source, article.also_sources) == ("planet", ["gazette"])


def test_real_feeds_in_one_folder_are_named_after_their_publishers(store, tmp_path):
    """Two real feeds and a wire that carries one of Foreign Policy's stories, dropped into one folder."""
    drop = tmp_path / "realfeeds"
    drop.mkdir()
    for name in ("foreignpolicy_all_rss20.xml", "mercopress_all_rss20_leading_cr_nodecl.xml"):
        shutil.copy(need_shared(REALFEEDS / name, "the realfeeds corpus"), drop / name)
    (drop / "wire.xml").write_text(feed("Example Wire", (
        "The Myth of ‘996’ Work Culture", "https://foreignpolicy.com/2026/02/17/china-work-culture-996-myth-labor-business/",
        "Tue, 17 Feb 2026 23:00:00 +0000", "China's long hours are less common than the slogan says.")),
        encoding="utf-8")
    report = ingest(store, [str(drop)], source_tz=UTC)
    assert report.duplicate >= 1 and not report.rejected
    shown = store.latest(100)
    assert {article.source for article in shown} == {"Foreign Policy", "MercoPress"}
    [myth] = [article for article in shown if article.title.startswith("The Myth of")]
    assert (myth.source, myth.also_sources) == ("Foreign Policy", ["Example Wire"])
    assert "<i>Also: Example Wire</i>" in article_html(myth, UTC)


def channel(path: str) -> dict:
    """A real feed's channel, as feedparser reads it."""
    import feedparser

    return feedparser.parse(need_shared(REALFEEDS / path, "the realfeeds corpus").read_bytes()).feed


@pytest.mark.parametrize(("path", "publisher"), [
    # a title that is a section's name: the channel's other names for its publisher, else its site's address
    ("abcnetau_topstories_rss20.xml", "ABC News"),  # "Top Stories"; its author "Newson1ine@abc.net.au (ABC News)"
    ("economist_asia_rss20_300items.xml", "economist.com"),  # "Asia", and nothing else names it
    ("bostoncom_worldnews_rss20.xml", "boston.com"),  # "World News: Breaking news, politics, crime, tech, and more"
    ("metan_by_news_rss20_leading_newlines.xml", "metan.by"),  # "Новости | Моторное топливо - природный газ"
    # the part of the title that names the site, without the section or slogan beside it
    ("almonitor_all_rss20_iso_pubdate.xml", "Al-Monitor"),  # "Al-Monitor: The Pulse of The Middle East"
    ("washingtonpost_wellness_rss20.xml", "The Washington Post"),  # "Wellness: Health, ... - The Washington Post"
    ("googlenews_topstories_rss20.xml", "Google News"),  # "Top stories - Google News"
    ("cnn_topstories_rss20_feedburner.xml", "CNN.com"),  # "CNN.com - Top Stories"
    ("moscowtimes_all_rss20_bom.xml", "The Moscow Times"),  # "... - News, Business, Culture & Multimedia from Russia"
    ("varthabharathi_english_rss20_kn_tag.xml", "Varthabharathi"),  # nearly its address, varthabahrati.in
    ("wdr_lokalzeit_duesseldorf_rss10_rdf.xml", "NRW-Studios WDR"),  # "Studio Düsseldorf - NRW-Studios WDR"
    ("bbcurdu_all_atom.xml", "BBCUrdu.com"),  # "BBCUrdu.com | صفحۂ اول"
    ("restofworld_all_rss20.xml", "Rest of World"),  # "Rest of World - "
    ("theweek_all_rss20_large.xml", "TheWeek"),  # "TheWeek feed"
    # a title that adds words to the name the channel gives elsewhere: that name
    ("lecerclepsy_all_rss20_nodecl_latin1.xml", "Le Cercle Psy"),  # "Flux RSS du magazine de psychologie Le Cercle Psy"
    ("news18hindi_world_china_rss20_1item.xml", "News18 हिंदी"),  # "Latest News चीन News18 हिंदी", its image's title
    # titles in one part that name their site, by name or by initials: as given
    ("foreignpolicy_all_rss20.xml", "Foreign Policy"),
    ("talkingpointsmemo_all_atom.xml", "All TPM News"),
    ("nbcnewyork_local_rss20_odd_date_1item.xml", "NBC New York"),  # nbcnewyork.com: every word is the name
    # the site's name, then a section its links or curation words name: the site's name alone
    ("bloomberg_markets_rss20.xml", "Bloomberg"),  # "Bloomberg Markets", bloomberg.com/markets/
    ("npr_world_rss20.xml", "NPR"),  # "NPR Topics: World"
    ("kc0011_forum_rss20_gb2312.xml", "投资资讯网交易在线--流通纪念币最新20篇论坛主题-全文"),  # another script: kept
])
def test_a_section_s_name_is_no_publisher(path, publisher):
    assert feed_publisher(channel(path)) == publisher


def test_a_section_after_the_site_s_name_is_no_part_of_the_publisher():
    # words after the site's name that the channel's links name, or curation words: a section
    assert feed_publisher({"title": "Bloomberg Markets", "link": "https://bloomberg.com/markets/"}) == "Bloomberg"
    assert feed_publisher({"title": "NPR Topics: World", "link": "https://www.npr.org/templates/story/story.php",
                           "image": {"link": "https://www.npr.org/sections/world/"}}) == "NPR"
    # words the host has are the name's (news.google.com), and so is any other word after it
    assert feed_publisher({"title": "Top stories - Google News", "link": "https://news.google.com/?hl=en-US"}
                          ) == "Google News"
    assert feed_publisher({"title": "Bloomberg Markets", "link": "https://bloomberg.com/"}) == "Bloomberg Markets"
    assert feed_publisher({"title": "Latest News चीन News18 हिंदी", "link": "https://hindi.news18.com/rss/world.xml",
                           "image": {"title": "News18 हिंदी"}}) == "News18 हिंदी"


def test_a_feed_titled_with_a_section_in_a_drop_folder_is_named_after_its_site(store, tmp_path):
    drop = tmp_path / "crawl"
    drop.mkdir()
    (drop / "a.xml").write_text(feed("Asia", TAIWAN_ONE).replace("https://www.asia.example/",
                                                                 "https://www.economist.com/asia"), encoding="utf-8")
    (drop / "b.xml").write_text(feed("Top Stories", TAIWAN_TWO).replace(
        "<link>https://www.topstories.example/</link>", "<link>https://www.abc.net.au/news</link>"
        "<copyright>Copyright 2026, Australian Broadcasting Corporation. All Rights Reserved.</copyright>"),
        encoding="utf-8")
    ingest(store, [str(drop)], source_tz=KOLKATA)
    [taiwan] = store.latest(5)
    assert (taiwan.source, taiwan.also_sources) == ("economist.com", ["Australian Broadcasting Corporation"])


def test_a_feed_without_a_title_is_named_after_its_site_and_an_address_that_is_no_name_tells_nothing():
    assert feed_publisher({"title": " ", "link": "https://www.economist.com/asia"}) == "economist.com"
    assert feed_publisher({"title": "", "link": ""}) == "" and feed_publisher({}) == ""
    # an address that is no name tells nothing: the title as given
    for link in ("http://127.0.0.1:8080/feed.xml", "http://localhost/", "urn:feed:1", ""):
        assert feed_publisher({"title": "Asia - Top Stories", "link": link}) == "Asia - Top Stories"
