"""The one place domain errors become user text."""

from __future__ import annotations

from collections.abc import Sequence

from bot.errors import (
    AppError,
    BadInput,
    DateError,
    DraftExpired,
    EventError,
    FileRefused,
    InviteInvalid,
    NotAdmin,
    NotBound,
    NotFound,
    PendingGone,
    PlanError,
    RosterError,
)
from bot.texts.checkins import (
    NEED_BIND,
    STALE_BUTTON,
    bad_item,
    bad_status,
    checkin_timeout,
    long_note,
    long_note_oneline,
    oneline_usage,
)
from bot.texts.common import ADMIN_ONLY, GENERIC_ERROR, esc
from bot.texts.events import date_error, event_error
from bot.texts.files import file_refused, pending_gone
from bot.texts.onboarding import INVITE_ERRORS, invite_used_by_you, roster_error

_WHAT = {"checkin": "这条填报（编号不存在，或不属于您的单位）", "unit": "这个单位", "event": "这个活动"}


def error_text(exc: AppError, *, item_ids: Sequence[str] = (), tz=None) -> str:  # noqa: ANN001
    """``item_ids``: the active plan's items (named when an item is wrong); ``tz``: the bot's
    timezone (named in date usage texts)."""
    """The one place domain errors become user text."""
    if isinstance(exc, DateError):
        return date_error(exc)
    if isinstance(exc, EventError):
        return event_error(exc, tz)
    if isinstance(exc, NotAdmin):
        return ADMIN_ONLY
    if isinstance(exc, NotBound):
        return NEED_BIND
    if isinstance(exc, InviteInvalid):
        if exc.reason == "used_self":
            return invite_used_by_you(exc.unit)
        return INVITE_ERRORS.get(exc.reason, INVITE_ERRORS["unknown"])
    if isinstance(exc, PlanError):
        from bot.texts.plans import plan_error

        return esc(plan_error(exc.reason, exc.data))
    if isinstance(exc, RosterError):
        return roster_error(exc.reason, exc.data)
    if isinstance(exc, FileRefused):
        return file_refused(exc.reason, exc.data)
    if isinstance(exc, PendingGone):
        return pending_gone(exc.reason)
    if isinstance(exc, NotFound):
        return f"❌ 找不到{_WHAT.get(exc.what, esc(exc.what))}。"
    if isinstance(exc, BadInput):
        key = exc.message
        simple = {
            "bad_status": bad_status(),
            "no_draft": "当前没有进行中的填报，请发送 /checkin 开始。",
            "stale_step": STALE_BUTTON,
            "bad_correction": "只能更正本单位的填报记录。",
        }
        if key == "bad_item":
            return bad_item(item_ids)
        if key == "oneline_usage":
            return oneline_usage(item_ids)
        if key.startswith("too_many_files"):
            from bot.texts.checkins import too_many_files

            return too_many_files(int(key.split(":")[1]) if ":" in key else 5)
        if key.startswith("long_note_oneline"):
            return long_note_oneline(int(key.split(":")[1]) if ":" in key else 501)
        if key.startswith("long_note"):
            return long_note(int(key.split(":")[1]) if ":" in key else 501)
        return simple.get(key, key)  # other BadInput messages are built by texts, already HTML
    if isinstance(exc, DraftExpired):
        return checkin_timeout(exc.minutes)
    return GENERIC_ERROR
