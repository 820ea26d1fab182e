"""The check-in conversation. Its state lives in the database (one draft row per user, written at
every step), so a kill -9 at any step loses nothing: states are the draft's ``step`` values.
Every button of a flow carries the draft's token, so a button left over from an earlier flow is
recognised as stale instead of acting on the current one."""

from __future__ import annotations

import unicodedata

from telegram import Update
from telegram.error import BadRequest
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
from bot.errors import BadInput, DraftExpired, NotBound
from bot.models import STATUSES
from bot.services.checkins import MAX_EVIDENCE
from handlers.cancel import canceller
from handlers.common import (
    admin_only,
    answer,
    app_error,
    display_name,
    edit_or_reply,
    keyboard,
    once,
    reply,
)
from handlers.push import push_many, push_one

# conversation states (CheckinDraft.step)
CHOOSING_ITEM, CHOOSING_STATUS, WRITING_NOTE, CONFIRMING = "item", "status", "note", "confirm"
NO_NOTE = {"无", "没有", "无。", "-", "no", "none"}
CANCEL_WORDS = {"取消", "算了", "退出", "不填了", "cancel"}
CONFIRM_WORDS = {"确认", "确定", "是", "对", "ok"}


def _member(update: Update, context: BotContext):  # noqa: ANN202
    m = context.services.roster.membership(update.effective_user.id if update.effective_user else None)
    if m is None:
        raise NotBound()
    return m


def item_keyboard(context: BotContext, d, unit):  # noqa: ANN001, ANN201
    """The draft's plan's items, the unit's assigned ones (任务分解) first."""
    token = d.token
    rows = [[(f"{i.id} {i.title}", f"ci:i:{token}:{i.id}")]
            for i in context.services.checkins.items_for_unit(unit, d.plan_id)]
    return keyboard(rows + [[(texts.CANCEL, f"ci:no:{token}")]])


def status_keyboard(token: str):  # noqa: ANN201
    return keyboard([[(f"{texts.STATUS_ICON[s]} {s}", f"ci:s:{token}:{n}") for n, s in enumerate(STATUSES)],
                     [(texts.CANCEL, f"ci:no:{token}")]])


def confirm_keyboard(token: str):  # noqa: ANN201
    return keyboard([[(texts.CONFIRM, f"ci:ok:{token}"), (texts.EDIT_NOTE, f"ci:ed:{token}"),
                      (texts.CANCEL, f"ci:no:{token}")]])


async def checkin(update: Update, context: BotContext) -> None:
    """/checkin starts the guided flow; /checkin 2.2 opens it at the status step of item 2.2;
    /checkin 2.2 已完成 说明 records in one line."""
    _, unit = _member(update, context)
    svc = context.services.checkins
    item = svc.resolve_item(context.args[0]) if len(context.args or ()) == 1 else None
    if context.args and item is None:
        await oneline(update, context)
        return
    open_flow = svc.draft(update.effective_user.id) if not context.args else None
    if open_flow is not None and open_flow.step in (WRITING_NOTE, CONFIRMING):
        # a flow with a status chosen (waiting for its note, or at 确认): carry on with it rather
        # than lose what was entered; one still at the item or status step simply starts afresh
        await _resume(update, context, open_flow)
        return
    d = svc.start_draft(user_id=update.effective_user.id, chat_id=update.effective_chat.id, item_id=item)
    if item is not None:
        await _after_item(update, context, d, edit=False)
        return
    await reply(update, texts.CHOOSE_ITEM, item_keyboard(context, d, unit))


@once
async def oneline(update: Update, context: BotContext) -> None:
    """One-line form; a replayed update records nothing the second time. It ends any open flow."""
    svc = context.services.checkins
    item, status, note = svc.parse_oneline(context.args)
    c = svc.record(user_id=update.effective_user.id, item_id=item, status=status, note=note, draft="drop")
    await reply(update, texts.recorded(item, svc.title(item), status, c.period, note, late=svc.is_late(c)))


async def _resume(update: Update, context: BotContext, d) -> None:  # noqa: ANN001
    """/checkin while a flow waits for its note or at 确认: say so, and show that step again (its
    buttons still work; 取消 starts afresh)."""
    await reply(update, texts.RESUMING)
    if d.step == WRITING_NOTE:
        await _after_status(update, context, d, edit=False)
    else:
        await _summary(update, context, d)


