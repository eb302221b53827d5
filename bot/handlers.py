"""Thin Telegram handlers: turn an update into a call to ``Commands`` and send back its replies."""

from __future__ import annotations

import asyncio
import logging

from telegram import InlineKeyboardButton, InlineKeyboardMarkup, Update
from telegram.constants import ChatMemberStatus, ChatType
from telegram.error import BadRequest, Forbidden
from telegram.ext import ContextTypes

from bot.commands import ChannelCheck, Chat, Commands, Reply

log = logging.getLogger(__name__)

APOLOGY = "Sorry, something went wrong on my side. Please try again in a moment."
ADMIN_STATUSES = {ChatMemberStatus.ADMINISTRATOR, ChatMemberStatus.OWNER}


async def _chat(update: Update, context: ContextTypes.DEFAULT_TYPE, changes: bool) -> Chat:
    """The chat as ``Commands`` sees it; in a group, whether the user may change its digest (asked of Telegram
    only when the command would change something)."""
    chat, user, message = update.effective_chat, update.effective_user, update.effective_message
    may_change = True
    if changes and chat.type in (ChatType.GROUP, ChatType.SUPERGROUP):
        if message is not None and message.sender_chat is not None and message.sender_chat.id == chat.id:
            pass  # an anonymous administrator writes as the group itself
        elif user is None:
            may_change = False
        else:
            member = await context.bot.get_chat_member(chat.id, user.id)
            may_change = member.status in ADMIN_STATUSES
    thread_id = message.message_thread_id if message is not None and message.is_topic_message else None
    return Chat(id=chat.id, kind=chat.type, user_id=user.id if user else None, may_change=may_change,
                thread_id=thread_id)


def _markup(reply: Reply) -> InlineKeyboardMarkup | None:
    if not reply.buttons:
        return None
    return InlineKeyboardMarkup(
        [[InlineKeyboardButton(b.text, url=b.url) if b.url else InlineKeyboardButton(b.text, callback_data=b.data)
          for b in row] for row in reply.buttons]
    )


async def _send(update: Update, context: ContextTypes.DEFAULT_TYPE, replies: list[Reply]) -> None:
    message = update.effective_message
    thread_id = message.message_thread_id if message is not None and message.is_topic_message else None
    for reply in replies:
        if reply.edit and update.callback_query is not None:
            try:
                await update.callback_query.edit_message_text(reply.text, reply_markup=_markup(reply))
            except BadRequest as error:  # a second tap on the same state changes nothing
                if "not modified" not in str(error).lower():
                    raise
            continue
        await context.bot.send_message(
            update.effective_chat.id, reply.text, reply_markup=_markup(reply), message_thread_id=thread_id
        )


async def on_command(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    commands: Commands = context.bot_data["commands"]
    name = update.effective_message.text.split()[0][1:].split("@")[0]
    args = list(context.args or [])
    chat = await _chat(update, context, commands.changes(name, args))
    replies = await asyncio.to_thread(commands.handle, chat, name, args)
    await _send(update, context, replies)


async def on_channel(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """/channel @name: Telegram says whether the channel exists and whether the bot and the user administer it."""
    commands: Commands = context.bot_data["commands"]
    args = list(context.args or [])
    chat = await _chat(update, context, changes=True)
    if not args or args[0].lower() == "off" or not chat.may_change:
        replies = await asyncio.to_thread(commands.handle, chat, "channel", args)
    else:
        asked = args[0] if args[0].startswith("@") or args[0].lstrip("-").isdigit() else "@" + args[0]
        check = None
        try:
            channel = await context.bot.get_chat(asked)
            if channel.type == ChatType.CHANNEL:
                bot_member = await context.bot.get_chat_member(channel.id, context.bot.id)
                user_member = await context.bot.get_chat_member(channel.id, chat.user_id)
                check = ChannelCheck(channel.id, channel.title or asked, bot_member.status in ADMIN_STATUSES,
                                     user_member.status in ADMIN_STATUSES)
        except (BadRequest, Forbidden):
            pass
        replies = await asyncio.to_thread(commands.point_at_channel, chat, asked, check)
    await _send(update, context, replies)


async def on_unknown_command(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """Only in private chats: in a group the command may be meant for another bot."""
    if update.effective_chat.type == ChatType.PRIVATE:
        await on_command(update, context)


async def on_button(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    commands: Commands = context.bot_data["commands"]
    query = update.callback_query
    data = query.data or ""
    chat = await _chat(update, context, commands.press_changes(data))
    replies = await asyncio.to_thread(commands.press, chat, data)
    refused = not chat.may_change and commands.press_changes(data)
    # A refusal shows as a notice on the button, not as a message in the group.
    await query.answer(replies[0].text if refused else None, show_alert=refused or None)
    if not refused:
        await _send(update, context, replies)


async def on_error(update: object, context: ContextTypes.DEFAULT_TYPE) -> None:
    """Log the failure and tell the user, without the details."""
    log.error("Error while handling an update", exc_info=context.error)
    if isinstance(update, Update) and update.effective_chat is not None:
        try:
            await context.bot.send_message(update.effective_chat.id, APOLOGY)
        except Exception:  # noqa: BLE001 - the apology is best effort; the error is already logged
            log.warning("Could not send the apology to chat %s", update.effective_chat.id)
