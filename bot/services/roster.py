"""Units, members, registered chats, invites and unanswered questions; the roster's administration
(bulk import, /unbind, /revoke, /unit_rename, /unit_del).

Every unit name a person gives goes through :func:`clean_unit_name` (bot.services.unit_names), the
one name rule. A deleted unit (``Unit.deleted_at``) is out of the roster, lookups and invites, but
keeps its row so that its check-ins stay attributed in exports and history; naming it again in
/invite or an import brings it back.
"""

from __future__ import annotations

import io
import re
import secrets
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Engine
from sqlmodel import Session, SQLModel, col, func, select

from bot.clock import Clock
from bot.errors import InviteInvalid, RosterError
from bot.models import Chat, CheckIn, CheckinDraft, Invite, Member, Unanswered, Unit
from bot.services.intake import Table
from bot.services.quickread import QuickRead
from bot.services.unit_names import (
    MAX_UNIT_NAME,
    Lookalikes,
    clean_unit_name,
    kind_from_word,
    split_name_list,
    unit_kind_for,
)

__all__ = ["MAX_UNIT_NAME", "RosterService", "RosterRow", "unit_kind_for", "clean_unit_name",
           "ImportPreview", "ImportRow", "RejectedRow", "IssuedInvite", "invite_workbook"]

MAX_INVITE_LIST = 30  # units in one /invite; more is what the upload is for
_IN_CHUNK = 2000  # names per IN (...) list: under SQLite's and PostgreSQL's parameter limits
_SEVERAL = re.compile(r"[、，,;；\n]")
_NOT_A_NAME = re.compile(r"^(\d+(\.\d+)?|合计|小计|总计|序号|备注|说明|填表人|填报人|审核人|联系电话)$")


@dataclass(frozen=True)
class RosterRow:
    unit: Unit
    members: list[str]
    last_checkin: datetime | None
    open_invites: int


@dataclass(frozen=True)
class ImportRow:
    """One unit of an import: its row number in the file, clean name, kind (given or guessed),
    liaison ("" when none), whether the kind was given in the file."""

    row: int
    name: str
    kind: str
    liaison: str = ""
    kind_given: bool = False


@dataclass(frozen=True)
class RejectedRow:
    """A row left out of an import. ``reason``: ``empty`` (no name), ``long`` (data: limit),
    ``dup`` (data: first — the row it repeats; variant — True when only width/invisible
    characters/spaces differ), ``bad_kind`` (data: word), ``not_name`` (a total, a number, a note),
    ``several`` (a cell holding a list: 、，,;； or a line break), ``like`` (probably a unit already
    in the roster or an earlier row written another way — data: other, the name it looks like;
    first, that row's number, None when it is in the roster)."""

    row: int
    raw: str
    reason: str
    data: dict[str, Any] = field(default_factory=dict)

    @property
    def shown(self) -> str:
        """The name as the preview shows it: clean (an invisible character would show nothing)."""
        return clean_unit_name(self.raw)[:30]


@dataclass
class ImportPreview:
    """What 「确认」 would do: units to create, units that exist (a fresh invite each; ``retyped``
    of them get the kind the file gives), and the rows left out with their reasons."""

    new: list[ImportRow]
    existing: list[ImportRow]
    rejected: list[RejectedRow]
    retyped: int = 0

    def payload(self) -> dict[str, Any]:
        """The JSON payload stored with the pending preview (bot/services/pending.py)."""
        rows = self.new + self.existing
        return {"rows": [[r.row, r.name, r.kind, r.liaison, r.kind_given] for r in sorted(rows, key=lambda r: r.row)]}


@dataclass(frozen=True)
class IssuedInvite:
    """A unit of a confirmed import and its fresh invite. ``expires_at`` aware UTC."""

    name: str
    kind: str
    code: str
    expires_at: datetime
    liaison: str = ""
    created: bool = False


_CHAT_STATE = sa.select(Chat.active, Chat.name, Chat.username).where(Chat.chat_id == sa.bindparam("cid"))


