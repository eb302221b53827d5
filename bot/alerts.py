"""Telling the admins, once, that a source has been failing for a day."""

from __future__ import annotations

import logging
from datetime import UTC, datetime, timedelta

from telegram import Bot
from telegram.error import TelegramError

from bot.formatting import esc
from digests.storage import Store

log = logging.getLogger(__name__)

FAILING_FOR = timedelta(days=1)


async def alert_failing_sources(bot: Bot, store: Store, admin_ids: list[int], now: datetime | None = None) -> int:
    """Send one message per admin for each source failing since a day or more; returns the sources alerted.

    A source is marked alerted once at least one admin got the message, so the next poll does not repeat
    it; a success clears the mark, and a later day of failures alerts again.
    """
    now = now or datetime.now(UTC)
    failing = store.sources_to_alert(now - FAILING_FOR)
    if not failing or not admin_ids:
        if failing:
            log.warning("Sources failing for a day, but ADMIN_IDS is empty: %s", ", ".join(s.name for s in failing))
        return 0
    alerted = 0
    for state in failing:
        text = (f"⚠️ Source <b>{esc(state.name)}</b> has been failing since "
                f"{state.first_failure_at:%Y-%m-%d %H:%M} UTC ({state.consecutive_failures} attempts).\n"
                f"{esc(state.location)}\nLast error: {esc(state.last_error or 'unknown')}")
        told = False
        for admin in admin_ids:
            try:
                await bot.send_message(admin, text)
                told = True
            except TelegramError as error:
                log.warning("Could not alert admin %s about source %s: %s", admin, state.name, error)
        if told:
            store.mark_alerted(state.name)
            alerted += 1
    return alerted
