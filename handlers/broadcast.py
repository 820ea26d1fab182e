"""/broadcast 文本 (preview, audience, confirm / cancel), /broadcasts, and the sender's Telegram side.

Button data (≤ 64 bytes): ``bc:ok:<id>`` confirm, ``bc:no:<id>`` cancel, ``bc:a:<id>:<audience>``,
``bc:ul:<id>:<page>`` unit list, ``bc:u:<id>:<unit_id>`` one unit, ``bc:f:<id>`` failures.
Every press is checked against the ledger (admin, draft, the very preview message), so forged
or replayed data does nothing but say so.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import re
import time
import warnings

from telegram import InlineKeyboardMarkup, Update
from telegram.error import (
    BadRequest,
    ChatMigrated,
    Forbidden,
    NetworkError,
    RetryAfter,
    TelegramError,
    TimedOut,
)
from telegram.ext import (
    Application,
    ApplicationHandlerStop,
    CallbackQueryHandler,
    CommandHandler,
    MessageHandler,
    filters,
)

from bot import texts
from bot.context import BotContext
from bot.models import Broadcast
from bot.services import Services
from bot.services.broadcast import (
    AUDIENCES,
    BroadcastRefused,
    BroadcastSender,
    Figures,
    MaybeDelivered,
    RecipientBlocked,
    Rejected,
    RetryLater,
    TransientError,
    audience_unit_id,
)
from handlers.cancel import canceller
from handlers.common import admin_only, answer, args_text, keyboard, once, reply, retry_seconds
from handlers.lifecycle.migration import send_following

log = logging.getLogger(__name__)

SENDER = "broadcast_sender"
UNITS_PER_PAGE = 8
CHAT_GAP = 1.05  # s between two messages to one chat (Telegram: about one per second)
# Sends in flight at once. The pacer starts one every 1/rate s, so ceil(rate x latency) are in
# flight (1 below 40 ms); this caps it: 25/s holds up to 200 ms per call, and a kill -9 can
# leave at most this many "maybe delivered" messages to be resent.
MAX_IN_FLIGHT = 5
# a /broadcast message at least this long (UTF-16 units; Telegram's limit is 4,096) may continue
# in the next message(s) the admin's app sends within CONTINUE_WINDOW seconds
CONTINUED_AT, CONTINUE_WINDOW = 3900, 10.0
_DATA = re.compile(r"^bc:(ok|no|a|ul|u|f):(\d{1,12})(?::([a-z_]{1,12}|\d{1,12}))?$")


# --- rendering ------------------------------------------------------------------------------------

def render(text: str) -> list[str]:
    """The messages every recipient gets (split at 4096)."""
    return texts.split(texts.bc_body(text))


def _audience_label(services: Services, audience: str) -> str:
    uid = audience_unit_id(audience)
    unit = services.broadcasts.unit(uid) if uid is not None else None
    return texts.bc_audience(audience, unit.name if unit else None)


def _preview(services: Services, b: Broadcast) -> tuple[str, list[str]]:
    """(the preview message, the parts to send before it when the text is too long to embed)."""
    parts = render(b.text)
    count = services.broadcasts.count(b.audience)
    label = _audience_label(services, b.audience)
    inline = texts.bc_preview(b.id, parts[0], count, label) if len(parts) == 1 else ""
    if inline and len(texts.split(inline)) == 1:
        return inline, []
    return texts.bc_preview(b.id, None, count, label, len(parts)), parts


def _preview_markup(services: Services, b: Broadcast) -> InlineKeyboardMarkup | None:
    def aud(key: str) -> tuple[str, str]:
        mark = "✓ " if b.audience == key else ""
        return mark + texts.BC_BUTTON_AUDIENCE[key], f"bc:a:{b.id}:{key}"

    uid = audience_unit_id(b.audience)
    unit_label = texts.BC_PICK_UNIT
    if uid is not None:
        unit = services.broadcasts.unit(uid)
        unit_label = "✓ " + (unit.name if unit else texts.BC_PICK_UNIT)
    return keyboard([
        [(texts.BC_CONFIRM, f"bc:ok:{b.id}"), (texts.BC_CANCEL, f"bc:no:{b.id}")],
        [aud("all"), aud("members")],
        [aud("township"), aud("member_unit")],
        [(unit_label, f"bc:ul:{b.id}:0")],
    ])


def _units_markup(services: Services, b: Broadcast, page: int) -> tuple[InlineKeyboardMarkup | None, int, int]:
    units = services.broadcasts.units()
    pages = max(1, -(-len(units) // UNITS_PER_PAGE))
    page = min(max(page, 0), pages - 1)
    chunk = units[page * UNITS_PER_PAGE:(page + 1) * UNITS_PER_PAGE]
    rows: list[list[tuple[str, str]]] = []
    for i in range(0, len(chunk), 2):
        rows.append([(("✓ " if b.audience == f"unit:{u.id}" else "") + u.name, f"bc:u:{b.id}:{u.id}")
                     for u in chunk[i:i + 2]])
    nav = []
    if page > 0:
        nav.append((texts.BC_PREV, f"bc:ul:{b.id}:{page - 1}"))
    if page < pages - 1:
        nav.append((texts.BC_NEXT, f"bc:ul:{b.id}:{page + 1}"))
    rows.append(nav)
    rows.append([(texts.BC_BACK, f"bc:a:{b.id}:{b.audience if b.audience in AUDIENCES else 'keep'}")])
    return keyboard(rows), page, pages


# --- commands ---------------------------------------------------------------------------------------

@admin_only
@once
async def compose(update: Update, context: BotContext) -> None:
    """Create a draft and show exactly what recipients will see, with the audience buttons."""
    text = args_text(update)
    if not text:
        await reply(update, texts.BC_USAGE)
        return
    services = context.services
    b = services.broadcasts.create_draft(text=text, created_by=update.effective_user.id,
                                         admin_chat_id=update.effective_chat.id)
    _expect_more(context, update, b.id)
    await _send_preview(update, context, b)


def _expect_more(context: BotContext, update: Update, broadcast_id: int) -> None:
    """A message this long was probably cut by the admin's Telegram app, which sends the rest as
    the next message(s) at once: for a few seconds, plain text from this chat continues the draft."""
    if texts.utf16_len(update.effective_message.text or "") >= CONTINUED_AT:
        context.chat_data["bc_more"] = (broadcast_id, time.monotonic() + CONTINUE_WINDOW)
    else:
        context.chat_data.pop("bc_more", None)


async def _send_preview(update: Update, context: BotContext, b: Broadcast) -> None:
    """Send the preview (a long text's parts first) and remember it as the draft's preview."""
    services = context.services
    preview, before = _preview(services, b)
    for part in before:  # a long text: its parts first, one second apart (per-chat limit)
        await update.effective_chat.send_message(part)
        await asyncio.sleep(CHAT_GAP)
    msg = await reply(update, preview, _preview_markup(services, b))
    if msg is not None:
        services.broadcasts.attach_preview(b.id, msg.message_id)


async def continuation(update: Update, context: BotContext) -> None:
    """Group -5: the rest of a long /broadcast text, sent by the admin's app as the next message,
    joins the draft (a new preview replaces the cut one); anything else goes on as usual."""
    pending = context.chat_data.get("bc_more")
    if pending is None or time.monotonic() > pending[1] or not context.is_admin(update.effective_user.id):
        return
    old = context.services.broadcasts.get(pending[0])
    try:
        b = context.services.broadcasts.append_text(broadcast_id=pending[0], chat_id=update.effective_chat.id,
                                                   more=update.effective_message.text or "")
    except BroadcastRefused:
        context.chat_data.pop("bc_more", None)
        return
    if old is not None and old.preview_message_id is not None:
        with contextlib.suppress(TelegramError):  # the cut preview: its buttons would send half a notice
            await context.bot.edit_message_text(texts.BC_CONTINUED, chat_id=update.effective_chat.id,
                                                message_id=old.preview_message_id)
    _expect_more(context, update, b.id)
    await _send_preview(update, context, b)
    raise ApplicationHandlerStop


@admin_only
async def history(update: Update, context: BotContext) -> None:
    """Recent broadcasts with their figures."""
    await reply(update, texts.bc_history(context.services.broadcasts.recent(10), context.settings.tz))


@admin_only
async def on_button(update: Update, context: BotContext) -> None:
    """Every bc: button; the ledger decides whether the press may do anything."""
    q = update.callback_query
    m = _DATA.match(q.data or "")
    if m is None or q.message is None:
        await answer(update, texts.BC_REFUSED["unknown"], alert=True)
        return
    kind, bid, arg = m.group(1), int(m.group(2)), m.group(3)
    chat_id, message_id = q.message.chat.id, q.message.message_id
    services = context.services
    svc = services.broadcasts
    try:
        if kind == "ok":
            b = svc.confirm(broadcast_id=bid, user_id=update.effective_user.id, chat_id=chat_id,
                            message_id=message_id)
            await answer(update, texts.BC_STARTED)
            sender: BroadcastSender | None = context.bot_data.get(SENDER)
            if sender is not None:
                sender.kick(hold_chat=chat_id)
            await _edit(context, b, texts.bc_progress(b.id, b.text, Figures(total=b.total)), None)
        elif kind == "no":
            svc.cancel(broadcast_id=bid, chat_id=chat_id, message_id=message_id)
            await answer(update, texts.CANCELLED)
            await q.edit_message_text(texts.BC_CANCELLED)
        elif kind == "a":
            current = svc.get(bid)
            audience = current.audience if (arg == "keep" and current) else (arg or "")
            if current is not None and current.audience == audience and current.status == "draft" \
                    and q.message.reply_markup == _preview_markup(services, current):
                await answer(update, texts.BC_AUDIENCE_SAME)
                return
            b = svc.set_audience(broadcast_id=bid, audience=audience, chat_id=chat_id, message_id=message_id)
            await answer(update)
            await _show_preview(q, services, b)
        elif kind == "u":
            b = svc.set_audience(broadcast_id=bid, audience=f"unit:{arg}", chat_id=chat_id,
                                 message_id=message_id)
            await answer(update)
            await _show_preview(q, services, b)
        elif kind == "ul":
            b = svc.get(bid)
            if b is None or b.status != "draft" or b.preview_message_id != message_id:
                raise BroadcastRefused("unknown" if b is None else
                                       ("not_preview" if b.status == "draft" else b.status))
            markup, page, pages = _units_markup(services, b, int(arg or 0))
            await answer(update)
            text = texts.bc_pick_unit(b.id, svc.count(b.audience), _audience_label(services, b.audience),
                                      page, pages)
            await q.edit_message_text(text, reply_markup=markup)
        elif kind == "f":
            if svc.get(bid) is None:
                raise BroadcastRefused("unknown")
            await answer(update)
            await reply(update, texts.bc_failures(bid, svc.failures(bid)))
    except BroadcastRefused as exc:
        await answer(update, texts.BC_REFUSED.get(exc.reason, texts.BC_REFUSED["unknown"]), alert=True)


async def _show_preview(q, services: Services, b: Broadcast) -> None:  # noqa: ANN001
    text, _before = _preview(services, b)
    with contextlib.suppress(BadRequest):  # "message is not modified": nothing changed
        await q.edit_message_text(text, reply_markup=_preview_markup(services, b))


# --- the sender's Telegram side ------------------------------------------------------------------------

def make_send(bot, roster=None):  # noqa: ANN001, ANN201
    """``send(chat_id, html)`` for the sender: python-telegram-bot's errors become outcomes; a group
    that moved to a supergroup is followed (``roster``) and sent to at its new id."""

    async def send(chat_id: int, text: str) -> None:
        async def one(target: int) -> object:
            return await bot.send_message(target, text)

        try:
            await send_following(chat_id, one, roster=roster)
        except RetryAfter as exc:
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                raise RetryLater(retry_seconds(exc)) from exc
        except Forbidden as exc:
            if roster is not None:  # the roster's own view of the chat (it caches who is active)
                roster.mark_blocked(chat_id)
            raise RecipientBlocked(exc.message) from exc
        except ChatMigrated as exc:
            raise Rejected(f"group moved to {exc.new_chat_id}") from exc
        except TimedOut as exc:
            if "Pool timeout" in exc.message:  # never left this process
                raise TransientError(exc.message) from exc
            raise MaybeDelivered(exc.message) from exc  # PTB #1045: resending made three copies
        except BadRequest as exc:
            raise Rejected(exc.message) from exc
        except NetworkError as exc:
            raise TransientError(exc.message) from exc
        except TelegramError as exc:
            raise Rejected(exc.message) from exc

    return send


async def _edit(context_or_app, b: Broadcast, text: str, markup: InlineKeyboardMarkup | None,  # noqa: ANN001
                *, fallback: bool = False) -> None:
    """Edit the broadcast's preview message (never with identical text); the final report falls
    back to a new message when the preview cannot be edited."""
    bot = context_or_app.bot
    last: dict[int, str] = context_or_app.bot_data.setdefault("broadcast_last_text", {})
    if last.get(b.id) == text and not fallback:
        return
    for attempt in range(3):
        try:
            if b.preview_message_id is None:
                raise BadRequest("message to edit not found")
            await bot.edit_message_text(text, chat_id=b.admin_chat_id, message_id=b.preview_message_id,
                                        reply_markup=markup)
            last[b.id] = text
            return
        except RetryAfter as exc:
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                await asyncio.sleep(retry_seconds(exc) if fallback else 0)
            if not fallback:
                return  # a progress tick can be skipped
        except BadRequest as exc:
            if "not modified" in exc.message:
                last[b.id] = text
                return
            log.warning("could not edit broadcast %s preview: %s", b.id, exc.message)
            if fallback:
                with contextlib.suppress(TelegramError):
                    await bot.send_message(b.admin_chat_id, text, reply_markup=markup)
            return
        except NetworkError as exc:  # includes TimedOut; an edit is idempotent
            log.warning("editing broadcast %s preview failed (attempt %d): %s", b.id, attempt + 1, exc)
            await asyncio.sleep(1)
        except Forbidden:
            return


@canceller
async def cancel_previews(update: Update, context: BotContext) -> str | None:
    """/cancel: an admin's open broadcast previews in this chat are cancelled (their 确认 then
    sends nothing) and say so."""
    user, chat = update.effective_user, update.effective_chat
    if user is None or chat is None or not context.is_admin(user.id):
        return None
    drafts = context.services.broadcasts.cancel_open(created_by=user.id, chat_id=chat.id)
    for b in drafts:
        await _edit(context, b, texts.BC_CANCELLED, None)
    return texts.BC_CANCELLED if drafts else None


def register(app: Application):  # noqa: ANN201
    """Handlers now; the returned hook (run once services exist) resumes unfinished broadcasts
    and starts the sender."""
    app.add_handler(CommandHandler("broadcast", compose))
    app.add_handler(MessageHandler(filters.ChatType.PRIVATE & filters.TEXT & ~filters.COMMAND,
                                   continuation), group=-5)
    app.add_handler(CommandHandler("broadcasts", history))
    app.add_handler(CallbackQueryHandler(on_button, pattern=r"^bc:"))

    async def on_progress(b: Broadcast, fig: Figures) -> None:
        await _edit(app, b, texts.bc_progress(b.id, b.text, fig), None)

    async def on_done(b: Broadcast, fig: Figures) -> None:
        services: Services = app.bot_data["services"]
        markup = keyboard([[(texts.BC_SHOW_FAILURES, f"bc:f:{b.id}")]]) if fig.failed or fig.blocked else None
        text = texts.bc_report(b.id, b.text, fig, _audience_label(services, b.audience))
        await _edit(app, b, text, markup, fallback=True)

    async def startup(app: Application) -> None:
        services: Services = app.bot_data["services"]
        sender = BroadcastSender(services.broadcasts, make_send(app.bot, services.roster), render,
                                 rate=services.settings.broadcast_rate, chat_gap=CHAT_GAP,
                                 pacer=services.pacer,
                                 max_in_flight=MAX_IN_FLIGHT,
                                 on_progress=on_progress, on_done=on_done,
                                 may_send=lambda: services.lease.is_leader)
        app.bot_data[SENDER] = sender
        app.bot_data["broadcast_task"] = asyncio.create_task(sender.run(), name="broadcast-sender")

    previous_post_stop = app.post_stop

    async def post_stop(app: Application) -> None:
        """Let the sends in flight finish so that a clean stop leaves no row 'sending'."""
        sender: BroadcastSender | None = app.bot_data.get(SENDER)
        task: asyncio.Task | None = app.bot_data.get("broadcast_task")
        if sender is not None:
            await sender.stop()
        if task is not None:
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await task
        if previous_post_stop is not None:
            await previous_post_stop(app)

    app.post_stop = post_stop
    return startup
