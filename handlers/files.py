"""The one door for documents sent to the bot: check, download, sniff, route to a preview.

Admins only, private chats only. The size Telegram announces is checked before any download
(bots cannot download files over 20 MB). ``bot.services.intake`` tells what the bytes are and
reads tables; the route table below sends each kind to the module that previews it::

    register_route("roster", preview_roster)       # async def preview_roster(update, context, upload)

Routes: ``roster`` (handlers/admin.py), ``assignment`` (任务分解表) and ``plan`` (work-plan
documents), both in handlers/plans.py.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable

from telegram import Document, Update
from telegram.error import BadRequest
from telegram.ext import Application, MessageHandler, filters

from bot import texts
from bot.context import BotContext
from bot.errors import FileRefused
from bot.services.intake import Upload, check_size, intake
from handlers.common import is_private, reply
from handlers.lifecycle.private import mentions

log = logging.getLogger(__name__)

Preview = Callable[[Update, BotContext, Upload], Awaitable[None]]
_ROUTES: dict[str, Preview] = {}


def register_route(route: str, preview: Preview) -> None:
    """Send uploads of ``route`` (``roster`` | ``assignment`` | ``plan``) to ``preview``. The
    preview replies (usually with a stored preview and confirm_markup from handlers/pending.py)
    and may raise FileRefused or any AppError; nothing may change before 「确认」."""
    _ROUTES[route] = preview


def _addressed_to_bot(update: Update, context: BotContext) -> bool:
    """A file meant for the bot in a group: its caption mentions exactly this bot (the one mention
    check, handlers/lifecycle/private.py), or it replies to the bot."""
    msg = update.effective_message
    if msg is None:
        return False
    replied = msg.reply_to_message
    return (mentions(msg, context.bot.username)
            or (replied is not None and replied.from_user is not None and replied.from_user.id == context.bot.id))


async def _download(context: BotContext, doc: Document) -> bytes:
    try:
        f = await context.bot.get_file(doc.file_id)
    except BadRequest as exc:  # Telegram: "File is too big" when the size was not announced
        if "too big" in (exc.message or "").lower():
            raise FileRefused("too_big", size=doc.file_size) from None
        raise
    check_size(f.file_size)
    return bytes(await f.download_as_bytearray())


async def on_file(update: Update, context: BotContext) -> None:
    """A document (or, from an admin, a photo) sent to the bot."""
    msg = update.effective_message
    user = update.effective_user
    admin = context.is_admin(user.id if user else None)
    if not is_private(update):
        # people share files and photos in groups all day: answer a file meant for the bot (a
        # mention in the caption, a reply to the bot) or an admin's document (an import attempt)
        if _addressed_to_bot(update, context) or (admin and msg.document is not None):
            await reply(update, texts.FILE_PRIVATE_ONLY)
        return
    if not admin:
        await reply(update, texts.FILE_ADMIN_ONLY)
        return
    try:
        if msg.document is None:  # a photo sent as a picture, not as a file
            raise FileRefused("image", what=texts.A_PHOTO)
        doc = msg.document
        check_size(doc.file_size)
        data = await _download(context, doc)
        upload = await asyncio.to_thread(intake, data, doc.file_name)
        preview = _ROUTES.get(upload.route)
        if preview is None:
            raise FileRefused("not_here", route=upload.route)
        log.info("upload %r from %s: %s -> %s", doc.file_name, user.id, upload.kind, upload.route)
        await preview(update, context, upload)
    except FileRefused as exc:
        await reply(update, texts.file_refused(exc.reason, exc.data))


def register(app: Application, *, group: int) -> None:
    """The document handler, in ``group`` — after the check-in flow's group, so a member's
    evidence at the note step reaches the flow first, and before the question handler's catch-all
    for media (first match wins within a group)."""
    admins = filters.User(user_id=app.bot_data["settings"].admin_ids)
    app.add_handler(MessageHandler(filters.Document.ALL | (filters.PHOTO & admins),
                                   on_file), group=group)
