"""The roster, for admins in a private chat: /invite, /units, the uploaded unit list, /unbind,
/revoke, /unit_rename, /unit_del.

Previews that change data on 「确认」 are stored (handlers/pending.py): kinds ``roster_import``,
``unbind``, ``unit_del``.
"""

from __future__ import annotations

import asyncio
import logging
from datetime import datetime

from telegram import InputFile, Update
from telegram.error import TelegramError
from telegram.ext import Application, CommandHandler

from bot import texts
from bot.context import BotContext
from bot.models import PendingAction
from bot.services.intake import Upload
from bot.services.roster import RosterService, invite_link, invite_workbook
from bot.services.unit_names import clean_unit_name
from handlers.common import admin_only, args_text, once, reply
from handlers.files import register_route
from handlers.pending import close_preview, confirm_markup, register_confirm
from handlers.push import push_many

log = logging.getLogger(__name__)


def _uid(update: Update) -> int:
    return update.effective_user.id


def _expires(context: BotContext, moment: datetime) -> str:
    return texts.when(moment, context.settings.tz)


@admin_only
@once
async def invite(update: Update, context: BotContext) -> None:
    """/invite 单位名称 — or several, one per line or separated by 、，,；; — one link per unit."""
    text = args_text(update)
    if not text:
        await reply(update, texts.INVITE_USAGE)
        return
    similar = context.services.roster.lookalikes(text)
    if similar:  # probably a typo of a unit the roster has: a new unit only after 确认
        action = context.services.pending.create(kind="invite_new", admin_id=_uid(update), supersede=False,
                                                  chat_id=update.effective_chat.id, payload={"text": text})
        await reply(update, texts.invite_lookalikes(similar), confirm_markup(action, ok=texts.CREATE_ANYWAY))
        return
    results = context.services.roster.create_invites(text=text, created_by=_uid(update))
    await _reply_links(update, context, results)


async def confirm_invite_new(update: Update, context: BotContext, action: PendingAction) -> None:
    """「仍然新建」 after the lookalike warning: the units and invites, in the confirming transaction."""
    uid, roster = _uid(update), context.services.roster
    results = await asyncio.to_thread(
        context.services.pending.confirm, action_id=action.id, token=action.token, user_id=uid,
        apply=lambda s, payload: roster.create_invites_in(s, text=payload["text"], created_by=uid))
    await close_preview(update)
    await _reply_links(update, context, results)


async def _reply_links(update: Update, context: BotContext, results) -> None:  # noqa: ANN001
    links = [invite_link(context.bot.username, inv.code) for _, inv, _ in results]
    expires = _expires(context, results[0][1].expires_at)
    if len(results) == 1:
        unit, _, state = results[0]
        await reply(update, texts.invite_created(unit.name, unit.kind, links[0], state, expires))
    else:
        await reply(update, texts.invites_created(results, links, expires))


@admin_only
async def units(update: Update, context: BotContext) -> None:
    """Roster: each unit, its bound members, last check-in."""
    await reply(update, texts.roster(context.services.roster.roster(), context.settings.tz))


# --- the uploaded unit list -------------------------------------------------------------------------

async def preview_roster(update: Update, context: BotContext, upload: Upload) -> None:
    """Route ``roster``: 「新建」 N, 「已存在」 M, rejected rows; stored for 「确认」."""
    assert upload.table is not None
    p = await asyncio.to_thread(context.services.roster.preview_import, upload.table)
    if not p.new and not p.existing:
        await reply(update, texts.import_nothing(upload.filename, p))
        return
    action = context.services.pending.create(kind="roster_import", admin_id=_uid(update),
                                              chat_id=update.effective_chat.id, payload=p.payload())
    await reply(update, texts.import_preview(upload.filename, upload.table.sheet, upload.table.header_row, p),
                confirm_markup(action))


async def confirm_import(update: Update, context: BotContext, action: PendingAction) -> None:
    """确认 an import: units and invites in the confirming transaction, then the links workbook."""
    uid, roster = _uid(update), context.services.roster
    issued = await asyncio.to_thread(
        context.services.pending.confirm, action_id=action.id, token=action.token, user_id=uid,
        apply=lambda s, payload: roster.apply_import(s, payload, created_by=uid))
    await close_preview(update)
    await reply(update, texts.IMPORT_CONFIRMED)
    tz = context.settings.tz
    data = await asyncio.to_thread(invite_workbook, issued, context.bot.username, tz)
    stamp = context.services.clock.now().astimezone(tz).strftime("%Y%m%d-%H%M")
    created = sum(1 for i in issued if i.created)
    expires = _expires(context, issued[0].expires_at) if issued else "—"
    try:
        await update.effective_chat.send_document(InputFile(data, filename=texts.invite_workbook_name(stamp)),
                                                  caption=texts.import_done(created, len(issued) - created, expires))
    except TelegramError as exc:  # the import is committed: the links must not be lost with the file
        log.warning("invite workbook not delivered (%s); sending the links as text", exc)
        await reply(update, texts.invite_links_fallback(
            [(i.name, invite_link(context.bot.username, i.code)) for i in issued], expires))


