"""Domain errors. Each carries what went wrong; bot.texts.error_text turns it into Chinese."""

from __future__ import annotations


class AppError(Exception):
    """Base of every error a user can cause; never a bug."""


class NotAdmin(AppError):
    pass


class NotBound(AppError):
    pass


class InviteInvalid(AppError):
    """reason: 'unknown' | 'used' | 'expired' | 'revoked' (voided by /revoke or /unit_del) |
    'used_self' (the user spent this link earlier; ``unit`` is the unit they are bound to now,
    None when they are bound to none)."""

    def __init__(self, reason: str, unit: str | None = None) -> None:
        super().__init__(reason)
        self.reason = reason
        self.unit = unit


class BadInput(AppError):
    """A message for the user, already in Chinese (built by bot.texts)."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


class NotFound(AppError):
    def __init__(self, what: str) -> None:
        super().__init__(what)
        self.what = what


class DraftExpired(AppError):
    """The guided check-in sat idle longer than ``minutes`` (CHECKIN_TIMEOUT_MINUTES) and was
    dropped; nothing was recorded."""

    def __init__(self, minutes: int) -> None:
        super().__init__(minutes)
        self.minutes = minutes


class PlanError(AppError):
    """A work-plan operation refused (bot/services/plans.py). ``reason``: 'not_a_plan' (no
    sections found), 'no_year' (neither the title nor the 文号 names a year and none was given),
    'bad_year', 'no_such_plan', 'no_plans', 'no_year_plan'; ``data`` carries what a message needs
    (e.g. ``year``, ``years``)."""

    def __init__(self, reason: str, **data: object) -> None:
        super().__init__(reason)
        self.reason = reason
        self.data = data


class FileRefused(AppError):
    """An uploaded file the bot will not take; nothing was changed.

    ``reason`` is one of ``too_big`` (data: size, limit — bytes), ``empty``, ``image``,
    ``legacy_doc`` / ``legacy_xls`` / ``legacy_office`` (an old binary Office file), ``archive``,
    ``opendocument``, ``unknown`` (data: what), ``unreadable`` (a damaged file; data: what),
    ``no_header`` (a table whose header names no known kind; data: expected = {kind: [columns]}),
    ``not_here`` (data: kind — a file kind nobody takes yet), ``too_many_rows`` (data: rows, limit).
    """

    def __init__(self, reason: str, **data: object) -> None:
        super().__init__(reason)
        self.reason = reason
        self.data = data

class DateError(AppError):
    """A date or time that cannot be used (bot/dates.py). ``reason``: missing | no_date | no_time |
    ambiguous | need_hour | weekday | past | far | dst_gap. ``typed`` is what the user wrote; the
    other fields carry the values involved (``at``/``now`` aware, in the bot's timezone)."""

    def __init__(self, reason: str, *, typed: str = "", at=None, now=None, year: int | None = None,  # noqa: ANN001
                 month: int | None = None, day: int | None = None, hour: int | None = None,
                 minute: int | None = None, part: str | None = None, weekday: int | None = None) -> None:
        super().__init__(reason)
        self.reason, self.typed, self.at, self.now = reason, typed, at, now
        self.year, self.month, self.day, self.hour, self.minute = year, month, day, hour, minute
        self.part, self.weekday = part, weekday


class EventError(AppError):
    """An event command that cannot be carried out (bot/services/events.py). ``reason``: usage |
    edit_usage | del_usage | no_title | long_title (length, limit) | duplicate (event_id, title) |
    not_found (event_id) | started (event_id, title) | unchanged (event_id) | stale (the preview is
    out of date) | done (the preview was already confirmed or cancelled)."""

    def __init__(self, reason: str, *, event_id: int | None = None, title: str = "",
                 length: int = 0, limit: int = 0) -> None:
        super().__init__(reason)
        self.reason, self.event_id, self.title, self.length, self.limit = reason, event_id, title, length, limit


class PendingGone(AppError):
    """A 确认/取消 button whose preview can no longer be acted on; nothing was changed.

    ``reason``: ``unknown`` (no such preview or a forged token), ``done`` (already confirmed),
    ``cancelled``, ``superseded`` (a newer preview of the same kind replaced it), ``expired``,
    ``not_yours`` (another admin's preview).
    """

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


class RosterError(AppError):
    """A roster command that cannot be carried out; nothing was changed.

    ``reason`` and its data: ``empty_name``; ``long_name`` (name, limit); ``no_unit`` (name);
    ``name_taken`` (name); ``same_name`` (name); ``has_members`` (name, members: list[str]);
    ``no_member`` (unit, who, members: list[str]); ``no_members`` (unit); ``ambiguous``
    (entries: list[str] — names with spaces that could be one unit or several); ``too_many`` (n, limit).
    """

    def __init__(self, reason: str, **data: object) -> None:
        super().__init__(reason)
        self.reason = reason
        self.data = data
