"""Sources: URLs over real HTTP on 127.0.0.1, the sources file, drop folders, and the admins' alert."""

from __future__ import annotations

import io
import os
import sys
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from bot.alerts import alert_failing_sources
from bot.app import make_delivery_bot
from digests.fetching import Fetcher, next_attempt
from digests.ingest import ingest
from digests.sources import Source, SourcesFileError, load_sources_file
from tests.conftest import KOLKATA, write_article
from tests.feedserver import FeedServer, Route

RSS = """<?xml version="1.0" encoding="{encoding}"?>
<rss version="2.0"><channel><title>Wire</title><link>https://wire.example/</link>
<item><title>{title}</title><link>https://wire.example/{n}</link><pubDate>2025-08-07 14:42:28</pubDate></item>
</channel></rss>"""
T0 = datetime(2026, 3, 1, 12, 0, tzinfo=UTC)


def rss(n: int = 1, title: str = "Headline", encoding: str = "utf-8") -> bytes:
    return RSS.format(n=n, title=title, encoding=encoding).encode(encoding, "replace")


@pytest.fixture
def server():
    server = FeedServer()
    server.start()
    yield server
    server.stop()


@pytest.fixture
def fetcher():
    with Fetcher(agent="newsdigest/test (+https://example.org/contact)", timeout=2, max_bytes=100_000) as fetcher:
        yield fetcher


def poll(store, source, fetcher, now=T0, **kw):
    return ingest(store, [source], source_tz=KOLKATA, fetcher=fetcher, now=now, poll_minutes=30, **kw)


def test_url_source_conditional_get_and_honest_user_agent(store, server, fetcher):
    server.routes["/feed"] = Route(rss(), headers={"ETag": '"v1"', "Last-Modified": "Sun, 01 Mar 2026 10:00:00 GMT",
                                                   "Content-Type": "application/rss+xml"})
    source = Source(server.url("/feed"), name="wire", topic="Wires")
    first = poll(store, source, fetcher)
    assert (first.new, first.rejected) == (1, [])
    [article] = store.latest(1)
    assert article.source == "wire" and article.topic_names == ["Wires"]  # the source's default topic
    assert article.published_at == datetime(2025, 8, 7, 9, 12, 28, tzinfo=UTC)  # naive date: SOURCE_TIMEZONE
    second = poll(store, source, fetcher, now=T0 + timedelta(hours=1))
    assert (second.new, second.duplicate, second.rejected) == (0, 0, [])
    (_, headers1), (_, headers2) = server.requests
    assert headers1["user-agent"] == "newsdigest/test (+https://example.org/contact)"
    assert "if-none-match" not in headers1
    assert headers2["if-none-match"] == '"v1"'
    assert headers2["if-modified-since"] == "Sun, 01 Mar 2026 10:00:00 GMT"
    state = store.source_state("wire")
    assert state.etag == '"v1"' and state.consecutive_failures == 0


def test_http_charset_and_redirects(store, server, fetcher):
    server.routes["/latin"] = Route(rss(title="Caf\u00e9 cr\u00e8me", encoding="iso-8859-1").replace(
        b'encoding="iso-8859-1"', b'encoding="utf-8"'), headers={"Content-Type": "text/xml; charset=iso-8859-1"})
    server.routes["/moved"] = Route(redirect_to="/latin")
    report = poll(store, Source(server.url("/moved"), name="latin"), fetcher)
    assert report.new == 1
    assert store.latest(1)[0].title == "Caf\u00e9 cr\u00e8me"  # the HTTP charset beats the wrong declaration


