"""Buttons, deep links, paging, filters, search, groups and operators, end to end through the fake Bot API."""

import re
from urllib.parse import parse_qs, urlsplit

import pytest

from bot.app import make_delivery_bot
from bot.commands import start_parameter
from bot.delivery import DigestService, Limits
from digests.ingest import ingest
from tests.conftest import KOLKATA, Reader, days_ago, wait_for, write_article

pytestmark = pytest.mark.asyncio


def ingest_folder(store, folder):
    return ingest(store, [str(folder)], source_tz=KOLKATA)


def button_texts(sent) -> list[str]:
    return [b["text"] for b in sent.buttons]


async def press_and_wait_edit(reader: Reader, sent, button_text: str):
    """Press a button whose answer edits the message in place; returns the edited message."""
    fake = reader.fake
    before = len(fake.edits_to(reader.chat_id))
    sent_before = len(fake.messages_to(reader.chat_id))
    fake.user_presses(sent, button_text, user_id=reader.user_id)
    await wait_for(lambda: len(fake.edits_to(reader.chat_id)) > before, what="the edit")
    assert len(fake.messages_to(reader.chat_id)) == sent_before, "a tap must edit, not send a new message"
    edit = fake.edits_to(reader.chat_id)[-1]
    assert edit.message_id == sent.message_id
    return edit


@pytest.fixture
def three_topics(store, tmp_path):
    for number, topic in enumerate(["Global", "MSME", "Policy"], start=1):
        write_article(tmp_path / "news", number, category=topic, when=days_ago(number / 24))
    ingest_folder(store, tmp_path / "news")


async def test_topics_buttons_toggle_the_subscription_in_place(running_bot, reader, store, three_topics):
    [topics] = await reader.ask("/topics")
    assert button_texts(topics) == ["All topics", "Global", "MSME", "Policy"]  # not subscribed yet
    assert "Your daily digest is off." in topics.plain
    edited = await press_and_wait_edit(reader, topics, "MSME")
    assert button_texts(edited) == ["All topics", "Global", "✅ MSME", "Policy"]
    assert store.subscriber(reader.chat_id).topic_keys == {"msme"}
    edited = await press_and_wait_edit(reader, edited, "Global")
    assert button_texts(edited) == ["All topics", "✅ Global", "✅ MSME", "Policy"]
    assert "Topics: only Global, MSME (new topics not included)." in edited.plain
    edited = await press_and_wait_edit(reader, edited, "✅ MSME")
    assert button_texts(edited) == ["All topics", "✅ Global", "MSME", "Policy"]
    assert store.subscriber(reader.chat_id).topic_keys == {"global"}
    edited = await press_and_wait_edit(reader, edited, "✅ Global")  # the last one: digest off
    assert button_texts(edited) == ["All topics", "Global", "MSME", "Policy"]
    assert not store.subscriber(reader.chat_id).active
    assert "Global: 1 article" in edited.plain
    assert len(reader.fake.calls("answerCallbackQuery")) == 4


async def test_all_topics_subscriber_sees_every_topic_marked(running_bot, reader, store, three_topics):
    await reader.ask("/start")
    [topics] = await reader.ask("/topics")
    assert button_texts(topics) == ["✅ All topics", "✅ Global", "✅ MSME", "✅ Policy"]
    assert "Topics: all (new topics included)." in topics.plain
    edited = await press_and_wait_edit(reader, topics, "✅ Policy")
    assert button_texts(edited) == ["✅ All topics", "✅ Global", "✅ MSME", "Policy"]
    subscriber = store.subscriber(reader.chat_id)
    assert subscriber.all_topics and subscriber.excluded_keys == {"policy"}


async def test_dropping_a_topic_and_taking_it_back_keeps_all_topics(running_bot, reader, store, three_topics,
                                                                    tmp_path):
    """A chat on all topics that drops one still gets the topics that appear later; taking the dropped one back
    is all topics again (it was a fixed list of the topics there were then, without the ones to come)."""
    await reader.ask("/start")
    [topics] = await reader.ask("/topics")
    edited = await press_and_wait_edit(reader, topics, "✅ Policy")
    assert "Topics: all but Policy (new topics included)." in edited.plain
    write_article(tmp_path / "later", 9, category="Sport")  # a topic that did not exist yet
    ingest_folder(store, tmp_path / "later")
    [topics] = await reader.ask("/topics")
    assert button_texts(topics) == ["✅ All topics", "✅ Global", "✅ MSME", "Policy", "✅ Sport"]
    edited = await press_and_wait_edit(reader, topics, "Policy")
    assert button_texts(edited) == ["✅ All topics", "✅ Global", "✅ MSME", "✅ Policy", "✅ Sport"]
    [view] = await reader.ask("/settings")
    assert "Topics: all (new topics included)." in view.plain
    subscriber = store.subscriber(reader.chat_id)
    assert subscriber.all_topics and not subscriber.topics