class RosterService:
    def __init__(self, engine: Engine, clock: Clock, invite_ttl: timedelta) -> None:
        self.engine = engine
        self.clock = clock
        self.invite_ttl = invite_ttl
        # chat activity: what this process last knew of a chat, so that a private message from a
        # chat already known active costs no database round trip (see seen())
        self._seen: dict[int, tuple[tuple[str, str | None] | None, float]] = {}
        self._chat_state: QuickRead | None = None  # seen()'s read of a chat, compiled once

    def _session(self) -> Session:
        return Session(self.engine, expire_on_commit=False)

    # --- chats ---------------------------------------------------------------------------------
    def register_chat(self, *, chat_id: int, user_id: int | None, name: str, username: str | None) -> None:
        self._seen.pop(chat_id, None)
        now = self.clock.now()
        with self._session() as s:
            chat = s.get(Chat, chat_id)
            if chat is None:
                s.add(Chat(chat_id=chat_id, user_id=user_id, name=name[:200], username=username,
                           first_seen=now, last_seen=now))
            else:
                chat.active = True
                chat.last_seen = now
                chat.name = name[:200]
                chat.username = username
                s.add(chat)
            s.commit()

    def mark_blocked(self, chat_id: int) -> None:
        """The chat refused a message (403) or removed the bot: inactive until it comes back."""
        self.set_active(chat_id, False)

    def set_muted(self, chat_id: int, muted: bool) -> bool:
        """Mute/unmute reminders for a chat; False when the chat never sent /start."""
        with self._session() as s:
            chat = s.get(Chat, chat_id)
            if chat is None:
                return False
            chat.muted = muted
            s.add(chat)
            s.commit()
            return True

    def chat(self, chat_id: int) -> Chat | None:
        with self._session() as s:
            return s.get(Chat, chat_id)

    # --- names ---------------------------------------------------------------------------------
    @staticmethod
    def valid_name(raw: str) -> str:
        """The clean name, or raises RosterError('empty_name' | 'long_name')."""
        name = clean_unit_name(raw)
        if not name:
            raise RosterError("empty_name")
        if len(name) > MAX_UNIT_NAME:
            raise RosterError("long_name", name=name, limit=MAX_UNIT_NAME)
        return name

    @staticmethod
    def _by_name(s: Session, name: str) -> Unit | None:
        """The unit with this clean name, deleted or not (names are unique)."""
        return s.exec(select(Unit).where(Unit.name == name)).first()

    def find_unit(self, name: str) -> Unit | None:
        """The live unit named ``name`` under the name rule; None when there is none."""
        clean = clean_unit_name(name)
        if not clean:
            return None
        with self._session() as s:
            unit = self._by_name(s, clean)
            return unit if unit is not None and unit.deleted_at is None else None

    def require_unit(self, name: str) -> Unit:
        """The live unit named ``name``; raises RosterError('empty_name' | 'no_unit')."""
        clean = clean_unit_name(name)
        if not clean:
            raise RosterError("empty_name")
        unit = self.find_unit(clean)
        if unit is None:
            raise RosterError("no_unit", name=clean)
        return unit

    # --- chat activity and migration (Telegram lifecycle; see handlers/lifecycle/membership.py) ---
    # seconds a chat's known state is trusted before the database is asked again (another process
    # may have marked it inactive meanwhile)
    SEEN_TTL = 300.0

    def set_active(self, chat_id: int, active: bool) -> bool:
        """Mark a registered chat active (unblocked, re-added, wrote to us) or inactive (blocked,
        bot removed). Returns whether the chat is registered. Writes only when the state changes."""
        self._seen.pop(chat_id, None)
        with self._session() as s:
            chat = s.get(Chat, chat_id)
            if chat is None:
                return False
            if chat.active != active:
                chat.active = active
                if active:
                    chat.last_seen = self.clock.now()
                s.add(chat)
                s.commit()
            return True

    def seen(self, *, chat_id: int, name: str, username: str | None) -> None:
        """A private message from this chat: a registered chat becomes active again and its name is
        refreshed. Known-unchanged chats cost nothing (an in-process cache, SEEN_TTL seconds, cleared
        whenever this process changes the chat), so a message normally makes no database call."""
        key = (name[:200], username)
        now = time.monotonic()
        cached = self._seen.get(chat_id)
        if cached is not None and now - cached[1] < self.SEEN_TTL and cached[0] in (key, None):
            return  # known active with this name, or known unregistered
        if self._chat_state is None:  # one DBAPI read (bot/services/quickread.py); the ORM only to write
            self._chat_state = QuickRead(self.engine, _CHAT_STATE)
        row = self._chat_state.one(cid=chat_id)
        if row is None:
            state = None
        else:
            if not row[0] or row[1] != key[0] or row[2] != username:
                with self._session() as s:
                    chat = s.get(Chat, chat_id)
                    if chat is not None:
                        chat.active, chat.name, chat.username = True, key[0], username
                        chat.last_seen = self.clock.now()
                        s.add(chat)
                        s.commit()
            state = key
        if len(self._seen) > 50_000:
            self._seen.clear()
        self._seen[chat_id] = (state, now)

    def follow_migration(self, *, old: int, new: int) -> int:
        """A group became a supergroup (Telegram's migrate_to_chat_id): every stored chat id ``old``
        becomes ``new`` — in every table, in every column named ``chat_id`` or ``*_chat_id`` (so
        tables added later follow too). A row that would duplicate one already stored for ``new``
        (a unique key) is dropped: the new chat's row wins. Returns the rows changed."""
        if old == new:
            return 0
        self._seen.pop(old, None)
        self._seen.pop(new, None)
        changed = 0
        with self._session() as s:
            for table in SQLModel.metadata.sorted_tables:
                for column in table.columns:
                    if column.name != "chat_id" and not column.name.endswith("_chat_id"):
                        continue
                    changed += self._move_column(s, table, column, old, new)
            s.commit()
        return changed

    @staticmethod
    def _move_column(s: Session, table: sa.Table, column: sa.Column, old: int, new: int) -> int:
        """Move one column's ``old`` values to ``new``; rows that would break a unique key (primary
        key, unique constraint or index) that includes the column are deleted instead."""
        uniques = [list(c.columns) for c in table.constraints
                   if isinstance(c, sa.PrimaryKeyConstraint | sa.UniqueConstraint) and column.name in c.columns]
        uniques += [list(i.columns) for i in table.indexes if i.unique and column.name in i.columns]
        if not uniques:
            return s.execute(sa.update(table).where(column == old).values({column.name: new})).rowcount or 0
        pk = list(table.primary_key.columns)
        moved = 0
        for row in s.execute(sa.select(table).where(column == old)).mappings().all():
            match = sa.and_(*(c == row[c.name] for c in pk))
            clash = any(
                s.execute(sa.select(sa.literal(1)).select_from(table).where(
                    *((c == new) if c.name == column.name else (c == row[c.name]) for c in cols))).first()
                for cols in uniques)
            if clash:
                s.execute(sa.delete(table).where(match))
            else:
                s.execute(sa.update(table).where(match).values({column.name: new}))
            moved += 1
        return moved

    # --- units and invites ---------------------------------------------------------------------
    def _new_invite(self, unit_id: int, created_by: int, now: datetime) -> Invite:
        return Invite(code=secrets.token_urlsafe(12), unit_id=unit_id, created_by=created_by,
                      created_at=now, expires_at=now + self.invite_ttl)

    def _get_or_create(self, s: Session, name: str, kind: str | None, now: datetime) -> tuple[Unit, str]:
        """(unit, "new" | "restored" | "existing") for a unit name."""
        unit = self._by_name(s, name)
        if unit is None:
            unit = Unit(name=name, kind=kind or unit_kind_for(name), created_at=now)
            s.add(unit)
            s.flush()
            return unit, "new"
        if unit.deleted_at is not None:  # named again: the deleted unit comes back, history intact
            unit.deleted_at = None
            s.add(unit)
            return unit, "restored"
        return unit, "existing"

    def create_invite(self, *, unit_name: str, created_by: int) -> tuple[Unit, Invite, bool]:
        """One unit's invite: ``create_invites`` with a single name. Returns (unit, invite, state),
        state "new", "restored" (a unit /unit_del had removed, back with its history) or "existing"."""
        return self.create_invites(text=unit_name, created_by=created_by)[0]

    def invite_names(self, text: str) -> list[str]:
        """The unit names of an /invite argument: one per line or separated by 、，,；;. An entry
        with spaces inside (「龙城镇 三合街道」, 「县 人武部」) is one unit when that name (spaces
        between Chinese characters dropped) exists, several when every space-separated part is an
        existing unit, and otherwise refused as ambiguous — nothing is created on a guess.
        Raises RosterError('empty_name' | 'long_name' | 'ambiguous' | 'too_many')."""
        entries = split_name_list(text)
        if not entries:
            raise RosterError("empty_name")
        names: list[str] = []
        ambiguous: list[str] = []
        for entry in entries:
            tokens = entry.split()
            if len(tokens) > 1:
                whole = clean_unit_name(entry)
                if self.find_unit(whole) is not None:
                    names.append(whole)
                elif all(self.find_unit(t) is not None for t in tokens):
                    names += [clean_unit_name(t) for t in tokens]
                else:
                    ambiguous.append(" ".join(tokens))
                continue
            names.append(entry)
        if ambiguous:
            raise RosterError("ambiguous", entries=ambiguous)
        clean = list(dict.fromkeys(self.valid_name(n) for n in names))
        if len(clean) > MAX_INVITE_LIST:
            raise RosterError("too_many", n=len(clean), limit=MAX_INVITE_LIST)
        return clean

    def lookalikes(self, text: str) -> dict[str, str]:
        """The /invite names that would be NEW units although the roster has one that is probably
        meant: new name -> existing name (see :class:`Lookalikes`: 三和街道 for 三合街道, 龙河 for
        龙河镇, 丰都县民政局 or 民政局 for 县民政局). Empty when every new name is really new.
        Raises as invite_names does."""
        names = [n for n in self.invite_names(text) if self.find_unit(n) is None]
        if not names:
            return {}
        index = Lookalikes([u.name for u in self.units()])
        return {name: other for name in names if (other := index.match(name)) is not None}

    def create_invites(self, *, text: str, created_by: int) -> list[tuple[Unit, Invite, bool]]:
        """/invite with one name or a list (see :meth:`invite_names`): every unit created if new,
        with a fresh invite, in one transaction. Returns [(unit, invite, new)] in the given order."""
        with self._session() as s:
            out = self.create_invites_in(s, text=text, created_by=created_by)
            s.commit()
        return out

    def create_invites_in(self, s: Session, *, text: str, created_by: int) -> list[tuple[Unit, Invite, str]]:
        """``create_invites`` inside the caller's transaction (a confirmed preview's)."""
        names = self.invite_names(text)
        now = self.clock.now()
        out = []
        for name in names:
            unit, state = self._get_or_create(s, name, None, now)
            invite = self._new_invite(unit.id, created_by, now)  # type: ignore[arg-type]
            s.add(invite)
            s.flush()
            out.append((unit, invite, state))
        return out

    def _usable(self, s: Session, code: str) -> tuple[Invite, Unit]:
        invite = s.get(Invite, code) if code else None
        unit = s.get(Unit, invite.unit_id) if invite is not None else None
        if invite is None or unit is None:
            raise InviteInvalid("unknown")
        return invite, unit

    def invite_unit(self, code: str) -> Unit:
        """The unit a still usable invite code binds to, without spending it. Raises InviteInvalid."""
        with self._session() as s:
            invite, unit = self._usable(s, code)
            if invite.used_by is not None:
                raise InviteInvalid("used")
            if invite.revoked_at is not None or unit.deleted_at is not None:
                raise InviteInvalid("revoked")
            if invite.expires_at <= self.clock.now():
                raise InviteInvalid("expired")
            return unit

    def redeem(self, *, code: str, user_id: int, chat_id: int, name: str) -> tuple[Unit, str | None]:
        """Bind the user to the invite's unit; the code is spent. Returns (unit, name of the unit the
        user was bound to before, None when new or unchanged). The same person opening the link again
        while still bound to its unit gets (unit, None); one who has since moved to another unit, or
        was unbound, gets InviteInvalid('used_self', unit=the unit they are bound to now or None).
        Raises InviteInvalid ('unknown' | 'used' | 'revoked' | 'expired' | 'used_self')."""
        now = self.clock.now()
        with self._session() as s:
            invite, unit = self._usable(s, code)
            if invite.used_by is not None:
                if invite.used_by != user_id:
                    raise InviteInvalid("used")
                member = s.get(Member, user_id)
                if member is not None and member.unit_id == invite.unit_id and unit.deleted_at is None:
                    return unit, None  # the same person tapping the link twice
                current = s.get(Unit, member.unit_id) if member is not None else None
                raise InviteInvalid("used_self", unit=current.name if current is not None else None)
            if invite.revoked_at is not None or unit.deleted_at is not None:
                raise InviteInvalid("revoked")
            if invite.expires_at <= now:
                raise InviteInvalid("expired")
            # spend the code atomically: a concurrent second redeemer updates zero rows
            res = s.execute(
                sa.update(Invite)
                .where(col(Invite.code) == code, col(Invite.used_by).is_(None), col(Invite.revoked_at).is_(None))
                .values(used_by=user_id, used_at=now)
            )
            if res.rowcount != 1:
                raise InviteInvalid("used")
            member = s.get(Member, user_id)
            previous = None
            if member is not None and member.unit_id != invite.unit_id:
                old = s.get(Unit, member.unit_id)
                previous = old.name if old is not None else None
            if member is None:
                member = Member(user_id=user_id, chat_id=chat_id, unit_id=invite.unit_id, name=name[:200],
                                bound_at=now)
            else:
                member.unit_id, member.chat_id, member.name, member.bound_at = invite.unit_id, chat_id, name[:200], now
            s.add(member)
            s.commit()
            return unit, previous

    def membership(self, user_id: int | None) -> tuple[Member, Unit] | None:
        """(member, unit) read from the database at every call — never cached, so an /unbind
        takes effect on the member's very next message."""
        if user_id is None:
            return None
        with self._session() as s:
            member = s.get(Member, user_id)
            if member is None:
                return None
            unit = s.get(Unit, member.unit_id)
            return (member, unit) if unit else None

    def units(self) -> list[Unit]:
        """Live units (not deleted), by kind and name."""
        with self._session() as s:
            return list(s.exec(select(Unit).where(col(Unit.deleted_at).is_(None)).order_by(Unit.kind, Unit.name)))

    def resolve_unit_refs(self, refs: Sequence[str]):  # noqa: ANN201 - assignment_table.UnitRefs
        """Unit references (a 任务分解表 cell split by split_unit_refs, or /assign's words) against the
        live units: UnitRefs(kinds, units, unknown, suggestions). See
        bot.services.assignment_table.resolve_unit_refs; nothing is created."""
        from bot.services.assignment_table import resolve_unit_refs

        return resolve_unit_refs(refs, self.units())

    def roster(self) -> list[RosterRow]:
        now = self.clock.now()
        with self._session() as s:
            units = list(s.exec(select(Unit).where(col(Unit.deleted_at).is_(None)).order_by(Unit.kind, Unit.name)))
            members: dict[int, list[str]] = {}
            for m in s.exec(select(Member).order_by(Member.bound_at)):
                members.setdefault(m.unit_id, []).append(m.name or str(m.user_id))
            last = dict(
                s.exec(select(CheckIn.unit_id, func.max(CheckIn.created_at)).group_by(CheckIn.unit_id)).all()
            )
            invites = dict(
                s.exec(
                    select(Invite.unit_id, func.count())
                    .where(col(Invite.used_by).is_(None), col(Invite.revoked_at).is_(None), Invite.expires_at > now)
                    .group_by(Invite.unit_id)
                ).all()
            )
        out = []
        for u in units:  # max() keeps the column type: last_checkin is aware UTC on both backends
            out.append(RosterRow(unit=u, members=members.get(u.id, []), last_checkin=last.get(u.id),
                                 open_invites=invites.get(u.id, 0)))
        return out

    # --- members -------------------------------------------------------------------------------
    def members_by_unit(self) -> dict[int, list[Member]]:
        out: dict[int, list[Member]] = {}
        with self._session() as s:
            for m in s.exec(select(Member).order_by(Member.bound_at)):
                out.setdefault(m.unit_id, []).append(m)
        return out

    def members_of(self, unit_id: int) -> list[Member]:
        with self._session() as s:
            return list(s.exec(select(Member).where(Member.unit_id == unit_id)
                               .order_by(col(Member.bound_at), col(Member.user_id))))

    def split_unit_and_rest(self, text: str) -> tuple[Unit, str]:
        """``单位名称 [rest]`` -> (the live unit, rest): the longest leading run of words that names
        a unit wins, so unit names with spaces work. Raises RosterError('empty_name' | 'no_unit')."""
        tokens = (text or "").split()
        if not tokens or not clean_unit_name(text):
            raise RosterError("empty_name")
        for k in range(len(tokens), 0, -1):
            unit = self.find_unit(" ".join(tokens[:k]))
            if unit is not None:
                return unit, " ".join(tokens[k:])
        # the first word is what the admin meant as the unit (the rest is a new name or a member)
        raise RosterError("no_unit", name=clean_unit_name(tokens[0]))

    def unbind_preview(self, text: str) -> tuple[Unit, list[Member]]:
        """/unbind 单位名称 [成员姓名或ID]: the unit and the members that 确认 would remove (all of
        them when no member is named; one named by user id, by @username or by name under the name
        rule). Raises RosterError('empty_name' | 'no_unit' | 'no_members' | 'no_member')."""
        unit, who = self.split_unit_and_rest(text)
        members = self.members_of(unit.id)  # type: ignore[arg-type]
        if not members:
            raise RosterError("no_members", unit=unit.name)
        if not who:
            return unit, members
        key = clean_unit_name(who).lstrip("@").casefold()
        usernames: dict[int, str] = {}
        with self._session() as s:
            for m in members:
                chat = s.get(Chat, m.chat_id)
                if chat is not None and chat.username:
                    usernames[m.user_id] = chat.username.casefold()
        chosen = [m for m in members if key in (str(m.user_id), clean_unit_name(m.name).casefold(),
                                                usernames.get(m.user_id))]
        if not chosen:
            raise RosterError("no_member", unit=unit.name, who=who,
                              members=[f"{m.name}（{m.user_id}）" for m in members])
        return unit, chosen

    @staticmethod
    def unbind_payload(unit: Unit, members: Sequence[Member]) -> dict[str, Any]:
        return {"unit_id": unit.id, "unit": unit.name, "user_ids": [m.user_id for m in members]}

    def apply_unbind(self, s: Session, payload: dict[str, Any]) -> list[Member]:
        """In the confirming transaction: remove the payload's members that are still bound to its
        unit, and their unfinished check-in drafts. Their check-ins stay (unit id, user id and
        reporter name are on each). Returns the removed members (to tell them)."""
        ids = [int(x) for x in payload.get("user_ids", [])]
        if not ids:
            return []
        removed = list(s.exec(select(Member).where(col(Member.user_id).in_(ids),
                                                   Member.unit_id == int(payload["unit_id"]))))
        gone = [m.user_id for m in removed]
        if gone:
            s.execute(sa.delete(CheckinDraft).where(col(CheckinDraft.user_id).in_(gone)))
            s.execute(sa.delete(Member).where(col(Member.user_id).in_(gone)))
        return removed

    # --- invites, names, deletion --------------------------------------------------------------
    def revoke(self, name: str) -> tuple[Unit, int]:
        """/revoke 单位名称: void the unit's unused, unexpired invites. Returns (unit, how many).
        A voided link answers as InviteInvalid('revoked'). Raises RosterError."""
        unit = self.require_unit(name)
        now = self.clock.now()
        with self._session() as s:
            res = s.execute(sa.update(Invite)
                            .where(col(Invite.unit_id) == unit.id, col(Invite.used_by).is_(None),
                                   col(Invite.revoked_at).is_(None), col(Invite.expires_at) > now)
                            .values(revoked_at=now))
            s.commit()
            return unit, res.rowcount or 0

    def rename(self, old: str, new: str) -> tuple[str, Unit]:
        """/unit_rename 旧名 新名. Returns (old name, renamed unit); the kind is kept. Raises
        RosterError('empty_name' | 'long_name' | 'no_unit' | 'same_name' | 'name_taken' (data:
        deleted — True when a deleted unit holds the name))."""
        unit = self.require_unit(old)
        name = self.valid_name(new)
        if name == unit.name:
            raise RosterError("same_name", name=name)
        with self._session() as s:
            other = self._by_name(s, name)
            if other is not None:
                raise RosterError("name_taken", name=name, deleted=other.deleted_at is not None)
            row = s.get(Unit, unit.id)
            assert row is not None
            before, row.name = row.name, name
            s.add(row)
            try:
                s.commit()
            except sa.exc.IntegrityError:  # taken meanwhile by a concurrent /invite
                raise RosterError("name_taken", name=name, deleted=False) from None
            return before, row

    def rename_args(self, text: str) -> tuple[str, str]:
        """Split ``旧名 新名``: the longest leading words naming a live unit are the old name, the
        rest the new one. Raises RosterError('empty_name' | 'no_unit')."""
        unit, rest = self.split_unit_and_rest(text)
        if not clean_unit_name(rest):
            raise RosterError("empty_name")
        return unit.name, rest

    def checkin_count(self, unit_id: int) -> int:
        """How many check-ins the unit has (corrected ones included)."""
        with self._session() as s:
            return s.exec(select(func.count()).select_from(CheckIn).where(CheckIn.unit_id == unit_id)).one()

    def delete_preview(self, name: str) -> Unit:
        """/unit_del 单位名称: the unit, when it has no members. Raises RosterError('no_unit' |
        'has_members' (data: members))."""
        unit = self.require_unit(name)
        members = self.members_of(unit.id)  # type: ignore[arg-type]
        if members:
            raise RosterError("has_members", name=unit.name, members=[m.name or str(m.user_id) for m in members])
        return unit

    def apply_delete(self, s: Session, payload: dict[str, Any]) -> Unit:
        """In the confirming transaction: mark the unit deleted and void its unused invites.
        Raises RosterError('has_members') when someone bound to it since the preview."""
        unit = s.get(Unit, int(payload["unit_id"]))
        if unit is None or unit.deleted_at is not None:
            raise RosterError("no_unit", name=str(payload.get("unit", "")))
        members = list(s.exec(select(Member).where(Member.unit_id == unit.id)))
        if members:
            raise RosterError("has_members", name=unit.name, members=[m.name or str(m.user_id) for m in members])
        now = self.clock.now()
        unit.deleted_at = now
        s.add(unit)
        s.execute(sa.update(Invite).where(col(Invite.unit_id) == unit.id, col(Invite.used_by).is_(None),
                                          col(Invite.revoked_at).is_(None)).values(revoked_at=now))
        return unit

    # --- bulk import ---------------------------------------------------------------------------
    def preview_import(self, table: Table) -> ImportPreview:
        """Sort a roster table's rows into new units, existing ones and rejected rows (empty or
        over-long names, a total/number/note instead of a name, an unknown 类型, every repeat of
        a name — names that differ only in width, invisible characters or spaces are repeats — and
        a new name that is probably a live unit or an earlier row written another way, see
        :class:`Lookalikes`). One SELECT per 2,000 names and one of the live names; nothing is
        written."""
        rows: list[ImportRow] = []
        rejected: list[RejectedRow] = []
        first: dict[str, tuple[int, str]] = {}
        for n, cells in table.rows:
            raw = table.get(cells, "name")
            name = clean_unit_name(raw)
            if not name:
                if any(clean_unit_name(c) for c in cells):
                    rejected.append(RejectedRow(n, raw, "empty"))
                continue
            if len(name) > MAX_UNIT_NAME:
                rejected.append(RejectedRow(n, raw, "long", {"limit": MAX_UNIT_NAME}))
                continue
            if _NOT_A_NAME.match(name.replace(" ", "")) or ":" in name:
                rejected.append(RejectedRow(n, raw, "not_name"))
                continue
            if _SEVERAL.search(raw.strip()):  # 「龙城镇、三合街道」 or two lines in one cell
                rejected.append(RejectedRow(n, raw, "several"))
                continue
            if name in first:
                row0, raw0 = first[name]
                rejected.append(RejectedRow(n, raw, "dup", {"first": row0, "variant": raw.strip() != raw0.strip()}))
                continue
            word = table.get(cells, "kind")
            kind = kind_from_word(word)
            if kind is None:
                rejected.append(RejectedRow(n, raw, "bad_kind", {"word": clean_unit_name(word)}))
                continue
            first[name] = (n, raw)
            rows.append(ImportRow(n, name, kind or unit_kind_for(name), clean_unit_name(table.get(cells, "liaison")),
                                  kind_given=bool(kind)))
        live: dict[str, Unit] = {}
        with self._session() as s:
            names = [r.name for r in rows]
            for i in range(0, len(names), _IN_CHUNK):
                for u in s.exec(select(Unit).where(col(Unit.name).in_(names[i:i + _IN_CHUNK]))):
                    if u.deleted_at is None:
                        live[u.name] = u
        # a new name that is probably a live unit or an earlier row written another way
        # (民政局 beside 县民政局): left out, never created on a guess — /invite can still create it
        index = None
        if any(r.name not in live for r in rows):
            with self._session() as s:
                index = Lookalikes(s.exec(select(Unit.name).where(col(Unit.deleted_at).is_(None))).all())
        row_of: dict[str, int] = {}
        kept: list[ImportRow] = []
        for r in rows:
            if r.name not in live and index is not None:
                other = index.match(r.name)
                if other is not None:
                    rejected.append(RejectedRow(r.row, first[r.name][1], "like",
                                                {"other": other, "first": row_of.get(other)}))
                    continue
                index.add(r.name)
            row_of[r.name] = r.row
            kept.append(r)
        rows = kept
        rejected.sort(key=lambda r: r.row)
        new = [r for r in rows if r.name not in live]
        existing = [r for r in rows if r.name in live]
        retyped = sum(1 for r in existing if r.kind_given and live[r.name].kind != r.kind)
        return ImportPreview(new=new, existing=existing, rejected=rejected, retyped=retyped)

    def apply_import(self, s: Session, payload: dict[str, Any], *, created_by: int) -> list[IssuedInvite]:
        """In the confirming transaction: create the payload's new units (bringing back deleted ones
        of the same name), give existing ones the kind the file states, and a fresh invite to every
        unit. Set-based: one SELECT per 2,000 names, one multi-row INSERT of units (RETURNING
        their ids), one of invites, one UPDATE per retyped/restored unit. Returns one IssuedInvite
        per row, in file order."""
        now = self.clock.now()
        rows = [(int(r[0]), str(r[1]), str(r[2]), str(r[3] or ""), bool(r[4])) for r in payload.get("rows", [])]
        names = [r[1] for r in rows]
        found: dict[str, Unit] = {}
        for i in range(0, len(names), _IN_CHUNK):
            for u in s.exec(select(Unit).where(col(Unit.name).in_(names[i:i + _IN_CHUNK]))):
                found[u.name] = u
        created: set[str] = set()
        kind_now: dict[str, str] = {}
        to_insert = [{"name": name, "kind": kind, "created_at": now}
                     for _, name, kind, _, _ in rows if name not in found]
        if to_insert:
            kinds = {r["name"]: r["kind"] for r in to_insert}
            ids = s.execute(sa.insert(Unit).returning(col(Unit.id), col(Unit.name)), to_insert).all()
            for uid, name in ids:
                found[name] = Unit(id=uid, name=name, kind=kinds[name], created_at=now)
                created.add(name)
        for _, name, kind, _, given in rows:
            u = found[name]
            if name in created:
                continue
            changes: dict[str, Any] = {}
            if u.deleted_at is not None:
                changes["deleted_at"] = None
                created.add(name)
            if given and u.kind != kind:
                changes["kind"] = kind
            if changes:
                s.execute(sa.update(Unit).where(col(Unit.id) == u.id).values(**changes))
                kind_now[name] = changes.get("kind", u.kind)
        issued: list[IssuedInvite] = []
        invites = []
        for _, name, _, liaison, _ in rows:
            u = found[name]
            inv = self._new_invite(u.id, created_by, now)  # type: ignore[arg-type]
            invites.append({"code": inv.code, "unit_id": u.id, "created_by": created_by,
                            "created_at": now, "expires_at": inv.expires_at})
            issued.append(IssuedInvite(name=name, kind=kind_now.get(name, u.kind), code=inv.code,
                                       expires_at=inv.expires_at, liaison=liaison, created=name in created))
        if invites:
            s.execute(sa.insert(Invite), invites)
        return issued

    def import_units(self, table: Table, *, created_by: int) -> tuple[ImportPreview, list[IssuedInvite]]:
        """Preview and apply at once (the command line): returns (preview, issued invites)."""
        preview = self.preview_import(table)
        with self._session() as s:
            issued = self.apply_import(s, preview.payload(), created_by=created_by)
            s.commit()
        return preview, issued

    # --- unanswered questions ------------------------------------------------------------------
    def record_unanswered(self, *, user_id: int | None, question: str) -> None:
        with self._session() as s:
            s.add(Unanswered(user_id=user_id, question=question[:1000], created_at=self.clock.now()))
            s.commit()

    def unanswered(self, limit: int = 20) -> list[Unanswered]:
        with self._session() as s:
            return list(s.exec(select(Unanswered).order_by(col(Unanswered.id).desc()).limit(limit)))


