"""Admin reports over check-ins: the .xlsx export and the PNG chart, as bytes."""

from __future__ import annotations

from zoneinfo import ZoneInfo

import sqlalchemy as sa
from sqlalchemy.engine import Engine

from bot.models import CheckIn, Unit
from bot.services.checkins import CheckinService


class ReportService:
    def __init__(self, engine: Engine, checkins: CheckinService) -> None:
        self.engine = engine
        self.checkins = checkins

    def matrix(self, period: str):  # noqa: ANN201 - report_files.ProgressMatrix
        """The period's units × items under the period's plan, with the 应报 cells."""
        from bot.services.report_files import ProgressMatrix

        p = self.checkins.progress(period)
        latest = self.checkins.latest_status(period, p.plan.id)
        units = [u for u in self.checkins.units() if u.deleted_at is None or u.id in latest]  # deleted: history only
        names = {u.id: u.name for u in units}
        status = {(u.name, item): st for u in units for item, st in latest.get(u.id, {}).items()}
        due = frozenset((names[uid], i) for uid, items in p.due.items() for i in items) if p.assigned else None
        return ProgressMatrix(period=period, units=[(u.name, u.kind) for u in units],
                              items=[(i.id, i.title) for i in p.items], status=status, due=due,
                              plan=p.plan.title)

    def detail(self, period: str | None = None) -> list:  # noqa: ANN201 - list[report_files.DetailRow]
        """Every check-in of ``period`` (all periods with None) as export rows, ordered by period,
        unit name, then as recorded: one core-SQL query (no ORM objects: an all-periods export
        has hundreds of thousands of rows), titles and plan years looked up once per plan."""
        from bot.services.report_files import DetailRow

        svc = self.checkins
        q = (sa.select(CheckIn.id, CheckIn.period, Unit.name, Unit.kind, CheckIn.item_id, CheckIn.plan_id,
                       CheckIn.status, CheckIn.note, CheckIn.reporter, CheckIn.created_at, CheckIn.superseded,
                       CheckIn.proxy_name)
             .join(Unit, Unit.id == CheckIn.unit_id))
        if period:
            q = q.where(CheckIn.period == period)
        q = q.order_by(CheckIn.period, Unit.name, CheckIn.id)
        with self.engine.connect() as conn:
            rows = conn.execute(q).all()
        files = svc.evidence_counts()
        titles: dict[int, dict[str, str]] = {}
        years: dict[int, str] = {}
        for plan_id in {r.plan_id for r in rows}:
            plan = svc.plans.get(plan_id)
            titles[plan_id] = {i.id: i.title for i in plan.items}
            years[plan_id] = f"{plan.year}年"
        tz: ZoneInfo = svc.tz
        return [
            DetailRow(per, unit, kind, item, titles[plan_id].get(item, ""), status, note, reporter,
                      created.astimezone(tz), superseded, years[plan_id], files.get(cid, 0), proxy or "")
            for cid, per, unit, kind, item, plan_id, status, note, reporter, created, superseded, proxy in rows
        ]

    def export(self, period: str | None = None) -> tuple[str, bytes, int]:
        """(file name, xlsx bytes, number of check-ins) for one period or, with None, all of them
        (the 汇总 sheet then summarises the current period, and says so). No check-ins: no
        workbook is built, the bytes are empty and the count 0."""
        from bot.services.report_files import build_workbook

        rows = self.detail(period)
        name = f"双拥工作进度_{period or '全部'}.xlsx"
        if not rows:
            return name, b"", 0
        summary_period = period or self.checkins.period_now()
        data = build_workbook(detail=rows, matrix=self.matrix(summary_period))
        return name, data, len(rows)

    def chart(self, period: str | None = None) -> tuple[str, bytes]:
        from bot.services.report_files import render_chart

        period = period or self.checkins.period_now()
        return f"双拥工作进度_{period}.png", render_chart(self.matrix(period))
