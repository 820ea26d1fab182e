"""Work plans (/plans, document uploads, the command line) and responsibilities (/assign).

The ``*_lines`` functions return plain text (the command line prints them); the chat versions
escape them with ``esc``."""

from __future__ import annotations

from collections.abc import Sequence

from bot.texts.common import esc

# parse warnings from the knowledge parser, by code (data as knowledge/parser.py gives it)
_WARNINGS = {
    "items_unnumbered": "第{section}部分有事项没有编号（{items}），已按段落识别",
    "joined_across_blank": "有一行跨空行接续，已合并：「…{end}」＋「{start}…」",
    "joined_broken_line": "有一行在句中断开，已合并：「…{end}」＋「{start}…」",
    "section_without_items": "第{section}部分没有分项，整部分作为一条",
    "heading_without_numeral": "部分标题「{heading}」没有序号，已按第{section}部分识别",
    "trailing_attachment": "末尾的「{text}」不属于任何事项，已归入文件信息",
}


def warning_text(code: str, data: dict) -> str:
    """One parse warning in Chinese (plain text); unknown codes are shown as they are."""
    from knowledge.numerals import int_to_cn

    template = _WARNINGS.get(code)
    if template is None:
        return code + (f"（{data}）" if data else "")
    values = {k: ("、".join(map(str, v)) if isinstance(v, list) else str(v)) for k, v in data.items()}
    if isinstance(data.get("section"), int):
        values["section"] = int_to_cn(data["section"])
    try:
        return template.format(**values)
    except (KeyError, IndexError):
        return template.split("{")[0].rstrip("「：，（") or code


def plan_preview_lines(draft, *, item_limit: int | None = None) -> list[str]:  # noqa: ANN001 - PlanDraft
    """Title, 文号, year, counts, every item as ``id title``, warnings."""
    lines = [f"标题：{draft.title}", f"文号：{draft.doc_number or '（未识别）'}", f"年度：{draft.year}年",
             f"共 {len(draft.sections)} 个部分、{len(draft.items)} 个事项："]
    by_section: dict[str, list] = {}
    for it in draft.items:
        by_section.setdefault(it.id.split(".")[0], []).append(it)
    shown = 0
    for sid, label, title in draft.sections:
        own = by_section.get(sid, [])
        if [i.id for i in own] == [sid]:  # a section without items is one item itself
            lines.append(f"{label}、{title}（本部分无分项，整部分作为事项 {sid} 填报）")
            shown += 1
            continue
        lines.append(f"{label}、{title}")
        for it in own:
            if item_limit is not None and shown >= item_limit:
                continue
            lines.append(f"  {it.id} {it.title}")
            shown += 1
    if item_limit is not None and len(draft.items) > shown:
        lines.append(f"  ……另有 {len(draft.items) - shown} 个事项未列出")
    if draft.warnings:
        lines.append("识别提示：")
        lines += [f"  · {w}" for w in warning_lines(draft.warnings)]
    return lines


_JOINS = ("joined_broken_line", "joined_across_blank")
JOINS_SHOWN = 2  # a PDF wraps every line: more joins of a kind than this are counted, not listed


def warning_lines(warnings: Sequence[tuple[str, dict]]) -> list[str]:
    """The parse warnings in Chinese, in order; of each kind of joined line only the first
    JOINS_SHOWN, then how many more (a PDF's wrapped lines would bury the other warnings)."""
    counts = {code: sum(1 for c, _ in warnings if c == code) for code in _JOINS}
    out: list[str] = []
    seen = dict.fromkeys(_JOINS, 0)
    for code, data in warnings:
        if code in seen:
            seen[code] += 1
            if counts[code] > JOINS_SHOWN + 1 and seen[code] > JOINS_SHOWN:
                if seen[code] == JOINS_SHOWN + 1:
                    out.append(f"另有 {counts[code] - JOINS_SHOWN} 处同样的合并（PDF 的自动换行常见，一般无需处理）")
                continue
        out.append(warning_text(code, data))
    return out


def plan_preview(draft, *, replaces_year: bool) -> str:  # noqa: ANN001 - PlanDraft
    """The chat preview of an uploaded plan, with what 启用 will do."""
    head = "📄 <b>工作要点预览</b>（尚未启用，启用前不会改变任何内容）"
    body = "\n".join(esc(x) for x in plan_preview_lines(draft, item_limit=120))
    tail = ("\n\n点「启用」把它设为当前工作要点：问答、/outline、/checkin、进度统计都将按它进行。"
            + (f"\n注意：{draft.year}年已有一份工作要点，启用后将被这一份替换（已有填报记录保留）。" if replaces_year else "")
            + "\n点「取消」则什么都不改变。")
    return f"{head}\n{body}{tail}"


