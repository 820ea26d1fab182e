"""Work plans in chat: /plans (list, switch with confirmation), a plan document sent to the bot
(preview → 「启用」), responsibilities (/assign, a 任务分解表 sent to the bot → 「确认」).

Uploads arrive through the one file door (handlers/files.py, route ``plan`` / ``assignment``);
their previews are stored (handlers/pending.py), so a restart between preview and 启用 leaves
the old plan active and the preview usable. Callback data: ``pl:on:<plan id>`` asks to switch,
``pl:yes:<plan id>`` switches, ``pl:no`` leaves things as they are."""

from __future__ import annotations

import asyncio
import re
import unicodedata

from telegram import Update
from telegram.ext import Application, CallbackQueryHandler, CommandHandler

from bot import texts
from bot.context import BotContext
from bot.errors import BadInput, PlanError
from bot.models import PendingAction
from bot.services.assignment_table import (
    parse_assignment_rows,
    resolve_unit_refs,
    split_unit_refs,
)
from bot.services.duties import preview_table, read_assign_args
from bot.services.intake import Upload
from bot.services.plans import PlanDraft, draft_from_paragraphs
from handlers.common import admin_only, answer, args_text, edit_or_reply, keyboard, reply
from handlers.files import register_route
from handlers.pending import close_preview, confirm_markup, register_confirm

_CAPTION_YEAR = re.compile(r"(?<!\d)(20\d{2}|21\d{2})(?!\d)")


def _plans_markup(context: BotContext):  # noqa: ANN202
    rows = [[(texts.switch_plan_button(s.plan.year), f"pl:on:{s.plan.id}")]
            for s in context.services.plans.summaries() if not s.plan.active]
    return keyboard(rows)


@admin_only
async def plans(update: Update, context: BotContext) -> None:
    """/plans: every year's plan, the active one marked, a button per other plan to switch."""
    await reply(update, texts.plans_list(context.services.plans.summaries()), _plans_markup(context))


@admin_only
async def on_button(update: Update, context: BotContext) -> None:
    """pl:on:<id> -> confirmation; pl:yes:<id> -> switch; pl:no -> nothing."""
    data = (update.callback_query.data or "").split(":")
    svc = context.services.plans
    await answer(update)
    if data[1] == "no":
        await edit_or_reply(update, texts.PLAN_UPLOAD_CANCELLED)
        return
    try:
        target = svc.get(int(data[2]))
    except (IndexError, ValueError, PlanError):
        await edit_or_reply(update, texts.plan_error("no_such_plan", {}))
        return
    if data[1] == "on":
        if target.active:
            await edit_or_reply(update, texts.plans_list(svc.summaries()), _plans_markup(context))
            return
        await edit_or_reply(update, texts.plan_switch_confirm(target.year, target.title, svc.active().year),
                            keyboard([[(texts.CONFIRM, f"pl:yes:{target.id}"), (texts.CANCEL, "pl:no")]]))
        return
    view = svc.activate(target.id)
    await edit_or_reply(update, texts.plan_enabled(view.year, view.title, len(view.items)))


# --- a plan document sent to the bot -----------------------------------------------------------------

async def preview_plan(update: Update, context: BotContext, upload: Upload) -> None:
    """Route ``plan``: parse (off the event loop), store the preview, show it with 「启用」/「取消」.
    A year in the caption (「2026」) is used when the title and 文号 name none."""
    from knowledge import DocumentError, read_document

    caption = unicodedata.normalize("NFKC", update.effective_message.caption or "")
    m = _CAPTION_YEAR.search(caption)
    try:
        # a .txt the file door already decoded (UTF-8, GB18030, UTF-16…) is used as decoded
        paragraphs = (upload.text.splitlines() if upload.text is not None
                      else await asyncio.to_thread(read_document, upload.data, upload.filename))
        draft = await asyncio.to_thread(draft_from_paragraphs, paragraphs, source_name=upload.filename,
                                        fallback_year=int(m.group(1)) if m else None)
    except DocumentError as exc:
        await reply(update, texts.plan_document_refused(exc.reason, upload.filename))
        return
    plans = context.services.plans
    plans.check_replaces(draft)
    action = context.services.pending.create(kind="plan", admin_id=update.effective_user.id,
                                              chat_id=update.effective_chat.id, payload={"draft": draft.to_json()})
    await reply(update, texts.plan_preview(draft, replaces_year=draft.replaces is not None),
                confirm_markup(action, ok=texts.PLAN_ENABLE))


