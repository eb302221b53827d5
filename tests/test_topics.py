"""Topics a person can use: junk labels left out, near-copies merged, the operator's topic map, paged lists
that fit Telegram's limits, and digests of few, full sections."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta

import pytest

from bot.commands import Chat, Commands
from bot.formatting import MAX_MESSAGE_LENGTH, digest_messages, visible_length
from digests.digest import MORE_NEWS, ONLY_NEWS, group_by_topic, rank
from digests.formats import parse_document
from digests.ingest import ingest, prepare
from digests.schedule import Schedule
from digests.sources import Source, SourcesFileError, load_sources_file
from digests.topics import (BUILT_IN, TopicRules, display_name, headline_labels, is_listing, label_topics,
                            preferred_name, publisher_initials, site_name, topic_key, without_feed_name)
from tests.conftest import KOLKATA, SHARED, need_shared, write_article

REALFEEDS = SHARED / "testdata" / "realfeeds"


def feed_topics(name: str, rules: TopicRules = BUILT_IN) -> list[list[str]]:
    path = REALFEEDS / name
    if not path.is_file():
        pytest.skip(f"the real feeds corpus is absent ({path})")
    parsed = parse_document(path.read_bytes(), shown=name, default_source="s", source_tz=UTC)
    return [prepare(raw, now=datetime.now(UTC), rules=rules).topics for raw in parsed.articles]


@pytest.mark.parametrize("label", ["PAID", "Uncategorized", "sponsorshipblock", "TC", "Sponsored", "Paywall Free",
                                   "homepage_regional_europe", "https://metan.by/news/by/9941/", "9941",
                                   "agnks-molodechno-8-a", "ASX:NVX", "Audio Embed", "Post to Buffer", "default",
                                   "News", "Новости", "...Другое", "Multimedia", "actualités", ""])
def test_junk_labels_are_never_topics(label):
    assert label_topics(label) == ()
    assert BUILT_IN.topics([label]) == ["General"]


# curation labels: where an item sits on the page, not what it is about, in their variants and languages
@pytest.mark.parametrize("label", ["Editors' Picks", "Editor's Picks", "EDITORS PICKS", "Editor’s Choice",
                                   "Subscribers' Picks", "Staff Picks", "Picks of the Week", "Top Stories",
                                   "Today's Top Stories", "Top 10", "Most Read", "Most Popular", "Most Viewed",
                                   "Breaking News", "Latest News", "Trending Now", "Featured Stories", "Must Read",
                                   "Don't Miss", "Hot Topics", "Live Updates", "Recommended Reading", "À la une",
                                   "Les plus lus", "Lo más leído", "Última hora", "Più letti", "Главное",
                                   "Самое читаемое", "Работает", "Временно не работает"])
def test_curation_and_status_labels_are_never_topics(label):
    assert label_topics(label) == ()
    # the operator's map still decides: an alias keeps one as a topic, ``ignore`` drops any other label
    assert TopicRules.make(aliases={label: "Picks"}).topics([label]) == ["Picks"]


@pytest.mark.parametrize("label", ["Top Gun", "Breaking Bad", "Popular Science", "Most Wanted", "Live Music",
                                   "Latest Technology", "Hot Springs", "The Week", "Editorial", "Best Buy",
                                   "Miss Universe", "Mostly Sunny", "Staff"])
def test_subjects_made_of_curation_words_stay(label):
    assert label_topics(label) == (label,)


def test_the_feeds_own_site_is_no_topic_and_no_part_of_one():
    """rue89 files stories under "Rue89 Culture", "Rue89 Eco" and "Rue89"; bbcurdu under "BBC"."""
    assert [site_name(url) for url in ("http://www.rue89.com/", "https://www.bbc.co.uk/urdu", "https://en.mercopress.com/",
                                       "feed.xml")] == ["rue89", "bbc", "mercopress", ""]
    assert [without_feed_name(label, "rue89") for label in ("Rue89 Culture", "rue89 sport", "Rue89", "Rue69", "Culture")] == \
        ["Culture", "sport", "", "Rue69", "Culture"]
    document = ('<?xml version="1.0"?><rss version="2.0"><channel><title>Rue89 : A la Une</title>'
                '<link>http://www.rue89.com/</link><item><title>Les Verts et le nucléaire</title>'
                '<link>http://www.rue89.com/1</link><category>Rue89 Eco</category><category>Rue89</category>'
                '<category>Politique</category></item></channel></rss>')
    [raw] = parse_document(document.encode(), shown="rue89.xml", default_source="s", source_tz=UTC).articles
    assert prepare(raw, now=datetime.now(UTC)).topics == ["Eco", "Politique"]


def test_a_label_branded_with_the_publisher_s_initials_is_no_part_of_a_topic():
    """Foreign Policy's "FP Weekend" and "FP Insider": its edition and its subscribers' tier."""
    assert [publisher_initials(name) for name in ("Foreign Policy", "The Washington Post", "Rue89", "Rest of World",
                                                   "")] == ["FP", "WP", "", "", ""]
    assert [without_feed_name(label, "foreignpolicy", "FP") for label in ("FP Weekend", "FP Insider", "FP",
                                                                           "FPS Games", "Foreign Policy")] == \
        ["Weekend", "Insider", "", "FPS Games", "Foreign Policy"]
    assert [label_topics(label) for label in ("Weekend", "Insider")] == [(), ()]


@pytest.mark.parametrize(("headline", "listing"), [
    ("Fairfax wellness calendar, Aug. 23-30", True), ("D.C. wellness calendar, Aug. 16-23", True),
    ("Fairfax County wellness calendar, Aug. 9-15", True), ("Arts listings, 23-30 August", True),
    ("Events listings: week of 12 May", True), ("Calendar, Aug. 30 - Sept. 6", True),
    ("Google Calendar gets 2 new features", False), ("Calendar 2025: the year ahead", False),
    ("Fed calendar: March 18 decision looms", False), ("Fed calendar: 3 rate decisions", False),
    ("Nutrition and fitness resolutions for 2012", False),
])
def test_a_listing_is_told_by_its_headline(headline, listing):
    assert is_listing(headline) is listing


def test_a_calendar_s_venues_are_no_topics():
    """The Washington Post's county wellness calendars are tagged with the churches that host their events."""
    topics = feed_topics("washingtonpost_wellness_rss20.xml")
    every = {name for names in topics for name in names}
    assert not every & {"Episcopal Church", "United Methodist Church", "Jesus Christ", "American Red Cross"}
    assert topics.count(["General"]) >= 15  # the calendars: under the source's topic
    # its stories keep their labels, a tagger's organisations too
    assert {"Fitness", "Mental health", "Gestational diabetes", "National Eye Institute", "YMCA"} <= every
    rules = TopicRules.make(default="Wellness")
    assert ["Wellness"] in feed_topics("washingtonpost_wellness_rss20.xml", rules)