async def _after_item(update: Update, context: BotContext, d, *, edit: bool) -> None:  # noqa: ANN001
    text = texts.choose_status(d.item_id, context.services.checkins.title(d.item_id, d.plan_id))
    await (edit_or_reply if edit else reply)(update, text, status_keyboard(d.token))


async def _after_status(update: Update, context: BotContext, d, *, edit: bool) -> None:  # noqa: ANN001
    text = texts.ask_note(d.item_id, d.status)
    await (edit_or_reply if edit else reply)(update, text, keyboard([[(texts.CANCEL, f"ci:no:{d.token}")]]))


async def _summary(update: Update, context: BotContext, d, *, head: str = "") -> None:  # noqa: ANN001
    """Step 4: what will be recorded (with the number of attached files), 确认 / 修改说明 / 取消."""
    svc = context.services.checkins
    await reply(update, head + texts.summary(d.item_id, svc.title(d.item_id, d.plan_id), d.status, d.note or "",
                                             correcting=d.corrects_id is not None,
                                             files=svc.draft_evidence(d.user_id)),
                confirm_keyboard(d.token))


async def _done(update: Update, context: BotContext, c, *, edit: bool) -> None:  # noqa: ANN001
    svc = context.services.checkins
    files = svc.evidence_counts([c.id]).get(c.id, 0)
    text = texts.recorded(c.item_id, svc.title(c.item_id, c.plan_id), c.status, c.period, c.note, late=svc.is_late(c),
                          corrected=bool(c.corrects_id), files=files, checkin_id=c.id)
    await (edit_or_reply if edit else reply)(update, text)


async def on_button(update: Update, context: BotContext) -> None:
    """ci:i:<token>:<item>, ci:s:<token>:<n>, ci:ok:<token>, ci:ed:<token> (修改说明),
    ci:no:<token>, ci:fix:<checkin id>."""
    q = update.callback_query
    svc = context.services.checkins
    uid = update.effective_user.id
    parts = (q.data or "").split(":")
    action = parts[1] if len(parts) > 1 else ""
    token = parts[2] if len(parts) > 2 else ""
    if action == "no":
        dropped = svc.cancel_draft(uid, token=token)
        await answer(update, None if dropped else texts.STALE_BUTTON, alert=not dropped)
        if dropped:
            await edit_or_reply(update, texts.CHECKIN_CANCELLED)
        return
    _, unit = _member(update, context)
    if action == "fix" and len(parts) == 3 and parts[2].isdigit():
        old = svc.latest_correctable(unit.id)
        if old is None or old.id != int(parts[2]):
            await answer(update, texts.STALE_BUTTON, alert=True)
            return
        await answer(update)
        d = svc.start_draft(user_id=uid, chat_id=update.effective_chat.id, corrects_id=old.id)
        await reply(update, texts.choose_item_correcting(old.item_id, svc.title(old.item_id, old.plan_id), old.status),
                    item_keyboard(context, d, unit))
        return
    try:
        if action == "i" and len(parts) == 4:
            d = svc.choose_item(uid, parts[3], token=token)
            await answer(update)
            await _after_item(update, context, d, edit=True)
        elif action == "s" and len(parts) == 4 and parts[3].isdigit() and int(parts[3]) < len(STATUSES):
            d = svc.choose_status(uid, STATUSES[int(parts[3])], token=token)
            await answer(update)
            await _after_status(update, context, d, edit=True)
        elif action == "ok":
            c = svc.confirm_draft(uid, token=token)
            await answer(update)
            await _done(update, context, c, edit=True)
        elif action == "ed":
            d = svc.edit_note(uid, token=token)
            await answer(update)
            await _after_status(update, context, d, edit=True)
        else:
            raise BadInput("stale_step")
    except BadInput as exc:
        if exc.message not in ("stale_step", "no_draft"):
            raise
        # a button from a finished or abandoned flow: a toast, not a new message
        await answer(update, texts.STALE_BUTTON, alert=True)