def plan_enabled(year: int, title: str, items: int) -> str:
    return (f"✅ 已启用 <b>{year}年</b> 工作要点：{esc(title)}（{items} 个事项）。\n"
            "问答、/outline、/checkin 和进度统计现在都按这份文件进行；以前的填报记录都保留。"
            "发送 /plans 可以切换回其他年度。")


PLAN_UPLOAD_CANCELLED = "已取消，工作要点没有任何改变。"


def plan_switch_confirm(year: int, title: str, active_year: int) -> str:
    return (f"确定把当前工作要点从 {active_year}年 切换为 <b>{year}年</b>《{esc(title)}》吗？\n"
            "切换不会改变或删除任何填报记录。")


def plans_list(summaries: Sequence) -> str:  # noqa: ANN001 - PlanSummary
    lines = ["<b>工作要点</b>（✅ 为当前启用）"]
    for s in summaries:
        p = s.plan
        mark = "✅" if p.active else "▫️"
        lines.append(f"{mark} <b>{p.year}年</b> {esc(p.title)}\n　　{len(p.items)} 个事项，已有填报 {s.checkins} 条"
                     + (f"，文号 {esc(p.doc_number)}" if p.doc_number else ""))
    lines.append("\n点下方按钮切换启用的年度；发送新的工作要点文件（.docx / .txt / .pdf）可以导入新年度。")
    return "\n".join(lines)


PLAN_ERRORS = {
    "not_a_plan": "这个文件里没有识别出工作要点的部分（如「一、……」「（一）……」），不是工作要点文件，没有导入。",
    "no_year": ("没能从标题或文号中识别出年度。请在发送文件时在说明栏写上年份（例如 2026），"
                "或在命令行用 --year 指定。没有导入任何内容。"),
    "bad_year": "年度 {year} 不合理（应在 2000 到 2100 之间），没有导入。",
    "no_such_plan": "没有这份工作要点（可能已被新版本替换）。发送 /plans 查看。",
    "no_plans": "数据库里还没有工作要点，请先导入。",
    "no_year_plan": "没有 {year} 年的工作要点。现有年度：{years}。",
}


def plan_error(reason: str, data: dict) -> str:
    """A PlanError in Chinese (plain text: the command line prints it, the chat escapes it)."""
    template = PLAN_ERRORS.get(reason, reason)
    try:
        return template.format(**{k: v for k, v in data.items()})
    except (KeyError, IndexError):
        return template


# --- responsibilities (任务分解) --------------------------------------------------------------

ASSIGN_USAGE = ("用法：\n<code>/assign 1.2 乡镇 街道</code> — 事项由各乡镇、街道负责\n"
                "<code>/assign 3.1 县人武部、县民政局</code> — 由指定单位负责\n"
                "<code>/assign 1.2</code> — 查看；<code>/assign 1.2 全部</code> — 清除（恢复为所有单位都要填报）\n"
                "也可以直接发送任务分解表（.xlsx / .csv，列：事项、责任单位）。")


def duty_line(item_id: str, title: str, kinds: Sequence[str], units: Sequence[str]) -> str:
    who = "、".join([*(f"各{k}" if k != "成员单位" else "各成员单位" for k in kinds), *units])
    return f"{esc(item_id)} {esc(title)}：" + (esc(who) if who else "所有单位")


def assign_done(item_id: str, title: str, kinds: Sequence[str], units: Sequence[str], due_units: int) -> str:
    if not kinds and not units:
        return f"✅ 已清除 {esc(item_id)} {esc(title)} 的任务分解：现在所有单位都要填报这一项。"
    return f"✅ 已设置任务分解：{duty_line(item_id, title, kinds, units)}（应报单位 {due_units} 个）"


def assign_show(item_id: str, title: str, kinds: Sequence[str], units: Sequence[str], due_units: int) -> str:
    if not kinds and not units:
        return f"{esc(item_id)} {esc(title)}：未分解，所有单位（{due_units} 个）都要填报。\n\n" + ASSIGN_USAGE
    return f"{duty_line(item_id, title, kinds, units)}（应报单位 {due_units} 个）"


def assign_unknown_units(names: Sequence[str], suggestions: dict | None = None) -> str:
    hints = [f"「{esc(n)}」是不是「{esc(suggestions[n])}」？" for n in names if suggestions and n in suggestions]
    return ("❌ 名册里没有这些单位：" + "、".join(f"「{esc(n)}」" for n in names)
            + ("\n" + "；".join(hints) if hints else "")
            + "\n请检查名称（/units 查看名册），或先用 /invite 建立单位。没有做任何改变。")


