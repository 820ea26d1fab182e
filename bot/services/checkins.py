"""Progress check-ins: the guided flow's durable drafts, one-line reports, periods and summaries."""

from __future__ import annotations

import re
import secrets
import unicodedata
from collections import Counter
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy.engine import Engine
from sqlmodel import Session, col, select

from bot.clock import Clock
from bot.errors import AppError, BadInput, NotBound
from bot.models import STATUSES, CheckIn, CheckinDraft, Member, Unit
from bot.periods import normalise_period, period_of

MAX_NOTE = 500
_CN_NUM = {"一": 1, "二": 2, "三": 3, "四": 4, "五": 5, "六": 6, "七": 7, "八": 8, "九": 9, "十": 10}
_STATUS_ALIASES = {
    "未开始": "未开始", "没开始": "未开始", "未启动": "未开始", "todo": "未开始",
    "进行中": "进行中", "正在进行": "进行中", "推进中": "进行中", "在办": "进行中", "doing": "进行中",
    "已完成": "已完成", "完成": "已完成", "办结": "已完成", "已办结": "已完成", "done": "已完成",
}


class DraftExpired(AppError):
    """The guided flow sat idle too long and was dropped."""


@dataclass(frozen=True)
class Item:
    id: str
    title: str


@dataclass
class Progress:
    period: str
    items: list[Item]
    counts: dict[str, Counter] = field(default_factory=dict)  # item id -> Counter(status)
    units: list[tuple[Unit, dict[str, str]]] = field(default_factory=list)  # reported units, latest per item
    missing: list[Unit] = field(default_factory=list)  # units without any report this period


def _cn_to_int(s: str) -> int | None:
    if s.isdigit():
        return int(s)
    if s in _CN_NUM:
        return _CN_NUM[s]
    if len(s) == 2 and s[0] == "十" and s[1] in _CN_NUM:
        return 10 + _CN_NUM[s[1]]
    return None