def test_an_http_charset_cannot_route_a_document_into_utf7(store, server, fetcher):
    """Served as UTF-7, "+ADw-!ENTITY" is an entity declaration to feedparser: the feed is refused for its
    encoding. Article XML is read as it declares itself (lxml never sees the HTTP charset): no entity there."""
    hidden = '<!DOCTYPE {} [+ADw-!ENTITY leak "EXPANDED">]>'
    feed = rss(title="t &amp;leak;").replace(b"?>", b"?>" + hidden.format("rss").encode(), 1)
    article = ('<?xml version="1.0" encoding="utf-8"?>' + hidden.format("root")
               + "<root><title>t &leak;</title><link>https://wire.example/a</link></root>").encode()
    utf7 = {"Content-Type": "application/xml; charset=utf-7"}
    server.routes["/feed"], server.routes["/article"] = Route(feed, headers=utf7), Route(article, headers=utf7)
    report = poll(store, Source(server.url("/feed"), name="feed"), fetcher)
    assert [r.reason for r in report.rejected] == [
        "the utf-7 encoding is not accepted: markup can hide in it from the entity check"]
    report = poll(store, Source(server.url("/article"), name="article"), fetcher)
    assert report.new == 0 and "not well-formed XML" in report.rejected[0].reason
    assert store.article_count() == 0


@pytest.mark.parametrize(("route", "reason"), [
    (Route(status=500), "HTTP 500"),
    (Route(redirect_to="/bad"), "too many redirects"),
    (Route(endless=True), "response too large"),
    (Route(b"x" * 200_000), "response too large (200000 bytes"),
    (Route(rss() + b" " * 8000, drip_seconds=0.3), "timed out"),
    (Route(b"<html><body>Not a feed</body></html>"), "no article found"),
])
def test_failing_url_is_reported_with_its_reason_and_backs_off(store, server, fetcher, route, reason):
    server.routes["/bad"] = route
    source = Source(server.url("/bad"), name="bad")
    report = poll(store, source, fetcher)
    assert report.new == 0
    assert [r.path for r in report.rejected] == [source.location]
    assert reason in report.rejected[0].reason
    if "no article" in reason:
        return  # fetched fine: the feed was bad, not the source
    state = store.source_state("bad")
    assert state.consecutive_failures == 1 and state.first_failure_at == T0
    assert state.next_attempt_at == T0 + timedelta(minutes=30)


def test_backoff_doubles_and_polls_wait_for_their_time(store, server, fetcher):
    server.routes["/down"] = Route(status=503)
    source = Source(server.url("/down"), name="down", poll_minutes=10)
    poll(store, source, fetcher)
    assert poll(store, source, fetcher, now=T0 + timedelta(minutes=5), on_schedule=True).not_due == 1
    assert len(server.requests) == 1
    poll(store, source, fetcher, now=T0 + timedelta(minutes=10), on_schedule=True)
    state = store.source_state("down")
    assert state.consecutive_failures == 2
    assert state.next_attempt_at == T0 + timedelta(minutes=10 + 20)
    assert next_attempt(T0, timedelta(minutes=30), 20) == T0 + timedelta(hours=6)  # capped
    server.routes["/down"] = Route(rss())
    poll(store, source, fetcher, now=T0 + timedelta(minutes=30), on_schedule=True)
    state = store.source_state("down")
    assert (state.consecutive_failures, state.first_failure_at, state.last_error) == (0, None, None)


async def test_a_day_of_failures_alerts_each_admin_once(store, server, fetcher, settings, fake_api):
    server.routes["/down"] = Route(status=500)
    source = Source(server.url("/down"), name="down <wire>")
    poll(store, source, fetcher)
    async with make_delivery_bot(settings) as bot:  # the bot's own defaults: HTML
        assert await alert_failing_sources(bot, store, [501, 502], now=T0 + timedelta(hours=23)) == 0
        poll(store, source, fetcher, now=T0 + timedelta(hours=24))
        assert await alert_failing_sources(bot, store, [501, 502], now=T0 + timedelta(hours=24)) == 1
        poll(store, source, fetcher, now=T0 + timedelta(hours=30))
        assert await alert_failing_sources(bot, store, [501, 502], now=T0 + timedelta(hours=30)) == 0
    for admin in (501, 502):
        [message] = fake_api.messages_to(admin)
        assert message.params["parse_mode"] == "HTML" and "<b>down &lt;wire&gt;</b>" in message.text
        assert message.plain.startswith("⚠️ Source down <wire> has been failing since 2026-03-01 12:00 UTC")
        assert "HTTP 500" in message.plain and source.location in message.plain