def test_a_latin_slug_under_a_headline_in_another_script_is_no_topic():
    """metan.by's items carry their address's transliterated slug among their labels: "respubliki-belarus" under
    "Концептуальное исследование газомоторного рынка Республики Беларусь"."""
    headline = "Концептуальное исследование газомоторного рынка Республики Беларусь"
    assert headline_labels(["9968", "respubliki-belarus", "АГНКС «Лида»"], headline) == ["9968", "АГНКС «Лида»"]
    # under a Latin headline a hyphenated label may be a subject's ("hip-hop"), and a slug has other rules
    assert headline_labels(["hip-hop", "self-driving"], "Waymo tests its cars") == ["hip-hop", "self-driving"]
    assert headline_labels(["Episcopal Church"], "D.C. wellness calendar, Aug. 16-23") == []
    every = {name for names in feed_topics("metan_by_news_rss20_leading_newlines.xml") for name in names}
    assert "Respubliki-belarus" not in every and "АГНКС «Лида»" in every


def test_a_two_letter_code_shows_in_capitals():
    """bbcurdu's terms "us" and "tv"."""
    assert [display_name(label) for label in ("us", "tv", "sport", "eBay")] == ["US", "TV", "Sport", "eBay"]


@pytest.mark.parametrize("label", ["Covid-19", "hip-hop", "Nord-pas-de-calais", "EU", "AI", "YouTube",
                                   "Ligue 1", "Nord-Pas-de-Calais", "हिंदी समाचार", "طالبان مزاکرات"])