async def note_or_pass(update: Update, context: BotContext) -> None:
    """Text while a flow is open: the note, or a typed item/status/确认/取消; anything else (a
    question) goes on to the question handler and the flow stays open."""
    svc = context.services.checkins
    uid = update.effective_user.id if update.effective_user else None
    if uid is None:
        return
    try:
        # the common case, no flow open, is one cheap lookup (has_draft) before the ORM row
        d = svc.draft(uid) if svc.has_draft(uid) else None
    except DraftExpired as exc:
        await reply(update, texts.checkin_timeout(exc.minutes))
        raise ApplicationHandlerStop from None
    if d is None:
        await _typed_checkin(update, context)
        return
    msg = update.effective_message
    text = (msg.text or "").strip()
    word = unicodedata.normalize("NFKC", text).lower().rstrip("。.!！")
    if word in CANCEL_WORDS:
        svc.cancel_draft(uid)
        await reply(update, texts.CHECKIN_CANCELLED)
        raise ApplicationHandlerStop
    if d.step == CHOOSING_ITEM and text and (item := svc.resolve_item(text, d.plan_id)):
        await _after_item(update, context, svc.choose_item(uid, item), edit=False)
        raise ApplicationHandlerStop
    if d.step == CHOOSING_STATUS and text and (status := svc.resolve_status(text)):
        await _after_status(update, context, svc.choose_status(uid, status), edit=False)
        raise ApplicationHandlerStop
    if d.step == CONFIRMING and word in CONFIRM_WORDS:
        await _done(update, context, svc.confirm_draft(uid), edit=False)
        raise ApplicationHandlerStop
    if d.step not in (WRITING_NOTE, CONFIRMING):
        return
    if msg.photo or msg.document:
        await _evidence(update, context, d)
        raise ApplicationHandlerStop
    if d.step != WRITING_NOTE:
        if msg.text:  # a question while the summary waits: answered next, after this reminder
            await reply(update, texts.awaiting_confirm(d.item_id, d.status), confirm_keyboard(d.token))
        return
    if not msg.text:
        await reply(update, texts.NOTE_NOT_TEXT)
        raise ApplicationHandlerStop
    await _note(update, context, text)


async def _typed_checkin(update: Update, context: BotContext) -> None:
    """A bound member's plain text that reads as a check-in (``2.2已完成，走访12户``, ``我镇1.2完成了``)
    is not a question: it becomes a guided flow at the confirmation step — nothing is recorded
    until 确认, and the member sees that /checkin is how to report."""
    msg, svc = update.effective_message, context.services.checkins
    if not msg.text or msg.text.lstrip().startswith(("／", "、")):  # a command typed with the IME's slash:
        return                                                    # the question handler shows the fix
    parsed = svc.parse_checkin_text(msg.text, lead=True)
    if parsed is None or context.services.roster.membership(update.effective_user.id) is None:
        return
    item, status, note = parsed
    d = svc.start_draft(user_id=update.effective_user.id, chat_id=update.effective_chat.id, item_id=item,
                        status=status, note=note)
    await _summary(update, context, d, head=texts.TYPED_CHECKIN)
    raise ApplicationHandlerStop


async def _note(update: Update, context: BotContext, text: str) -> None:
    """The note step's text (or a photo's caption): the summary, or the refusal of an over-long
    note — and nothing else answers it (it is not a question)."""
    svc = context.services.checkins
    try:
        d = svc.give_note(update.effective_user.id, "" if text.lower() in NO_NOTE else text)
    except BadInput as exc:
        await app_error(update, context, exc)
        raise ApplicationHandlerStop from None
    await _summary(update, context, d)
    raise ApplicationHandlerStop


async def _evidence(update: Update, context: BotContext, d) -> None:  # noqa: ANN001
    """A photo or document at the note or confirm step: kept as evidence (≤ MAX_EVIDENCE); a
    photo's caption at the note step is the note."""
    msg, svc = update.effective_message, context.services.checkins
    if msg.photo:
        best = msg.photo[-1]  # Telegram lists the sizes smallest first
        kind, file_id, unique, name = "photo", best.file_id, best.file_unique_id, ""
    else:
        kind, file_id = "document", msg.document.file_id
        unique, name = msg.document.file_unique_id, msg.document.file_name or ""
    try:
        n = svc.add_evidence(d.user_id, kind=kind, file_id=file_id, file_unique_id=unique, file_name=name)
    except BadInput as exc:
        await app_error(update, context, exc)
        return
    caption = (msg.caption or "").strip()
    if d.step == WRITING_NOTE and caption:
        await _note(update, context, caption)
    if d.step == CONFIRMING:
        await _summary(update, context, svc.draft(d.user_id))
        return
    await reply(update, texts.evidence_received(n, MAX_EVIDENCE))