def test_sources_file(tmp_path):
    path = tmp_path / "sources.toml"
    path.write_text('[sources.knn]\nlocation = "/srv/knn"\ntopic = " India "\ntimezone = "Asia/Kolkata"\n\n'
                    '[sources.wire]\nlocation = "https://wire.example/feed"\npoll_minutes = 15\n')
    knn, wire = load_sources_file(path)
    assert (knn.name, knn.location, knn.topic, knn.timezone) == ("knn", "/srv/knn", "India", ZoneInfo("Asia/Kolkata"))
    assert (wire.is_url, wire.poll_minutes, wire.topic) == (True, 15, None)


@pytest.mark.parametrize(("text", "message"), [
    ("[sources.a]\ntopic = 'x'\n", "needs location"),
    ("[sources.a]\nlocation = 'x'\ntimezone = 'Mars/Base'\n", "not an IANA name"),
    ("[sources.a]\nlocation = 'x'\npoll_minutes = 0\n", "poll_minutes"),
    ("[sources.a]\nlocation = 'x'\nlocaton = 'y'\n", "unknown keys: locaton"),
    ("sources = [", "not valid TOML"),
    ("", "no [sources.NAME] tables"),
])
def test_sources_file_errors_are_clear(tmp_path, text, message):
    path = tmp_path / "sources.toml"
    path.write_text(text)
    with pytest.raises(SourcesFileError, match=message.replace("[", r"\[")):
        load_sources_file(path)


def test_example_sources_file_loads():
    example = Path(__file__).resolve().parents[1] / "examples" / "sources.toml"
    assert [s.name for s in load_sources_file(example)]


def test_configured_folder_source_gives_its_name_timezone_and_topic(store, tmp_path):
    drop = tmp_path / "drop"
    (drop).mkdir()
    (drop / "a.xml").write_text("<root><title>T</title><link>https://x.example/t</link>"
                                "<date>2025-08-07 14:42:28</date></root>")
    ingest(store, [Source(str(drop), name="desk", topic="Local", timezone=ZoneInfo("UTC"))], source_tz=KOLKATA)
    [article] = store.latest(1)
    assert (article.source, article.topic_names) == ("desk", ["Local"])
    assert article.published_at == datetime(2025, 8, 7, 14, 42, 28, tzinfo=UTC)


def test_drop_folder_reads_each_file_once_and_waits_for_files_being_written(store, tmp_path):
    drop = tmp_path / "drop"
    old = write_article(drop, 1)
    past = time.time() - 60
    os.utime(old, (past, past))
    fresh = write_article(drop, 2)
    (drop / "3.xml.part").write_text("<root><title>half")
    first = ingest(store, [str(drop)], source_tz=KOLKATA, settle_seconds=10)
    assert (first.new, first.waiting) == (1, 1)
    os.utime(fresh, (past, past))
    second = ingest(store, [str(drop)], source_tz=KOLKATA, settle_seconds=10)
    assert (second.new, second.unchanged, second.duplicate) == (1, 1, 0)
    fresh.write_text(fresh.read_text().replace("Headline number 2", "Headline number 2, corrected"))
    os.utime(fresh, (past + 1, past + 1))
    third = ingest(store, [str(drop)], source_tz=KOLKATA, settle_seconds=10)
    assert (third.duplicate, third.unchanged) == (1, 1)  # changed, so read again


