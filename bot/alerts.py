"""Telling the admins, once, what they must act on: a source failing for a day, the database not answering."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Collection
from datetime import UTC, datetime, timedelta

from sqlalchemy.exc import SQLAlchemyError
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


async def _tell(bot: Bot, admin_ids: Collection[int], text: str) -> None:
    for admin in admin_ids:
        try:
            await bot.send_message(admin, text)
        except TelegramError as error:
            log.warning("Could not alert admin %s: %s", admin, error)


class DatabaseWatch:
    """Tells the admins once when the database stops answering, and once when it answers again.

    The state is kept in memory: while the database is down, it cannot hold it.
    """

    def __init__(self) -> None:
        self.down_since: datetime | None = None

    async def check(self, bot: Bot, store: Store, admin_ids: Collection[int]) -> None:
        try:
            await asyncio.to_thread(store.ping)
        except SQLAlchemyError as error:
            if self.down_since is None:
                self.down_since = datetime.now(UTC)
                reason = str(getattr(error, "orig", None) or error).splitlines()[0]
                log.error("The database does not answer: %s", reason)
                await _tell(bot, admin_ids, f"⚠️ The database does not answer: {esc(reason)}\n"
                                            "No news is stored and no digest goes out until it does.")
            return
        if self.down_since is not None:
            log.info("The database answers again")
            await _tell(bot, admin_ids, f"✅ The database answers again (down since "
                                        f"{self.down_since:%Y-%m-%d %H:%M} UTC).")
            self.down_since = None
