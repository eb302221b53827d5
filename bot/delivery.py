"""Sending the daily digest to every subscribed chat, once per chat and local day."""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta, tzinfo

from telegram import Bot
from telegram.error import BadRequest, Forbidden, TelegramError

from bot.formatting import digest_messages
from digests.digest import group_by_topic
from digests.models import Article
from digests.storage import Store

log = logging.getLogger(__name__)

FIRST_WINDOW = timedelta(hours=24)  # a chat's first digest covers the last day


@dataclass
class DeliveryReport:
    delivered: int = 0  # chats that got their digest
    messages: int = 0
    nothing_new: int = 0
    already_sent: int = 0
    failed: int = 0
    deactivated: int = 0

    def summary_line(self) -> str:
        return (f"{self.delivered} chats got a digest ({self.messages} messages), {self.nothing_new} had nothing "
                f"new, {self.already_sent} already had it, {self.failed} failed, {self.deactivated} deactivated")


def _gone(error: TelegramError) -> bool:
    """The chat cannot receive messages any more: the user blocked the bot, or the chat is gone."""
    return isinstance(error, Forbidden) or (isinstance(error, BadRequest) and "chat not found" in error.message.lower())


async def send_digests(bot: Bot, store: Store, tz: tzinfo, now: datetime | None = None) -> DeliveryReport:
    """Send today's digest to each active subscriber that has not had it.

    The window runs from the end of the chat's previous digest (or the last 24 hours) to now. A claim row is
    written before sending, so two runs never send the same chat the same day's digest; a failed send gives
    its claim back so that the next run tries again.
    """
    now = now or datetime.now(UTC)
    day = now.astimezone(tz).date()
    report = DeliveryReport()
    arrived: dict[datetime, list[Article]] = {}  # chats with the same window share one query
    for subscriber in store.active_subscribers():
        chat_id = subscriber.chat_id
        if store.delivery(chat_id, day) is not None:
            report.already_sent += 1
            continue
        start = store.last_window_end(chat_id) or now - FIRST_WINDOW
        if start not in arrived:
            arrived[start] = store.arrived(start, now)
        sections = group_by_topic(arrived[start], subscriber.topic_keys)
        if not sections:
            report.nothing_new += 1
            continue
        claim = store.claim_delivery(chat_id, day, start, now)
        if claim is None:
            report.already_sent += 1
            continue
        messages = digest_messages(sections, tz, day)
        try:
            for text in messages:
                await bot.send_message(chat_id, text)
        except TelegramError as error:
            store.release_delivery(claim)
            if _gone(error):
                store.deactivate(chat_id)
                report.deactivated += 1
                log.info("Chat %s can no longer be reached (%s); its subscription is now inactive", chat_id, error)
            else:
                report.failed += 1
                log.warning("Digest for chat %s failed, will retry on the next run: %s", chat_id, error)
            continue
        store.finish_delivery(claim, sum(len(s.articles) for s in sections), len(messages), datetime.now(UTC))
        report.delivered += 1
        report.messages += len(messages)
    log.info("Digest run: %s", report.summary_line())
    return report
