"""/search in the store, on SQLite (FTS5) and PostgreSQL (tsvector): word forms, every word, user input as
words only, and the newest matches whatever order the articles arrived in."""

import random
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import select

from digests.models import Article
from digests.storage import NewArticle

NOW = datetime(2026, 3, 1, 12, 0, tzinfo=UTC)


def article(number: int, title: str, text: str = "", published: datetime = NOW, source: str = "wire") -> NewArticle:
    return NewArticle(source=source, link=f"https://example.org/{number}", title=title, published_at=published,
                      text=text or title, summary=title, topics=["Global"], external_id=str(number))


def titles(store, *words: str, limit: int = 10) -> list[str]:
    return [found.title for found in store.search(list(words), limit)]


def test_word_forms_match_and_every_word_must(store):
    store.add_articles([
        article(1, "Steel exporters welcome the policy", published=NOW - timedelta(hours=1)),
        article(2, "Rice exports rise", published=NOW - timedelta(hours=2)),
        article(3, "Export rules eased", published=NOW - timedelta(hours=3)),
        article(4, "Cricket league opens", text="Nothing about trade here.", published=NOW - timedelta(hours=4)),
    ], arrived_at=NOW)
    assert titles(store, "export") == ["Steel exporters welcome the policy", "Rice exports rise", "Export rules eased"]
    assert titles(store, "EXPORTING") == titles(store, "export")
    assert titles(store, "exports", "rice") == ["Rice exports rise"]
    assert titles(store, "trade") == ["Cricket league opens"]  # the text counts, not only the headline
    assert titles(store, "export", "cricket") == []
    assert titles(store, "export", limit=2) == ["Steel exporters welcome the policy", "Rice exports rise"]


def test_common_words_are_words_too(store):
    """Words such as "the" and "who" count like any other (PostgreSQL's English configuration would drop
    them, and then a search of only such words would find nothing, or they would not narrow a search)."""
    store.add_articles([article(1, "The Who plays tonight", published=NOW - timedelta(hours=1)),
                        article(2, "Who governs the port", published=NOW - timedelta(hours=2)),
                        article(3, "Plays of the season", published=NOW - timedelta(hours=3))], arrived_at=NOW)
    assert titles(store, "the", "who") == ["The Who plays tonight", "Who governs the port"]
    assert titles(store, "who", "plays") == ["The Who plays tonight"]
    assert titles(store, "the") == ["The Who plays tonight", "Who governs the port", "Plays of the season"]


BOTH, FIRST = ["Cricket league opens", "Opens with a bang"], ["Cricket league opens"]


@pytest.mark.parametrize(("typed", "expected"), [
    ('"opens', BOTH), ("opens*", BOTH), ("(opens", BOTH), ("opens:*", BOTH),  # punctuation round a word: the word
    ("opens & !league", FIRST), ("opens -league", FIRST),  # operators are not words; the words still count
    ("opens OR", []), ("NOT opens", []), ("NEAR(opens league)", []),  # OR, NOT and NEAR are words to find
    ("title:opens", []),  # not a column filter: the words "title" and "opens"
    ("<->", []), ("'", []),  # no word at all: nothing
])
def test_what_users_type_is_never_query_syntax(store, typed, expected):
    store.add_articles([article(1, "Cricket league opens"), article(2, "Opens with a bang", published=NOW - timedelta(1))],
                       arrived_at=NOW)
    assert titles(store, *typed.split()) == expected


@pytest.mark.parametrize("thresholds", ["as built", "small: every way taken"])
@pytest.mark.parametrize("order", ["arrival follows publication", "shuffled", "reversed"])
def test_newest_matches_first_whatever_order_they_arrived_in(store, monkeypatch, order, thresholds):
    """The answer is the newest matches by publication time, exactly, however article ids (the order of
    arrival) relate to it: a feed's newest item first, an archive copied in any order, a wrong date ahead.
    With small thresholds, every way of finding them is taken on these 300 articles (SQLite: sorting a few,
    pages by a range of ids or by each id, sorting a few thousand where ids do not follow dates)."""
    if thresholds != "as built":
        for name, value in (("FEW", 10), ("SORT_MOST", 100), ("RANGE_ROWS", 20), ("PAGES", (8, 32))):
            monkeypatch.setattr(store.search_index, name, value, raising=False)
    rng = random.Random(order)
    published = [NOW - timedelta(minutes=37 * n + rng.randrange(30)) for n in range(300)]
    published[5] = published[6]  # two at the same moment: the higher id first
    words = {n: ["every"] + (["half"] if n % 2 else []) + (["few"] if n % 50 == 7 else [])
             + (["old"] if n > 240 else []) for n in range(300)}
    items = [article(n, f"Story {n}", " ".join(words[n]), published[n]) for n in range(300)]
    if order == "shuffled":
        rng.shuffle(items)
    elif order == "reversed":
        items.reverse()
    items.insert(40, article(999, "Story 999", "every half few old", NOW + timedelta(days=30)))  # a wrong date
    for start in range(0, len(items), 50):
        store.add_articles(items[start:start + 50], arrived_at=NOW)
    with store.session() as session:  # the order of arrival: ids
        ids = dict(session.execute(select(Article.link, Article.id)).all())
    for query in (["every"], ["half"], ["few"], ["old"], ["every", "half"], ["half", "old"], ["none"]):
        for limit in (1, 5, 12):
            expected = sorted((item for item in items if all(word in item.text.split() for word in query)),
                              key=lambda item: (item.published_at, ids[item.link]), reverse=True)[:limit]
            assert [a.link for a in store.search(query, limit)] == [item.link for item in expected], (query, limit)