def test_real_topics_stay(label):
    assert len(label_topics(label)) == 1


@pytest.mark.parametrize("forms", [
    ["World", "World news", "worldNews", "World News", "WORLD", "world"],
    ["Sport", "Sports", "sports news", "SportsNews"],
    ["Trump, Donald J", "Donald Trump", "Donald J. Trump", "donald trump"],
    ["Culture &amp; Life", "Culture & Life", "culture and life"],
    ["Cinéma", "Cinema", "cinéma"],
    ["Policies", "policy"],
    ["U.S. Congress", "US Congress"],
])
def test_near_copies_are_one_topic(forms):
    keys = {topic_key(name) for form in forms for name in label_topics(form)}
    assert len(keys) == 1, keys
    assert len({topic_key(form) for form in forms}) == 1  # what a reader types finds it too


@pytest.mark.parametrize(("one", "other"), [("Police", "Policy"), ("World", "World Politics"), ("News", "New"),
                                              ("Analysis", "Analyse"), ("Politics", "Policy")])
def test_different_topics_stay_apart(one, other):
    assert topic_key(one) != topic_key(other)


def test_shown_names_read_well():
    assert label_topics("worldNews") == ("World News",)
    assert label_topics("sport") == ("Sport",)
    assert label_topics("Culture &amp; Life") == ("Culture & Life",)
    assert label_topics("Trump, Donald J") == ("Donald Trump",)
    assert label_topics("Biden, Joseph R Jr") == ("Joseph Biden",)


def test_label_lists_are_several_topics():
    assert label_topics("Politics, Latin America, United States") == ("Politics", "Latin America", "United States")
    assert label_topics("پاکستان، تصاویر") == ("پاکستان", "تصاویر")  # BBC Urdu's Arabic comma


def test_person_scheme_puts_a_name_in_order():
    rss = ('<?xml version="1.0"?><rss version="2.0"><channel><title>T</title><item><title>A</title>'
           "<link>https://n.example/1</link><category domain=\"http://www.nytimes.com/namespaces/keywords/nyt_per\">"
           "Musk, Elon</category><category>Politics, Argentina</category></item></channel></rss>").encode()
    [raw] = parse_document(rss, shown="f", default_source="s", source_tz=UTC).articles
    assert prepare(raw, now=datetime.now(UTC)).topics == ["Elon Musk", "Politics", "Argentina"]


def test_real_feed_labels():
    # metan.by: ids, slugs, image URLs, 'default', 'active' and an empty category on every item
    for topics in feed_topics("metan_by_news_rss20_leading_newlines.xml"):
        assert not any(re.search(r"://|^\d+$|^default$|^active$", name) for name in topics), topics
    # MercoPress: "Health & Science, Politics, Argentina, Uruguay" in one <category>
    merco = {name for topics in feed_topics("mercopress_all_rss20_leading_cr_nodecl.xml") for name in topics}
    assert {"Politics", "Argentina", "Uruguay"} <= merco
    assert not any("," in name for name in merco)
    # The Week escapes its ampersands twice: "Culture &amp;amp; Life" shows as it reads
    assert any("Culture & Life" in topics for topics in feed_topics("theweek_all_rss20_large.xml"))


