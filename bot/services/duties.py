"""Responsibilities (任务分解): which units an item of a plan is due from.

An item may be assigned to unit kinds (乡镇 / 街道 / 成员单位) and/or to named units; an item with
no assignment is due from every unit. ``due_map`` is the one place that answers "which (unit,
item) cells are 应报" for /progress, /chart, the export's summary, 催办 and deadline pushes.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field

from sqlalchemy.engine import Engine
from sqlmodel import Session, col, delete, select

from bot.clock import Clock
from bot.models import UNIT_KINDS, Assignment, Unit


@dataclass(frozen=True)
class Duty:
    """An item's assignment: unit kinds and unit ids. Empty = due from every unit."""

    kinds: frozenset[str] = frozenset()
    unit_ids: frozenset[int] = frozenset()

    @property
    def everyone(self) -> bool:
        return not self.kinds and not self.unit_ids

    def covers(self, unit: Unit) -> bool:
        """True when ``unit`` must report on the item."""
        return self.everyone or unit.kind in self.kinds or unit.id in self.unit_ids


class DutyService:
    """Reads and writes assignments per plan (rows of ``assignment``)."""

    def __init__(self, engine: Engine, clock: Clock) -> None:
        self.engine = engine
        self.clock = clock

    def _session(self) -> Session:
        return Session(self.engine, expire_on_commit=False)

    def duties(self, plan_id: int) -> dict[str, Duty]:
        """item id -> Duty for every assigned item of the plan (unassigned items are absent)."""
        kinds: dict[str, set[str]] = {}
        units: dict[str, set[int]] = {}
        with self._session() as s:
            for a in s.exec(select(Assignment).where(Assignment.plan_id == plan_id)):
                kinds.setdefault(a.item_id, set())
                units.setdefault(a.item_id, set())
                if a.unit_kind:
                    kinds[a.item_id].add(a.unit_kind)
                if a.unit_id is not None:
                    units[a.item_id].add(a.unit_id)
        return {i: Duty(frozenset(kinds[i]), frozenset(units[i])) for i in kinds}

    def duty(self, plan_id: int, item_id: str) -> Duty:
        return self.duties(plan_id).get(item_id, Duty())

    def assign(self, plan_id: int, item_id: str, *, kinds: Iterable[str] = (), unit_ids: Iterable[int] = ()) -> Duty:
        """Replace the item's assignment with ``kinds`` and ``unit_ids`` (both empty = clear it).
        Unknown kinds raise ValueError (callers validate user input first)."""
        kinds, unit_ids = sorted(set(kinds)), sorted(set(unit_ids))
        bad = [k for k in kinds if k not in UNIT_KINDS]
        if bad:
            raise ValueError(f"unknown unit kinds {bad}")
        if set(kinds) >= set(UNIT_KINDS):  # 全部: due from every unit, which is no assignment at all
            kinds, unit_ids = [], []
        now = self.clock.now()
        with self._session() as s:
            s.exec(delete(Assignment).where(col(Assignment.plan_id) == plan_id,  # type: ignore[call-overload]
                                            col(Assignment.item_id) == item_id))
            for k in kinds:
                s.add(Assignment(plan_id=plan_id, item_id=item_id, unit_kind=k, created_at=now))
            for u in unit_ids:
                s.add(Assignment(plan_id=plan_id, item_id=item_id, unit_id=u, created_at=now))
            s.commit()
        return Duty(frozenset(kinds), frozenset(unit_ids))

    def apply_payload(self, s: Session, payload: dict) -> tuple[int, int]:
        """Apply a confirmed 任务分解表 (AssignmentPreview.payload) inside the caller's transaction:
        each listed item's assignment is replaced by the table's — on the current version of the
        previewed plan's year (the year's document may have been re-sent between preview and
        确认), skipping items that version no longer has. Returns (plan id, items applied)."""
        from bot.models import Plan
        from bot.services.plans import items_of

        now = self.clock.now()
        previewed = s.get(Plan, int(payload["plan_id"]))
        current = s.exec(select(Plan).where(Plan.year == previewed.year, col(Plan.replaced_at).is_(None))).first() \
            if previewed is not None and previewed.replaced_at is not None else previewed
        plan_id = current.id if current is not None else int(payload["plan_id"])
        # the items as every other part of the bot sees them: a section without items is one item
        known = {i.id for i in items_of(json.loads(current.document))[1]} if current else None
        rows = [r for r in payload["rows"] if known is None or r[0] in known]
        for item_id, kinds, unit_ids in rows:
            s.exec(delete(Assignment).where(col(Assignment.plan_id) == plan_id,  # type: ignore[call-overload]
                                            col(Assignment.item_id) == item_id))
            if set(kinds) >= set(UNIT_KINDS):  # every kind named: due from everyone, i.e. no assignment
                continue
            for k in kinds:
                s.add(Assignment(plan_id=plan_id, item_id=item_id, unit_kind=k, created_at=now))
            for uid in unit_ids:
                s.add(Assignment(plan_id=plan_id, item_id=item_id, unit_id=uid, created_at=now))
        return plan_id, len(rows)

    def due_map(self, plan_id: int, units: Sequence[Unit], item_ids: Sequence[str]) -> dict[int, list[str]]:
        """unit id -> the plan's items that unit must report on (in plan order), for every unit."""
        duties = self.duties(plan_id)
        out: dict[int, list[str]] = {}
        for u in units:
            out[u.id] = [i for i in item_ids if duties.get(i, Duty()).covers(u)]
        return out

    def items_for(self, plan_id: int, unit: Unit, item_ids: Sequence[str]) -> list[str]:
        """The unit's assigned items first (those explicitly naming it or its kind), then the rest
        — the order of a /checkin keyboard."""
        duties = self.duties(plan_id)
        mine = [i for i in item_ids if i in duties and duties[i].covers(unit)]
        return mine + [i for i in item_ids if i not in mine]



