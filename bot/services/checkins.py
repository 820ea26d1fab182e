"""Progress check-ins: the guided flow's durable drafts, one-line reports, periods and summaries."""

from __future__ import annotations

import re
import secrets
import unicodedata
from collections import Counter
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import sqlalchemy as sa
from sqlalchemy.engine import Engine
from sqlmodel import Session, col, delete, func, select

from bot.clock import Clock
from bot.errors import BadInput, DraftExpired, NotBound, NotFound
from bot.models import STATUSES, CheckIn, CheckinDraft, Evidence, Member, Unit
from bot.periods import deadline_of, last_month, period_of
from bot.services.duties import DutyService
from bot.services.plans import Item, PlanService, PlanView
from bot.services.quickread import QuickRead
from knowledge.numerals import cn_to_int

MAX_NOTE = 500
MAX_EVIDENCE = 5  # photos / documents per check-in (SPEC "Check-ins (additions)")
# everyday words for the three statuses, compared after NFKC, lower case, spaces and final
# punctuation removed; 未完成 / 没做完 are deliberately absent (not started, or under way?)
_STATUS_WORDS = {
    "未开始": ("未开始", "末开始", "没开始", "还没开始", "还未开始", "尚未开始", "没有开始", "还没有开始", "未启动", "没启动",
             "还没启动", "尚未启动", "未开展", "尚未开展", "还没开展", "没动", "还没动", "还没做", "未做", "todo",
             "notstarted", "⭕"),
    "进行中": ("进行中", "正在进行", "在进行", "进行", "正在做", "在做", "推进中", "正在推进", "在推进", "在办",
             "正在办", "办理中", "正在办理", "开展中", "正在开展", "实施中", "正在实施", "落实中", "doing",
             "inprogress", "ongoing", "wip", "⏳"),
    "已完成": ("已完成", "己完成", "以完成", "完成", "完成了", "已经完成", "已经完成了", "全部完成", "做完了", "做完", "已做完", "干完了",
             "办完了", "已办完", "办结", "已办结", "办结了", "已结束", "结束了", "搞定", "搞定了", "已落实", "落实了",
             "done", "finished", "complete", "completed", "✅"),
}
_STATUS_ALIASES = {w: status for status, words in _STATUS_WORDS.items() for w in words}
_STATUS_BY_LENGTH = sorted(_STATUS_ALIASES, key=len, reverse=True)
_NOTE_SEPARATORS = " \t\n，,。.：:；;、！!？?—-~～"
# an item id as people type it: 2.2 / 2-2 / 2。2 / 2、2 / 二（二） / 2（2）
_ITEM_SRC = r"(?P<s>[0-9一二三四五六七八九十]+)\s*[.\-、。．]?\s*\(?\s*(?P<i>[0-9一二三四五六七八九十]+)\s*\)?"
# a section without items is one item itself: 4 / 四 / 第四部分
_SECTION_SRC = r"(?:第\s*)?(?P<s>[0-9一二三四五六七八九十]+)(?P<i>)\s*(?:部分)?"
# ... but not the 4 of 4.3 / 四（三）: an item the plan lacks is not its section
_NO_SUB = r"(?![0-9]|\s*[.\-、。．]\s*[0-9一二三四五六七八九十]|\s*\(\s*[0-9一二三四五六七八九十])"
_ITEMS_AT_START = (re.compile(_ITEM_SRC + r"(?![0-9])"), re.compile(_SECTION_SRC + _NO_SUB))
_ITEM_WORD = re.compile(_ITEM_SRC)
# a check-in typed as plain text: at most a few words before the item (我镇 / 本单位 / checkin / 填报)
_LEAD = r"(?:/?checkin\s*|[\u4e00-\u9fff]{0,4}?\s*)"
_LEAD_ITEMS = (re.compile(_LEAD + _ITEM_SRC + r"(?![0-9])", re.IGNORECASE),
               re.compile(_LEAD + _SECTION_SRC + _NO_SUB, re.IGNORECASE))


def _fold(text: str) -> str:
    """NFKC (full-width digits and brackets to ASCII) — the 。 an input method types between
    digits is kept for the item patterns to read as a dot."""
    return unicodedata.normalize("NFKC", text)


