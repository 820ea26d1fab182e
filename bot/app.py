"""The composition root: builds the PTB Application with its resources and every handler."""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable

from telegram import (
    BotCommand,
    BotCommandScopeChat,
    BotCommandScopeDefault,
    LinkPreviewOptions,
    Update,
)
from telegram.constants import ParseMode
from telegram.error import TelegramError
from telegram.ext import Application, ApplicationBuilder, ContextTypes, Defaults

from bot.clock import Clock
from bot.config import Settings
from bot.context import BotContext
from bot.db import init_db, make_engine
from bot.services import Services

log = logging.getLogger(__name__)

USER_COMMANDS = [
    ("start", "开始 / 绑定单位"),
    ("ask", "查询工作要点"),
    ("outline", "工作要点目录"),
    ("checkin", "登记工作进度"),
    ("mine", "本单位的填报"),
    ("evidence", "查看填报附件"),
    ("events", "近期活动"),
    ("mute", "暂停活动提醒"),
    ("unmute", "恢复活动提醒"),
    ("cancel", "退出当前操作"),
    ("help", "帮助"),
]
ADMIN_COMMANDS = USER_COMMANDS + [
    ("invite", "生成单位邀请链接"),
    ("units", "单位名册"),
    ("unbind", "解除成员绑定"),
    ("revoke", "作废未用邀请链接"),
    ("unit_rename", "单位改名"),
    ("unit_del", "删除单位"),
    ("checkin_for", "代填（替单位登记）"),
    ("progress", "本期进度"),
    ("export", "导出Excel台账"),
    ("chart", "进度图"),
    ("remind_missing", "催办未填报单位"),
    ("event_add", "添加活动"),
    ("event_edit", "活动改期"),
    ("event_del", "删除活动"),
    ("broadcast", "群发通知"),
    ("broadcasts", "群发记录"),
    ("unanswered", "未能回答的问题"),
    ("plans", "工作要点（各年度）"),
    ("assign", "任务分解（事项的责任单位）"),
]

StartupHook = Callable[[Application], Awaitable[None]]


def build_application(settings: Settings, *, clock: Clock | None = None,
                      engine=None, extra_startup: list[StartupHook] | None = None) -> Application:  # noqa: ANN001
    """Everything the bot needs, wired once. Resources open in post_init and close in post_shutdown."""
    from handlers import (
        admin,
        ask,
        broadcast,
        cancel,
        checkin,
        errors,
        events,
        files,
        pending,
        plans,
        progress,
        start,
    )
    if settings.telegram_bot_token is None:
        raise ValueError("TELEGRAM_BOT_TOKEN is required to build the application")
    clock = clock or Clock()
    engine = engine or make_engine(settings.database_url)
    startup_hooks: list[StartupHook] = []

    async def post_init(app: Application) -> None:
        init_db(engine)
        services = app.bot_data["services"] = Services.build(engine=engine, settings=settings, clock=clock)
        # one sender among processes sharing the database: take the lease before any catch-up work
        services.lease.renew()
        app.job_queue.run_repeating(_renew_lease, interval=10, first=10, name="lease")
        await _set_commands(app, settings)
        me = app.bot
        log.info("双拥助手 started as @%s (%d admins, database %s)", me.username, len(settings.admin_ids),
                 engine.url.render_as_string(hide_password=True))
        for hook in startup_hooks + (extra_startup or []):
            await hook(app)

    async def post_shutdown(app: Application) -> None:
        services = app.bot_data.get("services")
        if services is not None:
            services.lease.release()
        engine.dispose()

    app = (
        ApplicationBuilder()
        .token(settings.telegram_bot_token.get_secret_value())
        .base_url(settings.telegram_base_url)
        .base_file_url(settings.telegram_base_url.replace("/bot", "/file/bot"))
        .defaults(Defaults(parse_mode=ParseMode.HTML, tzinfo=settings.tz,
                           link_preview_options=LinkPreviewOptions(is_disabled=True)))
        .context_types(ContextTypes(context=BotContext))
        .concurrent_updates(16)
        .connection_pool_size(16)
        .pool_timeout(30)
        .post_init(post_init)
        .post_shutdown(post_shutdown)
        .build()
    )
    app.bot_data["settings"] = settings

    # Handler groups, in the order PTB runs them for each update:
    #  -1  nothing yet (reserved for update-wide checks)
    #   0  commands and buttons of every module (first match wins inside a group)
    #   1  a check-in draft waiting for its note takes plain text (stops the update when it does)
    #   2  documents go to the one file door (handlers/files.py) before the question handler's media
    #      catch-all; any remaining private text (or a group message mentioning the bot) is a question
    start.register(app)
    cancel.register(app)
    pending.register(app)  # 确认/取消 of every stored preview (uploads, /unbind, /unit_del)
    admin.register(app)
    checkin.register(app, group_flow=1)
    progress.register(app)
    plans.register(app)
    startup_hooks.append(events.register(app))
    startup_hooks.append(broadcast.register(app))
    files.register(app, group=2)
    ask.register(app, group_text=2, known_commands=[c for c, _ in ADMIN_COMMANDS])
    app.add_error_handler(errors.on_error)
    return app


async def _renew_lease(context: BotContext) -> None:
    """Job: keep (or take) the sender lease."""
    context.services.lease.renew()


async def _set_commands(app: Application, settings: Settings) -> None:
    """The command menu: users see theirs, admins (chat scope) see everything."""
    try:
        await app.bot.set_my_commands([BotCommand(c, d) for c, d in USER_COMMANDS], scope=BotCommandScopeDefault())
        for admin_id in settings.admin_ids:
            await app.bot.set_my_commands([BotCommand(c, d) for c, d in ADMIN_COMMANDS],
                                          scope=BotCommandScopeChat(admin_id))
    except TelegramError as exc:  # an admin who never talked to the bot: "chat not found"
        log.warning("could not set the command menu: %s", exc)


def allowed_updates() -> list[str]:
    return Update.ALL_TYPES
