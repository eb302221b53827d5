"""The same story from several sources: stored once, shown once, with the other sources named."""

import os
import shutil
import subprocess
import sys
from datetime import UTC, datetime, timedelta

import pytest

from bot.formatting import article_html
from bot.settings import SettingsError, load_settings
from digests.digest import ONLY_NEWS, group_by_topic, rank, render_text, story_weight
from digests.formats import parse_document
from digests.ingest import ingest
from digests.links import canonical_link, headline_key
from digests.sources import Source
from digests.stories import Telling, index_words, same_story, words
from tests.conftest import KOLKATA, SHARED, need_shared, write_article

DAY = datetime(2026, 2, 10, 6, 0, tzinfo=UTC)


@pytest.mark.parametrize(("link", "canonical"), [
    ("https://News.Example.org:443/a?utm_source=x&id=3&fbclid=y&gclid=z", "https://news.example.org/a?id=3"),
    ("https://x.org/a?b=1&c=2", "https://x.org/a?b=1&c=2"),
    ("http://x.org:8080", "http://x.org:8080/"),
    ("https://x.org/p?utm_medium=a&UTM_campaign=b#item-1", "https://x.org/p#item-1"),
    ("not a url", "not a url"),
    # The Washington Post's feeds tag every link with the feed it came from
    ("https://www.washingtonpost.com/wellness/2026/11/30/sleep/?wprss=rss_wellness",
     "https://www.washingtonpost.com/wellness/2026/11/30/sleep/"),
])
def test_canonical_link(link, canonical):
    assert canonical_link(link) == canonical


def test_headline_key_ignores_case_punctuation_and_spacing():
    assert headline_key("India–Russia:  “Talks” held!") == headline_key("india russia talks HELD")


def test_same_link_with_tracking_parameters_is_one_story_naming_the_other_source(store, tmp_path):
    write_article(tmp_path / "a", 1, link="https://example.org/story?id=9", source="one.example", when=DAY)
    write_article(tmp_path / "b", 2, link="https://EXAMPLE.org/story?utm_source=tw&id=9&fbclid=abc",
                  source="two <example>", when=DAY)
    report = ingest(store, [str(tmp_path / "a"), str(tmp_path / "b")], source_tz=KOLKATA)
    assert (report.new, report.duplicate) == (1, 1)
    [article] = store.latest(5)
    assert article.link == "https://example.org/story?id=9"
    assert article.also_sources == ["two <example>"]
    assert "<i>Also: two &lt;example&gt;</i>" in article_html(article, KOLKATA)
    assert "  Also: two <example>" in render_text(group_by_topic([article]), KOLKATA, "Digest")


def test_near_identical_headline_the_same_day_from_another_source_is_one_story(store, tmp_path):
    write_article(tmp_path / "a", 1, title="India, Russia hold talks on trade", source="one", when=DAY)
    write_article(tmp_path / "b", 2, title="India Russia Hold Talks On Trade!", source="two",
                  when=DAY + timedelta(hours=3))
    write_article(tmp_path / "c", 3, title="India, Russia hold talks on trade", source="three",
                  when=DAY + timedelta(days=2))  # another day: another story
    write_article(tmp_path / "d", 4, title="India, Russia hold talks on trade", source="one",
                  when=DAY + timedelta(hours=1))  # the same source again, under another link: shown once
    report = ingest(store, [str(tmp_path / name) for name in "abcd"], source_tz=KOLKATA)
    assert (report.new, report.duplicate) == (2, 2)
    first = next(a for a in store.latest(5) if a.source == "one" and a.link.endswith("/1"))
    assert first.also_sources == ["two"]


def test_the_same_headline_across_midnight_utc_is_one_story_and_a_day_later_another(store, tmp_path):
    """04:00 and 06:00 in India are two UTC days; a daily headline repeated the next day is another story."""
    india = KOLKATA
    title = "RBI keeps repo rate unchanged at 6.5%"
    write_article(tmp_path / "a", 1, title=title, source="knn", when=datetime(2025, 8, 7, 4, 0, tzinfo=india))
    write_article(tmp_path / "b", 2, title=title, source="pti", when=datetime(2025, 8, 7, 6, 0, tzinfo=india))
    write_article(tmp_path / "c", 3, title=title, source="ani", when=datetime(2025, 8, 8, 5, 0, tzinfo=india))
    report = ingest(store, [str(tmp_path / name) for name in "abc"], source_tz=india)
    assert (report.new, report.duplicate) == (2, 1)
    [first] = [a for a in store.latest(5) if a.source == "knn"]
    assert first.also_sources == ["pti"]