async def test_all_topics_is_a_toggle_of_its_own(running_bot, reader, store, three_topics, tmp_path):
    """Off: the digest keeps the topics it carries as a fixed list (new topics do not come); on: every topic."""
    await reader.ask("/subscribe Global")
    [topics] = await reader.ask("/topics")
    edited = await press_and_wait_edit(reader, topics, "All topics")
    assert button_texts(edited) == ["✅ All topics", "✅ Global", "✅ MSME", "✅ Policy"]
    edited = await press_and_wait_edit(reader, edited, "✅ MSME")
    edited = await press_and_wait_edit(reader, edited, "✅ All topics")
    assert button_texts(edited) == ["All topics", "✅ Global", "MSME", "✅ Policy"]
    assert "Topics: only Global, Policy (new topics not included)." in edited.plain
    write_article(tmp_path / "later", 9, category="Sport")
    ingest_folder(store, tmp_path / "later")
    [topics] = await reader.ask("/topics")
    assert button_texts(topics) == ["All topics", "✅ Global", "MSME", "✅ Policy", "Sport"]


async def test_deep_link_subscribes_and_shows_the_topic(running_bot, reader, store, three_topics):
    confirmation, articles = await reader.ask("/start topic-MSME", answers=2)
    assert "Subscribed to MSME" in confirmation.plain
    assert "Latest in MSME" in articles.plain and "Headline number 2" in articles.plain
    assert "✅ Subscribed · drop MSME" in button_texts(articles)
    assert store.subscriber(reader.chat_id).topic_keys == {"msme"}


async def test_deep_link_for_a_name_outside_the_start_alphabet(running_bot, reader, store, tmp_path):
    write_article(tmp_path, 1, category="MSME & Startups")
    ingest_folder(store, tmp_path)
    topic = store.find_topic("msme & startups")
    parameter = start_parameter(topic)
    assert parameter == start_parameter(store.find_topic("MSME & Startups"))  # stable
    assert len(parameter) <= 64 and all(c.isalnum() or c in "_-" for c in parameter)
    confirmation, articles = await reader.ask(f"/start {parameter}", answers=2)
    assert "Subscribed to MSME &amp; Startups" in confirmation.text
    assert store.subscriber(reader.chat_id).topic_keys == {"msme and startup"}
    [answer] = await reader.ask("/start topic-Nonsense")
    assert "names a topic I do not have" in answer.plain


async def test_topic_answer_subscribe_button(running_bot, reader, store, three_topics):
    [page] = await reader.ask("/topic Policy")
    assert button_texts(page) == ["Subscribe to Policy", "Share"]
    share = parse_qs(urlsplit(page.buttons[1]["url"]).query)["url"][0]
    assert share == "https://t.me/newsdigest_test_bot?start=topic-Policy"  # the deep link, for others to tap
    edited = await press_and_wait_edit(reader, page, "Subscribe to Policy")
    assert "Latest in Policy" in edited.plain and "Headline number 3" in edited.plain
    assert button_texts(edited) == ["✅ Subscribed · drop Policy", "Share"]
    assert store.subscriber(reader.chat_id).topic_keys == {"policy"}
    edited = await press_and_wait_edit(reader, edited, "✅ Subscribed · drop Policy")
    assert button_texts(edited) == ["Subscribe to Policy", "Share"]
    assert not store.subscriber(reader.chat_id).active


async def test_more_pages_back_by_editing(running_bot, reader, store, tmp_path):
    same_moment = days_ago(1)
    for number in range(1, 13):  # 12 articles, four of them published at the same moment
        write_article(tmp_path, number, when=same_moment if number > 8 else days_ago(number / 100))
    ingest_folder(store, tmp_path)
    [page] = await reader.ask("/latest")
    seen = [line for line in page.plain.splitlines() if line.startswith("Headline number")]
    assert len(seen) == 5 and "More ▸" in button_texts(page)
    for _ in range(2):
        page = await press_and_wait_edit(reader, page, "More ▸")
        seen += [line for line in page.plain.splitlines() if line.startswith("Headline number")]
    assert sorted(seen) == sorted(f"Headline number {n}" for n in range(1, 13))  # each once, none skipped
    assert "Older news" in page.plain and "More ▸" not in button_texts(page)
    for button in page.buttons:
        assert len(button["callback_data"].encode()) <= 64


