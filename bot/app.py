"""The composition root: builds the PTB Application with its resources and every handler."""

from __future__ import annotations

import asyncio
import contextlib
import gc
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
from telegram.ext import (
    Application,
    ApplicationBuilder,
    ChatMemberHandler,
    ContextTypes,
    Defaults,
    MessageHandler,
    TypeHandler,
    filters,
)

from bot.clock import Clock
from bot.config import Settings
from bot.context import BotContext
from bot.db import init_db, make_engine
from bot.request import AiohttpRequest
from bot.sendlimit import SendLimiter, mark_reply_target
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

# Private-only commands (handlers/lifecycle/private.py): in a group they get one line with 「私聊」 and
# nothing else runs. Binding, check-ins and every command that shows or changes the office's data.
# A command added later that shows unit data or binds someone is listed here, nothing more.
PRIVATE_ONLY = [
    "checkin", "mine", "checkin_for", "evidence",                            # check-ins
    "invite", "units", "unbind", "revoke", "unit_rename", "unit_del",        # roster
    "progress", "export", "chart", "unanswered", "plans", "assign",          # the office's data
    "remind_missing", "broadcast", "broadcasts",                             # pushes to every unit
]
PRIVATE_ONLY_WITH_ARGUMENTS = ["start"]  # /start CODE binds; a bare /start in a group only greets

# Flood gate (handlers/lifecycle/flood.py): a sender may send FLOOD_BURST updates at once and have
# at most that many queued, then FLOOD_RATE per second; Telegram lets a bot answer about one a second
# per chat, so only a sender far faster than that (or one who never waits) loses messages.
FLOOD_BURST, FLOOD_RATE = 12, 2.0
# updates handled at once across chats; matches the HTTP connection pool below
WORKERS = 16

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
    from handlers.lifecycle import edits, membership, migration, senders
    from handlers.lifecycle.application import LifecycleApplication
    from handlers.lifecycle.flood import FloodGate, flood_notice
    from handlers.lifecycle.inbox import InboxQueue
    from handlers.lifecycle.ordering import ChatOrderedProcessor
    from handlers.lifecycle.private import GroupGuard

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
        # updates received before a crash and never handled come first (handlers/lifecycle/inbox.py)
        inbox.attach(services.updates)
        await inbox.replay(app)
        app.job_queue.run_repeating(_renew_lease, interval=10, first=10, name="lease")
        await _set_commands(app, settings)
        me = app.bot
        log.info("双拥助手 started as @%s (%d admins, database %s)", me.username, len(settings.admin_ids),
                 engine.url.render_as_string(hide_password=True))
        for hook in startup_hooks + (extra_startup or []):
            await hook(app)
        app.bot_data["warm_up"] = asyncio.create_task(_warm_up(services), name="warm-up")

    async def post_shutdown(app: Application) -> None:
        warm_up: asyncio.Task | None = app.bot_data.get("warm_up")
        if warm_up is not None and not warm_up.done():  # stopped within seconds of starting
            warm_up.cancel()
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await warm_up
        services = app.bot_data.get("services")
        if services is not None:
            services.lease.release()
        engine.dispose()

    inbox = InboxQueue()
    processor = ChatOrderedProcessor(WORKERS, gate=FloodGate(burst=FLOOD_BURST, rate=FLOOD_RATE),
                                     on_flood=flood_notice, claim=inbox.claim, exempt=inbox.replayed)
    app = (
        ApplicationBuilder()
        .application_class(LifecycleApplication)  # cleans every update's text first
        .token(settings.telegram_bot_token.get_secret_value())
        .base_url(settings.telegram_base_url)
        .base_file_url(settings.telegram_base_file_url)
        .defaults(Defaults(parse_mode=ParseMode.HTML, tzinfo=settings.tz,
                           link_preview_options=LinkPreviewOptions(is_disabled=True)))
        .context_types(ContextTypes(context=BotContext))
        .concurrent_updates(processor)  # each chat in order, chats concurrently, flood gate
        .update_queue(inbox)  # every update stored until handled: none lost to a crash
        # aiohttp instead of PTB's default httpx: a sixth of the CPU per API call (bot/request.py)
        .request(AiohttpRequest(WORKERS, pool_timeout=30))
        .get_updates_request(AiohttpRequest(1))
        .rate_limiter(SendLimiter())  # bulk sends make room for replies (bot/sendlimit.py)
        .post_init(post_init)
        .post_shutdown(post_shutdown)
        .build()
    )
    app.bot_data["settings"] = settings

    # Telegram's update lifecycle, before any handler (handlers/lifecycle/, one module per concern):
    #  queue      InboxQueue: each update stored as it arrives, marked when handled, replayed at start
    #  processor  ChatOrderedProcessor: flood gate at arrival, then each chat's updates in order
    #  app class  LifecycleApplication: NUL and other control characters removed from the text
    # Handler groups, in the order PTB runs them for each update (first match wins in a group):
    # -100  mark_reply_target: notes the update's chat, so sends to it are replies (bot/sendlimit.py)
    #  -50  my_chat_member (blocked/unblocked, removed/re-added) and group→supergroup migration:
    #       recorded, then the update stops
    #  -40  senders that are not a person (channels, anonymous admins, other bots): stop
    #  -30  edits: an edited command, caption or file stops (never a second side effect); edited
    #       plain text is answered as a question and stops (never a note, an invite, a check-in)
    #  -20  groups: private-only commands refused (PRIVATE_ONLY), /cmd@otherbot and text not
    #       mentioning us exactly stop
    #  -10  a private message or button press marks its chat active (never stops)
    #   0  commands and buttons of every module (first match wins inside a group)
    #   1  a check-in draft waiting for its note takes plain text (stops the update when it does)
    #   2  documents go to the one file door (handlers/files.py) before the question handler's media
    #      catch-all; any remaining private text (or a group message mentioning the bot) is a question
    # -100: sends to this update's chat are replies, ahead of bulk sends (bot/sendlimit.py)
    app.add_handler(TypeHandler(Update, mark_reply_target), group=-100)
    app.add_handler(ChatMemberHandler(membership.on_my_chat_member, ChatMemberHandler.MY_CHAT_MEMBER), group=-50)
    app.add_handler(MessageHandler(filters.StatusUpdate.MIGRATE, migration.on_migrate), group=-50)
    app.add_handler(MessageHandler(senders.NOT_A_PERSON, senders.refuse_non_person), group=-40)
    app.add_handler(MessageHandler(edits.REPEATS_NOTHING, edits.ignore_edit), group=-30)
    app.add_handler(MessageHandler(edits.ASKED_AGAIN, edits.answer_edit), group=-30)
    app.add_handler(MessageHandler(filters.ChatType.GROUPS & (filters.COMMAND | filters.TEXT | filters.CAPTION),
                                   GroupGuard(PRIVATE_ONLY, PRIVATE_ONLY_WITH_ARGUMENTS)), group=-20)
    app.add_handler(TypeHandler(Update, membership.private_activity), group=-10)
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