# --- redirect links ----------------------------------------------------------------------------------------

REALFEEDS = SHARED / "testdata" / "realfeeds"


@pytest.mark.parametrize(("link", "canonical"), [
    # the issue's form (Yahoo's RSS redirector)
    ("https://redir.example/dailynews/rss/*https://real.example/story?utm_source=rss", "https://real.example/story"),
    ("http://us.rd.yahoo.com/dailynews/rss/world/*http%3A//news.yahoo.com/s/ap/20090630/ap_on_re_as/as_taiwan",
     "http://news.yahoo.com/s/ap/20090630/ap_on_re_as/as_taiwan"),
    # redirectors that carry the address as a parameter
    ("https://l.facebook.com/l.php?u=https%3A%2F%2Freal.example%2Fa%3Fid%3D1&h=AT0x", "https://real.example/a?id=1"),
    ("https://www.google.com/url?q=https://real.example/b&sa=D&ust=1", "https://real.example/b"),
    ("https://www.bing.com/news/apiclick.aspx?ref=FexRss&aid=&tid=1&url=https%3a%2f%2freal.example%2fc&c=1",
     "https://real.example/c"),
    # Rue89's links in the realfeeds corpus (Feedsportal)
    ("http://rue89.feedsportal.com/c/33822/f/608948/s/2a687021/l/0L0Srue890N0Czapnet0C20A130C0A40C0A60Cquand0Ejerome"
     "0Ecahuzac0Etrouvait0Epresence0Efinissait0Erejaillir0E241244/story01.htm",
     "http://www.rue89.com/zapnet/2013/04/06/quand-jerome-cahuzac-trouvait-presence-finissait-rejaillir-241244"),
    # Google News' links in the corpus: the article's address is in the token
    ("https://news.google.com/__i/rss/rd/articles/CBMiWWh0dHBzOi8vd3d3LmNubi5jb20vMjAyMi8wNy8yNy9wb2xpdGljcy9zY2h1bW"
     "VyLW1hbmNoaW4tZGVhbC1idWlsZC1iYWNrLWJldHRlci9pbmRleC5odG1s0gFdaHR0cHM6Ly9hbXAuY25uLmNvbS9jbm4vMjAyMi8wNy8yNy9w"
     "b2xpdGljcy9zY2h1bWVyLW1hbmNoaW4tZGVhbC1idWlsZC1iYWNrLWJldHRlci9pbmRleC5odG1s?oc=5",
     "https://www.cnn.com/2022/07/27/politics/schumer-manchin-deal-build-back-better/index.html"),
    # not redirects: left alone
    ("https://news.google.com/rss/articles/AU_yqLNzX2Q?oc=5", "https://news.google.com/rss/articles/AU_yqLNzX2Q?oc=5"),
    ("https://x.org/search?q=https://a.example/", "https://x.org/search?q=https://a.example/"),
    ("https://x.org/share?url=not-an-address", "https://x.org/share?url=not-an-address"),
    ("https://x.org/l/0L0Sx0Z/story01.htm", "https://x.org/l/0L0Sx0Z/story01.htm"),  # an escape we do not know
])
def test_redirect_links_are_unwrapped(link, canonical):
    assert canonical_link(link) == canonical


def test_a_story_through_a_redirect_and_direct_from_one_source_is_shown_once(store, tmp_path):
    write_article(tmp_path / "a", 1, title="Port strike ends after pay deal", source="wire",
                  link="https://redir.example/rss/*https://real.example/story?utm_medium=rss", when=DAY)
    write_article(tmp_path / "a", 2, title="Port strike ends after pay deal", source="wire",
                  link="https://real.example/story", when=DAY + timedelta(minutes=5))
    report = ingest(store, [str(tmp_path / "a")], source_tz=KOLKATA)
    assert (report.new, report.duplicate) == (1, 1)
    [article] = store.latest(5)
    assert article.link == "https://real.example/story" and article.also_sources == []


