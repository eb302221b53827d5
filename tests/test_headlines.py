"""Headlines as an editor writes them: wire labels and version noise, an aggregator's publisher credited apart
from the headline, with real snippets (Reuters via Al-Monitor, Google News RSS and Atom)."""

from __future__ import annotations

from datetime import UTC, datetime
from zoneinfo import ZoneInfo

import pytest

from bot.formatting import article_html
from digests.digest import Section, render_text
from digests.formats import parse_document
from digests.headlines import (edited_headline, is_shouting, unshouted, without_final_stop, without_publisher,
                               without_wire_labels)
from digests.ingest import prepare
from digests.models import Article

NOW = datetime(2030, 1, 1, tzinfo=UTC)


@pytest.mark.parametrize(("title", "shown"), [
    # almonitor runs Reuters copy with the desk's label glued on
    ("Analysis-US envoys juggle two crisis talks, raising questions about prospects for success",
     "Analysis: US envoys juggle two crisis talks, raising questions about prospects for success"),
    ("EXCLUSIVE-Tesla to cut jobs in China", "Exclusive: Tesla to cut jobs in China"),
    ("Factbox-What is in the Inflation Reduction Act?", "Factbox: What is in the Inflation Reduction Act?"),
    ("Instant View-US consumer prices rise", "Instant View: US consumer prices rise"),
    ("FOCUS-Why oil traders are nervous", "Focus: Why oil traders are nervous"),
    # version noise goes, however many takes
    ("UPDATE 2-Fed raises rates by 75 basis points", "Fed raises rates by 75 basis points"),
    ("RPT-CORRECTED-UPDATE 1-Oil falls as demand worries mount", "Oil falls as demand worries mount"),
    ("REFILE-Exclusive-Apple plans a cheaper iPhone", "Exclusive: Apple plans a cheaper iPhone"),
    ("WRAPUP 3-Israel strikes Gaza as talks stall", "Israel strikes Gaza as talks stall"),
    ("UPDATE 1-‘We will not leave’, says mayor", "‘We will not leave’, says mayor"),
])
def test_wire_labels_read_as_labels_and_version_noise_goes(title, shown):
    assert without_wire_labels(title) == shown


@pytest.mark.parametrize("title", [
    "Pro-Russian forces advance in the east", "Ex-President Trump speaks", "T-Mobile agrees merger",
    "Focus-group results surprise pollsters", "Analysis-", "Analysis of the budget", "Update: road closed",
    "Poll-tax riots remembered", "Analysis - what it means",
    # title case: a wire writes these labels in capitals, a headline may start with the word
    "Feature-Length Film Wins Award", "Focus-Group Results Surprise", "Poll-Tax Riots Remembered",
    "Repeat-Offender Law Passes", "Update 2-Fed",
])
def test_headlines_that_only_look_like_labels_stay(title):
    assert without_wire_labels(title) == title


def test_an_updated_wire_story_is_the_same_headline_as_its_first_take():
    assert without_wire_labels("UPDATE 3-Oil falls") == without_wire_labels("Oil falls")


@pytest.mark.parametrize(("title", "shown"), [
    # cnn ends its headlines with a full stop; headlines carry none
    ("Europe's most active volcano erupts over Sicily.", "Europe's most active volcano erupts over Sicily"),
    ('Get to know "New Day" anchors Kate, Chris and Michaela.', 'Get to know "New Day" anchors Kate, Chris and Michaela'),
    ("Shares fall 2.5 per cent.", "Shares fall 2.5 per cent"),
    ("Обама приехал в Москву.", "Обама приехал в Москву"),
    # an abbreviation's stop, two sentences, an ellipsis and a number stay
    ("Marc Benioff 'Jokes' ICE Is Watching Salesforce Employees Who Traveled to the U.S.", None),
    ("Iran’s Protests Have Ended. The State’s Terror Campaign Has Not.", None),
    ("Take Banking to the finger tips of masses: Mahabaleshwara M.S.", None),
    ("Apple buys Beats Inc.", None), ("Wait for it...", None), ("Rates rise to 5.", None), ("Plan B.", None),
])
def test_a_headline_ends_without_a_full_stop_of_its_own(title, shown):
    assert without_final_stop(title) == (shown or title)