# BBC Urdu's Atom feed (xml:lang="ur") as it came: "urdu" on every item names the edition, not a subject
URDU_ENTRY = """<?xml version="1.0" encoding="utf-8"?>
<feed xmlns="http://www.w3.org/2005/Atom">
   <id>http://www.bbc.co.uk/urdu/index.xml</id>
   <title xml:lang="ur">BBCUrdu.com | صفحۂ اول</title>
   <link rel="self" href="http://www.bbc.co.uk/urdu/index.xml"/>
   <category xml:lang="ur" term="urdu" label="urdu"/>
   <entry>
      <id>tag:www.bbcurdu.com,2014-03-16:30771398</id>
      <published>2014-03-16T13:22:25+05:00</published>
      <category xml:lang="ur" term="urdu" label="urdu"/>
      <category xml:lang="ur" term="world" label="ورلڈ"/>
      <title xml:lang="ur">قزاقستان سے بحرِ ہند تک لاپتہ طیارے کی تلاش جاری</title>
      <link rel="alternate" href="http://www.bbc.co.uk/urdu/world/2014/03/140316_malaysia_plane_search_rh.shtml"/>
   </entry>
</feed>""".encode()


def test_a_language_name_is_no_topic():
    [raw] = parse_document(URDU_ENTRY, shown="f", default_source="s", source_tz=UTC).articles
    assert raw.language == "ur"
    assert prepare(raw, now=datetime.now(UTC)).topics == ["World"]
    assert prepare(raw, now=datetime.now(UTC), rules=TopicRules.make(default="Pakistan")).topics == ["World"]
    # any feed: the news languages' names in English and in themselves
    for label in ["Urdu", "English", "Español", "ESPAÑOL", "Hindi", "हिन्दी", "Deutsch", "Русский", "اردو", "中文"]:
        assert label_topics(label) == (), label
        assert BUILT_IN.topics([label]) == ["General"]
    # the item's own language, whichever: BBC Urdu's "urdu" alone gives the source's topic
    assert label_topics("Kannada") == ("Kannada",) and label_topics("Kannada", "kn") == ()
    assert label_topics("ಕನ್ನಡ", "kn-IN") == ()
    assert TopicRules.make(default="Pakistan").topics(["urdu"], "ur") == ["Pakistan"]
    # a language's name that is also a place's (Indonesian calls itself "Indonesia") stays, as do peoples
    for label in ["Indonesia", "Suomi", "Rohingya", "Māori", "England", "Spain"]:
        assert label_topics(label, "id") == (label,), label
    # the operator's map keeps one: an alias, or a topic on the allow-list
    assert TopicRules.make(aliases={"urdu": "Urdu"}).topics(["urdu"], "ur") == ["Urdu"]
    assert TopicRules.make(default="BBC", allowed=["Urdu"]).topics(["urdu", "World"], "ur") == ["Urdu"]


# what kind of piece it is, not what it is about: Foreign Policy's "Analysis", "Argument", "Q&A", "Quiz" and its
# newsletters ("World Brief", "China Brief"), BBC Urdu's "indepth", 404 Media's and The Week's "Podcast", the
# Washington Post's "md health calendar", der brutkasten's "Eventkalender"
@pytest.mark.parametrize("label", ["Analysis", "Argument", "Q&A", "Quiz", "Review", "Report", "World Brief",
                                   "China Brief", "South Asia Brief", "indepth", "In Depth", "Podcast", "Podcasts",
                                   "Politics Podcast", "Explainer", "Interview", "Live blog", "md health calendar",
                                   "Eventkalender", "Morning Briefing", "Weekly Newsletter", "Analyse", "Reportage",
                                   "Entrevista", "Интервью", "Situation Report", "The Reading List", "Special Report",
                                   "Weekend", "Insider"])
def test_formats_and_genres_are_no_topics(label):
    assert label_topics(label) == ()
    assert TopicRules.make(aliases={"Argument": "Opinion"}).topics(["Argument"]) == ["Opinion"]  # the operator's


@pytest.mark.parametrize("label", ["Opinion", "Editorial", "Commentary", "Tribune", "Books", "Film", "Briefs of Law",
                                   "Brief Encounter", "Situation Room", "Calendar Girls", "Reporters Without Borders"])
def test_opinion_sections_and_subjects_made_of_format_words_stay(label):
    assert label_topics(label) == (label,)