def test_feedburner_items_link_to_the_story_not_the_redirect(store):
    feed = REALFEEDS / "cnn_topstories_rss20_feedburner.xml"
    if not feed.is_file():
        pytest.skip(f"the realfeeds corpus is absent ({REALFEEDS})")
    ingest(store, [str(feed)], source_tz=UTC)
    links = [article.link for article in store.latest(100)]
    assert links and not [link for link in links if "rss.cnn.com/~r/" in link]
    assert "http://www.cnn.com/2013/11/29/opinion/gates-world-aids-day/index.html" in links


# The Washington Post's item (2012) as it came: its <link> is Pheedo's click counter, <pheedo:origLink> the story
PHEEDO_ITEM = b"""<?xml version="1.0" encoding="UTF-8"?>
<rss version="2.0" xmlns:pheedo="http://www.pheedo.com/namespace/pheedo"><channel><title>Wellness - The Washington Post</title>
<link>http://www.washingtonpost.com/lifestyle/wellness</link>
<item><title><![CDATA[Under Armour et al. make sweat-wicking clothes de rigueur these days]]></title>
<description><![CDATA[<p>Thomas Alva Edison never donned an Under Armour HeatGear fitted short-sleeve T-shirt.</p>]]></description>
<link>http://feeds.washingtonpost.com/click.phdo?i=2f874f0b0fd978fc92511a191f7a4644</link>
<pheedo:origLink>http://www.washingtonpost.com/lifestyle/wellness/under-armour-et-al-make-sweat-wicking-clothes-de-rigueur-these-days/2012/08/10/92cfb4ae-e193-11e1-98e7-89d659f9c106_story.html?wprss=rss_wellness</pheedo:origLink>
<guid isPermaLink="false">http://www.washingtonpost.com/lifestyle/wellness/under-armour-et-al-make-sweat-wicking-clothes-de-rigueur-these-days/2012/08/10/92cfb4ae-e193-11e1-98e7-89d659f9c106_story.html?wprss=rss_wellness</guid>
<pubDate>Tue, 14 Aug 2012 05:31:45 EST</pubDate></item></channel></rss>"""


def test_pheedo_items_link_to_the_story_not_the_click_counter():
    [raw] = parse_document(PHEEDO_ITEM, shown="f", default_source="washingtonpost", source_tz=UTC).articles
    assert raw.link.startswith("http://www.washingtonpost.com/lifestyle/wellness/under-armour-et-al-make-sweat")
    assert canonical_link(raw.link).endswith("/92cfb4ae-e193-11e1-98e7-89d659f9c106_story.html")  # no ?wprss=


# --- the same event in other words ---------------------------------------------------------------------------

def test_the_issue_s_paraphrased_headlines_from_two_sources_are_one_story(store, tmp_path):
    write_article(tmp_path / "a", 1, title="Taiwan president heads to US as Beijing watches", source="one",
                  category="World", when=DAY, body="<p>Taiwan's president left for New York on Wednesday.</p>")
    write_article(tmp_path / "b", 2, title="Taiwan leader heads to Americas; U.S. stops set to irk China",
                  source="two", category="World", when=DAY + timedelta(hours=5),
                  body="<p>Taiwan's president set off for New York and Central America, angering China.</p>")
    report = ingest(store, [str(tmp_path / "a"), str(tmp_path / "b")], source_tz=KOLKATA)
    assert (report.new, report.duplicate) == (1, 1)
    [article] = store.latest(5)
    assert article.title.startswith("Taiwan president") and article.also_sources == ["two"]


def test_a_paraphrase_read_later_in_a_batch_of_its_own_source_joins_the_stored_story(store, tmp_path):
    write_article(tmp_path / "a", 1, title="Taiwan president heads to US as Beijing watches", source="one", when=DAY)
    ingest(store, [str(tmp_path / "a")], source_tz=KOLKATA)
    write_article(tmp_path / "b", 2, title="Taiwan leader heads to Americas; U.S. stops set to irk China",
                  source="two", when=DAY + timedelta(hours=5))
    write_article(tmp_path / "b", 3, title="Monsoon session of parliament to open next week", source="two",
                  when=DAY + timedelta(hours=6))
    report = ingest(store, [str(tmp_path / "b")], source_tz=KOLKATA)
    assert (report.new, report.duplicate) == (1, 1)
    assert [(article.title[:6], article.also_sources) for article in store.latest(5)] == [
        ("Monsoo", []), ("Taiwan", ["two"])]


