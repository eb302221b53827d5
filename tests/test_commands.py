"""What a group's member may change, checked on ``Commands`` itself (real SQLite): the rules behind the
refusals that tests/test_bot_controls.py sees through Telegram."""

from datetime import UTC, datetime, time

import pytest

from bot.commands import ADMINS_ONLY, Chat, Commands, topic_code
from digests.ingest import ingest
from digests.schedule import Schedule
from tests.conftest import KOLKATA, write_article

GROUP = -1005
MEMBER = Chat(GROUP, "supergroup", user_id=2, may_change=False)
ADMIN = Chat(GROUP, "supergroup", user_id=1)
OPERATOR = 77


@pytest.fixture
def commands(store, tmp_path):
    for number, topic in enumerate(["Global", "MSME"], start=1):
        write_article(tmp_path, number, category=topic)
    ingest(store, [str(tmp_path)], source_tz=KOLKATA)
    store.subscribe(GROUP, "supergroup", [store.find_topic("Global")], datetime.now(UTC), Schedule(time(8), KOLKATA))
    store.set_filters(GROUP, [], ["cricket"])
    return Commands(store, Schedule(time(8), KOLKATA), admin_ids=[OPERATOR])


def state(store):
    subscriber, filters = store.subscriber(GROUP), store.filters(GROUP)
    return (subscriber.active, subscriber.topic_keys, subscriber.digest_time, subscriber.timezone, filters.drop,
            store.target(GROUP))


CHANGING = ["/start", "/subscribe", "/subscribe MSME", "/unsubscribe", "/unsubscribe Global", "/time 07:00",
            "/timezone Europe/London", "/filter -x", "/filter clear", "/channel off", "/TIME 07:00", "/Subscribe"]
READING = ["/latest", "/topic Global", "/topics", "/settings", "/help", "/time", "/timezone", "/filter", "/channel",
           "/search rice", "/topic"]


@pytest.mark.parametrize("line", CHANGING)
def test_a_member_is_refused_what_would_change_the_digest(commands, store, line):
    name, *args = line[1:].split()
    before = state(store)
    assert commands.changes(name, args)
    assert [reply.text for reply in commands.handle(MEMBER, name, args)] == [ADMINS_ONLY]
    assert state(store) == before


@pytest.mark.parametrize("line", READING)
def test_a_member_may_read_and_look(commands, store, line):
    name, *args = line[1:].split()
    assert not commands.changes(name, args)
    replies = commands.handle(MEMBER, name, args)
    assert replies and ADMINS_ONLY not in [reply.text for reply in replies]


def test_an_administrator_changes_it(commands, store):
    [reply] = commands.handle(ADMIN, "TIMEZONE", ["Europe/London"])
    assert "Europe/London" in reply.text and store.subscriber(GROUP).timezone == "Europe/London"
    [reply] = commands.handle(ADMIN, "unsubscribe", [])
    assert "Unsubscribed" in reply.text and not store.subscriber(GROUP).active


def button_data(store) -> dict[str, str]:
    global_code, msme_code = topic_code("global"), topic_code("msme")
    return {"toggle": f"tt:{msme_code}", "toggle from settings": f"tt:{global_code}:s",
            "toggle on a topic page": f"ts:{msme_code}:5:-", "quick time": "st:07:00", "digest off": "sd:off",
            "digest on": "sd:on", "clear filters": "sf:clear"}


@pytest.mark.parametrize("button", ["toggle", "toggle from settings", "toggle on a topic page", "quick time",
                                    "digest off", "digest on", "clear filters"])
def test_a_member_is_refused_every_button_that_changes_the_digest(commands, store, button):
    data = button_data(store)[button]
    before = state(store)
    assert commands.press_changes(data)
    assert [reply.text for reply in commands.press(MEMBER, data)] == [ADMINS_ONLY]
    assert state(store) == before
    replies = commands.press(ADMIN, data)
    assert ADMINS_ONLY not in [reply.text for reply in replies] and state(store) != before


@pytest.mark.parametrize("data", [f"topic:{topic_code('global')}", "set:topics", "set:back", "m:*:5:1754550000000000.1"])
def test_a_member_may_press_the_buttons_that_only_show(commands, store, data):
    assert not commands.press_changes(data)
    replies = commands.press(MEMBER, data)
    assert replies and ADMINS_ONLY not in [reply.text for reply in replies]


def test_operator_commands_are_for_admin_ids_only_and_unknown_ones_are_named(commands):
    [help_text] = commands.handle(Chat(5, user_id=5), "stats", [])
    assert help_text.text.startswith("<b>Commands</b>")
    [figures] = commands.handle(Chat(OPERATOR, user_id=OPERATOR), "STATS", [])
    assert figures.text.startswith("Statistics")
    [unknown] = commands.handle(MEMBER, "Frobnicate", [])
    assert unknown.text == "I don't know /frobnicate. Send /help to see what I can do."



def test_latest_says_when_there_is_nothing_yet(store):
    [reply] = Commands(store, Schedule(time(8), KOLKATA)).handle(ADMIN, "latest", [])
    assert reply.text.startswith("No articles yet") and not reply.buttons


def test_latest_shows_the_newest_page_with_more_when_there_are_older(commands):
    [page] = commands.handle(ADMIN, "latest", ["1"])
    assert page.text.startswith("<b>Latest news</b>") and page.buttons[0][0].text == "More ▸"
    [whole] = commands.handle(ADMIN, "latest", [])
    assert whole.text.startswith("<b>Latest news</b>") and not whole.buttons
