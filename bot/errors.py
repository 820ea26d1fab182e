"""Domain errors. Each carries what went wrong; bot.texts.error_text turns it into Chinese."""

from __future__ import annotations


class AppError(Exception):
    """Base of every error a user can cause; never a bug."""


class NotAdmin(AppError):
    pass


class NotBound(AppError):
    pass


class InviteInvalid(AppError):
    """reason: 'unknown' | 'used' | 'expired'"""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


class BadInput(AppError):
    """A message for the user, already in Chinese (built by bot.texts)."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


class NotFound(AppError):
    def __init__(self, what: str) -> None:
        super().__init__(what)
        self.what = what


class PlanError(AppError):
    """A work-plan operation refused (bot/services/plans.py). ``reason``: 'not_a_plan' (no
    sections found), 'no_year' (neither the title nor the 文号 names a year and none was given),
    'bad_year', 'no_such_plan', 'no_plans', 'no_year_plan'; ``data`` carries what a message needs
    (e.g. ``year``, ``years``)."""

    def __init__(self, reason: str, **data: object) -> None:
        super().__init__(reason)
        self.reason = reason
        self.data = data