async def test_topic_more_keeps_to_the_topic(running_bot, reader, store, tmp_path):
    for number in range(1, 8):
        write_article(tmp_path, number, category="Global" if number % 2 else "MSME", when=days_ago(number / 24))
    ingest_folder(store, tmp_path)
    [page] = await reader.ask("/topic Global 2")
    assert "Headline number 1\n" in page.plain and "Headline number 3\n" in page.plain
    page = await press_and_wait_edit(reader, page, "More ▸")
    assert "Older in Global" in page.plain
    assert "Headline number 5\n" in page.plain and "Headline number 7" in page.plain
    assert "Headline number 2" not in page.plain and "Headline number 6" not in page.plain
    assert button_texts(page) == ["Subscribe to Global", "Share"]


async def send_digests_now(settings, store):
    async with make_delivery_bot(settings) as bot:
        return await DigestService(bot, store, settings.schedule, Limits(backoff_base=0.2)).run_once(send_now=True)


@pytest.fixture
def trade_news(store, tmp_path):
    stories = {1: ("Export rules eased for textile makers", "Global"),
               2: ("Rice exports rise again", "Global"),
               3: ("Cricket league opens", "Sports"),
               4: ("Steel exporters welcome the new policy", "Global")}
    for number, (title, topic) in stories.items():
        write_article(tmp_path, number, title=title, category=topic, when=days_ago(number / 24))
    ingest_folder(store, tmp_path)


async def test_filters_are_set_shown_cleared_and_shape_the_digest(running_bot, fake_api, settings, store,
                                                                  trade_news):
    keeper, dropper, plain = Reader(fake_api, 2001), Reader(fake_api, 2002), Reader(fake_api, 2003)
    for reader in (keeper, dropper, plain):
        await reader.ask("/start")
    [answer] = await keeper.ask("/filter +exports +EXPORT")
    assert "Filters: +export +exports." in answer.plain
    [answer] = await dropper.ask("/filter -cricket")
    assert "Filters: -cricket." in answer.plain
    [answer] = await dropper.ask("/filter")
    assert "Filters: -cricket." in answer.plain and "/filter clear" in answer.plain
    [answer] = await dropper.ask("/filter cricket")
    assert "Usage: /filter +word" in answer.plain
    [answer] = await plain.ask("/filter " + " ".join(f"-w{n}" for n in range(51)))
    assert "up to 50 words" in answer.plain and not store.filters(plain.chat_id)
    await send_digests_now(settings, store)
    digests = {r.chat_id: "\n".join(s.plain for s in fake_api.messages_to(r.chat_id)[-1:]) for r in
               (keeper, dropper, plain)}
    # whole words: "exporters" is not "export"
    assert "Export rules eased" in digests[2001] and "Rice exports rise" in digests[2001]
    assert "Steel exporters" not in digests[2001] and "Cricket" not in digests[2001]
    assert "Cricket" not in digests[2002] and "Steel exporters" in digests[2002]
    assert "Cricket league opens" in digests[2003]
    [answer] = await keeper.ask("/filter clear")
    assert "Filters cleared" in answer.plain
    assert not store.filters(2001)


async def test_search_finds_recent_articles_with_every_word(running_bot, reader, store, trade_news):
    [answer] = await reader.ask("/search exports rice")
    assert "Rice exports rise again" in answer.plain and "Export rules" not in answer.plain
    [answer] = await reader.ask("/search export")  # word forms match: export, exports, exporters
    assert all(title in answer.plain for title in ("Export rules", "Rice exports", "Steel exporters"))
    [answer] = await reader.ask('/search "opens')  # FTS5 syntax in user input is just text
    assert "Cricket league opens" in answer.plain
    [answer] = await reader.ask("/search cricket OR")
    assert "Nothing found for “cricket OR”" in answer.plain
    [answer] = await reader.ask("/search league")
    assert "Cricket league opens" in answer.plain
    [answer] = await reader.ask("/search")
    assert "Usage: /search" in answer.plain