def test_drop_folder_moves_done_and_rejected_files_and_keeps_the_reasons(store, tmp_path):
    drop = tmp_path / "drop"
    write_article(drop / "sub", 1)
    (drop / "broken.xml").write_text("<root><title>oops")
    report = ingest(store, [str(drop)], source_tz=KOLKATA, move_files=True)
    assert report.new == 1 and len(report.rejected) == 1
    assert (drop / "done" / "sub" / "1.xml").is_file()
    assert (drop / "rejected" / "broken.xml").is_file()
    assert not (drop / "broken.xml").exists()
    [rejected] = store.rejected_files()
    assert rejected.path.endswith("rejected/broken.xml") and "not well-formed XML" in rejected.reason
    again = ingest(store, [str(drop)], source_tz=KOLKATA, move_files=True)
    assert (again.new, again.rejected, again.unchanged) == (0, [], 0)  # moved files are not looked at again


def test_a_broken_link_in_a_drop_folder_is_passed_over_quietly(store, tmp_path):
    write_article(tmp_path / "drop", 1)
    (tmp_path / "drop" / "gone.xml").symlink_to(tmp_path / "nowhere.xml")
    report = ingest(store, [str(tmp_path / "drop")], source_tz=KOLKATA)
    assert (report.new, report.rejected) == (1, [])


def test_a_file_that_cannot_be_moved_stays_recorded_where_it_is(store, tmp_path):
    drop = tmp_path / "drop"
    write_article(drop, 1)
    (drop / "broken.xml").write_text("<root><title>oops")
    (drop / "done").write_text("not a folder")  # so nothing can be moved into done/
    report = ingest(store, [str(drop)], source_tz=KOLKATA, move_files=True)
    assert report.new == 1 and len(report.rejected) == 1
    assert (drop / "1.xml").is_file() and (drop / "rejected" / "broken.xml").is_file()
    again = ingest(store, [str(drop)], source_tz=KOLKATA, move_files=True)
    assert (again.new, again.duplicate, again.unchanged) == (0, 0, 1)  # the ledger knows it where it stayed
    [rejected] = store.rejected_files()
    assert rejected.path.endswith("rejected/broken.xml")


def test_settings_for_sources(tmp_path):
    from bot.settings import SettingsError, load_settings

    path = tmp_path / "sources.toml"
    path.write_text('[sources.wire]\nlocation = "https://wire.example/feed"\n')
    settings = load_settings({"SOURCES_FILE": str(path), "NEWS_SOURCES": "a,https://b.example/x?y=1",
                              "ADMIN_IDS": "12, 34", "HTTP_CONTACT": "ops@example.org",
                              "MOVE_INGESTED_FILES": "yes"}, env_file="")
    assert [getattr(s, "name", s) for s in settings.sources] == ["a", "https://b.example/x?y=1", "wire"]
    assert settings.admin_ids == [12, 34] and settings.move_ingested_files
    assert settings.user_agent.startswith("newsdigest/") and settings.user_agent.endswith(" (+ops@example.org)")
    for bad, message in [({"ADMIN_IDS": "me"}, "ADMIN_IDS"), ({"SOURCES_FILE": str(tmp_path / "none.toml")},
                                                               "SOURCES_FILE: cannot read"),
                         ({"MOVE_INGESTED_FILES": "maybe"}, "true or false")]:
        with pytest.raises(SettingsError, match=message):
            load_settings(bad, env_file="")


def test_summary_line_names_reasons_and_sources(store, tmp_path):
    write_article(tmp_path / "desk", 1)
    (tmp_path / "desk" / "bad.xml").write_text("<root>")
    report = ingest(store, [str(tmp_path / "desk"), str(tmp_path / "gone")], source_tz=KOLKATA)
    assert report.full_line() == ("1 new, 0 duplicate, 2 rejected (no such file or folder: 1, not well-formed XML: 1)"
                                  " | desk: 1 new, 1 rejected | gone: 1 rejected")


class _Terminal(io.StringIO):
    def isatty(self) -> bool:
        return True


