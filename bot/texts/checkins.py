"""Check-ins and the office's views: the guided flow, /mine, /progress, 催办, exports."""

from __future__ import annotations

from collections.abc import Sequence

from bot.texts.common import STATUS_ICON, clip, esc, when

NEED_BIND = ("📝 填报进度需要先<b>绑定单位</b>。\n请向县双拥办索取本单位的邀请链接，点击链接即可完成绑定；"
             "绑定后再发送 /checkin。")
CHOOSE_ITEM = "📝 <b>登记进度</b>（第1步/共4步）\n请选择要填报的工作事项："


def choose_status(item_id: str, title: str) -> str:
    return f"📝 事项 <b>{esc(item_id)} {esc(title)}</b>\n（第2步/共4步）请选择当前状态："


def ask_note(item_id: str, status: str) -> str:
    return (f"📝 {esc(item_id)} · {STATUS_ICON.get(status, '')}{esc(status)}\n"
            f"（第3步/共4步）请用一两句话说明进展（不超过500字），直接发送文字即可。\n不需要说明请发送「无」。")


def summary(item_id: str, title: str, status: str, note: str, correcting: bool = False, files: int = 0) -> str:
    head = "📝 <b>请确认更正内容</b>（第4步/共4步）" if correcting else "📝 <b>请确认填报内容</b>（第4步/共4步）"
    return (f"{head}\n事项：{esc(item_id)} {esc(title)}\n状态：{STATUS_ICON.get(status, '')}{esc(status)}\n"
            f"说明：{esc(note) if note else '（无）'}\n附件：{files} 个"
            + ("" if files else "（可发送照片或文件作为佐证材料，最多5个）"))


def recorded(item_id: str, title: str, status: str, period: str, note: str, corrected: bool = False,
             files: int = 0, checkin_id: int | None = None, late: bool = False) -> str:
    """The reply once a check-in is stored; ``late``: made after its period's deadline (补报)."""
    head = "✅ 已记录（已更正，原记录保留在历史中）" if corrected else "✅ 已记录"
    if late:
        head += "（本期填报截止日已过，记为补报）"
    attached = (f"\n附件：{files} 个" + (f"（/evidence {checkin_id} 可重新查看）" if checkin_id else "")) if files else ""
    return (f"{head}：{esc(item_id)} {esc(title)} — {STATUS_ICON.get(status, '')}{esc(status)}"
            f"（{esc(period)} 期）" + (f"\n说明：{esc(note)}" if note else "") + attached
            + "\n发送 /mine 查看本单位填报。")


def evidence_received(n: int, limit: int) -> str:
    return (f"📎 已收到附件（{n}/{limit}）。请继续发送文字说明进展；不需要说明请发送「无」。"
            "也可以再发照片或文件。")


def too_many_files(limit: int) -> str:
    return f"❌ 每次填报最多 {limit} 个附件，这个没有保存。请发送文字说明，或点「确认」。"


EVIDENCE_USAGE = "查看填报附件：<code>/evidence 填报编号</code>，例：<code>/evidence 12</code>（编号见 /mine）。"


def evidence_header(checkin_id: int, unit: str, item_id: str, n: int) -> str:
    if not n:
        return f"填报 #{checkin_id}（{esc(unit)} {esc(item_id)}）没有附件。"
    return f"📎 填报 #{checkin_id}（{esc(unit)} {esc(item_id)}）的附件共 {n} 个："


def evidence_caption(checkin_id: int, name: str) -> str:
    return f"填报 #{checkin_id} 附件" + (f"：{esc(name)}" if name else "")


CHECKIN_FOR_USAGE = ("代填格式：<code>/checkin_for 单位名称 事项编号 状态 说明</code>\n"
                     "例：<code>/checkin_for 龙城镇 2.2 已完成 电话报告已走访12户</code>")


def unknown_unit(name: str) -> str:
    return f"❌ 名册里没有「{esc(clip(name, 40))}」这个单位。发送 /units 查看名册。"


def recorded_for(unit: str, item_id: str, title: str, status: str, period: str, note: str, admin: str,
                 told: int) -> str:
    """The reply to /checkin_for; ``told``: the unit's members who were sent the notice."""
    tail = (f"\n已通知该单位的 {told} 位联络员。" if told
            else "\n该单位还没有绑定联络员，没有人收到通知（可用 /invite 生成邀请链接）。")
    return (f"✅ 已代填（{esc(admin)}）：<b>{esc(unit)}</b> {esc(item_id)} {esc(title)} — "
            f"{STATUS_ICON.get(status, '')}{esc(status)}（{esc(period)} 期）"
            + (f"\n说明：{esc(note)}" if note else "") + tail)


