"""Thin Telegram handlers: turn an update into a call to ``Commands`` and send back its replies."""

from __future__ import annotations

import asyncio
import logging

from telegram import InlineKeyboardButton, InlineKeyboardMarkup, Update
from telegram.constants import ChatType
from telegram.ext import ContextTypes

from bot.commands import Chat, Commands, Reply

log = logging.getLogger(__name__)

APOLOGY = "Sorry, something went wrong on my side. Please try again in a moment."


def _chat(update: Update) -> Chat:
    return Chat(id=update.effective_chat.id, kind=update.effective_chat.type)


def _markup(reply: Reply) -> InlineKeyboardMarkup | None:
    if not reply.buttons:
        return None
    return InlineKeyboardMarkup(
        [[InlineKeyboardButton(b.text, callback_data=b.data) for b in row] for row in reply.buttons]
    )


async def _send(update: Update, context: ContextTypes.DEFAULT_TYPE, replies: list[Reply]) -> None:
    thread_id = update.effective_message.message_thread_id if update.effective_message else None
    for reply in replies:
        await context.bot.send_message(
            update.effective_chat.id, reply.text, reply_markup=_markup(reply), message_thread_id=thread_id
        )


async def on_command(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    commands: Commands = context.bot_data["commands"]
    name = update.effective_message.text.split()[0][1:].split("@")[0]
    replies = await asyncio.to_thread(commands.handle, _chat(update), name, list(context.args or []))
    await _send(update, context, replies)


async def on_unknown_command(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """Only in private chats: in a group the command may be meant for another bot."""
    if update.effective_chat.type == ChatType.PRIVATE:
        await on_command(update, context)


async def on_button(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    commands: Commands = context.bot_data["commands"]
    query = update.callback_query
    await query.answer()
    replies = await asyncio.to_thread(commands.press, _chat(update), query.data or "")
    await _send(update, context, replies)


async def on_error(update: object, context: ContextTypes.DEFAULT_TYPE) -> None:
    """Log the failure and tell the user, without the details."""
    log.error("Error while handling an update", exc_info=context.error)
    if isinstance(update, Update) and update.effective_chat is not None:
        try:
            await context.bot.send_message(update.effective_chat.id, APOLOGY)
        except Exception:  # noqa: BLE001 - the apology is best effort; the error is already logged
            log.warning("Could not send the apology to chat %s", update.effective_chat.id)