async def confirm_plan(update: Update, context: BotContext, action: PendingAction) -> None:
    """「启用」: the plan is stored and made active in the confirming transaction; its index is
    built before the reply, so the next question is answered from it at once."""
    plans, pending = context.services.plans, context.services.pending
    pid = await asyncio.to_thread(
        pending.confirm, action_id=action.id, token=action.token, user_id=update.effective_user.id,
        apply=lambda s, payload: plans.store_in(s, PlanDraft.from_json(payload["draft"]),
                                                created_by=update.effective_user.id, activate=True))
    plans.forget_active()
    view = plans.get(pid)
    await asyncio.to_thread(plans.kb, pid)
    await close_preview(update)
    await reply(update, texts.plan_enabled(view.year, view.title, len(view.items)))


# --- responsibilities (任务分解) ----------------------------------------------------------------------

async def preview_assignment(update: Update, context: BotContext, upload: Upload) -> None:
    """Route ``assignment``: each row resolved against the active plan and the roster; unknown units
    and items listed (never created); stored for 「确认」."""
    plan = context.services.plans.active()
    units = context.services.roster.units()  # once: every row is matched against the same roster
    rows = parse_assignment_rows(upload.table)
    p = await asyncio.to_thread(preview_table, rows, plan, lambda refs: resolve_unit_refs(refs, units))
    if not p.lines:
        await reply(update, texts.assignment_nothing(upload.filename, p))
        return
    action = context.services.pending.create(kind="assignment", admin_id=update.effective_user.id,
                                              chat_id=update.effective_chat.id, payload=p.payload())
    names = {u.id: u.name for u in units}
    titles = {i.id: i.title for i in plan.items}
    await reply(update, texts.assignment_preview(upload.filename, plan.year, p, titles, names),
                confirm_markup(action))


async def confirm_assignment(update: Update, context: BotContext, action: PendingAction) -> None:
    """「确认」 a 任务分解表: every listed item's assignment replaced, in the confirming transaction."""
    duties = context.services.duties
    plan_id, n = await asyncio.to_thread(
        context.services.pending.confirm, action_id=action.id, token=action.token,
        user_id=update.effective_user.id, apply=duties.apply_payload)
    await close_preview(update)
    await reply(update, texts.assignment_applied(context.services.plans.get(plan_id).year, n))


@admin_only
async def assign(update: Update, context: BotContext) -> None:
    """/assign 1.2 乡镇 街道 | /assign 3.1 县人武部、县民政局 | /assign 1.2 (show) | /assign 1.2 全部
    (clear) | /assign (every assignment of the active plan)."""
    plan = context.services.plans.active()
    duties, roster = context.services.duties, context.services.roster
    raw = args_text(update)
    if not raw:
        assigned = duties.duties(plan.id)
        names = {u.id: u.name for u in roster.units()}
        await reply(update, texts.assign_overview(plan.year, [
            (i.id, i.title, sorted(assigned[i.id].kinds), [names.get(u, str(u)) for u in sorted(assigned[i.id].unit_ids)])
            for i in plan.items if i.id in assigned]))
        return
    item, head, rest = read_assign_args(raw, plan)
    if item is None:
        raise BadInput(texts.assign_bad_item(head, plan.item_ids))
    title = plan.title_of(item)
    units = roster.units()
    if not rest.strip():
        d = duties.duty(plan.id, item)
        names = {u.id: u.name for u in units}
        due = sum(1 for u in units if d.covers(u))
        await reply(update, texts.assign_show(item, title, sorted(d.kinds), [names[u] for u in sorted(d.unit_ids)
                                                                              if u in names], due))
        return
    refs = roster.resolve_unit_refs(split_unit_refs(rest))
    if refs.unknown:
        raise BadInput(texts.assign_unknown_units(refs.unknown, refs.suggestions))
    d = duties.assign(plan.id, item, kinds=refs.kinds, unit_ids=[u.id for u in refs.units])
    names = {u.id: u.name for u in units}
    due = sum(1 for u in units if d.covers(u))
    await reply(update, texts.assign_done(item, title, sorted(d.kinds), [names[u] for u in sorted(d.unit_ids)], due))


def register(app: Application) -> None:
    register_route("plan", preview_plan)
    register_route("assignment", preview_assignment)
    register_confirm("plan", confirm_plan)
    register_confirm("assignment", confirm_assignment)
    app.add_handler(CommandHandler("assign", assign))
    app.add_handler(CommandHandler("plans", plans))
    app.add_handler(CallbackQueryHandler(on_button, pattern=r"^pl:(on|yes|no)(:\d{1,12})?$"))