@pytest.mark.parametrize(("title", "shown"), [
    # pcinpact, nextinpact: a label in brackets reads as a label; "updated" and "brief" say nothing to a reader
    ("[Édito] Le jeu vidéo « made in France » a-t-il encore un avenir ?",
     "Édito: Le jeu vidéo « made in France » a-t-il encore un avenir ?"),
    ("[Sondage] Quelle est la diagonale d'écran idéale ?", "Sondage: Quelle est la diagonale d'écran idéale ?"),
    ("[MàJ] Yahoo! pourrait croquer 75 % de Dailymotion", "Yahoo! pourrait croquer 75 % de Dailymotion"),
    ("[Brève] Et si iOS 8 affichait deux applications en même temps ?",
     "Et si iOS 8 affichait deux applications en même temps ?"),
    ("[Update] Server back online", "Server back online"),
    ("[1/3] Series part one", None), ("[Brève]", None), ("Notes [draft] inside", None),
])
def test_a_label_in_brackets_reads_as_a_label(title, shown):
    assert edited_headline(title) == (shown or title)


def test_a_headline_in_capitals_is_written_in_title_case_with_its_storys_acronyms():
    """varthabharathi: the story spells "NRI", "UAE" and "MSME"; everything else is a shout."""
    text = ("The NRI Forum - Government of Karnataka is setting up the Karnataka NRI Forum – UAE under Chairman Sri "
            "Siddaramaiah, Hon. Chief Minister (CM). MSME lenders and the iPhone maker.")
    title = "CM SIDDARAMAIAH TO OFFICIALLY INAUGURATE ‘KARNATAKA NRI FORUM – UAE’ IN DUBAI ON 28TH APRIL"
    assert is_shouting(title)
    assert unshouted(title, text) == \
        "CM Siddaramaiah to Officially Inaugurate ‘Karnataka NRI Forum – UAE’ in Dubai on 28th April"
    assert unshouted("VATICAN CITY-STATE AMBASSADOR TO ATTEND A FUNCTION", "") == \
        "Vatican City-State Ambassador to Attend a Function"
    assert unshouted("THE IPHONE MAKER BAGS MSME AWARD", text) == "The iPhone Maker Bags MSME Award"


@pytest.mark.parametrize("title", ["NASA finds water on Mars", "TRESOR: шифрование за пределами ОЗУ",
                                   "Руководители разведки США шутят", "ایف ایم بلیٹن", "UK GDP UP", "Mixed Case TITLE HERE"])
def test_a_headline_with_capitals_in_it_is_not_shouting(title):
    assert not is_shouting(title)


def test_the_edited_headline_does_both():
    assert edited_headline("UPDATE 1-Oil falls.") == "Oil falls"


def test_without_publisher():
    assert without_publisher("Fed unleashes another big rate hike - The Associated Press", "The Associated Press") == \
        "Fed unleashes another big rate hike"
    assert without_publisher("Ties with India - a view", "CNN") == "Ties with India - a view"
    assert without_publisher(" - CNN", "CNN") == " - CNN"  # nothing would be left
    # Google News keeps the page's own " | Site" before its " - Publisher"
    assert without_publisher("Supplemental Vitamin D and Incident Fractures | NEJM", "nejm.org") == \
        "Supplemental Vitamin D and Incident Fractures"


GOOGLE_RSS = """<?xml version="1.0" encoding="UTF-8"?><rss version="2.0"><channel>
<title>Top stories - Google News</title><link>https://news.google.com/</link>
<item><title>Fed unleashes another big rate hike in bid to curb inflation - The Associated Press</title>
<link>https://news.google.com/__i/rss/rd/articles/CBMiX?oc=5</link><guid isPermaLink="false">1516</guid>
<pubDate>Thu, 28 Jul 2022 02:43:00 GMT</pubDate>
<description>&lt;ol&gt;&lt;li&gt;&lt;a href="https://news.google.com/__i/rss/rd/articles/CBMiX?oc=5" target="_blank"&gt;Fed
unleashes another big rate hike in bid to curb inflation&lt;/a&gt;&amp;nbsp;&amp;nbsp;&lt;font color="#6f6f6f"&gt;The
Associated Press&lt;/font&gt;&lt;/li&gt;&lt;li&gt;&lt;a href="https://news.google.com/__i/rss/rd/articles/CBMiY?oc=5"
target="_blank"&gt;Federal Reserve raises interest rates by 0.75%, matching June's historic move&lt;/a&gt;&amp;nbsp;
&amp;nbsp;&lt;font color="#6f6f6f"&gt;Yahoo Finance&lt;/font&gt;&lt;/li&gt;&lt;li&gt;&lt;strong&gt;&lt;a
href="https://news.google.com/stories/CAAq?oc=5" target="_blank"&gt;View Full Coverage on Google
News&lt;/a&gt;&lt;/strong&gt;&lt;/li&gt;&lt;/ol&gt;</description>
<source url="https://apnews.com">The Associated Press</source></item>
</channel></rss>"""