def test_foreign_policy_items_keep_their_subjects_not_their_formats():
    topics = feed_topics("foreignpolicy_all_rss20.xml")
    every = {name for names in topics for name in names}
    assert not every & {"Analysis", "Argument", "World Brief", "China Brief", "Q&A", "Quiz", "Review", "Report"}
    # its series too: a daily newsletter, a reading list, and what it brands with its initials (FP Weekend)
    assert not every & {"Situation Report", "The Reading List", "FP Weekend", "FP Insider", "Weekend", "Insider"}
    # while its sections and subjects stay
    assert {"Munich Security Conference", "Europe", "Books", "Culture", "Democracy", "History"} <= every
    # "The Age of Defensive Democracy": Argument, Audio Embed, Democracy, FP Weekend, History, ..., The Reading List
    assert ["Democracy", "History"] in topics
    # "A U.S.-India Trade Deal Can’t Restore Lost Trust": Analysis, Donald Trump, Editors' Picks, ..., India
    assert ["Donald Trump", "Foreign & Public Diplomacy", "India", "Narendra Modi",
            "Trade Policy & Agreements"] in topics


# BBC Urdu files each item under one <category> and lists its keywords, in Urdu and English, in <dc:subject>
URDU_KEYWORDS = """<?xml version="1.0" encoding="utf-8"?>
<feed xmlns="http://www.w3.org/2005/Atom" xmlns:dc="http://purl.org/dc/elements/1.1/">
   <id>http://www.bbc.co.uk/urdu/index.xml</id>
   <title xml:lang="ur">BBCUrdu.com | صفحۂ اول</title>
   <link rel="self" href="http://www.bbc.co.uk/urdu/index.xml"/>
   <entry>
      <id>tag:www.bbcurdu.com,2014-03-16:30770000</id>
      <published>2014-03-16T10:22:25+05:00</published>
      <category xml:lang="ur" term="urdu" label="urdu"/>
      <category xml:lang="ur" term="pakistan" label="پاکستان"/>
      <title xml:lang="ur">طالبان سے مذاکرات</title>
      <dc:subject>pakistan, طالبان، پاکستان، پروفیسر ابراہیم، مذاکرات،  taliban, talks</dc:subject>
      <link rel="alternate" href="http://www.bbc.co.uk/urdu/pakistan/2014/03/140316_taliban_talks.shtml"/>
   </entry>
</feed>""".encode()


def test_a_keyword_list_is_not_a_section():
    [raw] = parse_document(URDU_KEYWORDS, shown="f", default_source="s", source_tz=UTC).articles
    assert raw.categories == ["urdu", "pakistan"]
    assert prepare(raw, now=datetime.now(UTC)).topics == ["Pakistan"]
    # the whole feed: its sections, none of its keywords ("پاکستان" beside "Pakistan", "Pakistan aid", "Dollers")
    every = {name for names in feed_topics("bbcurdu_all_atom.xml") for name in names}
    assert every == {"General", "World", "Pakistan", "Regional", "Science", "Entertainment", "Sport", "Weather"}


def test_dc_subject_is_the_subject_of_an_item_without_a_category():
    rdf = ('<?xml version="1.0"?><rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#" '
           'xmlns="http://purl.org/rss/1.0/" xmlns:dc="http://purl.org/dc/elements/1.1/">'
           '<channel rdf:about="https://wdr.example/"><title>WDR</title><link>https://wdr.example/</link></channel>'
           '<item rdf:about="https://wdr.example/1"><title>Rheinbrücke gesperrt</title>'
           '<link>https://wdr.example/1</link><dc:subject>Verkehr</dc:subject></item></rdf:RDF>').encode()
    [raw] = parse_document(rdf, shown="f", default_source="s", source_tz=UTC).articles
    assert prepare(raw, now=datetime.now(UTC)).topics == ["Verkehr"]


@pytest.mark.parametrize(("label", "language", "topic"), [
    ("Allemagne", "fr", "Germany"), ("Syrie", "fr-FR", "Syria"), ("États-Unis", "fr", "United States"),
    ("mondo", "it", "World"), ("Monde", "fr", "World"), ("پاکستان", "ur", "Pakistan"), ("Германия", "ru", "Germany"),
    ("Europe", "fr", "Europe"), ("Politique", "fr", "Politique"), ("Allemagne", "", "Allemagne"),
    ("Island", "en", "Island"), ("Island", "de", "Iceland")])