def test_paraphrases_more_than_a_day_apart_or_from_one_source_stay_apart(store, tmp_path):
    taiwan = "Taiwan president heads to US as Beijing watches"
    write_article(tmp_path / "a", 1, title=taiwan, source="one", when=DAY)
    write_article(tmp_path / "b", 2, title="Taiwan leader heads to Americas; U.S. stops set to irk China",
                  source="two", when=DAY + timedelta(hours=30))
    write_article(tmp_path / "c", 3, title="Taiwan's leader sets off for the US as Beijing looks on",
                  source="one", when=DAY + timedelta(hours=2))
    report = ingest(store, [str(tmp_path / name) for name in "abc"], source_tz=KOLKATA)
    assert (report.new, report.duplicate) == (3, 0)


def test_a_source_s_shorter_heading_of_its_story_joins_it(store, tmp_path):
    """cnn's video "White House Christmas tree" beside its story, under the same lede; the same headline's words
    with others between them ("Taiwan's president heads to the US, as Beijing watches on") likewise."""
    body = "<p>The first lady accepts delivery today.</p>"
    write_article(tmp_path / "a", 1, title="White House Christmas tree gets delivered today", source="cnn",
                  when=DAY, body=body)
    write_article(tmp_path / "a", 2, title="White House Christmas tree", source="cnn",
                  when=DAY + timedelta(hours=1), body=body)
    write_article(tmp_path / "a", 3, title="Taiwan president heads to US as Beijing watches", source="one",
                  when=DAY)
    write_article(tmp_path / "a", 4, title="Taiwan's president heads to the US, as Beijing watches on",
                  source="one", when=DAY + timedelta(hours=2))
    report = ingest(store, [str(tmp_path / "a")], source_tz=KOLKATA)
    assert (report.new, report.duplicate) == (2, 2)
    assert sorted((article.title, article.also_sources) for article in store.latest(5)) == [
        ("Taiwan president heads to US as Beijing watches", []),
        ("White House Christmas tree gets delivered today", [])]


# al-monitor runs AFP's and Reuters' copy side by side: one event told twice by one source (its feed, 17 Feb 2026)
BERLIN_AFP = ("Dozens of film figures condemn Berlin Film Festival 'silence' on Gaza",
              "<p>More than 80 film industry figures including Oscar-winning actors Javier Bardem and Tilda Swinton "
              "issued a statement on Tuesday slamming the Berlin Film Festival's \"silence\" on Gaza.</p>")
BERLIN_REUTERS = ("Over 80 Berlin Film Festival alumni sign open letter urging organisers to take stance on Gaza",
                  "<p>More than 80 actors, directors and other artists who have taken part in the Berlin Film Festival, "
                  "including Tilda Swinton and Javier Bardem, signed an open letter to the organisers published on "
                  "Tuesday calling for them to take a clear stance on Israel's war in Gaza.</p>")


def test_one_source_s_two_tellings_of_one_event_are_one_story(store, tmp_path):
    for number, (title, body) in enumerate((BERLIN_AFP, BERLIN_REUTERS), start=1):
        write_article(tmp_path / "a", number, title=title, body=body, source="almonitor",
                      when=DAY + timedelta(hours=number))
    report = ingest(store, [str(tmp_path / "a")], source_tz=KOLKATA)
    assert (report.new, report.duplicate) == (1, 1)
    [article] = store.latest(5)
    assert article.title == BERLIN_AFP[0] and article.also_sources == []  # its own source is no "Also:"


def test_a_source_s_second_telling_read_later_joins_its_stored_story(store, tmp_path):
    write_article(tmp_path / "a", 1, title=BERLIN_AFP[0], body=BERLIN_AFP[1], source="almonitor", when=DAY)
    write_article(tmp_path / "a", 2, title="Peru's Congress ousts interim President José Jerí", source="mercopress",
                  when=DAY + timedelta(hours=1))
    ingest(store, [str(tmp_path / "a")], source_tz=KOLKATA)
    write_article(tmp_path / "b", 3, title=BERLIN_REUTERS[0], body=BERLIN_REUTERS[1], source="almonitor",
                  when=DAY + timedelta(hours=2))
    report = ingest(store, [str(tmp_path / "b")], source_tz=KOLKATA)
    assert (report.new, report.duplicate) == (0, 1)