# Atom has no <source>: the publisher shows by shape, the title's end and the first line of the coverage list
GOOGLE_ATOM = """<?xml version="1.0" encoding="UTF-8"?><feed xmlns="http://www.w3.org/2005/Atom">
<id>https://news.google.com/atom</id><title type="html">Top stories - Google News</title>
<updated>2022-07-28T03:40:34.000000000Z</updated>
<entry><id>https://news.google.com/articles/CBMiS?oc=5</id>
<title type="html">NASA Will Send More Helicopters to Mars - The New York Times</title>
<updated>2022-07-28T01:13:00.000000000Z</updated>
<link href="https://news.google.com/__i/rss/rd/articles/CBMiS?oc=5" type="text/html"/>
<content type="html">&lt;a href="https://news.google.com/__i/rss/rd/articles/CBMiS?oc=5" target="_blank"&gt;NASA Will Send
More Helicopters to Mars&lt;/a&gt;&amp;nbsp;&amp;nbsp;&lt;font color="#6f6f6f"&gt;The New York Times&lt;/font&gt;&lt;strong&gt;&lt;a
href="https://news.google.com/stories/CAAq?oc=5" target="_blank"&gt;View Full Coverage on Google News&lt;/a&gt;&lt;/strong&gt;</content>
</entry></feed>"""


def _stored(document: str):
    result = parse_document(document.encode(), shown="feed.xml", default_source="googlenews", source_tz=UTC)
    [raw] = result.articles
    return prepare(raw, now=NOW)


@pytest.mark.parametrize(("document", "headline", "publisher"), [
    (GOOGLE_RSS, "Fed unleashes another big rate hike in bid to curb inflation", "The Associated Press"),
    (GOOGLE_ATOM, "NASA Will Send More Helicopters to Mars", "The New York Times"),
])
def test_an_aggregators_item_is_its_headline_credited_to_its_publisher(document, headline, publisher):
    stored = _stored(document)
    assert stored.title == headline
    assert stored.author == f"via {publisher}"
    # the list of other outlets' coverage is neither its text nor its summary
    assert (stored.text, stored.summary) == ("", "")
    article = Article(id=1, source=stored.source, link=stored.link, title=stored.title, author=stored.author,
                      published_at=stored.published_at, date_known=True, arrived_at=NOW, text="", summary="")
    article.topics, article.also = [], []
    html = article_html(article, ZoneInfo("UTC"))
    assert html.splitlines()[1] == f"<i>28 Jul 2022 · via {publisher}</i>"
    assert len(html.splitlines()) == 2  # no empty summary line
    assert f"28 Jul 2022 · via {publisher} | https://news.google.com" in render_text([_section(article)], UTC, "D")


def _section(article):
    return Section("General", [article])


def test_a_feed_whose_items_name_the_feeds_own_publisher_is_no_aggregator():
    """washingtonpost: every item's <source> is The Washington Post, the feed's own: nothing is credited apart."""
    document = GOOGLE_RSS.replace("Top stories - Google News", "Wellness - The Washington Post").replace(
        "The Associated Press</source>", "The Washington Post</source>")
    stored = _stored(document)
    assert stored.title.endswith(" - The Associated Press")
    assert stored.author is None


def test_a_headline_that_ends_with_a_dash_phrase_is_left_whole():
    """No <source> and a body that is the story's own text: " - a phrase" is the headline's."""
    document = GOOGLE_ATOM.replace("Google News", "Blog").replace(
        "&lt;a href=\"https://news.google.com/__i/rss/rd/articles/CBMiS?oc=5\" target=\"_blank\"&gt;NASA Will Send\n"
        "More Helicopters to Mars&lt;/a&gt;&amp;nbsp;&amp;nbsp;&lt;font color=\"#6f6f6f\"&gt;The New York Times"
        "&lt;/font&gt;", "&lt;p&gt;NASA said on Wednesday it will send two more helicopters to Mars.&lt;/p&gt;")
    stored = _stored(document)
    assert stored.title == "NASA Will Send More Helicopters to Mars - The New York Times"
    assert stored.author is None and stored.text.startswith("NASA said")
