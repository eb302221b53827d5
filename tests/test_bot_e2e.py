"""The real python-telegram-bot Application, long-polling the fake Bot API server over 127.0.0.1."""

import pytest
from sqlalchemy import text

from digests.ingest import ingest
from tests.conftest import KOLKATA, Reader, days_ago, write_article

pytestmark = pytest.mark.asyncio


def ingest_folder(store, folder, now=None):
    return ingest(store, [str(folder)], source_tz=KOLKATA, now=now)


# The menu users see in Telegram, as the README documents it (operators' /stats and /sources are not in it).
EXPECTED_MENU = [
    ("start", "Welcome, and subscribe to the daily digest"),
    ("help", "What the bot can do"),
    ("latest", "The most recent articles: /latest [n]"),
    ("topic", "Recent articles of one topic: /topic <name> [n]"),
    ("topics", "The topics with their article counts"),
    ("subscribe", "Get the daily digest: /subscribe [topic ...]"),
    ("unsubscribe", "Stop the digest or drop topics: /unsubscribe [topic ...|all]"),
    ("time", "When the daily digest comes: /time HH:MM"),
    ("timezone", "The digest's timezone: /timezone Area/City"),
    ("search", "Recent articles with all these words: /search <words>"),
    ("filter", "Keep or drop digest items by word: /filter +word -word, /filter clear"),
    ("settings", "Time, timezone, topics and filters, with buttons"),
    ("channel", "Send the digest to a channel: /channel @name, /channel off"),
]


async def test_command_menu_registered_at_start(running_bot, fake_api):
    assert [(c["command"], c["description"]) for c in fake_api.commands] == EXPECTED_MENU


async def test_start_welcomes_and_subscribes(running_bot, reader, store):
    [welcome] = await reader.ask("/start")
    assert "Welcome" in welcome.plain and "daily digest" in welcome.plain
    assert welcome.params["parse_mode"] == "HTML"
    assert welcome.params["link_preview_options"] == {"is_disabled": True}
    assert store.subscriber(reader.chat_id).active


async def test_help_lists_every_command(running_bot, reader):
    [answer] = await reader.ask("/help")
    assert answer.plain.splitlines() == ["Commands", *(f"/{name}: {text}" for name, text in EXPECTED_MENU)]


async def test_latest_and_topic_show_headline_date_and_link(running_bot, reader, store, sample_file):
    ingest(store, [str(sample_file)], source_tz=KOLKATA)
    link = store.latest(1)[0].link
    for command in ("/latest", "/topic Global", "/topic global"):
        [answer] = await reader.ask(command)
        assert "India And Russia Hold 11th Session On Industrial Cooperation In New Delhi" in answer.plain
        assert "7 Aug 2025" in answer.plain
        assert f'href="{link}"' in answer.text
        assert "India and Russia convened the 11th Session" in answer.plain
        assert "New Delhi, Aug 7 (KNN)" not in answer.plain


async def test_a_link_with_quotes_angle_brackets_and_ampersands_stays_one_working_link(running_bot, reader, store,
                                                                                     tmp_path):
    link = 'https://example.org/news/"quoted"<b>&amp;?a=1&b=<2>&c="3"'
    write_article(tmp_path, 1, title='Tom & "Jerry" <live>', link=link)
    ingest_folder(store, tmp_path)
    [answer] = await reader.ask("/latest")
    assert answer.links == [('Tom & "Jerry" <live>', link)]  # the fake refuses a malformed href outright


async def test_latest_counts(running_bot, reader, store, tmp_path):
    for number in range(1, 26):
        write_article(tmp_path / "news", number, when=days_ago(number / 24))
    ingest_folder(store, tmp_path / "news")
    [answer] = await reader.ask("/latest")
    assert answer.plain.count("Headline number") == 5
    assert answer.plain.index("Headline number 1\n") < answer.plain.index("Headline number 2\n")
    answers = await reader.ask("/latest 20")
    assert sum(a.plain.count("Headline number") for a in answers) == 20


