"""Work plans: one parsed 工作要点 document a year, stored in the database, exactly one active.

The knowledge layer parses and indexes text it is handed; this service stores what it parsed
(the clause tree as JSON, and the source text), decides which plan is active, and keeps one built
``KnowledgeBase`` per plan in memory. Check-ins, drafts and assignments reference a plan id.

Several bot processes may share one database: the active plan's id is re-read at most every
``refresh_seconds`` (one small query), so a switch made by another process is seen within that
time, without a database round trip per update.
"""

from __future__ import annotations

import json
import logging
import threading
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import TYPE_CHECKING

import sqlalchemy as sa
from sqlalchemy.engine import Engine
from sqlmodel import Session, col, func, select

from bot.clock import Clock
from bot.errors import PlanError
from bot.models import CheckIn, Plan

if TYPE_CHECKING:
    from knowledge import KnowledgeBase
    from knowledge.parser import ParsedDocument

log = logging.getLogger(__name__)
MIN_YEAR, MAX_YEAR = 2000, 2100


@dataclass(frozen=True)
class Item:
    """One item (事项) of a plan: ``id`` like ``'2.3'``, ``label`` like ``'二（三）'``."""

    id: str
    title: str
    label: str = ""


@dataclass(frozen=True)
class PlanView:
    """What the rest of the bot needs of a plan, without the database row."""

    id: int
    year: int
    title: str
    doc_number: str | None
    items: tuple[Item, ...]
    section_count: int
    active: bool = False

    @property
    def item_ids(self) -> list[str]:
        return [i.id for i in self.items]

    def title_of(self, item_id: str) -> str:
        """The item's title, '' when the plan has no such item."""
        return next((i.title for i in self.items if i.id == item_id), "")

    def has_item(self, item_id: str) -> bool:
        return any(i.id == item_id for i in self.items)


@dataclass(frozen=True)
class PlanSummary:
    """A line of /plans: the current version of one year's plan."""

    plan: PlanView
    checkins: int  # check-ins recorded under any version of this year's plan


@dataclass(frozen=True)
class Route:
    """Which plan answers a question: ``plan`` and the ``question`` to ask it (a year naming
    that plan removed). ``other``: the plan is not the active one (the answer says which year it
    quotes). ``missing_year``: the question named a year that has no plan (answered from the
    active plan, and the answer says so)."""

    plan: PlanView
    question: str
    other: bool = False
    missing_year: int | None = None


@dataclass
class PlanDraft:
    """A parsed document not yet stored: what the preview shows and what ``store`` saves.
    ``warnings`` are (code, data) pairs from the parser; ``replaces`` is the year's current plan id."""

    year: int
    title: str
    doc_number: str | None
    source_name: str
    source_text: str
    document: dict
    sections: list[tuple[str, str, str]]  # (id, label, title)
    items: list[Item]
    warnings: list[tuple[str, dict]] = field(default_factory=list)
    replaces: int | None = None

    def to_json(self) -> str:
        return json.dumps({"year": self.year, "title": self.title, "doc_number": self.doc_number,
                           "source_name": self.source_name, "source_text": self.source_text,
                           "document": self.document, "sections": self.sections,
                           "items": [[i.id, i.title, i.label] for i in self.items],
                           "warnings": self.warnings, "replaces": self.replaces}, ensure_ascii=False)

    @classmethod
    def from_json(cls, text: str) -> PlanDraft:
        d = json.loads(text)
        return cls(year=d["year"], title=d["title"], doc_number=d["doc_number"], source_name=d["source_name"],
                   source_text=d["source_text"], document=d["document"],
                   sections=[tuple(s) for s in d["sections"]], items=[Item(*i) for i in d["items"]],
                   warnings=[tuple(w) for w in d["warnings"]], replaces=d.get("replaces"))


def items_of(doc: dict) -> tuple[list[tuple[str, str, str]], list[Item]]:
    """(sections as (id, label, title), items) of a stored clause tree, in document order. A
    section without items is itself one item (id ``'4'``): the work it describes is checked in,
    assigned and counted like any other."""
    clauses = doc["clauses"]
    sections = [(c["id"], c["label"], c["title"]) for c in clauses if c["kind"] == "section"]
    items = [Item(c["id"], c["title"], c["label"]) for c in clauses
             if c["kind"] == "item" or (c["kind"] == "section" and not c.get("children"))]
    return sections, items


