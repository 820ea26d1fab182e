"""The 「确认」/「取消」 buttons of every stored preview (bot/services/pending.py).

A module that previews something registers what 确认 does for its kind::

    register_confirm("roster_import", confirm_import)   # async def confirm_import(update, context, action)

and sends its preview with ``confirm_markup(action)``. Button data: ``pa:ok:<id>:<token>`` and
``pa:no:<id>:<token>`` (≤ 40 bytes). This module checks the press (an admin, the preview still
pending, unexpired and — unless its kind allows several — the newest of its kind; private chats
only through the group guard, handlers/lifecycle/private.py), answers 取消 itself, and hands 确认 to the
kind's function, which applies the payload through ``context.services.pending.confirm(...)`` so
that the data change and "done" commit together. A press that comes too late (twice, after
expiry, on an older preview, after a restart that lost nothing) changes nothing and says why.
"""

from __future__ import annotations

import contextlib
import logging
import re
from collections.abc import Awaitable, Callable

from telegram import InlineKeyboardMarkup, Update
from telegram.error import BadRequest
from telegram.ext import Application, CallbackQueryHandler

from bot import texts
from bot.context import BotContext
from bot.errors import PendingGone
from bot.models import PendingAction
from handlers.cancel import canceller
from handlers.common import admin_only, answer, keyboard, reply

log = logging.getLogger(__name__)

OnConfirm = Callable[[Update, BotContext, PendingAction], Awaitable[None]]
_ON_CONFIRM: dict[str, OnConfirm] = {}
_DATA = re.compile(r"^pa:(ok|no):(\d{1,12}):([A-Za-z0-9_-]{1,16})$")


def register_confirm(kind: str, on_confirm: OnConfirm) -> None:
    """What 「确认」 does for previews of ``kind``. ``on_confirm(update, context, action)`` must
    apply through ``context.services.pending.confirm(action_id=action.id, token=action.token,
    user_id=..., apply=...)``; a PendingGone it raises is answered here."""
    _ON_CONFIRM[kind] = on_confirm


def confirm_markup(action: PendingAction, ok: str | None = None, cancel: str | None = None) -> InlineKeyboardMarkup:
    """The 「确认」/「取消」 row for a stored preview."""
    markup = keyboard([[(ok or texts.CONFIRM, f"pa:ok:{action.id}:{action.token}"),
                        (cancel or texts.CANCEL, f"pa:no:{action.id}:{action.token}")]])
    assert markup is not None
    return markup


async def close_preview(update: Update) -> None:
    """Take the buttons off the preview whose button was pressed (best effort: an old message
    may no longer be editable)."""
    q = update.callback_query
    if q is not None and q.message is not None and getattr(q.message, "reply_markup", None) is not None:
        with contextlib.suppress(BadRequest):
            await q.edit_message_reply_markup(reply_markup=None)


@admin_only
async def on_button(update: Update, context: BotContext) -> None:
    """pa:ok / pa:no: confirm or cancel a stored preview."""
    q = update.callback_query
    m = _DATA.match(q.data or "")
    if m is None:
        await answer(update, texts.pending_gone("unknown"), alert=True)
        return
    verb, action_id, token = m.group(1), int(m.group(2)), m.group(3)
    svc = context.services.pending
    uid = update.effective_user.id
    try:
        if verb == "no":
            svc.cancel(action_id=action_id, token=token, user_id=uid)
            await answer(update, texts.PENDING_CANCELLED)
            await close_preview(update)
            await reply(update, texts.PENDING_CANCELLED)
            return
        action = svc.check(action_id=action_id, token=token, user_id=uid)
        on_confirm = _ON_CONFIRM.get(action.kind)
        if on_confirm is None:
            log.warning("no confirm handler registered for preview kind %r", action.kind)
            await answer(update, texts.PENDING_NO_HANDLER, alert=True)
            return
        await answer(update)
        await on_confirm(update, context, action)
    except PendingGone as exc:
        await answer(update, texts.pending_gone(exc.reason), alert=True)
        if exc.reason in ("done", "cancelled", "superseded", "expired"):
            await close_preview(update)
        await reply(update, texts.pending_gone(exc.reason))


@canceller
async def cancel_previews(update: Update, context: BotContext) -> str | None:
    """/cancel: the admin's stored previews (uploads, /unbind, /unit_del) are cancelled; a later
    确认 on one of them changes nothing and says so."""
    user = update.effective_user
    if user is None or not context.is_admin(user.id):
        return None
    n = context.services.pending.cancel_all(user_id=user.id)
    return texts.previews_cancelled(n) if n else None


async def prune(context: BotContext) -> None:
    """Job: forget previews finished or expired a month ago."""
    context.services.pending.prune()


def register(app: Application) -> None:
    app.add_handler(CallbackQueryHandler(on_button, pattern=r"^pa:"))
    app.job_queue.run_repeating(prune, interval=6 * 3600, first=600, name="prune-previews")
