"""Units, members, registered chats, invites and unanswered questions."""

from __future__ import annotations

import secrets
import time
from dataclasses import dataclass
from datetime import datetime, timedelta

import sqlalchemy as sa
from sqlalchemy.engine import Engine
from sqlmodel import Session, SQLModel, col, func, select

from bot.clock import Clock
from bot.errors import BadInput, InviteInvalid
from bot.models import Chat, CheckIn, Invite, Member, Unanswered, Unit

MAX_UNIT_NAME = 60


def unit_kind_for(name: str) -> str:
    """Township (乡镇), street office (街道) or member unit (成员单位), from the name's ending."""
    if name.endswith("街道") or name.endswith("街道办事处"):
        return "街道"
    if name.endswith(("镇", "乡", "镇人民政府", "乡人民政府")):
        return "乡镇"
    return "成员单位"


@dataclass(frozen=True)
class RosterRow:
    unit: Unit
    members: list[str]
    last_checkin: datetime | None
    open_invites: int


class RosterService:
    def __init__(self, engine: Engine, clock: Clock, invite_ttl: timedelta) -> None:
        self.engine = engine
        self.clock = clock
        self.invite_ttl = invite_ttl
        # chat activity: what this process last knew of a chat, so that a private message from a
        # chat already known active costs no database round trip (see seen())
        self._seen: dict[int, tuple[tuple[str, str | None] | None, float]] = {}

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

    # --- chat activity and migration (Telegram lifecycle; see handlers/lifecycle/membership.py) ---
    # s a chat's known state is trusted before the database is asked again (another process may
    # have marked it inactive meanwhile)
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
        with self._session() as s:
            chat = s.get(Chat, chat_id)
            if chat is None:
                state = None
            else:
                if not chat.active or chat.name != key[0] or chat.username != username:
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
    def create_invite(self, *, unit_name: str, created_by: int) -> tuple[Unit, Invite, bool]:
        """Create the unit if new and a fresh single-use invite for it. Returns (unit, invite, new)."""
        name = " ".join(unit_name.split())
        if not name:
            raise BadInput("empty_unit")
        if len(name) > MAX_UNIT_NAME:
            raise BadInput("long_unit")
        now = self.clock.now()
        with self._session() as s:
            unit = s.exec(select(Unit).where(Unit.name == name)).first()
            created = unit is None
            if unit is None:
                unit = Unit(name=name, kind=unit_kind_for(name), created_at=now)
                s.add(unit)
                s.flush()
            invite = Invite(code=secrets.token_urlsafe(12), unit_id=unit.id, created_by=created_by,
                            created_at=now, expires_at=now + self.invite_ttl)
            s.add(invite)
            s.commit()
            return unit, invite, created

    def invite_unit(self, code: str) -> Unit:
        """The unit a still usable invite code binds to, without spending it. Raises InviteInvalid."""
        with self._session() as s:
            invite = s.get(Invite, code) if code else None
            unit = s.get(Unit, invite.unit_id) if invite is not None else None
            if invite is None or unit is None:
                raise InviteInvalid("unknown")
            if invite.used_by is not None:
                raise InviteInvalid("used")
            if invite.expires_at <= self.clock.now():
                raise InviteInvalid("expired")
            return unit

    def redeem(self, *, code: str, user_id: int, chat_id: int, name: str) -> tuple[Unit, str | None]:
        """Bind the user to the invite's unit; the code is spent. Returns (unit, name of the unit the
        user was bound to before, None when new or unchanged). Raises InviteInvalid."""
        now = self.clock.now()
        with self._session() as s:
            invite = s.get(Invite, code) if code else None
            if invite is None:
                raise InviteInvalid("unknown")
            unit = s.get(Unit, invite.unit_id)
            if invite.used_by is not None:
                if invite.used_by == user_id and unit is not None:
                    return unit, None  # the same person tapping the link twice
                raise InviteInvalid("used")
            if invite.expires_at <= now:
                raise InviteInvalid("expired")
            # spend the code atomically: a concurrent second redeemer updates zero rows
            res = s.execute(
                sa.update(Invite)
                .where(col(Invite.code) == code, col(Invite.used_by).is_(None))
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
            assert unit is not None
            return unit, previous

    def membership(self, user_id: int | None) -> tuple[Member, Unit] | None:
        if user_id is None:
            return None
        with self._session() as s:
            member = s.get(Member, user_id)
            if member is None:
                return None
            unit = s.get(Unit, member.unit_id)
            return (member, unit) if unit else None

    def units(self) -> list[Unit]:
        with self._session() as s:
            return list(s.exec(select(Unit).order_by(Unit.kind, Unit.name)))

    def find_unit(self, name: str) -> Unit | None:
        with self._session() as s:
            return s.exec(select(Unit).where(Unit.name == name.strip())).first()

    def roster(self) -> list[RosterRow]:
        now = self.clock.now()
        with self._session() as s:
            units = list(s.exec(select(Unit).order_by(Unit.kind, Unit.name)))
            members: dict[int, list[str]] = {}
            for m in s.exec(select(Member).order_by(Member.bound_at)):
                members.setdefault(m.unit_id, []).append(m.name or str(m.user_id))
            last = dict(
                s.exec(select(CheckIn.unit_id, func.max(CheckIn.created_at)).group_by(CheckIn.unit_id)).all()
            )
            invites = dict(
                s.exec(
                    select(Invite.unit_id, func.count())
                    .where(col(Invite.used_by).is_(None), Invite.expires_at > now)
                    .group_by(Invite.unit_id)
                ).all()
            )
        out = []
        for u in units:  # max() keeps the column type: last_checkin is aware UTC on both backends
            out.append(RosterRow(unit=u, members=members.get(u.id, []), last_checkin=last.get(u.id),
                                 open_invites=invites.get(u.id, 0)))
        return out

    # --- unanswered questions ------------------------------------------------------------------
    def record_unanswered(self, *, user_id: int | None, question: str) -> None:
        with self._session() as s:
            s.add(Unanswered(user_id=user_id, question=question[:1000], created_at=self.clock.now()))
            s.commit()

    def unanswered(self, limit: int = 20) -> list[Unanswered]:
        with self._session() as s:
            return list(s.exec(select(Unanswered).order_by(col(Unanswered.id).desc()).limit(limit)))

    def members_by_unit(self) -> dict[int, list[Member]]:
        out: dict[int, list[Member]] = {}
        with self._session() as s:
            for m in s.exec(select(Member).order_by(Member.bound_at)):
                out.setdefault(m.unit_id, []).append(m)
        return out
