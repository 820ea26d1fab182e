"""Small helpers shared by the handler modules: replying within Telegram's limits, guards."""

from __future__ import annotations

import asyncio
import functools
import logging
from collections.abc import Awaitable, Callable, Sequence

from telegram import InlineKeyboardButton, InlineKeyboardMarkup, Message, Update
from telegram.constants import ChatType
from telegram.error import RetryAfter

from bot import texts
from bot.context import BotContext
from bot.errors import AppError

log = logging.getLogger(__name__)

Handler = Callable[[Update, BotContext], Awaitable[None]]
MAX_CALLBACK = 64


_answered: dict[str, None] = {}


async def answer(update: Update, text: str | None = None, *, alert: bool = False) -> None:
    """Answer the update's callback query once (Telegram refuses a second answer)."""
    q = update.callback_query
    if q is None or q.id in _answered:
        return
    _answered[q.id] = None
    if len(_answered) > 10_000:  # keep the memory bounded: forget the oldest
        for key in list(_answered)[:5_000]:
            del _answered[key]
    await q.answer(text, show_alert=alert)


def keyboard(rows: Sequence[Sequence[tuple[str, str]]]) -> InlineKeyboardMarkup | None:
    """Inline keyboard from (label, callback data) pairs; data over 64 bytes is a bug, refused here."""
    out = []
    for row in rows:
        buttons = []
        for label, data in row:
            if len(data.encode()) > MAX_CALLBACK:
                raise ValueError(f"callback data over 64 bytes: {data!r}")
            buttons.append(InlineKeyboardButton(texts.button_label(label), callback_data=data))
        if buttons:
            out.append(buttons)
    return InlineKeyboardMarkup(out) if out else None


def retry_seconds(exc: RetryAfter) -> float:
    """RetryAfter.retry_after in seconds (PTB gives an int now, a timedelta in a future major)."""
    value = exc.retry_after
    return float(value.total_seconds() if hasattr(value, "total_seconds") else value)  # type: ignore[union-attr]


async def reply(update: Update, text: str, markup: InlineKeyboardMarkup | None = None) -> Message | None:
    """Send ``text`` (HTML) to the update's chat, split at 4096; buttons go on the last part."""
    chat = update.effective_chat
    if chat is None:
        return None
    parts = texts.split(text) or [texts.GENERIC_ERROR]
    sent = None
    for i, part in enumerate(parts):
        last = i == len(parts) - 1
        for attempt in range(3):  # a long reply in many parts may meet the per-chat limit: wait, go on
            try:
                sent = await chat.send_message(part, reply_markup=markup if last else None)
                break
            except RetryAfter as exc:
                if attempt == 2:
                    raise
                await asyncio.sleep(retry_seconds(exc))
    return sent


async def edit_or_reply(update: Update, text: str, markup: InlineKeyboardMarkup | None = None) -> None:
    """Edit the message whose button was pressed (when it fits in one message), else reply."""
    q = update.callback_query
    parts = texts.split(text)
    if q is not None and q.message is not None and len(parts) == 1:
        await q.edit_message_text(parts[0], reply_markup=markup)
    else:
        await reply(update, text, markup)


def is_private(update: Update) -> bool:
    return update.effective_chat is not None and update.effective_chat.type == ChatType.PRIVATE


def display_name(update: Update) -> str:
    u = update.effective_user
    if u is None:
        return ""
    return u.full_name or (u.username or str(u.id))


def admin_only(func: Handler) -> Handler:
    """Refuse non-admins with a clear message; nothing else happens."""

    @functools.wraps(func)
    async def wrapper(update: Update, context: BotContext) -> None:
        user = update.effective_user
        if not context.is_admin(user.id if user else None):
            if update.callback_query:
                await answer(update, texts.ADMIN_ONLY, alert=True)
            else:
                await reply(update, texts.ADMIN_ONLY)
            return
        await func(update, context)

    return wrapper


def private_only(func: Handler) -> Handler:
    """In a group, supergroup or channel: say 「私聊」 and do nothing else (SPEC.md "Telegram
    behaviour": admin data and roster commands work only in a private chat)."""

    @functools.wraps(func)
    async def wrapper(update: Update, context: BotContext) -> None:
        if not is_private(update):
            if update.callback_query:
                await answer(update, texts.PRIVATE_ONLY_ALERT, alert=True)
            else:
                await reply(update, texts.PRIVATE_ONLY_COMMAND)
            return
        await func(update, context)

    return wrapper


def once(func: Handler) -> Handler:
    """Act on an update at most once, even when Telegram re-delivers it after a crash."""

    @functools.wraps(func)
    async def wrapper(update: Update, context: BotContext) -> None:
        if not context.services.updates.claim(update.update_id):
            log.info("update %s already processed; ignoring the replay", update.update_id)
            return
        await func(update, context)

    return wrapper


async def app_error(update: Update, context: BotContext, exc: AppError) -> None:
    """Answer a domain error with its Chinese text."""
    msg = texts.error_text(exc, item_ids=context.services.checkins.item_ids)
    await answer(update)
    await reply(update, msg)


def args_text(update: Update) -> str:
    """Everything after the command word, with newlines kept."""
    msg = update.effective_message
    if msg is None or not msg.text:
        return ""
    parts = msg.text.split(maxsplit=1)
    return parts[1].strip() if len(parts) > 1 else ""
