"""Admin reports over check-ins: the .xlsx export and the PNG chart, as bytes."""

from __future__ import annotations

from sqlalchemy.engine import Engine

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

    def export(self, period: str | None = None) -> tuple[str, bytes, int]:
        """(file name, xlsx bytes, number of check-ins) for one period or, with None, all of them."""
        from bot.services.report_files import DetailRow, build_workbook

        svc = self.checkins
        history = svc.history(period)
        files = svc.evidence_counts()
        rows = [
            DetailRow(period=c.period, unit=u.name, unit_kind=u.kind, item_id=c.item_id,
                      item_title=svc.title(c.item_id, c.plan_id), status=c.status, note=c.note, reporter=c.reporter,
                      created_at=svc.local(c.created_at), superseded=c.superseded,
                      plan=f"{svc.plans.get(c.plan_id).year}年", files=files.get(c.id, 0),
                      proxy=c.proxy_name or "")
            for c, u in history
        ]
        summary_period = period or svc.period_now()
        data = build_workbook(detail=rows, matrix=self.matrix(summary_period))
        name = f"双拥工作进度_{period or '全部'}.xlsx"
        return name, data, len(rows)

    def chart(self, period: str | None = None) -> tuple[str, bytes]:
        from bot.services.report_files import render_chart

        period = period or self.checkins.period_now()
        return f"双拥工作进度_{period}.png", render_chart(self.matrix(period))
