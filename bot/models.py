"""SQLModel tables. Times are stored in UTC and always come back timezone-aware."""

from __future__ import annotations

from datetime import UTC, datetime

import sqlalchemy as sa
from sqlmodel import Field, SQLModel


class UTCDateTime(sa.types.TypeDecorator):
    """A DateTime that refuses naive values and returns aware UTC datetimes on every backend."""

    impl = sa.DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: sa.Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime given to the database; use an aware one")
        value = value.astimezone(UTC)
        return value.replace(tzinfo=None) if dialect.name == "sqlite" else value

    def process_result_value(self, value: datetime | None, dialect: sa.Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            return value.replace(tzinfo=UTC)
        return value.astimezone(UTC)


def utcnow() -> datetime:
    return datetime.now(UTC)


def _when(**kw: object):  # noqa: ANN202 - a Field factory
    return Field(sa_type=UTCDateTime, **kw)  # type: ignore[arg-type]


# --- people and units -------------------------------------------------------------------------

UNIT_KINDS = ("乡镇", "街道", "成员单位")


class UnitBase(SQLModel):
    name: str = Field(index=True, unique=True, max_length=100)
    kind: str = Field(default="成员单位", max_length=10)


class Unit(UnitBase, table=True):
    """A township, street office or member unit. ``name`` is clean (bot.services.unit_names).
    ``deleted_at`` set by /unit_del: the unit leaves the roster, progress, invites and pickers,
    while its check-ins stay in exports and history."""

    id: int | None = Field(default=None, primary_key=True)
    created_at: datetime = _when(default_factory=utcnow)
    deleted_at: datetime | None = _when(default=None)


class Chat(SQLModel, table=True):
    """Everyone who sent /start: the broadcast audience."""

    chat_id: int = Field(sa_type=sa.BigInteger, primary_key=True)
    user_id: int | None = Field(default=None, sa_type=sa.BigInteger, index=True)
    name: str = Field(default="", max_length=200)
    username: str | None = Field(default=None, max_length=100)
    active: bool = True  # False once the user blocked the bot
    muted: bool = False  # reminders muted by the user
    first_seen: datetime = _when(default_factory=utcnow)
    last_seen: datetime = _when(default_factory=utcnow)


class Member(SQLModel, table=True):
    """A liaison bound to exactly one unit."""

    user_id: int = Field(sa_type=sa.BigInteger, primary_key=True)
    chat_id: int = Field(sa_type=sa.BigInteger)
    unit_id: int = Field(foreign_key="unit.id", index=True)
    name: str = Field(default="", max_length=200)
    bound_at: datetime = _when(default_factory=utcnow)


class Invite(SQLModel, table=True):
    code: str = Field(primary_key=True, max_length=40)
    unit_id: int = Field(foreign_key="unit.id", index=True)
    created_by: int = Field(sa_type=sa.BigInteger)
    created_at: datetime = _when(default_factory=utcnow)
    expires_at: datetime = _when()
    used_by: int | None = Field(default=None, sa_type=sa.BigInteger)
    used_at: datetime | None = _when(default=None)
    revoked_at: datetime | None = _when(default=None)  # /revoke, /unit_del: answers like an invalid link


class Unanswered(SQLModel, table=True):
    id: int | None = Field(default=None, primary_key=True)
    user_id: int | None = Field(default=None, sa_type=sa.BigInteger)
    question: str = Field(max_length=1000)
    created_at: datetime = _when(default_factory=utcnow, index=True)


# --- work plans -------------------------------------------------------------------------------


class Plan(SQLModel, table=True):
    """One parsed work-points document (工作要点) of one year; exactly one row is ``active``.

    A re-sent document of the same year is a new row, and the old one is marked ``replaced_at``:
    check-ins keep pointing at the version they were made under, so its item titles never change.
    ``document`` is the parsed clause tree as JSON (knowledge.ParsedDocument.to_dict), stored so
    that item ids stay stable even when the parser improves; ``source_text`` is the text it was
    parsed from (the paragraphs, one a line), so a plan survives without its file.

    Two partial unique indexes keep this true even when two processes store or switch at once: at
    most one row is active, and a year has at most one current (not replaced) version."""

    __table_args__ = (
        sa.Index("uq_plan_one_active", "active", unique=True,
                 sqlite_where=sa.text("active"), postgresql_where=sa.text("active")),
        sa.Index("uq_plan_year_current", "year", unique=True,
                 sqlite_where=sa.text("replaced_at IS NULL"), postgresql_where=sa.text("replaced_at IS NULL")),
    )
    id: int | None = Field(default=None, primary_key=True)
    year: int = Field(index=True)
    title: str = Field(max_length=200)
    doc_number: str | None = Field(default=None, max_length=100)
    source_name: str = Field(default="", max_length=200)
    source_text: str = Field(sa_type=sa.Text)
    document: str = Field(sa_type=sa.Text)
    section_count: int = 0
    item_count: int = 0
    active: bool = Field(default=False, index=True)
    created_by: int | None = Field(default=None, sa_type=sa.BigInteger)
    created_at: datetime = _when(default_factory=utcnow)
    activated_at: datetime | None = _when(default=None)
    replaced_at: datetime | None = _when(default=None)


class Assignment(SQLModel, table=True):
    """任务分解: an item of a plan is due from a unit kind (乡镇 / 街道 / 成员单位) or a named unit.
    An item with no rows is due from every unit."""

    id: int | None = Field(default=None, primary_key=True)
    plan_id: int = Field(foreign_key="plan.id", index=True)
    item_id: str = Field(max_length=10)
    unit_kind: str | None = Field(default=None, max_length=10)
    unit_id: int | None = Field(default=None, foreign_key="unit.id")
    created_at: datetime = _when(default_factory=utcnow)


# --- check-ins --------------------------------------------------------------------------------

STATUSES = ("未开始", "进行中", "已完成")


class CheckIn(SQLModel, table=True):
    id: int | None = Field(default=None, primary_key=True)
    period: str = Field(index=True, max_length=10)
    plan_id: int = Field(foreign_key="plan.id", index=True)  # the plan it was made under
    unit_id: int = Field(foreign_key="unit.id", index=True)
    user_id: int = Field(sa_type=sa.BigInteger)
    reporter: str = Field(default="", max_length=200)
    item_id: str = Field(max_length=10)
    status: str = Field(max_length=10)
    note: str = Field(default="", max_length=600)
    created_at: datetime = _when(default_factory=utcnow, index=True)
    # a correction points at the check-in it replaces; the replaced one stays, marked superseded
    corrects_id: int | None = Field(default=None, foreign_key="checkin.id")
    superseded: bool = Field(default=False, index=True)
    # 代填: recorded by an admin for the unit (a report phoned in); the admin's id and name
    proxy_by: int | None = Field(default=None, sa_type=sa.BigInteger)
    proxy_name: str | None = Field(default=None, max_length=200)


class Evidence(SQLModel, table=True):
    """A photo or document sent at the note step of a guided check-in, kept by Telegram file id.
    While the flow is open it belongs to the drafting user (``checkin_id`` None); confirming
    attaches it to the check-in; cancelling or a timeout deletes it."""

    id: int | None = Field(default=None, primary_key=True)
    checkin_id: int | None = Field(default=None, foreign_key="checkin.id", index=True)
    user_id: int = Field(sa_type=sa.BigInteger, index=True)
    kind: str = Field(max_length=10)  # photo | document
    file_id: str = Field(max_length=200)
    file_unique_id: str = Field(default="", max_length=100)
    file_name: str = Field(default="", max_length=200)
    created_at: datetime = _when(default_factory=utcnow)


class CheckinDraft(SQLModel, table=True):
    """The guided flow's state, one row per user, written at every step (survives kill -9)."""

    user_id: int = Field(sa_type=sa.BigInteger, primary_key=True)
    chat_id: int = Field(sa_type=sa.BigInteger)
    plan_id: int | None = None  # the plan whose items the flow offered (the active one at its start)
    step: str = Field(max_length=10)  # item | status | note | confirm
    item_id: str | None = Field(default=None, max_length=10)
    status: str | None = Field(default=None, max_length=10)
    note: str | None = Field(default=None, max_length=600)
    corrects_id: int | None = None
    # in every button of this flow: a button from an earlier, abandoned flow is recognised as stale
    token: str = Field(default="", max_length=12)
    updated_at: datetime = _when(default_factory=utcnow)


# --- events and reminders ---------------------------------------------------------------------


class Event(SQLModel, table=True):
    id: int | None = Field(default=None, primary_key=True)
    title: str = Field(max_length=200)
    starts_at: datetime = _when(index=True)
    note: str = Field(default="", max_length=1000)
    item_id: str | None = Field(default=None, max_length=10)
    created_by: int | None = Field(default=None, sa_type=sa.BigInteger)
    seed_key: str | None = Field(default=None, max_length=100, unique=True)
    created_at: datetime = _when(default_factory=utcnow)
    # /event_del sets this (soft delete): a deleted seeded event is not re-seeded at the next start
    deleted_at: datetime | None = _when(default=None)
    # a seeded event whose date is a placeholder: listed as 日期待定, no reminders until confirmed
    tentative: bool = False
    # /event_edit: how many times it was moved, and its start before the latest move
    revision: int = 0
    moved_from: datetime | None = _when(default=None)
    # the offset key of a notice still owed to members (n<revision> new/moved, del cancelled):
    # set with the change, cleared once every recipient was handled (bot/services/events.py)
    notice: str | None = Field(default=None, max_length=10)


class ReminderDelivery(SQLModel, table=True):
    """One row per (event, offset, chat): the unique key is what makes a reminder exactly-once."""

    __table_args__ = (sa.UniqueConstraint("event_id", "offset_key", "chat_id"),)
    id: int | None = Field(default=None, primary_key=True)
    event_id: int = Field(index=True)
    offset_key: str = Field(max_length=10)
    chat_id: int = Field(sa_type=sa.BigInteger)
    status: str = Field(default="sent", max_length=10)  # sent | failed | skipped
    sent_at: datetime = _when(default_factory=utcnow)


class DeadlinePush(SQLModel, table=True):
    __table_args__ = (sa.UniqueConstraint("period", "kind", "chat_id"),)
    id: int | None = Field(default=None, primary_key=True)
    period: str = Field(max_length=10)
    kind: str = Field(max_length=10)  # d3 | d1 | digest
    chat_id: int = Field(sa_type=sa.BigInteger)
    sent_at: datetime = _when(default_factory=utcnow)


# --- broadcasts -------------------------------------------------------------------------------


class Broadcast(SQLModel, table=True):
    id: int | None = Field(default=None, primary_key=True)
    text: str = Field(sa_type=sa.Text)
    audience: str = Field(default="all", max_length=40)  # all | members | township | member_unit | unit:<id>
    created_by: int = Field(sa_type=sa.BigInteger)
    admin_chat_id: int = Field(sa_type=sa.BigInteger)
    preview_message_id: int | None = None
    status: str = Field(default="draft", max_length=12)  # draft | sending | done | cancelled
    total: int = 0
    created_at: datetime = _when(default_factory=utcnow)
    confirmed_at: datetime | None = _when(default=None)
    finished_at: datetime | None = _when(default=None)


class BroadcastDelivery(SQLModel, table=True):
    __table_args__ = (sa.UniqueConstraint("broadcast_id", "chat_id"),)
    id: int | None = Field(default=None, primary_key=True)
    broadcast_id: int = Field(foreign_key="broadcast.id", index=True)
    chat_id: int = Field(sa_type=sa.BigInteger)
    status: str = Field(default="pending", max_length=10, index=True)
    # pending | sending | sent | failed | blocked ; "sending" left behind by a crash = maybe delivered
    attempts: int = 0
    parts_sent: int = 0  # a text longer than 4096 goes out in parts; resume from the next one
    last_error: str | None = Field(default=None, max_length=300)
    sent_at: datetime | None = _when(default=None)


# --- previews awaiting 确认 -------------------------------------------------------------------


class PendingAction(SQLModel, table=True):
    """A preview waiting for its admin's 「确认」: an uploaded roster, 任务分解表 or plan, an /unbind,
    a /unit_del. Stored so that it survives a restart and is confirmed at most once (see
    bot/services/pending.py). ``payload`` is JSON text owned by the kind's module."""

    id: int | None = Field(default=None, primary_key=True)
    kind: str = Field(max_length=20, index=True)
    admin_id: int = Field(sa_type=sa.BigInteger, index=True)
    chat_id: int = Field(sa_type=sa.BigInteger)
    token: str = Field(max_length=16)
    payload: str = Field(default="{}", sa_type=sa.Text)
    status: str = Field(default="pending", max_length=12)  # pending | done | cancelled | superseded
    created_at: datetime = _when(default_factory=utcnow)
    expires_at: datetime = _when()
    finished_at: datetime | None = _when(default=None)


# --- idempotency ------------------------------------------------------------------------------


class InboxUpdate(SQLModel, table=True):
    """Every update as it arrives, before Telegram is told it was received (the next getUpdates
    offset, a webhook's 200): ``payload`` is the update's JSON until it has been handled, then
    NULL; ``digest`` (SHA-256 of that JSON, hex) stays with the row for a week, so a re-delivery of
    the same update is recognised — and a different update reusing the id is not mistaken for one
    (Telegram picks update ids at random again after a week without updates, and a new bot token
    starts its own sequence: core.telegram.org/bots/api#update)."""

    update_id: int = Field(sa_type=sa.BigInteger, primary_key=True)
    payload: str | None = Field(default=None, sa_type=sa.Text)
    digest: str = Field(default="", max_length=64, sa_column_kwargs={"server_default": ""})
    received_at: datetime = _when(default_factory=utcnow)


class ProcessedUpdate(SQLModel, table=True):
    """Update ids whose side effects are done: a re-delivered update is not acted on twice.
    ``digest`` (SHA-256 of the update's JSON, hex; "" in rows from before it was kept) tells a
    re-delivery from a new update reusing the id (see InboxUpdate)."""

    update_id: int = Field(sa_type=sa.BigInteger, primary_key=True)
    processed_at: datetime = _when(default_factory=utcnow)
    digest: str = Field(default="", max_length=64, sa_column_kwargs={"server_default": ""})


class Lease(SQLModel, table=True):
    """Which process may send scheduled messages (see bot/services/lease.py)."""

    name: str = Field(primary_key=True, max_length=40)
    holder: str = Field(max_length=120)
    expires_at: datetime = _when()