def _as_typed(raw: str, folded_note: str) -> str:
    """The note as the member typed it: ``folded_note`` is the tail of ``raw`` after folding (NFKC
    and lower case, for the item and status words to read) and stripping; the same tail of ``raw``
    keeps 「（第一批）」, 「：」 and capitals. The folded note when the two cannot be lined up."""
    if not folded_note:
        return ""
    pieces = [unicodedata.normalize("NFKC", ch).lower() for ch in raw]
    mapped = "".join(pieces).rstrip()
    if not mapped.endswith(folded_note):
        return folded_note
    start, at = len(mapped) - len(folded_note), 0
    for i, piece in enumerate(pieces):
        if at == start:
            return raw[i:].strip()
        at += len(piece)
    return folded_note


_HAS_DRAFT = sa.select(CheckinDraft.user_id).where(CheckinDraft.user_id == sa.bindparam("uid"))


__all__ = ["CheckinService", "DraftExpired", "Item", "Progress"]


@dataclass
class Progress:
    """A period's progress under one plan. A unit is due (应报) the items ``due[unit id]`` (every
    item when the plan has no assignments); ``missing`` are the units with something due and no
    report on any of it."""

    period: str
    items: list[Item]
    plan: PlanView | None = None
    counts: dict[str, Counter] = field(default_factory=dict)  # item id -> Counter(status), due cells only
    due_count: dict[str, int] = field(default_factory=dict)  # item id -> units it is due from
    units: list[tuple[Unit, dict[str, str]]] = field(default_factory=list)  # reported units, latest per item
    proxied: dict[tuple[int, str], str] = field(default_factory=dict)  # (unit id, item) -> 代填 admin name
    missing: list[Unit] = field(default_factory=list)  # units without any report on their due items
    due: dict[int, list[str]] = field(default_factory=dict)  # unit id -> due item ids
    elsewhere: int = 0  # the period's current check-ins made under another plan (not counted here)

    @property
    def assigned(self) -> bool:
        """True when some item is not due from every unit (the plan has 任务分解)."""
        n = len(self.due)
        return any(c != n for c in self.due_count.values())