def draft_from_document(parsed: ParsedDocument, *, source_name: str, source_text: str,
                        year: int | None = None, fallback_year: int | None = None) -> PlanDraft:
    """A PlanDraft from a parsed document. Its year: ``year`` when given (the admin said so: the
    command line's --year), else the one the document names (title, then 文号), else
    ``fallback_year`` (a year written beside the upload). Raises PlanError('not_a_plan') when no
    section was found, 'no_year' / 'bad_year'."""
    doc = parsed.to_dict()
    sections, items = items_of(doc)
    if not sections:
        raise PlanError("not_a_plan", source_name=source_name)
    y = year if year is not None else (parsed.year if parsed.year is not None else fallback_year)
    if y is None:
        raise PlanError("no_year", title=parsed.title)
    if not MIN_YEAR <= int(y) <= MAX_YEAR:
        raise PlanError("bad_year", year=y)
    warnings = [(w.code, dict(w.data)) for w in parsed.warnings]
    return PlanDraft(year=int(y), title=parsed.title, doc_number=parsed.meta.doc_number, source_name=source_name,
                     source_text=source_text, document=doc, sections=sections, items=items, warnings=warnings)


def draft_from_paragraphs(paragraphs: Sequence[str], *, source_name: str, year: int | None = None,
                          fallback_year: int | None = None) -> PlanDraft:
    """Parse paragraphs (one a line, as the knowledge reader returns them) into a PlanDraft
    (``year``, ``fallback_year``: see draft_from_document)."""
    from knowledge.parser import parse_paragraphs

    parsed = parse_paragraphs(list(paragraphs), default_title=Path(source_name).stem)
    return draft_from_document(parsed, source_name=source_name, source_text="\n".join(paragraphs), year=year,
                               fallback_year=fallback_year)


def shipped_plan_values() -> dict:
    """Column values of the plan shipped with the bot (the 2020 document in knowledge/documents).
    Migration 0005 inserts a frozen copy of what this returned when it was written
    (bot/migrations/data/plan_2020.json); tests compare the two, so a parser change that would
    move the 2020 item ids is noticed."""
    from knowledge import read_document
    from knowledge.base import DEFAULT_DOC

    draft = draft_from_paragraphs(read_document(DEFAULT_DOC), source_name=DEFAULT_DOC.name)
    return {"year": draft.year, "title": draft.title, "doc_number": draft.doc_number,
            "source_name": draft.source_name, "source_text": draft.source_text,
            "document": json.dumps(draft.document, ensure_ascii=False),
            "section_count": len(draft.sections), "item_count": len(draft.items)}