class CheckinService:
    def __init__(self, engine: Engine, clock: Clock, *, items: list[Item], tz: ZoneInfo,
                 period_kind: str = "monthly", draft_timeout: timedelta = timedelta(minutes=30)) -> None:
        self.engine = engine
        self.clock = clock
        self.items = items
        self.item_ids = [i.id for i in items]
        self._titles = {i.id: i.title for i in items}
        self.tz = tz
        self.period_kind = period_kind
        self.draft_timeout = draft_timeout

    def _session(self) -> Session:
        return Session(self.engine, expire_on_commit=False)

    # --- parsing -------------------------------------------------------------------------------
    def title(self, item_id: str) -> str:
        return self._titles.get(item_id, "")

    def resolve_item(self, text: str) -> str | None:
        """``2.2``, ``2-2``, ``二（二）``, ``二(二)``, ``2（2）`` -> ``2.2``; None if no such item."""
        t = unicodedata.normalize("NFKC", text).strip()
        m = re.fullmatch(r"([0-9一二三四五六七八九十]+)\s*[.\-、]?\s*\(?\s*([0-9一二三四五六七八九十]+)\s*\)?", t)
        if not m:
            return None
        a, b = _cn_to_int(m.group(1)), _cn_to_int(m.group(2))
        if a is None or b is None:
            return None
        candidate = f"{a}.{b}"
        return candidate if candidate in self._titles else None

    @staticmethod
    def resolve_status(text: str) -> str | None:
        return _STATUS_ALIASES.get(unicodedata.normalize("NFKC", text).strip().lower().rstrip("。.!！"))

    def parse_oneline(self, args: list[str]) -> tuple[str, str, str]:
        """``2.2 已完成 说明…`` (also ``2.2已完成 …``) -> (item, status, note). BadInput names what
        is valid."""
        args = [unicodedata.normalize("NFKC", a) for a in args]
        if args and self.resolve_item(args[0]) is None:  # 2.2已完成: the status glued to the item
            m = re.match(r"^([0-9一二三四五六七八九十]+[.\-、]?\(?[0-9一二三四五六七八九十]+\)?)(\D.*)$", args[0])
            if m and self.resolve_item(m.group(1)) and self.resolve_status(m.group(2)):
                args = [m.group(1), m.group(2), *args[1:]]
        if len(args) < 2:
            raise BadInput("oneline_usage")
        item = self.resolve_item(args[0])
        if item is None:
            raise BadInput("bad_item")
        status = self.resolve_status(args[1])
        if status is None:
            raise BadInput("bad_status")
        note = " ".join(args[2:]).strip()
        if len(note) > MAX_NOTE:
            raise BadInput(f"long_note_oneline:{len(note)}")
        return item, status, note

    def period_now(self) -> str:
        return period_of(self.clock.now(), self.period_kind, self.tz)

    def parse_period(self, text: str) -> str | None:
        return normalise_period(text, self.period_kind, year=self.clock.now().astimezone(self.tz).year)

    # --- guided flow drafts --------------------------------------------------------------------
    def start_draft(self, *, user_id: int, chat_id: int, corrects_id: int | None = None,
                    item_id: str | None = None) -> CheckinDraft:
        with self._session() as s:
            old = s.get(CheckinDraft, user_id)
            if old is not None:
                s.delete(old)
                s.flush()
            draft = CheckinDraft(user_id=user_id, chat_id=chat_id, step="status" if item_id else "item",
                                 item_id=item_id, corrects_id=corrects_id, token=secrets.token_hex(3),
                                 updated_at=self.clock.now())
            s.add(draft)
            s.commit()
            return draft

    def draft(self, user_id: int) -> CheckinDraft | None:
        """The user's live draft; raises DraftExpired (and drops it) when idle past the timeout."""
        with self._session() as s:
            d = s.get(CheckinDraft, user_id)
            if d is None:
                return None
            if self.clock.now() - d.updated_at > self.draft_timeout:
                s.delete(d)
                s.commit()
                raise DraftExpired()
            return d

    def update_draft(self, user_id: int, *, expect: str, token: str | None = None,
                     **changes: object) -> CheckinDraft:
        """Move a draft from step ``expect`` on. A button of another flow (``token``) or of another
        step raises BadInput('stale_step')."""
        d = self.draft(user_id)
        if d is None:
            raise BadInput("no_draft")
        if d.step != expect or (token is not None and token != d.token):
            raise BadInput("stale_step")
        with self._session() as s:
            for k, v in changes.items():
                setattr(d, k, v)
            d.updated_at = self.clock.now()
            s.add(d)
            s.commit()
            return d

    def choose_item(self, user_id: int, item_id: str, token: str | None = None) -> CheckinDraft:
        if item_id not in self._titles:
            raise BadInput("bad_item")
        return self.update_draft(user_id, expect="item", token=token, item_id=item_id, step="status")

    def choose_status(self, user_id: int, status: str, token: str | None = None) -> CheckinDraft:
        if status not in STATUSES:
            raise BadInput("bad_status")
        return self.update_draft(user_id, expect="status", token=token, status=status, step="note")

    def give_note(self, user_id: int, note: str) -> CheckinDraft:
        note = note.strip()
        if len(note) > MAX_NOTE:
            raise BadInput(f"long_note:{len(note)}")
        return self.update_draft(user_id, expect="note", note=note, step="confirm")

    def cancel_draft(self, user_id: int, token: str | None = None) -> bool:
        """Drop the user's draft (only the flow ``token`` when given); False if there was none."""
        with self._session() as s:
            d = s.get(CheckinDraft, user_id)
            if d is None or (token is not None and token != d.token):
                return False
            s.delete(d)
            s.commit()
            return True

    def confirm_draft(self, user_id: int, token: str | None = None) -> CheckIn:
        d = self.draft(user_id)
        if d is None:
            raise BadInput("no_draft")
        if d.step != "confirm" or not d.item_id or not d.status or (token is not None and token != d.token):
            raise BadInput("stale_step")
        checkin = self.record(user_id=user_id, item_id=d.item_id, status=d.status, note=d.note or "",
                              corrects_id=d.corrects_id, drop_draft=True)
        return checkin

    def expire_drafts(self) -> list[CheckinDraft]:
        """Drop drafts idle past the timeout; returns them so the user can be told."""
        cutoff = self.clock.now() - self.draft_timeout
        with self._session() as s:
            stale = list(s.exec(select(CheckinDraft).where(CheckinDraft.updated_at < cutoff)))
            for d in stale:
                s.delete(d)
            s.commit()
            return stale

    # --- records -------------------------------------------------------------------------------
    def record(self, *, user_id: int, item_id: str, status: str, note: str,
               corrects_id: int | None = None, drop_draft: bool = False) -> CheckIn:
        """Store a check-in for the user's unit (in one transaction with dropping the draft)."""
        if item_id not in self._titles:
            raise BadInput("bad_item")
        if status not in STATUSES:
            raise BadInput("bad_status")
        now = self.clock.now()
        with self._session() as s:
            member = s.get(Member, user_id)
            if member is None:
                raise NotBound()
            period = period_of(now, self.period_kind, self.tz)
            if corrects_id is not None:
                old = s.get(CheckIn, corrects_id)
                if old is None or old.unit_id != member.unit_id:
                    raise BadInput("bad_correction")
                old.superseded = True
                period = old.period
                s.add(old)
            c = CheckIn(period=period, unit_id=member.unit_id, user_id=user_id, reporter=member.name,
                        item_id=item_id, status=status, note=note[:MAX_NOTE], created_at=now,
                        corrects_id=corrects_id)
            s.add(c)
            if drop_draft:
                d = s.get(CheckinDraft, user_id)
                if d is not None:
                    s.delete(d)
            s.commit()
            return c

    def recent(self, unit_id: int, limit: int = 10) -> list[CheckIn]:
        with self._session() as s:
            return list(s.exec(select(CheckIn).where(CheckIn.unit_id == unit_id)
                               .order_by(col(CheckIn.id).desc()).limit(limit)))

    def latest_correctable(self, unit_id: int) -> CheckIn | None:
        with self._session() as s:
            return s.exec(select(CheckIn).where(CheckIn.unit_id == unit_id, col(CheckIn.superseded).is_(False))
                          .order_by(col(CheckIn.id).desc())).first()

    def latest_status(self, period: str) -> dict[int, dict[str, str]]:
        """unit id -> item id -> latest (non-superseded) status in the period."""
        out: dict[int, dict[str, str]] = {}
        with self._session() as s:
            rows = s.exec(select(CheckIn.unit_id, CheckIn.item_id, CheckIn.status)
                          .where(CheckIn.period == period, col(CheckIn.superseded).is_(False))
                          .order_by(col(CheckIn.id))).all()
        for unit_id, item_id, status in rows:
            out.setdefault(unit_id, {})[item_id] = status
        return out

    def progress(self, period: str | None = None) -> Progress:
        period = period or self.period_now()
        latest = self.latest_status(period)
        with self._session() as s:
            units = list(s.exec(select(Unit).order_by(Unit.kind, Unit.name)))
        p = Progress(period=period, items=list(self.items),
                     counts={i.id: Counter() for i in self.items})
        for u in units:
            st = latest.get(u.id)
            if not st:
                if u.deleted_at is None:  # a unit deleted by /unit_del is due nothing
                    p.missing.append(u)
                continue
            p.units.append((u, st))
            for item_id, status in st.items():
                p.counts.setdefault(item_id, Counter())[status] += 1
        return p

    def missing_recipients(self, period: str | None = None) -> tuple[list[Unit], list[int]]:
        """Units that have not reported in the period, and their members' chat ids."""
        p = self.progress(period)
        ids = {u.id for u in p.missing}
        with self._session() as s:
            chats = [m.chat_id for m in s.exec(select(Member)) if m.unit_id in ids]
        return p.missing, chats

    def history(self, period: str | None = None) -> list[tuple[CheckIn, Unit]]:
        with self._session() as s:
            q = select(CheckIn, Unit).join(Unit, col(Unit.id) == CheckIn.unit_id)
            if period:
                q = q.where(CheckIn.period == period)
            return list(s.exec(q.order_by(col(CheckIn.period), col(Unit.name), col(CheckIn.id))).all())

    def periods(self) -> list[str]:
        with self._session() as s:
            return sorted(set(s.exec(select(CheckIn.period).distinct()).all()))

    def local(self, moment: datetime) -> datetime:
        return moment.astimezone(self.tz)