def invite_link(bot_username: str, code: str) -> str:
    """The deep link that binds (Telegram deep linking: ``https://t.me/<bot>?start=<payload>``)."""
    return f"https://t.me/{bot_username}?start={code}"


INVITE_COLUMNS = ("单位名称", "类型", "邀请链接", "有效期至")


def invite_rows(issued: Sequence[IssuedInvite], bot_username: str, tz) -> list[list[str]]:  # noqa: ANN001
    """One row per unit: 单位名称, 类型, 邀请链接, 有效期至 (local time, YYYY-MM-DD HH:MM), and 联络员
    when any row has one."""
    with_liaison = any(i.liaison for i in issued)
    out = []
    for i in issued:
        row = [i.name, i.kind, invite_link(bot_username, i.code), i.expires_at.astimezone(tz).strftime("%Y-%m-%d %H:%M")]
        if with_liaison:
            row.append(i.liaison)
        out.append(row)
    return out


def invite_workbook(issued: Sequence[IssuedInvite], bot_username: str, tz) -> bytes:  # noqa: ANN001
    """An .xlsx (XlsxWriter, in memory) with one sheet 邀请链接: columns 单位名称, 类型, 邀请链接
    (clickable), 有效期至, and 联络员 when the import had one; one row per unit, header frozen."""
    import xlsxwriter

    buf = io.BytesIO()
    wb = xlsxwriter.Workbook(buf, {"in_memory": True, "strings_to_urls": False, "strings_to_formulas": False})
    ws = wb.add_worksheet("邀请链接")
    head = wb.add_format({"bold": True, "bg_color": "#DDEBF7", "border": 1})
    rows = invite_rows(issued, bot_username, tz)
    columns = list(INVITE_COLUMNS) + (["联络员"] if rows and len(rows[0]) > 4 else [])
    ws.write_row(0, 0, columns, head)
    for r, row in enumerate(rows, start=1):
        ws.write_string(r, 0, row[0])
        ws.write_string(r, 1, row[1])
        if r <= 65_000:  # Excel's limit on hyperlinks per sheet is 65,530
            ws.write_url(r, 2, row[2], string=row[2])
        else:
            ws.write_string(r, 2, row[2])
        ws.write_string(r, 3, row[3])
        if len(row) > 4:
            ws.write_string(r, 4, row[4])
    ws.set_column(0, 0, max([12] + [len(r[0]) * 2 + 2 for r in rows[:500]]))
    ws.set_column(1, 1, 10)
    ws.set_column(2, 2, 60)
    ws.set_column(3, 3, 18)
    if len(columns) > 4:
        ws.set_column(4, 4, 12)
    ws.freeze_panes(1, 0)
    wb.close()
    return buf.getvalue()