async def _warm_up(services: Services) -> None:
    """After start-up, off the event loop: build the active plan's index (seconds for a 2,000-item
    plan; a question arriving meanwhile waits for it, PlanService.kb holds a lock), then move
    everything built so far out of the garbage collector's way (``gc.freeze``: the index, the
    modules and the handlers live as long as the process, and each full collection would walk
    them again — measured at about a tenth of the CPU of a burst of answers)."""
    try:
        await asyncio.to_thread(services.plans.kb)
    except Exception:  # noqa: BLE001 - no plan yet, a broken one: the first question reports it
        log.warning("could not build the active plan's index at start-up", exc_info=True)
    if gc.get_freeze_count() == 0:  # once per process (tests start many bots in one)
        gc.collect()
        gc.freeze()


async def _renew_lease(context: BotContext) -> None:
    """Job: keep (or take) the sender lease."""
    context.services.lease.renew()


async def _set_commands(app: Application, settings: Settings) -> None:
    """The command menu: users see theirs, admins (chat scope) see everything. One admin's
    refusal ("chat not found": they never talked to the bot) does not cost the others their menu."""
    try:
        await app.bot.set_my_commands([BotCommand(c, d) for c, d in USER_COMMANDS], scope=BotCommandScopeDefault())
    except TelegramError as exc:
        log.warning("could not set the command menu: %s", exc)
    for admin_id in settings.admin_ids:
        try:
            await app.bot.set_my_commands([BotCommand(c, d) for c, d in ADMIN_COMMANDS],
                                          scope=BotCommandScopeChat(admin_id))
        except TelegramError as exc:
            log.warning("could not set the admin menu for %s: %s", admin_id, exc)


def allowed_updates() -> list[str]:
    return Update.ALL_TYPES
