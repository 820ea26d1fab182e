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
