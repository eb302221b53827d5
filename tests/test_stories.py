"""The same story from several sources: stored once, shown once, with the other sources named."""

from datetime import UTC, datetime, timedelta

import pytest

from bot.formatting import article_html
from digests.digest import group_by_topic, render_text
from digests.ingest import ingest
from digests.links import canonical_link, headline_key
from tests.conftest import KOLKATA, write_article

DAY = datetime(2026, 2, 10, 6, 0, tzinfo=UTC)


@pytest.mark.parametrize(("link", "canonical"), [
    ("https://News.Example.org:443/a?utm_source=x&id=3&fbclid=y&gclid=z", "https://news.example.org/a?id=3"),
    ("https://x.org/a?b=1&c=2", "https://x.org/a?b=1&c=2"),
    ("http://x.org:8080", "http://x.org:8080/"),
    ("https://x.org/p?utm_medium=a&UTM_campaign=b#item-1", "https://x.org/p#item-1"),
    ("not a url", "not a url"),
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
                  when=DAY + timedelta(hours=1))  # the same source again: its own article
    report = ingest(store, [str(tmp_path / name) for name in "abcd"], source_tz=KOLKATA)
    assert (report.new, report.duplicate) == (3, 1)
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
