"""Small helpers shared by the handler modules: replying within Telegram's limits, guards."""

from __future__ import annotations

import asyncio
import functools
import json
import logging
import warnings
from collections.abc import Awaitable, Callable, Sequence
from typing import TypeVar

from telegram import InlineKeyboardButton, InlineKeyboardMarkup, Message, Update
from telegram.constants import ChatType
from telegram.error import NetworkError, RetryAfter, TelegramError, TimedOut
from telegram.warnings import PTBDeprecationWarning

from bot import texts
from bot.context import BotContext
from bot.errors import AppError
from handlers.lifecycle.migration import send_following
from handlers.lifecycle.slots import outside_update_slot

log = logging.getLogger(__name__)
T = TypeVar("T")

Handler = Callable[[Update, BotContext], Awaitable[None]]
MAX_CALLBACK = 64


_answered: dict[str, None] = {}


async def answer(update: Update, text: str | None = None, *, alert: bool = False) -> None:
    """Answer the update's callback query once (Telegram refuses a second answer). Never raises:
    the acknowledgement only stops the button's spinner, and Telegram refuses it for reasons that
    say nothing about the press itself (400 "query is too old and response timeout expired or
    query ID is invalid" after ~15 s, a network error), so the button's action always goes on."""
    q = update.callback_query
    if q is None or q.id in _answered:
        return
    _answered[q.id] = None
    if len(_answered) > 10_000:  # keep the memory bounded: forget the oldest
        for key in list(_answered)[:5_000]:
            del _answered[key]
    try:
        await q.answer(text, show_alert=alert)
    except RetryAfter as exc:
        log.warning("callback answer refused by flood control (retry after %.0fs); the press goes on",
                    retry_seconds(exc))
    except TelegramError as exc:
        log.info("callback answer refused (%s); the press goes on", exc.message)


_keyboards: dict[tuple, InlineKeyboardMarkup | None] = {}


def keyboard(rows: Sequence[Sequence[tuple[str, str]]]) -> InlineKeyboardMarkup | None:
    """Inline keyboard from (label, callback data) pairs; data over 64 bytes is a bug, refused here.
    PTB's markup objects are immutable, so the same rows (an answer's buttons, asked again and
    again) give the same object, built once (the last 4,096 kept)."""
    key = tuple(tuple(map(tuple, row)) for row in rows)
    cached = _keyboards.get(key)
    if cached is not None:
        return cached
    markup = _keyboard(rows)
    if len(_keyboards) >= 4096:
        _keyboards.pop(next(iter(_keyboards)), None)
    _keyboards[key] = markup
    return markup


def _keyboard(rows: Sequence[Sequence[tuple[str, str]]]) -> InlineKeyboardMarkup | None:
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
    """RetryAfter.retry_after in seconds (PTB gives an int now, a timedelta in a future major; its
    deprecation warning about that says nothing to an operator and is silenced here)."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", PTBDeprecationWarning)
        value = exc.retry_after
    return float(value.total_seconds() if hasattr(value, "total_seconds") else value)  # type: ignore[union-attr]


# how long a reply keeps waiting out 429s before it is given up (logged, not raised)
MAX_FLOOD_WAIT = 60.0
# a reply Telegram failed to take (5xx, connection refused or reset) is tried this many times more,
# after 0.5 s, then 1 s: Telegram's 5xx are passing ("Bad Gateway" while it restarts a front end)
SERVER_RETRIES = 2


async def deliver(chat_id: int, call: Callable[[int], Awaitable[T]]) -> T | None:
    """``await call(chat_id)`` the way every reply is sent: a 429 waits its retry_after — giving
    the update's worker slot to other chats meanwhile (handlers/lifecycle/slots.py), so only this
    chat is held back — and is logged as one WARNING line; a group that moved to a supergroup is
    followed (handlers/lifecycle/migration.py); a server error (5xx) or a refused connection is
    tried again SERVER_RETRIES times, as pushes are (handlers/push.py) — but never a timeout, whose
    request may have reached Telegram (a second try could deliver it twice; PTB #1045). None when
    flood control outlasts MAX_FLOOD_WAIT."""
    waited = 0.0
    failures = 0
    while True:
        try:
            return await send_following(chat_id, call)
        except TimedOut:
            raise
        except NetworkError as exc:
            if type(exc) is not NetworkError or failures >= SERVER_RETRIES:
                raise
            failures += 1
            log.warning("reply to chat %s failed (%s); trying again", chat_id, exc.message)
            async with outside_update_slot():
                await asyncio.sleep(0.5 * 2 ** (failures - 1))
        except RetryAfter as exc:
            seconds = retry_seconds(exc)
            if waited + seconds > MAX_FLOOD_WAIT:
                log.warning("429 for chat %s: gave up a reply after waiting %.0fs", chat_id, waited)
                return None
            log.warning("429 for chat %s: reply waits %.0fs (retry_after)", chat_id, seconds)
            async with outside_update_slot():
                await asyncio.sleep(seconds)
            waited += seconds


async def reply(update: Update, text: str, markup: InlineKeyboardMarkup | None = None) -> Message | None:
    """Send ``text`` (HTML) to the update's chat, split at 4096; buttons go on the last part."""
    chat = update.effective_chat
    if chat is None:
        return None
    bot = update.get_bot()
    parts = texts.split(text) or [texts.GENERIC_ERROR]
    sent = None
    for i, part in enumerate(parts):
        last = i == len(parts) - 1

        async def send(chat_id: int, part: str = part, last: bool = last) -> Message:
            return await bot.send_message(chat_id, part, reply_markup=markup if last else None)

        sent = await deliver(chat.id, send)
    return sent


async def edit_or_reply(update: Update, text: str, markup: InlineKeyboardMarkup | None = None) -> None:
    """Edit the message whose button was pressed (when it fits in one message), else reply."""
    q = update.callback_query
    parts = texts.split(text)
    if q is not None and q.message is not None and len(parts) == 1:
        message_id = q.message.message_id

        async def edit(chat_id: int) -> object:
            return await update.get_bot().edit_message_text(parts[0], chat_id=chat_id, message_id=message_id,
                                                            reply_markup=markup)

        await deliver(q.message.chat.id, edit)
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


def update_json(update: Update) -> str:
    """An update as JSON, the same text each time it is built (the inbox and ``once`` compare its
    digest to tell a re-delivery from a new update reusing the id)."""
    return json.dumps(update.to_dict(), ensure_ascii=False)


def once(func: Handler) -> Handler:
    """Act on an update at most once, even when Telegram re-delivers it after a crash."""

    @functools.wraps(func)
    async def wrapper(update: Update, context: BotContext) -> None:
        if not context.services.updates.claim(update.update_id, update_json(update)):
            log.info("update %s already processed; ignoring the replay", update.update_id)
            return
        await func(update, context)

    return wrapper


async def app_error(update: Update, context: BotContext, exc: AppError) -> None:
    """Answer a domain error with its Chinese text."""
    msg = texts.error_text(exc, item_ids=context.services.checkins.item_ids, tz=context.settings.tz)
    await answer(update)
    await reply(update, msg)


def args_text(update: Update) -> str:
    """Everything after the command word, with newlines kept."""
    msg = update.effective_message
    if msg is None or not msg.text:
        return ""
    parts = msg.text.split(maxsplit=1)
    return parts[1].strip() if len(parts) > 1 else ""