def test_a_source_s_items_of_one_series_or_topic_stay_apart(store, tmp_path):
    """Alike headlines and ledes (the real ones, cut as in tests/fixtures/story_pairs.tsv) that are one source's
    other items: two counties' calendars, two banks' awards."""
    items = [("Fairfax wellness calendar, Aug. 23-30",
              "<p>Breast-feeding support group For mothers and babies. Thursdays, 10-11 a.m. Inova Fairfax Hospital "
              "Women's Center, seventh floor, 3300 Gallows Rd., Falls Church. 703-776-6455. Free.</p>"),
             ("Loudoun County wellness calendar, Aug. 23-30",
              "<p>Reiki sessions For cancer patient to recharge and balance the body's energy. Thursday, 6:45-8 p.m. "
              "Inova Loudoun Hospital Radiation Oncology Center, 44035 Riverside Pkwy. (Suite 100), Leesburg.</p>"),
             ("Corporation Bank bags MSME Banking Excellence Awards- 2016",
              "<p>Corporation Bank has bagged 2 awards for the year 2016 instituted by Chamber of Indian Micro Small "
              "&amp; Medium Enterprises [CIMSME] under Eco-Technology Savvy Bank Award – Winner [Mid-Sized Category], "
              "Best MSME Bank Award – Runner-Up</p>"),
             ("Karnataka Bank Bags MSME Banking Excellence Awards",
              "<p>Chamber of Indian Micro Small &amp; Medium Enterprises [CIMSME], is instituted to recognize and "
              "reward individuals, professionals and banks who have been supporting in rejuvenating the MSME sector "
              "by making available financial assistance to</p>")]
    for number, (title, body) in enumerate(items, start=1):
        write_article(tmp_path / "a", number, title=title, body=body, source="one", when=DAY + timedelta(hours=number))
    report = ingest(store, [str(tmp_path / "a")], source_tz=KOLKATA)
    assert (report.new, report.duplicate) == (4, 0)


def test_a_source_s_follow_up_with_news_of_its_own_is_another_story(store):
    """massanews (Curitiba) reports three men arrested for a policewoman's murder, then that one of them is a
    policeman's son, then the commander's "it was revenge": each lede recaps the crime (her name, the day), each
    headline is its own news, and a reader sees all three. Al-Monitor's two wires on one letter stay one story."""
    feeds = [need_shared(REALFEEDS / name, "the realfeeds corpus") for name in (
        "massanews_plantao_rss20_mojibake.xml", "almonitor_all_rss20_iso_pubdate.xml")]
    ingest(store, [Source(location=str(path), name=path.name.split("_")[0]) for path in feeds], source_tz=UTC)
    titles = [article.title for article in store.latest(500)]
    assert {"Suspeitos de matar policial militar em Pinhais são presos", "Suspeito de morte de PM é filho de policial",
            "“Tudo indica que foi por vingança”, diz Comandante da PM sobre morte de policial"} <= set(titles)
    assert len([title for title in titles if "Berlin Film Festival" in title]) == 1


def test_an_aggregator_s_items_from_two_outlets_are_two_sources_telling_one_story(store, tmp_path):
    """Google News lists the falling Chinese rocket twice, from WION and from The Daily Beast: one feed, two
    outlets (its items credit them "via ..."), so the rule for two sources applies and the story shows once,
    as in tests/fixtures/story_pairs.tsv where such rows are `googlenews:WION` and `googlenews:The Daily Beast`."""
    (tmp_path / "feeds").mkdir()
    for name in ("googlenews_topstories_atom.xml", "googlenews_topstories_rss20.xml"):  # a rocket in each
        # a folder of feeds: each item's source is the feed's publisher, Google News
        shutil.copy(need_shared(REALFEEDS / name, "the realfeeds corpus"), tmp_path / "feeds")
    ingest(store, [str(tmp_path / "feeds")], source_tz=UTC)
    assert {article.source for article in store.latest(500)} == {"Google News"}
    rockets = [article.title for article in store.latest(500) if "rocket" in article.title.lower()]
    assert len(rockets) == 1, rockets  # the first listed kept: WION's
    monkeypox = [article.title for article in store.latest(500) if "monkeypox" in article.title.lower()]
    assert "U.S. to Distribute 800,000 Doses of Monkeypox Vaccine" in monkeypox  # another event stays