def remind_missing_recently(period: str, ago, wait) -> str:  # noqa: ANN001 - timedeltas
    minutes = max(1, int(ago.total_seconds() // 60))
    return (f"刚刚（{minutes} 分钟前）已经催办过 {esc(period)} 期未填报的单位，这次没有重复发送。"
            f"如需再次催办，请 {int(wait.total_seconds() // 60)} 分钟后再发送 /remind_missing。")


def proxy_notice(unit: str, item_id: str, title: str, status: str, period: str, admin: str) -> str:
    return (f"📝 县双拥办 {esc(admin)} 为 <b>{esc(unit)}</b> 「代填」了 {esc(period)} 期进度："
            f"{esc(item_id)} {esc(title)} — {STATUS_ICON.get(status, '')}{esc(status)}。\n发送 /mine 查看。")


CHECKIN_CANCELLED = "已取消本次填报，没有记录任何内容。"
def checkin_timeout(minutes: int) -> str:
    return f"⌛ 填报已超时（{minutes}分钟未操作），本次未记录。需要时请重新发送 /checkin。"
NOTE_NOT_TEXT = "请发送<b>文字</b>说明进展，或发送照片、文件作为附件；发送 /cancel 取消。"
STALE_BUTTON = "这个按钮已失效（属于已结束的填报）。需要时请重新发送 /checkin。"


def bad_item(valid: Sequence[str]) -> str:
    return "❌ 没有这个事项。可填报的事项编号：" + "、".join(esc(v) for v in valid) + "\n例：<code>/checkin 2.2 已完成 已组织慰问</code>"


def bad_status() -> str:
    return "❌ 状态只能是：未开始 / 进行中 / 已完成。\n例：<code>/checkin 2.2 进行中 正在走访</code>"


def oneline_usage(valid: Sequence[str]) -> str:
    return ("一行填报格式：<code>/checkin 事项编号 状态 说明</code>\n例：<code>/checkin 2.2 已完成 已组织慰问</code>\n"
            "状态：未开始 / 进行中 / 已完成；事项编号：" + "、".join(esc(v) for v in valid)
            + "\n只发送 /checkin 可按提示分步填报。")


def choose_item_correcting(item_id: str, title: str, status: str) -> str:
    return (f"📝 <b>更正最新一条</b>：{esc(item_id)} {esc(title)} — {STATUS_ICON.get(status, '')}{esc(status)}\n"
            "（第1步/共4步）请选择正确的事项（事项没错就选同一项）：")


def long_note_oneline(n: int) -> str:
    return (f"❌ 说明有 {n} 字，超过了500字的上限，本次没有记录。请精简后重新发送；"
            "较长的说明也可以发送 /checkin 分步填报。")


def long_note(n: int) -> str:
    return f"❌ 说明有 {n} 字，超过了500字的上限。请精简后重新发送（本次填报仍保留，可直接再发一次）。"


def mine(unit: str, rows: Sequence, titles: dict, tz, files: dict | None = None) -> str:  # noqa: ANN001
    """/mine: ``titles`` maps each check-in's id to its item's title (in the plan it was made
    under), ``files`` to its number of attachments."""
    if not rows:
        return f"<b>{esc(unit)}</b> 还没有填报记录。发送 /checkin 开始登记。"
    lines = [f"<b>{esc(unit)}</b> 最近的填报："]
    for c in rows:
        mark = "（已更正）" if c.superseded else ""
        fix = "（更正）" if c.corrects_id else ""
        fix += f"（代填·{esc(clip(c.proxy_name or '', 12))}）" if c.proxy_by else ""
        n = (files or {}).get(c.id, 0)
        fix += f" 📎{n}（/evidence {c.id}）" if n else ""
        lines.append(f"{when(c.created_at, tz)} {esc(c.item_id)} {esc(clip(titles.get(c.id, ''), 16))} "
                     f"{STATUS_ICON.get(c.status, '')}{esc(c.status)}{fix}{mark}"
                     + (f"\n　　{esc(clip(c.note, 80))}" if c.note else ""))
    lines.append("\n如最新一条填错了，可点下方按钮更正（原记录会保留在历史中）。")
    return "\n".join(lines)


def progress(p, total_units: int | None = None) -> str:  # noqa: ANN001 - checkins.Progress
    """/progress: per item the due cells' statuses (and 应报 when the plan has 任务分解), each
    reporting unit's latest statuses, the units that have not reported their due items."""
    due_units = sum(1 for items in p.due.values() if items) if p.due else (total_units or 0)
    plan = f"（{p.plan.year}年工作要点）" if p.plan is not None else ""
    lines = [f"<b>{esc(p.period)} 期进度</b>{plan}（已填报 {due_units - len(p.missing)}/{due_units} 个单位）", "",
             "<b>各事项</b>（✅已完成 ⏳进行中 ⭕未开始" + ("，应报＝负责该事项的单位数" if p.assigned else "") + "）"]
    for it in p.items:
        c = p.counts.get(it.id, {})
        due = f" ／应报{p.due_count.get(it.id, 0)}" if p.assigned else ""
        lines.append(f"{esc(it.id)} {esc(clip(it.title, 14))}：✅{c.get('已完成', 0)} ⏳{c.get('进行中', 0)} "
                     f"⭕{c.get('未开始', 0)}{due}")
    if p.units:
        lines += ["", "<b>各单位</b>"]
        extra = False  # some unit reported an item it is not due (任务分解): marked, counted nowhere
        for unit, st in p.units:
            gone = "（已删除，不计入统计）" if unit.deleted_at is not None else ""
            mine = set(p.due.get(unit.id, ())) if p.assigned and not gone else None
            cells = []
            for i, s in sorted(st.items(), key=lambda kv: _key(kv[0])):
                proxy = f"（代填·{esc(clip(p.proxied[(unit.id, i)], 8))}）" if (unit.id, i) in p.proxied else ""
                star = "＊" if mine is not None and i not in mine else ""
                extra = extra or bool(star)
                cells.append(f"{STATUS_ICON[s]}{esc(i)}{star}{proxy}")
            lines.append(f"{esc(unit.name)}{gone}：{' '.join(cells)}")
        if extra:
            lines.append("＊非该单位应报事项（不计入上方统计）")
    if p.missing:
        lines += ["", f"<b>未填报（{len(p.missing)}）</b>", "、".join(esc(u.name) for u in p.missing)]
    if p.elsewhere:
        lines += ["", f"另有 {p.elsewhere} 条本期填报是按其他年度的工作要点登记的（期间切换过要点），"
                      "未计入上表；/export 的明细表中可以看到。"]
    return "\n".join(lines)


def _key(item_id: str) -> tuple[int, ...]:
    return tuple(int(x) for x in item_id.split(".") if x.isdigit())


def remind_missing_push(period: str, unit: str, deadline: str, overdue: bool = False) -> str:
    if overdue:
        return (f"📣 催办提醒：<b>{esc(unit)}</b> 尚未填报 {esc(period)} 期双拥工作进度，"
                f"填报截止时间 {esc(deadline)} 已过，请尽快发送 /checkin 补报。")
    return (f"📣 催办提醒：<b>{esc(unit)}</b> 尚未填报 {esc(period)} 期双拥工作进度，"
            f"请于 {esc(deadline)} 前发送 /checkin 完成填报。")


def export_caption(n: int) -> str:
    return f"📊 双拥工作进度台账：共 {n} 条填报（明细表 + 汇总表）。"


def export_empty(period: str | None) -> str:
    """/export of a period (None: of all periods) without any check-in: said, no empty file."""
    if period is None:
        return "还没有任何填报记录，暂无台账可导出。"
    return f"{esc(period)} 期没有填报记录，未生成台账。可发送 /export 导出全部期间，或换一个期间。"


CHART_CAPTION = ("📈 双拥工作要点进度图：绿 已完成 · 黄 进行中 · 红 未开始 · 灰 未报；"
                 "“—”为该单位不需填报的事项（任务分解）。")


def bad_period(kind: str) -> str:
    """The forms that name a period of this ``kind`` (monthly or quarterly), and only those."""
    if kind == "quarterly":
        return ("期间格式不对：本系统按<b>季度</b>统计，请写成 <code>2026-Q4</code>"
                "（也可写 2026年第四季度、第四季度、上季度，或写月份 十一月，按所在季度统计；"
                "不写年份指最近的那一季）。")
    return ("期间格式不对：本系统按<b>月</b>统计（不能按季度查询），请写成 <code>2026-11</code>"
            "（也可写 2026年11月、十一月、上个月、本月；不写年份指最近的那个月）。")


def correct_latest_button(item_id: str) -> str:
    return f"更正最新一条（{item_id}）"


EDIT_NOTE = "修改说明"
RESUMING = "📝 您还有一条没有完成的填报，接着上次的步骤继续（不想要了可点「取消」重新开始）："
TYPED_CHECKIN = ("📝 看起来您是要<b>填报进度</b>，请确认（点「确认」才会记录；以后也可以发送 "
                 "<code>/checkin 2.2 已完成 说明</code>）：\n\n")


def awaiting_confirm(item_id: str, status: str) -> str:
    return (f"📝 提醒：您还有一条填报等待确认（{esc(item_id)} {STATUS_ICON.get(status, '')}{esc(status)}），"
            "点「确认」提交，「修改说明」改说明，或「取消」放弃。下面先回答您的问题：")


def evidence_lost(lost: int, total: int) -> str:
    return (f"⚠️ 其中 {lost} 个附件（共 {total} 个）Telegram 已无法再发送（文件可能已过期），"
            "其余已重新发送。")