def test_a_place_named_in_the_item_s_language_goes_by_its_english_name(label, language, topic):
    assert label_topics(label, language) == (topic,)


def test_one_place_is_one_topic_whatever_the_feed_s_language(store):
    """rue89 (fr) files a story under "Allemagne", Foreign Policy under "Germany"; Il Messaggero's section
    "mondo" is The Week's and BBC Urdu's "World"."""
    paths = [need_shared(REALFEEDS / name, "the realfeeds corpus") for name in (
        "rue89_une_rss20_feedsportal.xml", "foreignpolicy_all_rss20.xml",
        "ilmessaggero_mondo_rss20_italian_date_1item.xml", "bbcurdu_all_atom.xml")]
    ingest(store, [Source(location=str(path), name=path.name.split("_")[0]) for path in paths], source_tz=UTC)
    assert {article.source for article in store.latest(50, topic=topic_key("Germany"))} == {"rue89", "foreignpolicy"}
    assert {article.source for article in store.latest(50, topic=topic_key("World"))} == {"ilmessaggero", "bbcurdu"}
    assert not {"Allemagne", "Mondo", "Monde"} & {topic.name for topic in store.topics()}


def test_topic_map_of_the_sources_file(tmp_path):
    path = tmp_path / "sources.toml"
    path.write_text("""
[topics]
ignore = ["Работает", "Временно не работает"]
aliases = { "Mondo" = "World", "Cronaca" = "Rome" }

[sources.metan]
location = "/srv/metan"
topic = "Belarus"
topics = []

[sources.abc]
location = "/srv/abc"
topic = "Australia"
topics = ["World", "Politics"]
aliases = { "Federal Government" = "Politics" }
""", encoding="utf-8")
    metan, abc = load_sources_file(path)
    assert metan.rules.topics(["Работает", "АГНКС «Лида»", "active"]) == ["Belarus"]  # a topic per source
    assert abc.rules.topics(["World News", "Federal Government", "Cricket"]) == ["World", "Politics"]
    assert abc.rules.topics(["Cricket", "Sport"]) == ["Australia"]  # not allowed: the source's topic
    assert abc.rules.topics(["Mondo"]) == ["World"]  # the file's aliases hold for every source
    assert Source(location="/x", topic_map=metan.topic_map).rules.topics(["Работает", "Cronaca"]) == ["Rome"]


@pytest.mark.parametrize(("text", "message"), [
    ('[topics]\nignore = "PAID"\n', "ignore must be a list"),
    ('[topics]\naliases = ["a"]\n', "aliases must map"),
    ('[topics]\nblock = []\n', "unknown keys: block"),
    ('[sources.a]\nlocation = "/a"\ntopics = "World"\n', r"\[sources.a\] topics must be a list"),
    ('[topic]\nignore = []\n', "unknown tables: topic"),
])
def test_mistakes_in_the_topic_map_are_named(tmp_path, text, message):
    path = tmp_path / "sources.toml"
    path.write_text(text)
    with pytest.raises(SourcesFileError, match=message):
        load_sources_file(path)


def test_topic_map_applies_at_ingest(store, tmp_path):
    write_article(tmp_path / "drop", 1, category="Paid")
    write_article(tmp_path / "drop", 2, category="worldNews")
    write_article(tmp_path / "drop", 3, category="World news")
    ingest(store, [Source(location=str(tmp_path / "drop"), topic="India")], source_tz=UTC)
    assert sorted((t.name, t.article_count) for t in store.topics()) == [("India", 1), ("World News", 2)]
    assert store.find_topic("world").name == "World News"  # typed any way
    assert {a.topic_names[0] for a in store.latest(5)} == {"India", "World News"}