class CheckinService:
    """Check-ins against the items of a plan (the active one, unless a flow or a correction started
    under another). Items, titles and validation always come from ``plans``."""

    def __init__(self, engine: Engine, clock: Clock, *, plans: PlanService, duties: DutyService, tz: ZoneInfo,
                 period_kind: str = "monthly", draft_timeout: timedelta = timedelta(minutes=30),
                 deadline_day: int = 25) -> None:
        self.engine = engine
        self.clock = clock
        self.plans = plans
        self.duties = duties
        self.tz = tz
        self.period_kind = period_kind
        self.draft_timeout = draft_timeout
        self.deadline_day = deadline_day
        self._has_draft: QuickRead | None = None  # has_draft's statement, compiled once

    def _session(self) -> Session:
        return Session(self.engine, expire_on_commit=False)

    # --- the plan's items ----------------------------------------------------------------------
    @property
    def items(self) -> list[Item]:
        """The active plan's items, in document order."""
        return list(self.plans.active().items)

    @property
    def item_ids(self) -> list[str]:
        return self.plans.active().item_ids

    def title(self, item_id: str, plan_id: int | None = None) -> str:
        """An item's title in ``plan_id`` (default: the active plan); '' when it has no such item."""
        plan = self.plans.get(plan_id) if plan_id is not None else self.plans.active()
        return plan.title_of(item_id)

    def items_for_unit(self, unit: Unit, plan_id: int | None = None) -> list[Item]:
        """The items of ``plan_id`` (default: the active plan) with the unit's assigned ones first
        (the /checkin keyboard)."""
        plan = self.plans.get(plan_id) if plan_id is not None else self.plans.active()
        by_id = {i.id: i for i in plan.items}
        return [by_id[i] for i in self.duties.items_for(plan.id, unit, plan.item_ids)]

    # --- parsing -------------------------------------------------------------------------------
    def resolve_item(self, text: str, plan_id: int | None = None) -> str | None:
        """``2.2``, ``2-2``, ``2。2``, ``二（二）``, ``二(二)``, ``2（2）`` -> ``2.2``; None if the plan
        (default: the active one) has no such item."""
        t = _fold(text).strip()
        for pattern in _ITEMS_AT_START:
            m = pattern.fullmatch(t)
            if m and (item := self._item_of(m, plan_id)):
                return item
        return None

    def _item_of(self, m: re.Match[str], plan_id: int | None) -> str | None:
        """The item a match of _ITEM_SRC / _SECTION_SRC names in the plan (default: active)."""
        a = cn_to_int(m.group("s"))
        b = cn_to_int(m.group("i")) if m.group("i") else None
        if a is None or (m.group("i") and b is None):
            return None
        candidate = f"{a}.{b}" if b is not None else str(a)
        plan = self.plans.get(plan_id) if plan_id is not None else self.plans.active()
        return candidate if plan.has_item(candidate) else None

    def _item_at_start(self, text: str, *, lead: bool = False) -> tuple[str, int] | None:
        """(item, where the item ends) when ``text`` opens with an item of the active plan."""
        for pattern in (_LEAD_ITEMS if lead else _ITEMS_AT_START):
            m = pattern.match(text)
            if m and (item := self._item_of(m, None)):
                return item, m.end()
        return None

    @staticmethod
    def resolve_status(text: str) -> str | None:
        """The status an everyday word names (完成了 / 正在做 / 还没开始 …), or None."""
        t = "".join(_fold(text).lower().split()).rstrip("。.!！~～")
        return _STATUS_ALIASES.get(t) or _STATUS_ALIASES.get(t.removesuffix("啦").removesuffix("了"))

    @staticmethod
    def split_status(text: str) -> tuple[str, str] | None:
        """A status word at the start of ``text`` and what follows it (the note), however they are
        joined: ``已完成，走访了驻地部队`` / ``完成了。已挂牌126户`` / ``已完成走访了驻地部队`` /
        ``还没 开始`` -> ('已完成', '走访了驻地部队') …; None when ``text`` opens with no status word."""
        t = _fold(text).lower().lstrip()
        compact, where = [], []  # the text without spaces, and where each kept character was
        for i, ch in enumerate(t):
            if not ch.isspace():
                compact.append(ch)
                where.append(i)
        joined = "".join(compact)
        for word in _STATUS_BY_LENGTH:
            if joined.startswith(word):
                end = where[len(word) - 1] + 1
                rest = t[end:]
                if rest[:1] in ("了", "啦"):
                    rest = rest[1:]
                return _STATUS_ALIASES[word], rest.lstrip(_NOTE_SEPARATORS)
        return None

    def parse_checkin_text(self, text: str, *, lead: bool = False) -> tuple[str, str, str] | None:
        """``2.2 已完成 说明`` written any way people write it (``2.2已完成，说明``, ``2。2 完成了。说明``,
        ``二（二）正在做``) -> (item, status, note); None when it does not open with an item of the
        active plan followed by a status. ``lead``: a few words may come first (``我镇2.2已完成``,
        ``checkin 2.2 已完成``) — for plain text that may be a check-in typed without /checkin."""
        t = _fold(text).strip()
        found = self._item_at_start(t, lead=lead)
        split = self.split_status(t[found[1]:].lstrip(_NOTE_SEPARATORS)) if found else None
        if split is None:
            return None
        return found[0], split[0], _as_typed(text, split[1].strip())

    def split_unit_name(self, args: list[str]) -> tuple[str, list[str]] | None:
        """/checkin_for's arguments: (the unit name — the words before the first one that opens an
        item of the active plan —, the rest); None when no word after the first opens an item."""
        for i in range(1, len(args)):
            if self._item_at_start(_fold(args[i])):
                return " ".join(args[:i]), args[i:]
        for i in range(1, len(args)):  # an item id the plan lacks (7.3): said so, not the usage
            if _ITEM_WORD.fullmatch(_fold(args[i])):
                return " ".join(args[:i]), args[i:]
        return None

    def parse_oneline(self, args: list[str]) -> tuple[str, str, str]:
        """The arguments of ``/checkin 2.2 已完成 说明…`` (see parse_checkin_text) -> (item, status,
        note). BadInput('oneline_usage' | 'bad_item' | 'bad_status' | 'long_note_oneline:<n>')."""
        text = " ".join(args)
        parsed = self.parse_checkin_text(text)
        if parsed is None:
            t = _fold(text).strip()
            found = self._item_at_start(t)
            if found is None:
                raise BadInput("oneline_usage" if len(args) < 2 else "bad_item")
            raise BadInput("bad_status" if t[found[1]:].strip() else "oneline_usage")
        item, status, note = parsed
        if len(note) > MAX_NOTE:
            raise BadInput(f"long_note_oneline:{len(note)}")
        return item, status, note

    def period_now(self) -> str:
        return period_of(self.clock.now(), self.period_kind, self.tz)

    def deadline(self) -> tuple[str, datetime, str | None, datetime | None]:
        """(current period, its deadline, and — once that has passed — the next period and its
        deadline); deadlines are aware, in the bot's timezone (CHECKIN_DEADLINE_DAY, 23:59)."""
        now = self.clock.now()
        period = period_of(now, self.period_kind, self.tz)
        due = deadline_of(period, self.deadline_day, self.tz)
        if now <= due:
            return period, due, None, None
        year, month = last_month(period)
        first_of_next = datetime(year + month // 12, month % 12 + 1, 1, 12, tzinfo=self.tz)
        nxt = period_of(first_of_next, self.period_kind, self.tz)
        return period, due, nxt, deadline_of(nxt, self.deadline_day, self.tz)

    def is_late(self, checkin: CheckIn) -> bool:
        """Whether a check-in was made after its period's deadline (a 补报)."""
        return checkin.created_at > deadline_of(checkin.period, self.deadline_day, self.tz)

    # --- guided flow drafts --------------------------------------------------------------------
    @staticmethod
    def _drop_draft(s: Session, user_id: int) -> bool:
        """Delete the user's draft and the evidence sent during it (not yet attached); in ``s``."""
        d = s.get(CheckinDraft, user_id)
        if d is not None:
            s.delete(d)
        s.exec(delete(Evidence).where(col(Evidence.user_id) == user_id,  # type: ignore[call-overload]
                                      col(Evidence.checkin_id).is_(None)))
        return d is not None

    def start_draft(self, *, user_id: int, chat_id: int, corrects_id: int | None = None,
                    item_id: str | None = None, status: str | None = None, note: str | None = None) -> CheckinDraft:
        """Open the guided flow (replacing any open one and its files): at the item step, at the
        status step of ``item_id``, or — ``status`` given too, a check-in typed as plain text — at
        the confirmation step with ``note``. It offers the active plan's items — a correction, the
        items of the plan the corrected check-in was made under (its year's current version)."""
        with self._session() as s:
            old = s.get(CheckIn, corrects_id) if corrects_id is not None else None
            plan_id = self.plans.current(old.plan_id).id if old is not None else self.plans.active_id()
            if self._drop_draft(s, user_id):
                s.flush()
            step = "confirm" if item_id and status else "status" if item_id else "item"
            draft = CheckinDraft(user_id=user_id, chat_id=chat_id, step=step, plan_id=plan_id, item_id=item_id,
                                 status=status if item_id else None, note=(note or "")[:MAX_NOTE] if status else None,
                                 corrects_id=corrects_id, token=secrets.token_hex(3), updated_at=self.clock.now())
            s.add(draft)
            s.commit()
            return draft

    def has_draft(self, user_id: int) -> bool:
        """Whether the user has a check-in flow open (live or expired): one primary-key lookup
        (bot/services/quickread.py, ~11 µs on SQLite against ~140 µs for ``draft``, which builds
        the ORM row). Every private text asks this before it may be a question, and almost none
        has a draft. The database is asked every time (no per-process cache), so a flow opened
        through another bot process sharing the database is seen at once."""
        if self._has_draft is None:
            self._has_draft = QuickRead(self.engine, _HAS_DRAFT)
        return self._has_draft.one(uid=user_id) is not None

    def draft(self, user_id: int) -> CheckinDraft | None:
        """The user's live draft; raises DraftExpired (and drops it) when idle past the timeout."""
        with self._session() as s:
            d = s.get(CheckinDraft, user_id)
            if d is None:
                return None
            if self.clock.now() - d.updated_at > self.draft_timeout:
                self._drop_draft(s, user_id)
                s.commit()
                raise DraftExpired(int(self.draft_timeout.total_seconds() // 60))
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
        d = self.draft(user_id)
        if d is not None and not self.plans.get(d.plan_id or self.plans.active_id()).has_item(item_id):
            raise BadInput("bad_item")
        return self.update_draft(user_id, expect="item", token=token, item_id=item_id, step="status")

    def choose_status(self, user_id: int, status: str, token: str | None = None) -> CheckinDraft:
        if status not in STATUSES:
            raise BadInput("bad_status")
        return self.update_draft(user_id, expect="status", token=token, status=status, step="note")

    def edit_note(self, user_id: int, token: str | None = None) -> CheckinDraft:
        """From the confirmation step back to the note step (the 「修改说明」 button)."""
        return self.update_draft(user_id, expect="confirm", token=token, step="note")

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
            self._drop_draft(s, user_id)
            s.commit()
            return True

    def confirm_draft(self, user_id: int, token: str | None = None) -> CheckIn:
        d = self.draft(user_id)
        if d is None:
            raise BadInput("no_draft")
        if d.step != "confirm" or not d.item_id or not d.status or (token is not None and token != d.token):
            raise BadInput("stale_step")
        checkin = self.record(user_id=user_id, item_id=d.item_id, status=d.status, note=d.note or "",
                              corrects_id=d.corrects_id, draft="attach", plan_id=d.plan_id)
        return checkin

    def expire_drafts(self) -> list[CheckinDraft]:
        """Drop drafts idle past the timeout; returns them so the user can be told."""
        cutoff = self.clock.now() - self.draft_timeout
        with self._session() as s:
            stale = list(s.exec(select(CheckinDraft).where(CheckinDraft.updated_at < cutoff)))
            for d in stale:
                self._drop_draft(s, d.user_id)
            s.commit()
            return stale

    # --- records -------------------------------------------------------------------------------
    def record(self, *, user_id: int, item_id: str, status: str, note: str,
               corrects_id: int | None = None, draft: str | None = None, plan_id: int | None = None) -> CheckIn:
        """Store a check-in for the user's unit under ``plan_id`` (default: the active plan), in one
        transaction with what happens to an open guided flow: ``draft="attach"`` (the flow is
        being confirmed: its files become this check-in's evidence), ``"drop"`` (a one-line check-in
        ends the flow: the flow and its files are dropped), None (left alone). Raises
        BadInput('bad_item'|'bad_status'|'bad_correction'), NotBound."""
        plan_id = plan_id if plan_id is not None else self.plans.active_id()
        if not self.plans.get(plan_id).has_item(item_id):
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
            c = CheckIn(period=period, plan_id=plan_id, unit_id=member.unit_id, user_id=user_id, reporter=member.name,
                        item_id=item_id, status=status, note=note[:MAX_NOTE], created_at=now,
                        corrects_id=corrects_id)
            s.add(c)
            if draft == "attach":
                s.flush()
                moved = s.execute(sa.update(Evidence).where(col(Evidence.user_id) == user_id,
                                                            col(Evidence.checkin_id).is_(None))
                                  .values(checkin_id=c.id)).rowcount
                if not moved and corrects_id is not None:  # a correction keeps the corrected one's files
                    for e in s.exec(select(Evidence).where(Evidence.checkin_id == corrects_id)):
                        s.add(Evidence(checkin_id=c.id, user_id=e.user_id, kind=e.kind, file_id=e.file_id,
                                       file_unique_id=e.file_unique_id, file_name=e.file_name, created_at=now))
            if draft is not None:
                self._drop_draft(s, user_id)
            s.commit()
            return c

    def record_for(self, *, unit_id: int, admin_id: int, admin_name: str, item_id: str, status: str,
                   note: str) -> CheckIn:
        """代填: an admin records a check-in for a unit (a report phoned in), under the active plan.
        Marked with the admin's id and name. Raises BadInput('bad_item'|'bad_status'), NotFound."""
        plan_id = self.plans.active_id()
        if not self.plans.get(plan_id).has_item(item_id):
            raise BadInput("bad_item")
        if status not in STATUSES:
            raise BadInput("bad_status")
        if len(note) > MAX_NOTE:
            raise BadInput(f"long_note_oneline:{len(note)}")
        now = self.clock.now()
        with self._session() as s:
            if s.get(Unit, unit_id) is None:
                raise NotFound("unit")
            c = CheckIn(period=period_of(now, self.period_kind, self.tz), plan_id=plan_id, unit_id=unit_id,
                        user_id=admin_id, reporter=admin_name[:200], item_id=item_id, status=status, note=note,
                        created_at=now, proxy_by=admin_id, proxy_name=admin_name[:200])
            s.add(c)
            s.commit()
            return c

    # --- evidence ------------------------------------------------------------------------------
    def add_evidence(self, user_id: int, *, kind: str, file_id: str, file_unique_id: str = "",
                     file_name: str = "") -> int:
        """Keep a photo/document sent during the user's open flow; returns how many it has now.
        Raises BadInput('no_draft'), BadInput('too_many_files:<n>') past MAX_EVIDENCE (nothing kept)."""
        if self.draft(user_id) is None:
            raise BadInput("no_draft")
        with self._session() as s:
            have = s.exec(select(func.count()).select_from(Evidence).where(
                Evidence.user_id == user_id, col(Evidence.checkin_id).is_(None))).one()
            if have >= MAX_EVIDENCE:
                raise BadInput(f"too_many_files:{MAX_EVIDENCE}")
            s.add(Evidence(user_id=user_id, kind=kind, file_id=file_id[:200], file_unique_id=file_unique_id[:100],
                           file_name=file_name[:200], created_at=self.clock.now()))
            d = s.get(CheckinDraft, user_id)
            if d is not None:
                d.updated_at = self.clock.now()  # sending files is activity: the flow stays open
                s.add(d)
            s.commit()
            return have + 1

    def draft_evidence(self, user_id: int) -> int:
        """How many files the user's open flow holds."""
        with self._session() as s:
            return s.exec(select(func.count()).select_from(Evidence).where(
                Evidence.user_id == user_id, col(Evidence.checkin_id).is_(None))).one()

    def evidence_counts(self, checkin_ids: list[int] | None = None) -> dict[int, int]:
        """check-in id -> number of files (absent when none); every check-in's when ``checkin_ids``
        is None (one grouped query, for exports of any size)."""
        if checkin_ids is not None and not checkin_ids:
            return {}
        q = select(Evidence.checkin_id, func.count()).where(col(Evidence.checkin_id).is_not(None))
        if checkin_ids is not None:
            q = q.where(col(Evidence.checkin_id).in_(checkin_ids))
        with self._session() as s:
            return dict(s.exec(q.group_by(Evidence.checkin_id)).all())

    def evidence(self, checkin_id: int, *, viewer: int, admin: bool) -> tuple[CheckIn, Unit, list[Evidence]]:
        """A check-in's files for ``viewer``: an admin, or a member of the check-in's unit. Raises
        NotFound('checkin') for a check-in that does not exist or that the viewer may not see (the
        same answer, so ids of other units' check-ins reveal nothing)."""
        with self._session() as s:
            c = s.get(CheckIn, checkin_id)
            member = s.get(Member, viewer)
            if c is None or not (admin or (member is not None and member.unit_id == c.unit_id)):
                raise NotFound("checkin")
            unit = s.get(Unit, c.unit_id)
            files = list(s.exec(select(Evidence).where(Evidence.checkin_id == checkin_id).order_by(col(Evidence.id))))
            return c, unit, files

    def recent(self, unit_id: int, limit: int = 10) -> list[CheckIn]:
        with self._session() as s:
            return list(s.exec(select(CheckIn).where(CheckIn.unit_id == unit_id)
                               .order_by(col(CheckIn.id).desc()).limit(limit)))

    def latest_correctable(self, unit_id: int) -> CheckIn | None:
        with self._session() as s:
            return s.exec(select(CheckIn).where(CheckIn.unit_id == unit_id, col(CheckIn.superseded).is_(False))
                          .order_by(col(CheckIn.id).desc())).first()

    def plan_for_period(self, period: str) -> PlanView:
        """The plan a period is reported under: the active plan for the current period (and for a
        period nobody reported in yet); for an earlier one, the plan most of its check-ins were made
        under — so a period before a plan switch keeps showing that plan's items."""
        if period != self.period_now():
            with self._session() as s:
                row = s.exec(select(CheckIn.plan_id, func.count()).where(CheckIn.period == period)
                             .group_by(CheckIn.plan_id).order_by(func.count().desc(), col(CheckIn.plan_id).desc())
                             ).first()
            if row is not None:
                return self.plans.current(row[0])
        return self.plans.active()

    def latest_status(self, period: str, plan_id: int | None = None) -> dict[int, dict[str, str]]:
        """unit id -> item id -> latest (non-superseded) status in the period (under ``plan_id``'s
        year only, any version of it, when given)."""
        out: dict[int, dict[str, str]] = {}
        q = (select(CheckIn.unit_id, CheckIn.item_id, CheckIn.status)
             .where(CheckIn.period == period, col(CheckIn.superseded).is_(False)))
        if plan_id is not None:
            q = q.where(col(CheckIn.plan_id).in_(self.plans.versions(plan_id)))
        with self._session() as s:
            rows = s.exec(q.order_by(col(CheckIn.id))).all()
        for unit_id, item_id, status in rows:
            out.setdefault(unit_id, {})[item_id] = status
        return out

    def units(self) -> list[Unit]:
        """Every unit, in display order (kind, then name)."""
        with self._session() as s:
            return list(s.exec(select(Unit).order_by(Unit.kind, Unit.name)))

    def progress(self, period: str | None = None) -> Progress:
        """The period's progress under its plan (``plan_for_period``), counting only due cells."""
        period = period or self.period_now()
        plan = self.plan_for_period(period)
        latest = self.latest_status(period, plan.id)
        # a unit removed by /unit_del is due nothing; it stays in the view only with its history
        units = [u for u in self.units() if u.deleted_at is None or u.id in latest]
        due = self.duties.due_map(plan.id, [u for u in units if u.deleted_at is None], plan.item_ids)
        due.update({u.id: [] for u in units if u.deleted_at is not None})
        p = Progress(period=period, items=list(plan.items), plan=plan, due=due,
                     counts={i.id: Counter() for i in plan.items},
                     due_count={i.id: sum(1 for u in units if i.id in due[u.id]) for i in plan.items})
        with self._session() as s:
            # made under another plan (the office switched plans within the period): not counted
            p.elsewhere = s.exec(select(func.count()).select_from(CheckIn).where(
                CheckIn.period == period, col(CheckIn.plan_id).not_in(self.plans.versions(plan.id)),
                col(CheckIn.superseded).is_(False))).one()
            for unit_id, item_id, name in s.exec(
                    select(CheckIn.unit_id, CheckIn.item_id, CheckIn.proxy_name)
                    .where(CheckIn.period == period, col(CheckIn.plan_id).in_(self.plans.versions(plan.id)),
                           col(CheckIn.superseded).is_(False))
                    .order_by(col(CheckIn.id))):
                if name is None:
                    p.proxied.pop((unit_id, item_id), None)  # a later own report replaces the 代填 one
                else:
                    p.proxied[(unit_id, item_id)] = name
        for u in units:
            mine = set(due[u.id])
            st = latest.get(u.id, {})
            if mine and not mine & set(st):
                p.missing.append(u)
            if st:
                p.units.append((u, st))
            for item_id, status in st.items():
                if item_id in mine:
                    p.counts.setdefault(item_id, Counter())[status] += 1
        return p

    def duty_status(self, period: str) -> tuple[set[int], set[int]]:
        """(ids of units with something due in the period, ids of those that have not reported it)
        — what deadline pushes and their digest act on."""
        p = self.progress(period)
        return {uid for uid, items in p.due.items() if items}, {u.id for u in p.missing}

    def history(self, period: str | None = None) -> list[tuple[CheckIn, Unit]]:
        with self._session() as s:
            q = select(CheckIn, Unit).join(Unit, col(Unit.id) == CheckIn.unit_id)
            if period:
                q = q.where(CheckIn.period == period)
            return list(s.exec(q.order_by(col(CheckIn.period), col(Unit.name), col(CheckIn.id))).all())

    def local(self, moment: datetime) -> datetime:
        return moment.astimezone(self.tz)