def assign_bad_item(typed: str, valid: Sequence[str]) -> str:
    return (f"❌ 当前工作要点里没有事项「{esc(typed)}」。可用的事项编号：" + "、".join(esc(v) for v in valid)
            + "\n\n" + ASSIGN_USAGE)


def assign_overview(year: int, rows: Sequence) -> str:  # noqa: ANN001 - (item id, title, kinds, unit names)
    if not rows:
        return f"{year}年工作要点还没有任务分解：所有事项都要求所有单位填报。\n\n" + ASSIGN_USAGE
    lines = [f"<b>{year}年工作要点的任务分解</b>（未列出的事项所有单位都要填报）："]
    lines += [duty_line(i, t, k, u) for i, t, k, u in rows]
    return "\n".join(lines) + "\n\n" + ASSIGN_USAGE


def assignment_preview(filename: str, year: int, p, titles: dict, unit_names: dict) -> str:  # noqa: ANN001
    """The preview of an uploaded 任务分解表 (duties.AssignmentPreview): per item who is
    responsible, and every row that could not be used, with why."""
    merged = p.merged()
    lines = [f"📋 <b>任务分解表预览</b>：{esc(filename)}（{year}年工作要点，尚未生效）",
             f"将设置 {len(merged)} 个事项的责任单位："]
    for item in sorted(merged, key=lambda i: tuple(int(x) for x in i.split("."))):
        kinds, unit_ids = merged[item]
        names = [unit_names.get(u, str(u)) for u in sorted(unit_ids)]
        everyone = set(kinds) >= {"乡镇", "街道", "成员单位"}
        lines.append(duty_line(item, titles.get(item, ""), [] if everyone else sorted(kinds), [] if everyone else names))
    if p.unknown_units:
        lines.append("\n⚠️ <b>名册里没有这些单位</b>（不会新建，这些名字被忽略）：")
        lines += [f"第{row}行：「{esc(name)}」" + (f"（是不是「{esc(sug)}」？）" if sug else "")
                  for row, name, sug in p.unknown_units]
    left = [(row, [i for i in ids if i not in merged]) for row, ids in p.unassigned]
    left = [(row, ids) for row, ids in left if ids]
    if left:
        lines.append("\n⚠️ <b>这些行的单位都不在名册里</b>，其事项不会设置责任单位（仍由全部单位填报）：")
        lines += [f"第{row}行：事项 {esc('、'.join(ids))}" for row, ids in left]
    if p.unknown_items:
        lines.append("\n⚠️ <b>没有对应事项的行</b>（被忽略）：")
        lines += [f"第{row}行：「{esc(raw)}」" for row, raw in p.unknown_items]
    if p.empty:
        lines.append("\n⚠️ 没有写责任单位的行（被忽略）：" + "、".join(f"第{row}行" for row, _ in p.empty))
    lines.append("\n点「确认」生效（列出的事项改按此表统计应报），或「取消」。未列出的事项不变。")
    return "\n".join(lines)


def assignment_nothing(filename: str, p) -> str:  # noqa: ANN001
    head = f"❌ 任务分解表「{esc(filename)}」里没有可用的行，没有做任何改动。"
    if p.unknown_items:
        head += "\n没有对应事项：" + "、".join(f"第{r}行「{esc(x)}」" for r, x in p.unknown_items[:10])
    if p.unknown_units:
        head += "\n名册里没有：" + "、".join(f"「{esc(n)}」" for _, n, _ in p.unknown_units[:10])
    return head


def assignment_applied(year: int, n: int) -> str:
    return f"✅ 任务分解已生效：{year}年工作要点的 {n} 个事项已设置责任单位。/progress 现在按应报单位统计。"


def plan_document_refused(reason: str, filename: str) -> str:
    """An uploaded document the knowledge reader cannot use (knowledge.DocumentError reasons)."""
    why = {
        "no_text": "这个 PDF 没有文字层（可能是扫描件），无法识别。请提供可复制文字的 PDF，或 .docx / .txt",
        "empty": "文件是空的",
        "unreadable": "文件无法读取或已损坏",
        "doc_format": "这是旧版 Word（.doc）文件，请在 Word 或 WPS 中另存为 .docx 后再发送",
        "unsupported": "不支持这种文件，请发送 .docx、.txt 或带文字层的 .pdf",
        "not_a_plan": PLAN_ERRORS["not_a_plan"],
        "too_large": "文件太大",
    }.get(reason, reason)
    return f"❌ 无法导入「{esc(filename)}」：{esc(why)}。工作要点没有任何改变。"


PLAN_ENABLE = "启用"


def switch_plan_button(year: int) -> str:
    return f"切换到 {year}年"
