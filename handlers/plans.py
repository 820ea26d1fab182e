"""Work plans in chat: /plans (list, switch with confirmation).

Callback data: ``pl:on:<plan id>`` asks to switch, ``pl:yes:<plan id>`` switches, ``pl:no`` leaves
things as they are."""

from __future__ import annotations

from telegram import Update
from telegram.ext import Application, CallbackQueryHandler, CommandHandler

from bot import texts
from bot.context import BotContext
from bot.errors import PlanError
from handlers.common import admin_only, answer, edit_or_reply, keyboard, reply


def _plans_markup(context: BotContext):  # noqa: ANN202
    rows = [[(f"切换到 {s.plan.year}年", f"pl:on:{s.plan.id}")]
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
                            keyboard([[("确认", f"pl:yes:{target.id}"), ("取消", "pl:no")]]))
        return
    view = svc.activate(target.id)
    await edit_or_reply(update, texts.plan_enabled(view.year, view.title, len(view.items)))


def register(app: Application) -> None:
    app.add_handler(CommandHandler("plans", plans))
    app.add_handler(CallbackQueryHandler(on_button, pattern=r"^pl:(on|yes|no)(:\d{1,12})?$"))