# --- 任务分解表 and /assign: references resolved against a plan ---------------------------------

@dataclass
class AssignmentLine:
    """One resolved row of a 任务分解表 (or one /assign): the items it names (a section names all
    its items), the unit kinds and the unit ids and names it makes responsible."""

    row: int
    items: list[str]
    kinds: tuple[str, ...]
    unit_ids: list[int]
    unit_names: list[str]


@dataclass
class AssignmentPreview:
    """What a 任务分解表 would do: ``lines`` to apply; ``unknown_items`` (row, as written) that name
    no item of the plan; ``unknown_units`` (row, name, closest existing name or "") — never
    created; ``empty`` rows naming an item but no unit; ``unassigned`` (row, item ids) rows whose
    units are all unknown: their items get no responsible unit from them."""

    plan_id: int
    lines: list[AssignmentLine]
    unknown_items: list[tuple[int, str]]
    unknown_units: list[tuple[int, str, str]]
    empty: list[tuple[int, str]]
    unassigned: list[tuple[int, tuple[str, ...]]] = field(default_factory=list)

    def merged(self) -> dict[str, tuple[set[str], set[int]]]:
        """item id -> (kinds, unit ids), every row naming the item added together."""
        out: dict[str, tuple[set[str], set[int]]] = {}
        for line in self.lines:
            for item in line.items:
                kinds, units = out.setdefault(item, (set(), set()))
                kinds.update(line.kinds)
                units.update(line.unit_ids)
        return out

    def payload(self) -> dict:
        """JSON-safe: what 「确认」 applies (``DutyService.apply_payload``)."""
        return {"plan_id": self.plan_id,
                "rows": [[item, sorted(k), sorted(u)] for item, (k, u) in sorted(self.merged().items())]}


def resolve_item_ref(ref, items: Sequence[tuple[str, str]]) -> list[str]:  # noqa: ANN001
    """The item ids an assignment_table.ItemRef names in a plan (``items``: (id, title) in order): ``1.2`` / ``一（二）`` by number; ``一、`` (a section) as all its
    items; ``（二）广泛营造…`` / ``3、…`` / a bare title by the title (the best title match, when it
    is clear); [] when nothing matches."""
    ids = [i for i, _ in items]
    if ref.number is not None and str(ref.number) in ids:  # a lone 4 naming a section that is one item
        return [str(ref.number)]
    key = ref.key
    if key is not None and "." in key:
        if key in ids:
            return [key]
    elif key is not None and ref.item is None:
        inside = [i for i in ids if i.split(".")[0] == key]
        if inside:
            return inside
    title = "".join((ref.title or "").split())
    if len(title) < 2:
        return []
    from rapidfuzz import fuzz

    scored = sorted(((max(fuzz.partial_ratio(title, t), fuzz.ratio(title, t)), i) for i, t in items), reverse=True)
    if scored and scored[0][0] >= 80 and (len(scored) == 1 or scored[0][0] - scored[1][0] >= 5):
        best = scored[0][1]
        if ref.item is None or best.endswith(f".{ref.item}"):  # a number written beside it must agree
            return [best]
    return []


def read_assign_args(text: str, plan) -> tuple[str | None, str, str]:  # noqa: ANN001 - PlanView
    """/assign's arguments: (the item id the first word names in ``plan`` or None, that word,
    the rest — the unit references). The item as ``1.2`` / ``一（二）`` / ``二(二)`` or a title."""
    from bot.services.assignment_table import parse_item_ref

    parts = text.split(maxsplit=1)
    head, rest = (parts + ["", ""])[:2] if parts else ("", "")
    found = resolve_item_ref(parse_item_ref(head), [(i.id, i.title) for i in plan.items])
    return (found[0] if len(found) == 1 else None), head, rest


def preview_table(rows, plan, resolve_units) -> AssignmentPreview:  # noqa: ANN001
    """Resolve parsed rows (assignment_table.parse_assignment_rows) against ``plan`` (a PlanView)
    and the live units (``resolve_units(refs) -> UnitRefs``, RosterService.resolve_unit_refs)."""
    items = [(i.id, i.title) for i in plan.items]
    out = AssignmentPreview(plan.id, [], [], [], [])
    for r in rows:
        found = resolve_item_ref(r.item, items)
        if not found:
            if r.item.raw:
                out.unknown_items.append((r.row, r.item.raw))
            continue
        if not r.units:
            out.empty.append((r.row, r.item.raw))
            continue
        refs = resolve_units(r.units)
        for name in refs.unknown:
            out.unknown_units.append((r.row, name, refs.suggestions.get(name, "")))
        if refs.kinds or refs.units:
            out.lines.append(AssignmentLine(r.row, found, tuple(refs.kinds), [u.id for u in refs.units],
                                            [u.name for u in refs.units]))
        else:
            out.unassigned.append((r.row, tuple(found)))
    return out