@pytest.mark.parametrize(("spellings", "shown"), [
    (["Businesses", "Business"], "Business"),  # boston.com and ABC News / Foreign Policy
    (["World News", "World", "worldNews"], "World"),  # TheWeek's and boston.com's / BBC Urdu's
    (["Sports", "Sport"], "Sport"),  # Foreign Policy, boston.com / Rue89, RomaToday
    (["Médias", "Media"], "Media"),  # Rue89 / ABC News, Foreign Policy
    (["Éducation", "Education"], "Education"),  # Rue89 / 404 Media, boston.com
    (["WORLD", "World"], "World"), (["Donald J. Trump", "Donald Trump"], "Donald Trump"),
    (["U.S. Congress", "US Congress"], "US Congress"), (["AI", "Ai"], "AI"), (["Politics"], "Politics"),
])
def test_a_topic_shows_its_preferred_spelling_whatever_came_first(spellings, shown):
    for order in (spellings, spellings[::-1]):
        assert preferred_name(name for form in order for name in label_topics(form)) == shown


def test_a_better_spelling_renames_a_stored_topic_everywhere(store, tmp_path):
    """boston.com's "Businesses" came first, then ABC News' "Business": every article, the topic and a
    subscriber's choice show "Business", as when they come the other way round."""
    from digests.schedule import Schedule
    from zoneinfo import ZoneInfo

    now = datetime.now(UTC)
    write_article(tmp_path / "one", 1, category="Businesses", when=now - timedelta(hours=2))
    ingest(store, [str(tmp_path / "one")], source_tz=UTC)
    assert [t.name for t in store.topics()] == ["Businesses"]
    store.subscribe(7, "private", [store.find_topic("business")], now, Schedule(datetime.min.time(), ZoneInfo("UTC")))
    write_article(tmp_path / "two", 2, category="Business", when=now - timedelta(hours=1))
    write_article(tmp_path / "two", 3, category="businesses", when=now)
    ingest(store, [str(tmp_path / "two")], source_tz=UTC)
    assert [(t.name, t.article_count) for t in store.topics()] == [("Business", 3)]
    assert [a.topic_names for a in store.latest(5)] == [["Business"]] * 3
    assert [t.name for t in store.subscriber(7).topics] == ["Business"]
    write_article(tmp_path / "three", 4, category="BUSINESSES", when=now)  # a worse one changes nothing
    ingest(store, [str(tmp_path / "three")], source_tz=UTC)
    assert [(t.name, t.article_count) for t in store.topics()] == [("Business", 4)]


def many_topics(store, tmp_path, count: int = 700):
    """``count`` topics with long names, a few of them busy this week."""
    now = datetime.now(UTC)
    for number in range(count):
        when = now - timedelta(hours=number) if number < 30 else now - timedelta(days=60 + number)
        name = f"Topic {number:03d} with a long and winding name, ünïcödé & “quotes”"  # 58 characters
        write_article(tmp_path / "many", number, category=name.replace(",", ""), when=when)
    ingest(store, [str(tmp_path / "many")], source_tz=UTC)


def fits(reply) -> None:
    assert 1 <= visible_length(reply.text) <= MAX_MESSAGE_LENGTH, visible_length(reply.text)
    for row in reply.buttons:
        for button in row:
            assert button.url or 1 <= len(button.data.encode()) <= 64, button