GROUP = -1009001
ADMIN, MEMBER, CREATOR = 501, 502, 503


async def test_in_a_group_only_administrators_change_the_digest(running_bot, fake_api, store, three_topics):
    fake_api.admins[GROUP] = {ADMIN}
    member = Reader(fake_api, GROUP, "supergroup", user_id=MEMBER)
    admin = Reader(fake_api, GROUP, "supergroup", user_id=ADMIN)
    for command in ("/subscribe@newsdigest_test_bot", "/time 07:00", "/filter -cricket", "/unsubscribe"):
        [answer] = await member.ask(command)
        assert "Only this group's administrators" in answer.plain, command
    assert store.subscriber(GROUP) is None and not store.filters(GROUP)
    [answer] = await member.ask("/latest@newsdigest_test_bot")  # reading stays open to everyone
    assert "Latest news" in answer.plain
    [answer] = await member.ask("/time")
    assert "not subscribed" in answer.plain
    [answer] = await admin.ask("/subscribe@newsdigest_test_bot Global")
    assert "Subscribed" in answer.plain and store.subscriber(GROUP).topic_keys == {"global"}
    # a member's tap on a topic toggle is refused with a notice, and changes nothing
    [topics] = await member.ask("/topics")
    answered = len(fake_api.calls("answerCallbackQuery"))
    fake_api.user_presses(topics, "MSME", user_id=MEMBER)
    await wait_for(lambda: len(fake_api.calls("answerCallbackQuery")) > answered)
    notice = fake_api.calls("answerCallbackQuery")[-1]
    assert "administrators" in notice["text"] and notice["show_alert"] is True
    assert fake_api.edits_to(GROUP) == [] and store.subscriber(GROUP).topic_keys == {"global"}
    fake_api.user_presses(topics, "MSME", user_id=ADMIN)
    await wait_for(lambda: fake_api.edits_to(GROUP))
    assert store.subscriber(GROUP).topic_keys == {"global", "msme"}
    # a member may still look around /settings
    [view] = await member.ask("/settings")
    topics = await press_and_wait_edit(member, view, "Topics")
    view = await press_and_wait_edit(member, topics, "« Settings")
    assert "Topics: only Global, MSME (new topics not included)." in view.plain


async def press_refused(reader: Reader, sent, button_text: str) -> None:
    """A tap that would change the group's digest: a notice on the button, no edit, no message."""
    fake = reader.fake
    answered, edits, messages = (len(fake.calls("answerCallbackQuery")), len(fake.edits_to(reader.chat_id)),
                                 len(fake.messages_to(reader.chat_id)))
    fake.user_presses(sent, button_text, user_id=reader.user_id)
    await wait_for(lambda: len(fake.calls("answerCallbackQuery")) > answered, what="the notice")
    notice = fake.calls("answerCallbackQuery")[-1]
    assert notice["text"] == "Only this group's administrators can change its digest." and notice["show_alert"]
    assert (len(fake.edits_to(reader.chat_id)), len(fake.messages_to(reader.chat_id))) == (edits, messages)


def group_state(store):
    subscriber, filters = store.subscriber(GROUP), store.filters(GROUP)
    return (subscriber.active, subscriber.topic_keys, subscriber.digest_time, subscriber.timezone,
            subscriber.next_digest_at, filters.keep, filters.drop)


@pytest.fixture
def group_with_a_digest(fake_api, store, settings, three_topics):
    """A supergroup subscribed to Global and MSME with a filter; ADMIN administers it, CREATOR created it.

    Set up in the store: the bot's rate limiter lets a group have 20 requests a minute, getChatMember included."""
    fake_api.admins[GROUP] = {ADMIN}
    fake_api.creators[GROUP] = CREATOR  # Telegram answers "creator" for them, not "administrator"
    store.subscribe(GROUP, "supergroup", [store.find_topic("Global"), store.find_topic("MSME")], days_ago(0),
                    settings.schedule)
    store.set_filters(GROUP, [], ["cricket"])