@pytest.mark.parametrize(("files", "terminal", "shown"), [(120, True, True), (120, False, False), (5, True, False)])
def test_progress_bar_on_large_batches_at_a_terminal(store, tmp_path, monkeypatch, files, terminal, shown):
    for number in range(files):
        (tmp_path / f"{number}.xml").write_text(f"<root><title>T{number}</title><link>https://x.example/{number}</link></root>")
    stream = _Terminal() if terminal else io.StringIO()
    monkeypatch.setattr(sys, "stderr", stream)
    assert ingest(store, [str(tmp_path)], source_tz=KOLKATA, progress=True).new == files
    assert (f"{files}/{files}" in stream.getvalue()) == shown


async def test_ingest_job_alerts_the_admins_of_a_source_down_for_a_day(store, server, settings, fake_api):
    """The running bot's ingest job polls the failing URL and sends the admins the one alert."""
    import dataclasses

    from telegram import Update

    from bot.app import build_application
    from tests.conftest import wait_for

    server.routes["/down"] = Route(status=502)
    url = server.url("/down")
    store.record_poll("down.example", url, datetime.now(UTC) - timedelta(days=2),
                      datetime.now(UTC) - timedelta(hours=1), error="HTTP 502 Bad Gateway")
    settings = dataclasses.replace(settings, configured_sources=[Source(url, name="down.example")], admin_ids=[777])
    application = build_application(settings, store)
    await application.initialize()
    await application.updater.start_polling(poll_interval=0.0, timeout=1, allowed_updates=Update.ALL_TYPES)
    await application.start()
    try:
        [alert] = await wait_for(lambda: fake_api.messages_to(777), what="the admin alert")
        assert "down.example" in alert.text and "HTTP 502" in alert.text
        # The job records the alert once Telegram has taken the message, so the record follows the message's
        # arrival by a moment: wait for it (a crash in between only repeats the alert, it never loses it).
        await wait_for(lambda: store.source_state("down.example").alerted, what="the alert recorded")
        assert len(server.requests) == 1 and server.requests[0][1]["user-agent"].startswith("newsdigest/")
    finally:
        await application.updater.stop()
        await application.stop()
        await application.shutdown()


def test_files_without_a_source_are_named_after_their_folder_not_a_date_folder(store, tmp_path):
    for folder in ("knn/2025/08/06", "knn/2025/08/07"):
        write_article(tmp_path / "crawler" / folder, int(folder[-1]), source=None)
    write_article(tmp_path / "drop" / "pti", 1, source=None)
    write_article(tmp_path / "drop" / "pti" / "2025-08-07", 2, source=None)
    report = ingest(store, [str(tmp_path / "crawler" / "knn"), str(tmp_path / "drop")], source_tz=KOLKATA)
    assert report.new == 4
    assert sorted(a.source for a in store.latest(10)) == ["knn", "knn", "pti", "pti"]
    assert report.full_line().endswith("| knn: 2 new | pti: 2 new")


def test_a_fetched_feeds_relative_links_are_read_against_its_address(store, server, fetcher):
    """A feed that names no site of its own: its items' bare paths lead to the host it was fetched from (after
    its redirect), not nowhere."""
    server.routes["/feeds/all.rss"] = Route(
        b'<?xml version="1.0" encoding="utf-8"?><rss version="2.0"><channel><title>Memo</title>'
        b"<item><title>Jury out a second day</title><link>/news/no-verdict</link>"
        b"<pubDate>Thu, 07 Aug 2025 14:42:28 +0530</pubDate></item></channel></rss>")
    server.routes["/old-feed"] = Route(redirect_to="/feeds/all.rss")
    report = poll(store, Source(server.url("/old-feed"), name="memo"), fetcher)
    assert (report.new, report.rejected) == (1, [])
    assert [article.link for article in store.latest(5)] == [server.url("/news/no-verdict")]
