"""The digest fan-out's HTTP requests (bot/request.py, aiohttp) against the fake Bot API: texts arrive as sent,
Telegram's refusals reach the fan-out as python-telegram-bot's errors, and a broken or slow connection is a
network error or a timeout, after which the next message still goes."""

from __future__ import annotations

import asyncio
from datetime import timedelta

import pytest
from telegram.error import BadRequest, Forbidden, NetworkError, RetryAfter, TimedOut
from telegram.ext import ExtBot

from bot.delivery import SEND_OPTIONS
from bot.request import QUOTED_LENGTH, FanOutRequest
from tests.fakebotapi import TOKEN, FloodLimits

# Long (quoted once and kept) and full of what form encoding must escape: & + = % ; # space, newline, non-ASCII.
TEXT = ("<b>Rain &amp; wind</b> 100% + more = «ünïcode» ✓; #tag a=b\nline two, " * 8).strip()
assert len(TEXT) > QUOTED_LENGTH
pytestmark = pytest.mark.filterwarnings("ignore:Please use 'Bot.sendMessage'")  # the fan-out's way (bot/delivery.py)


def delivery_bot(fake, timeout: float = 5.0) -> ExtBot:
    return ExtBot(TOKEN, base_url=fake.base_url, request=FanOutRequest(4, timeout=timeout))


async def send(bot, chat_id: int, text: str = TEXT):
    return await bot.do_api_request("sendMessage", {"chat_id": chat_id, "text": text, **SEND_OPTIONS})


async def test_a_text_arrives_as_sent_to_every_chat(fake_api):
    async with delivery_bot(fake_api) as bot:
        await asyncio.gather(*(send(bot, chat) for chat in (1, 2, -100)))
        await send(bot, 3, "short; 1+1=2")
    assert sorted((m.chat_id, m.text) for m in fake_api.sent) == [
        (-100, TEXT), (1, TEXT), (2, TEXT), (3, "short; 1+1=2")]
    assert all(m.params["parse_mode"] == "HTML" and m.params["link_preview_options"] == {"is_disabled": True}
               for m in fake_api.sent)


async def test_a_flood_wait_says_how_long_to_wait(fake_api):
    fake_api.limits = FloodLimits(per_second=1, retry_after=7)
    async with delivery_bot(fake_api) as bot:
        await send(bot, 1)
        with pytest.raises(RetryAfter) as flood:
            await send(bot, 2)
    assert flood.value.retry_after in (7, timedelta(seconds=7))
    assert [m.chat_id for m in fake_api.sent] == [1]


async def test_a_blocked_or_missing_chat_is_telegrams_refusal(fake_api):
    fake_api.blocked_chats.add(5)
    fake_api.missing_chats.add(6)
    async with delivery_bot(fake_api) as bot:
        with pytest.raises(Forbidden, match="blocked by the user"):
            await send(bot, 5)
        with pytest.raises(BadRequest, match="(?i)chat not found"):
            await send(bot, 6)
        await send(bot, 7)
    assert [m.chat_id for m in fake_api.sent] == [7]


async def test_a_dropped_connection_is_a_network_error_and_the_next_message_goes(fake_api):
    async with delivery_bot(fake_api) as bot:
        await send(bot, 1)  # a kept-alive connection in the pool
        fake_api.drop_next = 1
        with pytest.raises(NetworkError):
            await send(bot, 2)
        await send(bot, 2)
    assert [m.chat_id for m in fake_api.sent] == [1, 2]


async def test_an_unanswered_request_times_out_and_the_next_message_goes(fake_api):
    fake_api.hang_next, fake_api.hang_seconds = 1, 2.0
    async with delivery_bot(fake_api, timeout=0.3) as bot:
        with pytest.raises(TimedOut):
            await send(bot, 1)
        await send(bot, 1)
    assert [m.chat_id for m in fake_api.sent] == [1]