async def test_in_a_group_a_member_changes_nothing_by_buttons_or_with_timezone(running_bot, fake_api, store,
                                                                              group_with_a_digest):
    member = Reader(fake_api, GROUP, "supergroup", user_id=MEMBER)
    before = group_state(store)
    [answer] = await member.ask("/timezone Europe/London")
    assert answer.plain == "Only this group's administrators can change its digest."
    [view] = await member.ask("/settings")
    for button in ("18:00", "Turn the digest off", "Clear filters"):
        await press_refused(member, view, button)
    topics = await press_and_wait_edit(member, view, "Topics")  # looking is open to everyone
    await press_refused(member, topics, "✅ MSME")
    await press_refused(member, topics, "Policy")
    [page] = await member.ask("/topic Policy")
    await press_refused(member, page, "Subscribe to Policy")
    assert group_state(store) == before


async def test_in_a_group_its_creator_changes_the_digest_by_buttons_and_with_timezone(running_bot, fake_api, store,
                                                                                     group_with_a_digest):
    creator = Reader(fake_api, GROUP, "supergroup", user_id=CREATOR)
    [answer] = await creator.ask("/timezone Europe/London")
    assert "08:00 (Europe/London)" in answer.plain and store.subscriber(GROUP).timezone == "Europe/London"
    [view] = await creator.ask("/settings")
    view = await press_and_wait_edit(creator, view, "18:00")
    assert "at 18:00 (Europe/London)" in view.plain and store.subscriber(GROUP).digest_time.hour == 18
    view = await press_and_wait_edit(creator, view, "Clear filters")
    assert "Filters: none." in view.plain and not store.filters(GROUP)
    topics = await press_and_wait_edit(creator, view, "Topics")
    await press_and_wait_edit(creator, topics, "Policy")
    assert store.subscriber(GROUP).topic_keys == {"global", "msme", "policy"}
    view = await press_and_wait_edit(creator, view, "Turn the digest off")
    assert not store.subscriber(GROUP).active
    view = await press_and_wait_edit(creator, view, "Turn the digest on")
    assert store.subscriber(GROUP).active and store.subscriber(GROUP).topic_keys is None


async def test_forum_digest_goes_to_the_topic_it_was_asked_in(running_bot, fake_api, settings, store, three_topics):
    fake_api.admins[GROUP] = {ADMIN}
    fake_api.forums.add(GROUP)
    admin = Reader(fake_api, GROUP, "supergroup", user_id=ADMIN, thread_id=77)
    [answer] = await admin.ask("/subscribe")
    assert answer.params["message_thread_id"] == 77 and "in this topic" in answer.plain
    report = await send_digests_now(settings, store)
    assert report.delivered == 1
    digest = fake_api.messages_to(GROUP)[-1]
    assert "Your news digest" in digest.plain and digest.params["message_thread_id"] == 77


async def test_an_administrator_points_the_digest_at_a_channel(running_bot, fake_api, settings, store, three_topics):
    channel = -1007770
    fake_api.chat_types[channel] = "channel"
    fake_api.usernames["@wire"] = channel
    fake_api.admins[GROUP] = {ADMIN}
    admin = Reader(fake_api, GROUP, "supergroup", user_id=ADMIN)
    member = Reader(fake_api, GROUP, "supergroup", user_id=MEMBER)
    await admin.ask("/subscribe")
    [answer] = await member.ask("/channel @wire")
    assert "Only this group's administrators" in answer.plain
    [answer] = await admin.ask("/channel @nowhere")
    assert "cannot find the channel @nowhere" in answer.plain
    [answer] = await admin.ask("/channel @wire")  # the bot is not an administrator there yet
    assert "I am not an administrator of Newsroom" in answer.plain
    fake_api.admins[channel] = {123456789}
    [answer] = await admin.ask("/channel @wire")  # nor is the one asking
    assert "Only an administrator of Newsroom" in answer.plain
    fake_api.admins[channel].add(ADMIN)
    [answer] = await admin.ask("/channel wire")
    assert "now goes to Newsroom" in answer.plain
    store.set_target(GROUP, thread_id=77)  # asked for in a forum topic: a channel has none
    report = await send_digests_now(settings, store)
    assert report.delivered == 1
    [digest] = [s for s in fake_api.sent if s.chat_id == channel]
    assert "Your news digest" in digest.plain and digest.params.get("message_thread_id") is None
    [answer] = await admin.ask("/channel off")
    assert "comes to this chat again" in answer.plain and store.target(GROUP).channel_id is None


