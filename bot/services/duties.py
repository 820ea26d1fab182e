"""Responsibilities (任务分解): which units an item of a plan is due from.

An item may be assigned to unit kinds (乡镇 / 街道 / 成员单位) and/or to named units; an item with
no assignment is due from every unit. ``due_map`` is the one place that answers "which (unit,
item) cells are 应报" for /progress, /chart, the export's summary, 催办 and deadline pushes.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass

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

    def assign_many(self, plan_id: int, rows: Sequence[tuple[str, Iterable[str], Iterable[int]]]) -> int:
        """Apply several (item id, kinds, unit ids) at once, in one transaction; returns rows applied.
        Later rows for the same item add to earlier ones (a table may list an item twice)."""
        merged: dict[str, tuple[set[str], set[int]]] = {}
        for item_id, kinds, unit_ids in rows:
            k, u = merged.setdefault(item_id, (set(), set()))
            k.update(kinds)
            u.update(unit_ids)
        now = self.clock.now()
        with self._session() as s:
            for item_id, (kinds, unit_ids) in merged.items():
                s.exec(delete(Assignment).where(col(Assignment.plan_id) == plan_id,  # type: ignore[call-overload]
                                                col(Assignment.item_id) == item_id))
                for k in sorted(kinds):
                    s.add(Assignment(plan_id=plan_id, item_id=item_id, unit_kind=k, created_at=now))
                for uid in sorted(unit_ids):
                    s.add(Assignment(plan_id=plan_id, item_id=item_id, unit_id=uid, created_at=now))
            s.commit()
        return len(merged)

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

    def assigned_to(self, plan_id: int, unit: Unit) -> set[str]:
        """Items explicitly assigned to the unit (by kind or by name)."""
        return {i for i, d in self.duties(plan_id).items() if d.covers(unit)}