@pytest.mark.parametrize(("first", "second", "same"), [
    # from the realfeeds corpus (tests/fixtures/story_pairs.tsv holds the rest)
    (("Highland Park shooting suspect has been indicted on 117 counts by a grand jury", ""),
     ("Highland Park gunman indicted on 117 felony charges", ""), True),
    (("'Leave it to Beaver' actor Tony Dow dies at 77", ""),
     ("'Leave It to Beaver' star Tony Dow dead at 77 after premature announcement", ""), True),
    (("U.S. to Distribute 800,000 Doses of Monkeypox Vaccine", ""),
     ("Nearly 800000 more monkeypox vaccine doses to be available in U.S.", ""), True),
    (("U.S. and Iran to hold a second round of nuclear talks in Geneva",
      "The second round of talks in Geneva about Iran's nuclear program takes place as the United States ramps up "
      "its military presence in the Middle East."),
     ("Iran announces closure of vital shipping route during US nuclear talks",
      "Iran says it temporarily closed the Strait of Hormuz, a vital international shipping route, as it entered a "
      "new round of talks with the US over its nuclear capabilities."), False),
    (("D.C. wellness calendar, Aug. 16-23", ""), ("D.C. wellness calendar, Aug. 23-30", ""), False),
    (("АГНКС «Лида»: с 09:00 18 июня до 06:00 20 июня станция работать не будет", ""),
     ("АГНКС «Гомель-1»: с 09:00 24 июня до 16:00 26 июня станция работать не будет", ""), False),
    (("U.S. to Distribute 800,000 Doses of Monkeypox Vaccine", ""),
     ("WHO recommends gay and bisexual men limit sexual partners to reduce the spread of monkeypox", ""), False),
])
def test_real_headline_pairs(first, second, same):
    assert same_story(Telling(*first), Telling(*second)) is same


def test_words_fold_case_accents_abbreviations_and_plurals_and_pair_chinese_characters():
    assert words("U.S. heads to Wikipédia: 800,000 doses") == words("US head to wikipedia 800000 DOSE")
    assert words("收三盒泰山") == ["收三", "三盒", "盒泰", "泰山"]
    assert index_words("Taiwan leader heads to the Americas in 2026") == ["taiwan", "leader", "head", "america"]


def test_the_real_feeds_show_no_story_twice_from_one_source(store):
    """Each feed of the corpus as its own source (named after its publisher, so Google News' RSS and Atom twins
    are one source): what /latest shows repeats no link and no headline of one source within a day."""
    if not REALFEEDS.is_dir():
        pytest.skip(f"the realfeeds corpus is absent ({REALFEEDS})")
    feeds = sorted(REALFEEDS.glob("*.xml"))
    report = ingest(store, [Source(location=str(path), name=path.name.split("_")[0]) for path in feeds],
                    source_tz=UTC)
    assert report.new > 1000 and report.duplicate > 0
    shown = store.latest(5000)
    assert len(shown) == report.new
    links = [article.link for article in shown]
    assert len(links) == len(set(links))
    assert not [link for link in links if "feedsportal.com" in link or "/~r/" in link or "news.google.com/__i" in link]
    seen: dict[tuple[str, str], datetime] = {}
    for article in sorted(shown, key=lambda a: a.published_at):
        key = (article.source, headline_key(article.title))
        if key in seen:
            assert article.published_at - seen[key] > timedelta(hours=12), f"{article.source}: {article.title}"
        seen[key] = article.published_at
    almonitor = [a for a in shown if a.source == "almonitor" and a.title.startswith("As Israel advances West Bank")]
    assert len(almonitor) == 1  # the feed carries it four times