async def mine(update: Update, context: BotContext) -> None:
    """/mine: the unit's recent check-ins (代填 and attachments marked), a button to correct the latest."""
    _, unit = _member(update, context)
    svc = context.services.checkins
    rows = svc.recent(unit.id, 10)
    latest = svc.latest_correctable(unit.id)
    markup = keyboard([[(texts.correct_latest_button(latest.item_id), f"ci:fix:{latest.id}")]]) if latest else None
    titles = {c.id: svc.title(c.item_id, c.plan_id) for c in rows}
    files = svc.evidence_counts([c.id for c in rows])
    await reply(update, texts.mine(unit.name, rows, titles, context.settings.tz, files=files), markup)


async def evidence(update: Update, context: BotContext) -> None:
    """/evidence ID: resend a check-in's photos and documents to an admin or a member of its unit."""
    raw = unicodedata.normalize("NFKC", " ".join(context.args or ())).strip().lstrip("#")
    if not raw.isdigit() or len(raw) > 12:
        raise BadInput(texts.EVIDENCE_USAGE)
    user = update.effective_user
    c, unit, files = context.services.checkins.evidence(int(raw), viewer=user.id, admin=context.is_admin(user.id))
    await reply(update, texts.evidence_header(c.id, unit.name, c.item_id, len(files)))
    chat, lost = update.effective_chat, 0
    for f in files:  # each file on its own: one Telegram no longer has must not hide the others
        caption = texts.evidence_caption(c.id, f.file_name)
        try:
            if f.kind == "photo":
                await chat.send_photo(f.file_id, caption=caption)
            else:
                await chat.send_document(f.file_id, caption=caption)
        except BadRequest:  # "wrong file identifier": a file id Telegram no longer knows
            lost += 1
    if lost:
        await reply(update, texts.evidence_lost(lost, len(files)))


@admin_only
@once
async def checkin_for(update: Update, context: BotContext) -> None:
    """/checkin_for 单位名称 2.2 已完成 说明: 代填 — an admin records for a unit; its members are told."""
    svc, roster = context.services.checkins, context.services.roster
    split = svc.split_unit_name(list(context.args or ()))
    if split is None:
        raise BadInput(texts.CHECKIN_FOR_USAGE)
    name, rest = split
    unit = roster.find_unit(name)
    if unit is None:
        raise BadInput(texts.unknown_unit(name))
    item, status, note = svc.parse_oneline(rest)
    admin = display_name(update)
    c = svc.record_for(unit_id=unit.id, admin_id=update.effective_user.id, admin_name=admin,
                       item_id=item, status=status, note=note)
    title = svc.title(item, c.plan_id)
    s = context.services
    members = s.roster.members_by_unit().get(unit.id, [])
    told, _ = await push_many(context.bot, [m.chat_id for m in members],
                              texts.proxy_notice(unit.name, item, title, status, c.period, admin), s.roster, s.pacer)
    await reply(update, texts.recorded_for(unit.name, item, title, status, c.period, note, admin, told))


@canceller
async def cancel_flow(update: Update, context: BotContext) -> str | None:
    """/cancel: the user's open check-in flow (and the files sent during it) is dropped."""
    user = update.effective_user
    return texts.CHECKIN_CANCELLED if user is not None and context.services.checkins.cancel_draft(user.id) else None


async def expire_drafts(context: BotContext) -> None:
    """Job: tell users whose flow sat idle past the timeout that nothing was recorded (each through
    push_one: one blocked user never costs the others their notice). Only the process holding the
    sender lease does it, so processes sharing a database never tell anyone twice."""
    services = context.services
    if not services.lease.is_leader:
        return
    text = texts.checkin_timeout(context.settings.checkin_timeout_minutes)
    for d in services.checkins.expire_drafts():
        await push_one(context.bot, d.chat_id, text, services.roster, services.pacer)


def register(app: Application, *, group_flow: int) -> None:
    app.add_handler(CommandHandler("checkin", checkin))
    app.add_handler(CommandHandler("mine", mine))
    app.add_handler(CommandHandler("evidence", evidence))
    app.add_handler(CommandHandler("checkin_for", checkin_for))
    app.add_handler(CallbackQueryHandler(on_button, pattern=r"^ci:"))
    # before the question handler: a waiting draft takes the text (or refuses a photo)
    app.add_handler(MessageHandler(filters.ChatType.PRIVATE & ~filters.COMMAND & ~filters.StatusUpdate.ALL, note_or_pass), group=group_flow)
    app.job_queue.run_repeating(expire_drafts, interval=60, first=10, name="expire-checkin-drafts")
