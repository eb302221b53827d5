"""The real python-telegram-bot Application, long-polling the fake Bot API server over 127.0.0.1."""

from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import text

from bot.commands import COMMAND_MENU
from bot.delivery import send_digests
from digests.ingest import ingest
from tests.conftest import KOLKATA, Reader, days_ago, wait_for, write_article

pytestmark = pytest.mark.asyncio


def ingest_folder(store, folder, now=None):
    return ingest(store, [str(folder)], source_tz=KOLKATA, now=now)


async def test_command_menu_registered_at_start(running_bot, fake_api):
    assert [c["command"] for c in fake_api.commands] == [name for name, _ in COMMAND_MENU]


async def test_start_welcomes_and_subscribes(running_bot, reader, store):
    [welcome] = await reader.ask("/start")
    assert "Welcome" in welcome.plain and "daily digest" in welcome.plain
    assert welcome.params["parse_mode"] == "HTML"
    assert welcome.params["link_preview_options"] == {"is_disabled": True}
    assert store.subscriber(reader.chat_id).active


async def test_help_lists_every_command(running_bot, reader):
    [answer] = await reader.ask("/help")
    for name, _ in COMMAND_MENU:
        assert f"/{name}" in answer.plain


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
    assert "Topics: Global, MSME." in answer.plain
    [answer] = await reader.ask("/subscribe Weather")
    assert "Unknown topic: Weather" in answer.plain and "Global, MSME, Policy" in answer.plain
    [answer] = await reader.ask("/unsubscribe MSME")
    assert "Topics: Global." in answer.plain
    [answer] = await reader.ask("/settings")
    assert "Daily digest: on" in answer.plain and "Topics: Global." in answer.plain
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


async def test_digest_pushed_to_subscribers_exactly_once(running_bot, fake_api, store, tmp_path):
    global_reader, msme_reader, gone = Reader(fake_api, 2001), Reader(fake_api, 2002), Reader(fake_api, 2003)
    await global_reader.ask("/start")
    await msme_reader.ask("/start")
    await gone.ask("/start")
    write_article(tmp_path, 1, category="Global", title="Global story")
    write_article(tmp_path, 2, category="MSME", title="MSME story")
    ingest_folder(store, tmp_path)
    await msme_reader.ask("/subscribe MSME")
    fake_api.blocked_chats.add(2003)
    before = {chat: len(fake_api.messages_to(chat)) for chat in (2001, 2002)}

    job = running_bot.job_queue.get_jobs_by_name("digest")[0]
    await job.run(running_bot)  # the scheduled job, run now
    first = {chat: fake_api.messages_to(chat)[before[chat]:] for chat in (2001, 2002)}
    assert len(first[2001]) == 1 and len(first[2002]) == 1
    assert "Global story" in first[2001][0].plain and "MSME story" in first[2001][0].plain
    assert "MSME story" in first[2002][0].plain and "Global story" not in first[2002][0].plain
    assert store.subscriber(2003).active is False  # blocked the bot: no more sends

    report = await send_digests(running_bot.bot, store, KOLKATA)  # e.g. `newsdigest digest --send` later that day
    assert report.delivered == 0 and report.already_sent == 2
    for chat in (2001, 2002):
        assert len(fake_api.messages_to(chat)) == before[chat] + 1


async def test_next_digest_carries_only_what_arrived_since(running_bot, fake_api, store, tmp_path):
    chat = Reader(fake_api, 3001)
    await chat.ask("/start")
    day_one = datetime.now(UTC) - timedelta(days=1)
    write_article(tmp_path / "a", 1, title="Old news")
    ingest_folder(store, tmp_path / "a", now=day_one - timedelta(hours=1))
    await send_digests(running_bot.bot, store, KOLKATA, now=day_one)
    write_article(tmp_path / "b", 2, title="Fresh news")
    ingest_folder(store, tmp_path / "b")
    await send_digests(running_bot.bot, store, KOLKATA)
    digests = [m.plain for m in fake_api.messages_to(3001)[1:]]
    assert len(digests) == 2
    assert "Old news" in digests[0] and "Fresh news" not in digests[0]
    assert "Fresh news" in digests[1] and "Old news" not in digests[1]


async def test_nothing_new_sends_nothing(running_bot, fake_api, store):
    chat = Reader(fake_api, 4001)
    await chat.ask("/start")
    report = await send_digests(running_bot.bot, store, KOLKATA)
    assert report.nothing_new == 1 and len(fake_api.messages_to(4001)) == 1


async def test_large_digest_split_into_messages_telegram_accepts(running_bot, fake_api, store, tmp_path):
    chat = Reader(fake_api, 5001)
    await chat.ask("/start")
    for number in range(60):
        write_article(tmp_path, number, category=f"Topic {number % 3}", title=f"Story {number} " + "&<>" * 20,
                      body="<p>" + "Long words & <b>bold</b> claims. " * 30 + "</p>")
    ingest_folder(store, tmp_path)
    report = await send_digests(running_bot.bot, store, KOLKATA)
    assert report.delivered == 1 and report.messages > 1
    assert fake_api.errors == []
    text = "".join(m.plain for m in fake_api.messages_to(5001)[1:])
    assert all(f"Story {number} " in text for number in range(60))


async def test_digest_job_scheduled_at_digest_time(running_bot, settings):
    job = running_bot.job_queue.get_jobs_by_name("digest")[0]
    next_run = job.next_t.astimezone(KOLKATA)
    assert (next_run.hour, next_run.minute) == (settings.digest_time.hour, settings.digest_time.minute)
    assert timedelta(0) < job.next_t - datetime.now(UTC) <= timedelta(days=1)


async def test_a_failing_handler_is_logged_and_answered_with_an_apology(running_bot, reader, store, caplog):
    with store.engine.begin() as connection:  # the database loses a table under the running bot
        connection.execute(text("ALTER TABLE articles RENAME TO articles_gone"))
    [answer] = await reader.ask("/latest")
    assert "Sorry, something went wrong" in answer.plain
    assert "no such table: articles" in caplog.text
    [answer] = await reader.ask("/help")  # and the bot goes on
    assert "/latest" in answer.plain
