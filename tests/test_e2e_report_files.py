"""The report files an admin gets (issue 15, item 5), through the real bot over the loopback Bot
API: the chart's legend names 未报 and 「—」 (not due under 任务分解); the export's 汇总 sheet says
which period and which plan it summarises; an export with nothing in it is a sentence, not an
empty workbook."""

from __future__ import annotations

import io
from datetime import UTC, datetime, timedelta

import openpyxl

from bot.clock import FakeClock
from bot.services.report_files import HEATMAP_MAX_UNITS, ProgressMatrix, chart_figure
from tests.conftest import bind, say
from tests.harness import ADMIN

ITEMS = [("1.1", "组织领导"), ("1.2", "光荣牌"), ("2.1", "走访慰问")]


def _legend(fig) -> list[str]:  # noqa: ANN001
    return [t.get_text() for t in fig.legends[0].get_texts()]


def test_chart_legend_names_not_reported_and_not_due():
    units = [("龙城镇", "乡镇"), ("名山街道", "街道"), ("县民政局", "成员单位")]
    status = {("龙城镇", "1.1"): "已完成", ("名山街道", "1.2"): "进行中"}
    # 2.1 is assigned to the towns only: the other units are not due it
    due = frozenset((u, i) for u, _ in units for i, _ in ITEMS if i != "2.1" or u == "龙城镇")
    fig = chart_figure(ProgressMatrix("2026-11", units, ITEMS, status, due=due, plan="2020年要点"))
    assert _legend(fig) == ["已完成", "进行中", "未开始", "未报", "— 不需填报"]
    cells = {(round(t.get_position()[1]), round(t.get_position()[0])): t.get_text() for t in fig.axes[0].texts
             if t.get_text() in ("已完成", "进行中", "未开始", "未报", "—")}
    assert cells[(0, 0)] == "已完成" and cells[(1, 1)] == "进行中"
    assert cells[(0, 2)] == "未报"  # due, not reported
    assert cells[(1, 2)] == cells[(2, 2)] == "—"  # not theirs to report
    # the per-unit count is of due cells only, and the summary line counts 应报 cells
    texts = [t.get_text() for t in fig.axes[0].texts] + [t.get_text() for t in fig.texts]
    assert "1/3" in texts and "0/2" in texts
    assert any("1/7 应报项次" in t for t in texts)


def test_chart_without_assignments_has_no_not_due_entry_and_many_units_keep_the_legend():
    units = [(f"单位{i:03d}", "乡镇") for i in range(HEATMAP_MAX_UNITS + 5)]
    fig = chart_figure(ProgressMatrix("2026-11", units, ITEMS, {}))
    assert _legend(fig) == ["已完成", "进行中", "未开始", "未报"]
    due = frozenset((u, i) for u, _ in units for i, _ in ITEMS if i != "2.1")
    fig = chart_figure(ProgressMatrix("2026-11", units, ITEMS, {}, due=due))  # stacked bars
    assert _legend(fig) == ["已完成", "进行中", "未开始", "未报", "— 不需填报"]


def test_chart_in_chat_explains_grey_and_dash(emu, bot):
    bind(emu, 7, "龙城镇")
    bind(emu, 8, "县民政局")
    s = bot.services
    plan = s.plans.active()
    s.duties.assign(plan.id, plan.item_ids[0], kinds=["乡镇"])  # the first item: towns only
    say(emu, 7, f"/checkin {plan.item_ids[0]} 进行中 在办", contains="已记录")
    emu.user_message(ADMIN, "/chart")
    photo = emu.wait_for(chat_id=ADMIN, predicate=lambda m: m.photo is not None)
    assert "未报" in photo.plain and "—" in photo.plain and "不需填报" in photo.plain


def test_all_periods_export_says_which_period_and_plan_its_summary_is(emu, start_bot):
    clock = FakeClock(datetime(2026, 10, 12, 3, 0, tzinfo=UTC))
    bot = start_bot(clock=clock)
    bind(emu, 7, "龙城镇")
    plan = bot.services.plans.active()
    first, second = plan.item_ids[0], plan.item_ids[1]
    say(emu, 7, f"/checkin {first} 已完成 十月做完", contains="已记录")
    clock.advance(timedelta(days=40))  # November
    say(emu, 7, f"/checkin {second} 进行中 十一月在办", contains="已记录")
    emu.user_message(ADMIN, "/export")
    doc = emu.wait_for(chat_id=ADMIN, predicate=lambda m: m.document is not None)
    wb = openpyxl.load_workbook(io.BytesIO(doc.document))
    caption = wb["汇总"]["A1"].value
    assert "2026-11 期" in caption and plan.title in caption
    assert "2026-10 至 2026-11 共 2 期" in caption and "只汇总 2026-11 期" in caption
    assert {r[0] for r in wb["明细"].iter_rows(min_row=2, values_only=True)} == {"2026-10", "2026-11"}
    header = [c.value for c in wb["汇总"][2]]
    row = dict(zip(header, [c.value for c in wb["汇总"][4]], strict=True))
    assert row["单位"] == "龙城镇" and row[second] == "进行中" and row[first] == "未报"  # November's
    # one period: the caption names it and no other
    emu.user_message(ADMIN, "/export 2026-10")
    doc = emu.wait_for(chat_id=ADMIN, predicate=lambda m: m.document is not None and "2026-10" in m.filename)
    caption = openpyxl.load_workbook(io.BytesIO(doc.document))["汇总"]["A1"].value
    assert caption.startswith("汇总：2026-10 期") and "明细表含" not in caption


def test_export_of_an_empty_period_is_a_sentence_not_an_empty_workbook(emu, bot):
    reply = say(emu, ADMIN, "/export", contains="填报")
    assert reply.document is None and "还没有任何填报记录" in reply.plain
    bind(emu, 7, "龙城镇")
    say(emu, 7, f"/checkin {bot.services.plans.active().item_ids[0]} 已完成 好", contains="已记录")
    reply = say(emu, ADMIN, "/export 2020-01", contains="2020-01")
    assert reply.document is None and "没有填报记录" in reply.plain
    assert not [m for m in emu.to(ADMIN) if m.document is not None]  # no workbook was sent at all
    emu.user_message(ADMIN, "/export")  # with something to export, the workbook comes
    emu.wait_for(chat_id=ADMIN, predicate=lambda m: m.document is not None)