def test_every_reply_fits_with_700_topics_and_long_input(store, tmp_path):
    many_topics(store, tmp_path)
    commands = Commands(store, _schedule(), admin_ids=[1])
    chat = Chat(id=5, user_id=1)
    long_word = "x" * 4000
    every = [commands.handle(chat, "subscribe", [t.name for t in store.topics()][:1])]
    names = ", ".join(t.name for t in store.topics())
    for command, args in [("start", []), ("topics", []), ("topic", []), ("topic", [long_word]),
                          ("topic", ["Topic", "001", long_word]), ("subscribe", names.split()),
                          ("subscribe", [names]), ("unsubscribe", [long_word]), ("latest", [long_word]),
                          ("search", [long_word]), ("search", ["Topic"] * 500), ("filter", [f"+{long_word}"]),
                          ("filter", [f"+w{n}{'y' * 95}" for n in range(50)]), ("filter", []), ("settings", []),
                          ("time", [long_word]), ("timezone", [long_word]), (long_word, []), ("stats", []),
                          ("sources", []), ("help", []), ("start", [f"topic-{long_word}"])]:
        every.append(commands.handle(chat, command, args))
    subscribed = commands.handle(chat, "subscribe", [names])  # all 700 by name: the confirmation lists some
    assert "more" in subscribed[0].text
    every.append(subscribed)
    view = commands.handle(chat, "topics", [])[0]
    pages = 1
    while (more := [b for row in view.buttons for b in row if b.text.startswith("More ▸")]):
        view = commands.press(chat, more[0].data)[0]
        every.append([view])
        pages += 1
    assert pages == 35  # 700 topics, 20 a page
    every.append(commands.press(chat, "set:topics"))
    every.append(commands.press(chat, "tk:3"))
    every.append(commands.press(chat, "tp:999"))  # a page past the end: the last
    for replies in every:
        for reply in replies:
            fits(reply)


def _schedule():
    from datetime import time
    from zoneinfo import ZoneInfo

    return Schedule(time(8, 0), ZoneInfo("UTC"))


def test_topics_pages_show_the_most_active_first(store, tmp_path):
    many_topics(store, tmp_path, 45)
    commands = Commands(store, _schedule())
    chat = Chat(id=5)
    [first] = commands.handle(chat, "topics", [])
    assert "1–20 of 45</b>, the most active first" in first.text or "1–20 of 45, the most" in first.text
    names = re.findall(r"• (Topic \d+)", first.text)
    assert names[:3] == ["Topic 000", "Topic 001", "Topic 002"]  # this week's first
    assert "1 in the last 7 days" in first.text
    [nav] = [row for row in first.buttons if any("More ▸" in b.text for b in row)]
    [second] = commands.press(chat, nav[0].data)
    assert second.edit and re.findall(r"• (Topic \d+)", second.text)[0] == "Topic 020"
    toggle = second.buttons[0][0]
    [after] = commands.press(chat, toggle.data)  # a toggle keeps its page
    assert re.findall(r"• (Topic \d+)", after.text)[0] == "Topic 020"
    assert after.buttons[0][0].text.startswith("✅")
    assert [b.text for b in after.buttons[-1]] == ["◂ Back", "More ▸ (3/3)"]
    [keyboard] = commands.handle(chat, "topic", [])
    assert keyboard.text.startswith("Pick a topic (1–20 of 45")


def test_digest_gathers_small_topics_into_more_news(store, tmp_path):
    now = datetime.now(UTC)
    for number, topic in enumerate(["Politics"] * 4 + ["Cricket", "Weather", "Weather", "Space"], start=1):
        write_article(tmp_path, number, category=topic, when=now - timedelta(minutes=number))
    ingest(store, [str(tmp_path)], source_tz=KOLKATA)  # as write_article writes them
    sections = rank(group_by_topic(store.arrived(now - timedelta(days=1), now + timedelta(days=1)))).sections
    assert [(s.topic, len(s.articles)) for s in sections] == [("Politics", 4), (MORE_NEWS, 4)]
    [message] = digest_messages(sections, UTC, now.date())
    more = message[message.index(MORE_NEWS):]
    assert "· Cricket" in more and "· Weather" in more and "· Space" in more
    articles = store.arrived(now - timedelta(days=1), now + timedelta(days=1))
    alone = rank(group_by_topic(articles, {"politic", "space"}.__contains__)).sections
    assert [s.topic for s in alone] == ["Politics", "Space"]  # one small topic keeps its name
    # a digest of small topics only (ABC News' and MercoPress' day, 18 Feb 2026): nothing it is "more" than
    only_small = rank(group_by_topic(articles, {"cricket", "weather", "space"}.__contains__)).sections
    assert [(s.topic, len(s.articles)) for s in only_small] == [(ONLY_NEWS, 4)]
    assert MORE_NEWS not in digest_messages(only_small, UTC, now.date())[0]