class PlanService:
    """Stores plans and answers which one is active; one built KnowledgeBase per plan, cached."""

    def __init__(self, engine: Engine, clock: Clock, *, refresh_seconds: float = 5.0,
                 monotonic: Callable[[], float] = time.monotonic) -> None:
        self.engine = engine
        self.clock = clock
        self.refresh_seconds = refresh_seconds
        self._monotonic = monotonic
        self._views: dict[int, PlanView] = {}  # as stored, active=False
        self._active_views: dict[int, PlanView] = {}  # the same with active=True
        self._docs: dict[int, dict] = {}
        self._kbs: dict[int, KnowledgeBase] = {}
        self._active: tuple[int, float] | None = None  # (plan id, when read)
        self._lock = threading.Lock()  # the index may be built from a worker thread
        self._building: set[int] = set()  # plan ids being built by prebuild()

    def _session(self) -> Session:
        return Session(self.engine, expire_on_commit=False)

    # --- reading -------------------------------------------------------------------------------
    def _view(self, row: Plan, active: bool) -> PlanView:
        doc = json.loads(row.document)
        sections, items = items_of(doc)
        self._docs[row.id] = doc
        return PlanView(id=row.id, year=row.year, title=row.title, doc_number=row.doc_number,
                        items=tuple(items), section_count=len(sections), active=active)

    def active_id(self) -> int:
        """The active plan's id, re-read from the database at most every ``refresh_seconds``.
        Raises PlanError('no_plans') on a database without any plan (not migrated)."""
        now = self._monotonic()
        cached = self._active
        if cached is not None and now - cached[1] < self.refresh_seconds:
            return cached[0]
        with self._session() as s:
            pid = s.exec(select(Plan.id).where(col(Plan.active).is_(True)).order_by(col(Plan.id).desc())).first()
        if pid is None:
            raise PlanError("no_plans")
        if cached is not None and cached[0] != pid:
            self.prebuild(pid)  # another process switched plans: its index, before a question waits
        self._active = (pid, now)
        return pid

    def active(self) -> PlanView:
        """The active plan."""
        return self.get(self.active_id())

    def get(self, plan_id: int) -> PlanView:
        """Any stored plan (version) by id. Raises PlanError('no_such_plan')."""
        view = self._views.get(plan_id)
        if view is None:
            with self._session() as s:
                row = s.get(Plan, plan_id)
            if row is None:
                raise PlanError("no_such_plan", plan_id=plan_id)
            view = self._views[plan_id] = self._view(row, False)
        if plan_id != self.active_id():
            return view
        active = self._active_views.get(plan_id)
        if active is None:  # made once, not at every call: the active plan is read for every update
            active = self._active_views[plan_id] = replace(view, active=True)
        return active

    def by_year(self, year: int) -> PlanView | None:
        """The current (not replaced) plan of ``year``, or None."""
        with self._session() as s:
            pid = s.exec(select(Plan.id).where(Plan.year == year, col(Plan.replaced_at).is_(None))
                         .order_by(col(Plan.id).desc())).first()
        return self.get(pid) if pid is not None else None

    def current(self, plan_id: int) -> PlanView:
        """The current version of the year ``plan_id`` belongs to (itself unless it was replaced
        by a re-sent document of the same year)."""
        plan = self.get(plan_id)
        return self.by_year(plan.year) or plan

    def versions(self, plan_id: int) -> list[int]:
        """Ids of every version of ``plan_id``'s year (a re-sent document of a year is a new
        version): check-ins made under any of them count for that year's plan."""
        year = self.get(plan_id).year
        with self._session() as s:
            return list(s.exec(select(Plan.id).where(Plan.year == year)).all())

    def years(self) -> list[int]:
        """Years that have a plan, ascending."""
        with self._session() as s:
            return sorted(set(s.exec(select(Plan.year).where(col(Plan.replaced_at).is_(None))).all()))

    def summaries(self) -> list[PlanSummary]:
        """Every year's current plan, newest year first, with the check-ins recorded under it."""
        with self._session() as s:
            rows = list(s.exec(select(Plan).where(col(Plan.replaced_at).is_(None)).order_by(col(Plan.year).desc())))
            counts = dict(s.exec(select(Plan.year, func.count(col(CheckIn.id)))
                                 .join(CheckIn, col(CheckIn.plan_id) == col(Plan.id))
                                 .group_by(Plan.year)).all())
        return [PlanSummary(plan=self.get(r.id), checkins=counts.get(r.year, 0)) for r in rows]

    def document(self, plan_id: int) -> dict:
        """The stored clause tree (ParsedDocument.to_dict form) of a plan."""
        self.get(plan_id)
        return self._docs[plan_id]

    def cached_kb(self, plan_id: int) -> KnowledgeBase | None:
        """The plan's knowledge base if it is built already (no work, no database), else None."""
        return self._kbs.get(plan_id)

    def prebuild(self, plan_id: int) -> None:
        """Build a plan's index in a background thread (a 2,000-item plan takes ~1.5 s) so that
        the first question after a switch does not hold up every chat while it is built; a
        question arriving meanwhile waits for it (``kb`` holds the lock). Nothing when built."""
        if plan_id in self._kbs or plan_id in self._building:
            return
        self._building.add(plan_id)

        def build() -> None:
            try:
                self.kb(plan_id)
            except Exception:  # noqa: BLE001 - the first question will raise it where it is seen
                log.debug("background build of plan %s failed", plan_id, exc_info=True)
            finally:
                self._building.discard(plan_id)

        threading.Thread(target=build, name=f"plan-index-{plan_id}", daemon=True).start()

    def kb(self, plan_id: int | None = None) -> KnowledgeBase:
        """The built KnowledgeBase of a plan (the active one by default); built once, then cached."""
        pid = self.active_id() if plan_id is None else plan_id
        kb = self._kbs.get(pid)
        if kb is not None:
            return kb
        doc = self.document(pid)
        with self._lock:
            kb = self._kbs.get(pid)
            if kb is None:
                from knowledge import KnowledgeBase
                from knowledge.parser import ParsedDocument

                parsed = ParsedDocument.from_dict(doc)
                kb = KnowledgeBase.from_document(parsed)
                self._kbs[pid] = kb
        return kb

    def route(self, question: str) -> Route:
        """The plan a question is answered from: the one of the year it names (「2020年的第二部分」,
        "in the 2020 plan"), else the active plan."""
        from knowledge import find_year

        year, rest = find_year(question, this_year=self.clock.now().year)
        active = self.active()
        if year is None or year == active.year:
            return Route(active, question)
        plan = self.by_year(year)
        if plan is None:
            return Route(active, question, missing_year=year)
        return Route(plan, rest or question, other=True)

    # --- writing -------------------------------------------------------------------------------
    def check_replaces(self, draft: PlanDraft) -> PlanDraft:
        """Fill ``draft.replaces`` with the id of the current plan of the draft's year, if any."""
        current = self.by_year(draft.year)
        draft.replaces = current.id if current is not None else None
        return draft

    def store(self, draft: PlanDraft, *, created_by: int | None = None, activate: bool = False) -> PlanView:
        """Save a draft as the current plan of its year (the year's previous version, if any, is
        marked replaced and keeps its check-ins), optionally making it the active plan — all in one
        transaction."""
        with self._session() as s:
            pid = self.store_in(s, draft, created_by=created_by, activate=activate)
            s.commit()
        self.forget_active()
        if self.get(pid).active:
            self.prebuild(pid)
        return self.get(pid)

    def store_in(self, s: Session, draft: PlanDraft, *, created_by: int | None = None, activate: bool = False) -> int:
        """``store`` inside the caller's transaction ``s`` (e.g. a confirmed preview's); returns the
        new plan's id. The caller commits, then calls ``forget_active``."""
        now = self.clock.now()
        old = list(s.exec(select(Plan).where(Plan.year == draft.year, col(Plan.replaced_at).is_(None))))
        was_active = any(p.active for p in old)
        for p in old:
            p.replaced_at = now
            p.active = False
            s.add(p)
        s.flush()  # the old version stops being current before the new one is inserted (unique index)
        row = Plan(year=draft.year, title=draft.title[:200], doc_number=(draft.doc_number or None),
                   source_name=draft.source_name[:200], source_text=draft.source_text,
                   document=json.dumps(draft.document, ensure_ascii=False), section_count=len(draft.sections),
                   item_count=len(draft.items), created_by=created_by, created_at=now)
        s.add(row)
        s.flush()
        if activate or was_active:
            s.execute(sa.update(Plan).where(col(Plan.id) != row.id).values(active=False))
            row.active, row.activated_at = True, now
        if old:
            from bot.models import Assignment

            # the year's responsibilities carry over to the new version, for items it still has
            keep = {i.id for i in draft.items}
            for a in s.exec(select(Assignment).where(col(Assignment.plan_id).in_([p.id for p in old]))):
                if a.item_id in keep:
                    s.add(Assignment(plan_id=row.id, item_id=a.item_id, unit_kind=a.unit_kind,
                                     unit_id=a.unit_id, created_at=now))
        s.flush()
        return row.id

    def forget_active(self) -> None:
        """Re-read the active plan at the next use (after a change this process committed)."""
        self._active = None

    def activate(self, plan_id: int) -> PlanView:
        """Make a stored (current) plan the active one. Raises PlanError('no_such_plan')."""
        now = self.clock.now()
        with self._session() as s:
            row = s.get(Plan, plan_id)
            if row is None or row.replaced_at is not None:
                raise PlanError("no_such_plan", plan_id=plan_id)
            s.execute(sa.update(Plan).where(col(Plan.id) != plan_id).values(active=False))
            row.active, row.activated_at = True, now
            s.add(row)
            s.commit()
        self.forget_active()
        self.prebuild(plan_id)
        return self.get(plan_id)