@pytest.mark.parametrize("way", ["few matches: all sorted", "many: newest first", "many, mostly old: walked, then sorted",
                                 "many, mostly old: sorted after a page without any",
                                 "many: newest first, each page's ids looked up one by one"])
def test_pages_of_matches_are_every_match_in_order(store, monkeypatch, way):
    """However the store finds them (sorting every match, or reading the articles newest first while the
    matches are many), a search's pages are the matches in the order readers see, page after page: the dated
    newest first (the higher id first at the same moment), then the undated (the last seen first) even where
    they were seen later than a dated one was published."""
    if way == "few matches: all sorted":
        monkeypatch.setattr(store.search_index, "few", lambda connection, words: True)
    else:
        monkeypatch.setattr(store.search_index, "few", lambda connection, words: False)
        monkeypatch.setattr(store.search_index, "PAGES", (2, 5, 1000) if way == "many: newest first" else (1, 2))
        monkeypatch.setattr(store.search_index, "SORT_AFTER_EMPTY_PAGE", way.endswith("without any"))
        if way.endswith("one by one"):  # SQLite: every page's range of ids holds more matches than this
            monkeypatch.setattr(store.search_index, "RANGE_ROWS", 0, raising=False)
    rng = random.Random(way)
    items = []
    for n in range(160):
        undated = n % 7 == 3
        published = NOW - timedelta(minutes=10 * (n // 3)) + (timedelta(days=3) if undated else timedelta())
        words = (["every"] + (["half"] if n % 2 else []) + (["few"] if n % 25 == 4 else [])
                 + (["old"] if n >= 130 else []) + (["unsure"] if undated else []))
        item = article(n, f"Story {n}", " ".join(words), published)
        item.date_known = not undated
        items.append(item)
    rng.shuffle(items)  # arrival (ids) in any order of publication; three at each moment
    for start in range(0, len(items), 40):
        store.add_articles(items[start:start + 40], arrived_at=NOW)
    with store.session() as session:
        ids = dict(session.execute(select(Article.link, Article.id)).all())
    for query in (["every"], ["half"], ["few"], ["old"], ["unsure"], ["every", "half", "old"], ["none"]):
        expected = [item.link for item in sorted(
            (item for item in items if all(word in item.text.split() for word in query)),
            key=lambda item: (item.date_known, item.published_at, ids[item.link]), reverse=True)]
        for size in (1, 4, 11):
            assert [a.link for a in store.search(query, size)] == expected[:size], (query, size)
            pages, after = [], None
            while page := store.search(query, size, after):
                pages += [a.link for a in page]
                after = (page[-1].date_known, page[-1].published_at, page[-1].id)
                assert len(pages) <= len(expected)
            assert pages == expected, (query, size)


def test_an_article_edited_or_deleted_is_found_as_it_is_now(store):
    """Whatever writes the articles (a hand-made fix, a clean-up of old news), /search finds what is stored:
    SQLite's FTS5 triggers and PostgreSQL's article_search triggers and foreign key keep the index right."""
    store.add_articles([article(1, "Monsoon floods Kerala", published=NOW - timedelta(hours=1)),
                        article(2, "Monsoon reaches Goa", published=NOW - timedelta(hours=2)),
                        article(3, "Exporters meet", published=NOW - timedelta(hours=3))], arrived_at=NOW)
    with store.session() as session, session.begin():
        [first, goa] = session.scalars(select(Article).where(Article.external_id.in_(["1", "2"]))
                                       .order_by(Article.external_id))
        first.title, first.text = "Rain floods Kochi", "Rain all week in Kochi."
        goa.published_at = NOW  # a date corrected: now the newest
        session.delete(session.scalars(select(Article).where(Article.external_id == "3")).one())
    assert titles(store, "kochi") == ["Rain floods Kochi"] and titles(store, "kerala") == []
    assert titles(store, "monsoon") == ["Monsoon reaches Goa"]
    assert titles(store, "rain") == ["Rain floods Kochi"] and titles(store, "exporters") == []
    store.add_articles([article(4, "Monsoon returns", published=NOW - timedelta(minutes=5))], arrived_at=NOW)
    assert titles(store, "monsoon") == ["Monsoon reaches Goa", "Monsoon returns"]