def test_ranking_weighs_sources_against_age_and_orders_sections_by_their_best_story(store, tmp_path):
    now = datetime(2026, 2, 17, 12, 0, tzinfo=UTC)
    write_article(tmp_path / "a", 1, title="Fresh story from one source", source="one", category="Later", when=now)
    for number, source in enumerate(("one", "two")):
        write_article(tmp_path / source, 10 + number, title="Day-old story from two sources", source=source,
                      category="Earlier", when=now - timedelta(hours=20))
    write_article(tmp_path / "a", 3, title="Old story from one source", source="one", category="Later",
                  when=now - timedelta(hours=30))
    ingest(store, [str(tmp_path / name) for name in ("a", "one", "two")], source_tz=UTC)
    ranked = rank(group_by_topic(store.latest(10)), max_items=2, now=now)
    # two topics of one story each: gathered, the two-source story first (2 x 0.56 > 1 x 1.0); with nothing else
    # in the digest, "News in brief" rather than "More news"
    assert [(s.topic, [a.title for a in s.articles]) for s in ranked.sections] == [
        (ONLY_NEWS, ["Day-old story from two sources", "Fresh story from one source"])]
    assert ranked.left_out == {"Later": 1}
    assert story_weight(ranked.sections[0].articles[1], now) == 1.0


def test_digest_max_items_is_a_setting_with_a_clear_message_when_wrong():
    assert load_settings({"DIGEST_MAX_ITEMS": "12"}, env_file="").digest_max_items == 12
    assert load_settings({}, env_file="").digest_max_items == 30
    with pytest.raises(SettingsError, match="DIGEST_MAX_ITEMS=0 is out of range"):
        load_settings({"DIGEST_MAX_ITEMS": "0"}, env_file="")


def test_the_digests_max_age_setting_is_read_and_a_bad_value_is_one_line(tmp_path):
    assert load_settings({}, env_file="").digest_max_age == timedelta(hours=48)
    assert load_settings({"DIGEST_MAX_AGE_HOURS": "12"}, env_file="").digest_max_age == timedelta(hours=12)
    for value, said in [("0", "DIGEST_MAX_AGE_HOURS=0 is out of range (1 to 8760)"),
                        ("two days", "DIGEST_MAX_AGE_HOURS='two days' is not a whole number")]:
        with pytest.raises(SettingsError) as error:
            load_settings({"DIGEST_MAX_AGE_HOURS": value}, env_file="")
        assert str(error.value) == said
    env = {**os.environ, "DIGEST_MAX_AGE_HOURS": "48h", "DATABASE_URL": f"sqlite:///{tmp_path / 'news.db'}"}
    result = subprocess.run([sys.executable, "-m", "bot.cli", "digest"], env=env, cwd=tmp_path, capture_output=True,
                            text=True, timeout=60)
    assert result.returncode == 2 and result.stdout == ""
    assert result.stderr.splitlines() == ["Configuration error: DIGEST_MAX_AGE_HOURS='48h' is not a whole number"]


def test_two_sources_using_the_same_id_for_different_stories_in_one_batch_keep_both(store, tmp_path):
    """An article is known by its source and id together: another source's id 7 is another story."""
    write_article(tmp_path / "a", 7, title="Monsoon arrives early in Kerala", source="one.example",
                  link="https://one.example/7", when=DAY)
    write_article(tmp_path / "b", 7, title="Steel output rises in July", source="two.example",
                  link="https://two.example/7", when=DAY)
    (tmp_path / "c").mkdir()
    (tmp_path / "c" / "both.xml").write_text(  # and the same in one file
        "<articles><root><id>8</id><source>one.example</source><title>Rice exports rise</title>"
        "<link>https://one.example/8</link></root><root><id>8</id><source>two.example</source>"
        "<title>Cricket league opens</title><link>https://two.example/8</link></root></articles>")
    report = ingest(store, [str(tmp_path / name) for name in "abc"], source_tz=KOLKATA)
    assert (report.new, report.duplicate, report.rejected) == (4, 0, [])
    assert {(a.source, a.external_id, a.title) for a in store.latest(10)} == {
        ("one.example", "7", "Monsoon arrives early in Kerala"), ("two.example", "7", "Steel output rises in July"),
        ("one.example", "8", "Rice exports rise"), ("two.example", "8", "Cricket league opens")}
    write_article(tmp_path / "d", 7, title="Monsoon arrives early in Kerala (updated)", source="one.example",
                  link="https://one.example/7?v=2", when=DAY)
    again = ingest(store, [str(tmp_path / "d")], source_tz=KOLKATA)
    assert (again.new, again.duplicate) == (0, 1)  # the same source's id 7 again: the same story