async def test_settings_buttons_change_time_and_open_topics_in_place(running_bot, reader, store, three_topics):
    await reader.ask("/start")
    await reader.ask("/filter +export")
    [view] = await reader.ask("/settings")
    assert "Daily digest: on, at 08:00 (Asia/Kolkata)" in view.plain
    assert "Topics: all (new topics included)." in view.plain and "Filters: +export." in view.plain
    assert "✅ 08:00" in button_texts(view)
    view = await press_and_wait_edit(reader, view, "18:00")
    assert "at 18:00 (Asia/Kolkata)" in view.plain and "✅ 18:00" in button_texts(view)
    assert store.subscriber(reader.chat_id).digest_time.hour == 18
    assert store.subscriber(reader.chat_id).next_digest_at.astimezone(KOLKATA).hour == 18
    topics = await press_and_wait_edit(reader, view, "Topics")
    assert button_texts(topics) == ["✅ All topics", "✅ Global", "✅ MSME", "✅ Policy", "« Settings"]
    topics = await press_and_wait_edit(reader, topics, "✅ MSME")
    view = await press_and_wait_edit(reader, topics, "« Settings")
    assert "Topics: all but MSME (new topics included)." in view.plain
    view = await press_and_wait_edit(reader, view, "Clear filters")
    assert "Filters: none." in view.plain and "Clear filters" not in button_texts(view)
    view = await press_and_wait_edit(reader, view, "Turn the digest off")
    assert "Daily digest: off" in view.plain and not store.subscriber(reader.chat_id).active
    view = await press_and_wait_edit(reader, view, "Turn the digest on")
    assert "Daily digest: on, at 18:00" in view.plain and store.subscriber(reader.chat_id).active



async def test_subscribing_again_in_general_moves_the_digest_out_of_the_topic(running_bot, fake_api, store,
                                                                            three_topics):
    fake_api.admins[GROUP] = {ADMIN}
    fake_api.forums.add(GROUP)
    await Reader(fake_api, GROUP, "supergroup", user_id=ADMIN, thread_id=77).ask("/subscribe")
    assert store.target(GROUP).thread_id == 77
    await Reader(fake_api, GROUP, "supergroup", user_id=ADMIN).ask("/subscribe")
    assert store.target(GROUP).thread_id is None


async def test_a_migrated_group_keeps_its_filters_and_channel(store, settings):
    store.subscribe(-5, "group", None, days_ago(0), settings.schedule)
    store.set_filters(-5, ["export"], ["cricket"])
    store.set_target(-5, channel_id=-1007770, channel_name="Wire")
    store.migrate_chat(-5, -1005)
    assert store.filters(-1005).keep == {"export"} and store.filters(-1005).drop == {"cricket"}
    assert store.target(-1005).channel_id == -1007770
    assert not store.filters(-5) and store.target(-5) is None


async def test_topics_with_700_topics_pages_within_telegrams_limits(running_bot, reader, store, tmp_path):
    """The raw categories of thirty real feeds made about 700 topics, and /topics, sent as one 20,000-character
    message, was refused by Telegram. Through the fake Bot API (which refuses texts over 4096): pages."""
    for number in range(700):
        write_article(tmp_path / "many", number, category=f"Topic {number:03d} of a long name, ünïcödé & “quotes”"
                      .replace(",", ""), when=days_ago(number / 24 if number < 40 else 30 + number))
    ingest_folder(store, tmp_path / "many")
    assert len(store.topics()) == 700
    [page] = await reader.ask("/topics")
    assert "1–20 of 700" in page.plain and "Topic 000" in page.plain
    seen = set(re.findall(r"• (Topic \d+)", page.plain))
    for _ in range(34):
        page = await press_and_wait_edit(reader, page, next(t for t in button_texts(page) if t.startswith("More ▸")))
        seen |= set(re.findall(r"• (Topic \d+)", page.plain))
    assert len(seen) == 700 and not any(t.startswith("More ▸") for t in button_texts(page))
    edited = await press_and_wait_edit(reader, page, button_texts(page)[0])  # a toggle on the last page
    assert "681–700 of 700" in edited.plain and button_texts(edited)[0].startswith("✅")
    [keyboard] = await reader.ask("/topic")
    assert "1–20 of 700" in keyboard.plain and len(keyboard.buttons) == 21
    [answer] = await reader.press(keyboard, button_texts(keyboard)[0])
    assert "Latest in Topic 000" in answer.plain
    [unknown] = await reader.ask("/topic Nothing like it")
    assert "and 680 more" in unknown.plain and "/topics" in unknown.plain
    assert reader.fake.errors == []  # nothing refused: no text over 4096, no callback data over 64 bytes