@pytest.mark.parametrize(("command", "expected"), [
    ("/latest abc", "“abc” is not a number"),
    ("/latest 999", "1 to 20 articles"),
    ("/latest 0", "1 to 20 articles"),
    ("/topic Global lots", "There is no topic called “Global lots”"),
])
async def test_bad_arguments_get_a_helpful_reply(running_bot, reader, store, sample_file, command, expected):
    ingest(store, [str(sample_file)], source_tz=KOLKATA)
    [answer] = await reader.ask(command)
    assert expected in answer.plain


async def test_unknown_topic_lists_the_available_ones(running_bot, reader, store, tmp_path):
    write_article(tmp_path, 1, category="Global")
    write_article(tmp_path, 2, category="MSME")
    ingest_folder(store, tmp_path)
    [answer] = await reader.ask("/topic Sports")
    assert "no topic called “Sports”" in answer.plain
    assert "Global, MSME" in answer.plain


async def test_topic_without_name_offers_buttons(running_bot, reader, store, fake_api, tmp_path):
    write_article(tmp_path, 1, category="Global")
    write_article(tmp_path, 2, category="MSME & Startups")
    ingest_folder(store, tmp_path)
    [keyboard] = await reader.ask("/topic")
    assert [b["text"] for b in keyboard.buttons] == ["Global (1)", "MSME & Startups (1)"]
    [answer] = await reader.press(keyboard, "MSME & Startups (1)")
    assert "Latest in MSME & Startups" in answer.plain and "Headline number 2" in answer.plain
    assert fake_api.calls("answerCallbackQuery")


async def test_topics_lists_counts(running_bot, reader, store, tmp_path):
    for number, topic in enumerate(["Global", "Global", "MSME"]):
        write_article(tmp_path, number, category=topic)
    ingest_folder(store, tmp_path)
    [answer] = await reader.ask("/topics")
    assert "Global: 2 articles" in answer.plain and "MSME: 1 article" in answer.plain


async def test_subscribe_unsubscribe_and_settings(running_bot, reader, store, tmp_path):
    for number, topic in enumerate(["Global", "MSME", "Policy"]):
        write_article(tmp_path, number, category=topic)
    ingest_folder(store, tmp_path)
    [answer] = await reader.ask("/subscribe msme, global")
    assert "Topics: only Global, MSME (new topics not included)." in answer.plain
    [answer] = await reader.ask("/subscribe Weather")
    assert "Unknown topic: Weather" in answer.plain and "Global, MSME, Policy" in answer.plain
    assert "For example: /subscribe Global" in answer.plain
    [answer] = await reader.ask("/unsubscribe MSME")
    assert "Topics: only Global (new topics not included)." in answer.plain
    [answer] = await reader.ask("/settings")
    assert "Daily digest: on" in answer.plain and "Topics: only Global (new topics not included)." in answer.plain
    [answer] = await reader.ask("/unsubscribe all")
    assert "no more daily digests" in answer.plain
    [answer] = await reader.ask("/settings")
    assert "Daily digest: off" in answer.plain
    assert store.active_subscribers() == []


async def test_unknown_command_in_private_chat(running_bot, reader):
    [answer] = await reader.ask("/frobnicate")
    assert "I don't know /frobnicate" in answer.plain


async def test_group_commands_addressed_to_the_bot(running_bot, fake_api, store, sample_file):
    ingest(store, [str(sample_file)], source_tz=KOLKATA)
    group = Reader(fake_api, chat_id=-100500, chat_type="supergroup")
    [answer] = await group.ask("/latest@newsdigest_test_bot")
    assert "India And Russia" in answer.plain


async def test_a_failing_handler_is_logged_and_answered_with_an_apology(running_bot, reader, store, caplog):
    with store.engine.begin() as connection:  # the database loses a table under the running bot
        connection.execute(text("ALTER TABLE articles RENAME TO articles_gone"))
    [answer] = await reader.ask("/latest")
    assert "Sorry, something went wrong" in answer.plain
    assert "no such table: articles" in caplog.text or 'relation "articles" does not exist' in caplog.text
    [answer] = await reader.ask("/help")  # and the bot goes on
    assert "/latest" in answer.plain