# --- leaving members, invites, names, deletion -------------------------------------------------------

@admin_only
async def unbind(update: Update, context: BotContext) -> None:
    """/unbind 单位名称 [成员姓名或ID]: preview, then 「确认」 removes them."""
    text = args_text(update)
    if not clean_unit_name(text):
        await reply(update, texts.UNBIND_USAGE)
        return
    unit, members = context.services.roster.unbind_preview(text)
    everyone = len(members) == len(context.services.roster.members_of(unit.id))  # type: ignore[arg-type]
    action = context.services.pending.create(kind="unbind", admin_id=_uid(update), chat_id=update.effective_chat.id,
                                              payload=RosterService.unbind_payload(unit, members))
    await reply(update, texts.unbind_preview(unit.name, [f"{m.name or m.user_id}（ID {m.user_id}）" for m in members],
                                             everyone), confirm_markup(action))


async def confirm_unbind(update: Update, context: BotContext, action: PendingAction) -> None:
    """确认 /unbind: the members go in the confirming transaction; each is told."""
    roster = context.services.roster
    removed = await asyncio.to_thread(context.services.pending.confirm, action_id=action.id, token=action.token,
                                      user_id=_uid(update), apply=roster.apply_unbind)
    await close_preview(update)
    unit = str(context.services.pending.payload(action).get("unit", ""))
    told, _ = await push_many(context.bot, [m.chat_id for m in removed], texts.unbind_notice(unit),
                              roster, context.services.pacer)
    await reply(update, texts.unbind_done(unit, [m.name or str(m.user_id) for m in removed], told))


@admin_only
@once
async def revoke(update: Update, context: BotContext) -> None:
    """/revoke 单位名称: void the unit's unused invites."""
    text = args_text(update)
    if not clean_unit_name(text):
        await reply(update, texts.REVOKE_USAGE)
        return
    unit, n = context.services.roster.revoke(text)
    await reply(update, texts.revoke_done(unit.name, n))


@admin_only
@once
async def unit_rename(update: Update, context: BotContext) -> None:
    """/unit_rename 旧名 新名."""
    text = args_text(update)
    if len(text.split()) < 2:
        await reply(update, texts.RENAME_USAGE)
        return
    roster = context.services.roster
    old, new = roster.rename_args(text)
    before, unit = roster.rename(old, new)
    await reply(update, texts.rename_done(before, unit.name))


@admin_only
async def unit_del(update: Update, context: BotContext) -> None:
    """/unit_del 单位名称: preview, then 「确认」 deletes a unit with no members."""
    text = args_text(update)
    if not clean_unit_name(text):
        await reply(update, texts.UNIT_DEL_USAGE)
        return
    unit = context.services.roster.delete_preview(text)
    checkins = context.services.roster.checkin_count(unit.id)  # type: ignore[arg-type]
    action = context.services.pending.create(kind="unit_del", admin_id=_uid(update), chat_id=update.effective_chat.id,
                                              payload={"unit_id": unit.id, "unit": unit.name})
    await reply(update, texts.unit_del_preview(unit.name, checkins), confirm_markup(action))


async def confirm_unit_del(update: Update, context: BotContext, action: PendingAction) -> None:
    """确认 /unit_del."""
    unit = await asyncio.to_thread(context.services.pending.confirm, action_id=action.id, token=action.token,
                                   user_id=_uid(update), apply=context.services.roster.apply_delete)
    await close_preview(update)
    await reply(update, texts.unit_del_done(unit.name))


def register(app: Application) -> None:
    app.add_handler(CommandHandler("invite", invite))
    app.add_handler(CommandHandler("units", units))
    app.add_handler(CommandHandler("unbind", unbind))
    app.add_handler(CommandHandler("revoke", revoke))
    app.add_handler(CommandHandler("unit_rename", unit_rename))
    app.add_handler(CommandHandler("unit_del", unit_del))
    register_route("roster", preview_roster)
    register_confirm("roster_import", confirm_import)
    register_confirm("invite_new", confirm_invite_new)
    register_confirm("unbind", confirm_unbind)
    register_confirm("unit_del", confirm_unit_del)
