"""Onboarding and the roster: binding, invites, /units, /unanswered."""

from __future__ import annotations

from collections.abc import Sequence

from bot.texts.common import UNIT_KIND_ICON, clip, esc, when


def bound_to(unit: str, previous: str | None = None) -> str:
    moved = f"\n单位已从 {esc(previous)} 改为 {esc(unit)}。" if previous else ""
    return (f"✅ 绑定成功！您现在代表 <b>{esc(unit)}</b> 填报双拥工作进度。{moved}\n"
            "发送 /checkin 开始登记，/help 查看全部命令。")


def invite_not_for_admin(unit: str) -> str:
    return (f"这是 <b>{esc(unit)}</b> 联络员的邀请链接。您是管理员，打开它不会绑定单位，"
            "链接<b>未被使用</b>，仍可转发给该单位的联络员。")




INVITE_ERRORS = {
    "unknown": "❌ 邀请码无效。请确认链接完整，或向县双拥办重新索取邀请链接。",
    "used": "❌ 这个邀请链接已被使用过（每个链接只能绑定一人）。请向县双拥办索取新的邀请链接。",
    "expired": "❌ 这个邀请链接已过期。请向县双拥办索取新的邀请链接。",
    "revoked": "❌ 这个邀请链接已作废。请向县双拥办索取新的邀请链接。",
}


def invite_used_by_you(current: str | None) -> str:
    """An invite the user spent earlier, opened again after moving to another unit (or being unbound)."""
    if current:
        return (f"ℹ️ 这个邀请链接您之前已经用过，不能再次使用。\n您现在绑定的单位是 <b>{esc(current)}</b>，"
                "绑定没有改变。如需改绑其他单位，请向县双拥办索取该单位的新邀请链接。")
    return ("ℹ️ 这个邀请链接您之前已经用过，不能再次使用。您目前<b>没有绑定</b>任何单位；"
            "如需填报，请向县双拥办索取新的邀请链接。")


def invite_created(unit: str, kind: str, link: str, state: str, expires: str) -> str:
    """The reply to /invite of one unit; ``state`` "new", "restored" or "existing"."""
    if state == "new":
        head = f"已新建单位 <b>{esc(unit)}</b>（{esc(kind)}）。\n邀请链接（仅限一人使用，{esc(expires)} 前有效）："
    elif state == "restored":
        head = (f"已恢复之前删除的单位 <b>{esc(unit)}</b>（{esc(kind)}），历史填报仍在。\n"
                f"邀请链接（仅限一人使用，{esc(expires)} 前有效）：")
    else:
        head = (f"单位 <b>{esc(unit)}</b>（{esc(kind)}）已存在，新的邀请链接：\n"
                f"（仅限一人使用，{esc(expires)} 前有效；之前发出的未用链接仍然有效）")
    return (f"{head}\n{esc(link)}\n\n请把链接发给该单位的联络员，点击后即可绑定。\n"
            "邀请多个单位：<code>/invite 龙城镇、三合街道</code>，或直接把名单表格（含「单位名称」列）发给我。")


def roster(rows: Sequence, tz) -> str:  # noqa: ANN001
    if not rows:
        return "还没有任何单位。用 <code>/invite 单位名称</code> 新建单位并生成邀请链接。"
    bound = sum(1 for r in rows if r.members)
    lines = [f"<b>单位名册</b>（共 {len(rows)} 个，已绑定 {bound} 个）"]
    for r in rows:
        icon = UNIT_KIND_ICON.get(r.unit.kind, "")
        who = "、".join(esc(clip(m, 20)) for m in r.members[:5]) if r.members else "⚠️ 未绑定"
        if len(r.members) > 5:
            who += f" 等{len(r.members)}人"
        last = when(r.last_checkin, tz) if r.last_checkin else "从未填报"
        extra = f"；待用邀请 {r.open_invites}" if r.open_invites and not r.members else ""
        lines.append(f"{icon} <b>{esc(r.unit.name)}</b> — {who}；最近填报 {last}{extra}")
    unbound = [r.unit.name for r in rows if not r.members]
    if unbound:
        lines.append(f"\n尚未绑定（{len(unbound)}）：" + "、".join(esc(n) for n in unbound))
    return "\n".join(lines)


def unanswered(rows: Sequence, tz) -> str:  # noqa: ANN001
    if not rows:
        return "最近没有未能回答的问题。"
    lines = ["<b>最近未能回答的问题</b>"]
    for r in rows:
        lines.append(f"{when(r.created_at, tz)} — {esc(clip(r.question, 200))}")
    return "\n".join(lines)


# --- roster administration ----------------------------------------------------------------------

UPLOAD_HINT = ("批量邀请：把单位名单（Excel .xlsx 或 CSV，含「单位名称」列，可选「类型」「联络员」）"
               "直接发给我，确认后会收到一张含全部邀请链接的表格。")
INVITE_USAGE = ("用法：<code>/invite 单位名称</code>，例：<code>/invite 龙城镇</code>\n"
                "一次邀请几个单位：每行一个，或用顿号、逗号、分号隔开，例：<code>/invite 龙城镇、三合街道</code>\n"
                + UPLOAD_HINT)
UNBIND_USAGE = ("用法：<code>/unbind 单位名称 [成员姓名或ID]</code>\n例：<code>/unbind 龙城镇 张三</code>"
                "（不写成员则解除该单位全部成员）")
REVOKE_USAGE = "用法：<code>/revoke 单位名称</code>，作废该单位尚未使用的邀请链接。例：<code>/revoke 龙城镇</code>"
RENAME_USAGE = "用法：<code>/unit_rename 旧名 新名</code>，例：<code>/unit_rename 三合镇 三合街道</code>"
UNIT_DEL_USAGE = "用法：<code>/unit_del 单位名称</code>（只能删除没有成员的单位），例：<code>/unit_del 龙城镇</code>"


def invites_created(rows: Sequence, links: Sequence[str], expires: str) -> str:  # noqa: ANN001
    """The reply to /invite with a list: one link per unit. ``rows`` are (unit, invite, state)."""
    lines = [f"已生成 {len(rows)} 个邀请链接（每个仅限一人使用，{esc(expires)} 前有效）："]
    for (unit, _inv, state), link in zip(rows, links, strict=True):
        tag = {"new": "新建", "restored": "已恢复"}.get(state, "已存在")
        lines.append(f"\n<b>{esc(unit.name)}</b>（{esc(unit.kind)}，{tag}）\n{esc(link)}")
    lines.append("\n请把每个链接发给对应单位的联络员。\n" + UPLOAD_HINT)
    return "\n".join(lines)


REJECT_REASONS = {
    "empty": "单位名称为空",
    "not_name": "不像单位名称（合计、序号、备注等）",
    "bad_kind": "类型无法识别（应为 乡镇 / 街道 / 成员单位）",
    "several": "一格里写了几个名称，请每行只写一个单位",
}
MAX_LISTED = 40


def _reject_reason(r) -> str:  # noqa: ANN001
    if r.reason == "long":
        return f"名称超过 {r.data.get('limit', 60)} 字"
    if r.reason == "dup":
        how = "，仅全角/半角、空格或不可见字符不同" if r.data.get("variant") else ""
        return f"与第 {r.data.get('first')} 行重复{how}"
    if r.reason == "bad_kind":
        return f"类型「{esc(r.data.get('word', ''))}」无法识别（应为 乡镇 / 街道 / 成员单位）"
    if r.reason == "like":
        other = esc(r.data.get("other", ""))
        where = f"第 {r.data['first']} 行的" if r.data.get("first") else "名册里已有的"
        return f"很像{where}「{other}」，可能是同一单位；确是另一单位请用 /invite {esc(r.shown)} 单独添加"
    return REJECT_REASONS.get(r.reason, r.reason)


def _names(rows: Sequence, limit: int = MAX_LISTED) -> str:
    shown = "、".join(esc(r.name) for r in rows[:limit])
    return shown + (f" 等{len(rows)}个" if len(rows) > limit else "")


def import_preview(filename: str, sheet: str | None, header_row: int, p) -> str:  # noqa: ANN001
    """The roster import preview: 「新建」 N, 「已存在」 M, each rejected row with its reason."""
    where = f"工作表「{esc(sheet)}」，" if sheet else ""
    lines = [f"📋 <b>单位名单预览</b>：{esc(filename)}（{where}表头在第 {header_row} 行）",
             f"新建 <b>{len(p.new)}</b> 个单位" + (f"：{_names(p.new)}" if p.new else ""),
             f"已存在 <b>{len(p.existing)}</b> 个"
             + (("（各生成一个新的邀请链接" + (f"，其中 {p.retyped} 个按表格更新类型" if p.retyped else "")
                 + f"）：{_names(p.existing, 20)}") if p.existing else "")]
    if p.rejected:
        lines.append(f"\n⚠️ 未导入的行 {len(p.rejected)} 行：")
        for r in p.rejected[:MAX_LISTED]:
            lines.append(f"第 {r.row} 行「{esc(r.shown) or '（空）'}」：{_reject_reason(r)}")
        if len(p.rejected) > MAX_LISTED:
            lines.append(f"……另有 {len(p.rejected) - MAX_LISTED} 行未列出")
    total = len(p.new) + len(p.existing)
    lines.append(f"\n点「确认」新建单位，并为这 {total} 个单位各生成一个邀请链接（发回一张 Excel 表）；"
                 "点「取消」不做任何改动。")
    return "\n".join(lines)


def import_nothing(filename: str, p) -> str:  # noqa: ANN001
    lines = [f"📋 「{esc(filename)}」里没有可以导入的单位，没有做任何改动。"]
    for r in p.rejected[:MAX_LISTED]:
        lines.append(f"第 {r.row} 行「{esc(r.shown) or '（空）'}」：{_reject_reason(r)}")
    return "\n".join(lines)


def import_done(created: int, existing: int, expires: str) -> str:
    return (f"✅ 已导入：新建 {created} 个单位，已存在 {existing} 个；共生成 {created + existing} 个邀请链接"
            f"（每个仅限一人使用，{esc(expires)} 前有效）。\n表格每个单位一行：把链接发给对应单位的联络员，点开即绑定。")


IMPORT_CONFIRMED = "✅ 已确认，正在生成邀请链接表……"


def unbind_preview(unit: str, members: Sequence[str], everyone: bool) -> str:
    who = "\n".join(f"· {esc(m)}" for m in members)
    scope = f"该单位的全部 {len(members)} 名成员" if everyone else "以下成员"
    return (f"确认解除 <b>{esc(unit)}</b> {scope}的绑定？\n{who}\n"
            "解除后立即不能再以该单位填报，也不再收到该单位的提醒；已有的填报记录保留不变。")


def unbind_done(unit: str, members: Sequence[str], told: int) -> str:
    if not members:
        return f"没有需要解除的成员（他们可能已经解除或改绑），<b>{esc(unit)}</b> 没有变化。"
    return (f"✅ 已解除 <b>{esc(unit)}</b> 的 {len(members)} 名成员：" + "、".join(esc(m) for m in members)
            + f"。已通知 {told} 人；他们以前的填报记录保留。")


def unbind_notice(unit: str) -> str:
    return (f"ℹ️ 县双拥办已解除您与 <b>{esc(unit)}</b> 的绑定，您不能再以该单位填报进度，也不再收到该单位的提醒。"
            "您以前的填报记录仍然保留。如有疑问，请联系县双拥办。")


def revoke_done(unit: str, n: int) -> str:
    if n == 0:
        return f"<b>{esc(unit)}</b> 没有未使用的邀请链接，没有变化。"
    return f"✅ 已作废 <b>{esc(unit)}</b> 的 {n} 个未使用邀请链接；有人再点这些链接会被告知链接已作废。"


def rename_done(old: str, new: str) -> str:
    return f"✅ 已把 <b>{esc(old)}</b> 改名为 <b>{esc(new)}</b>；成员、邀请链接和填报记录都随之保留。"


def unit_del_preview(unit: str, checkins: int) -> str:
    kept = f"它的 {checkins} 条填报记录会保留在导出和历史中。" if checkins else "它没有填报记录。"
    return (f"确认删除单位 <b>{esc(unit)}</b>？删除后它不再出现在名册、进度和邀请中，未使用的邀请链接作废；{kept}")


def unit_del_done(unit: str) -> str:
    return (f"✅ 已删除单位 <b>{esc(unit)}</b>。以后用 <code>/invite {esc(unit)}</code> 可以恢复它"
            "（连同以前的填报记录）。")


def roster_error(reason: str, data: dict) -> str:  # noqa: ANN001
    """RosterError -> text (bot.errors.RosterError lists the reasons)."""
    name = esc(data.get("name") or data.get("unit") or "")
    if reason == "empty_name":
        return "❌ 单位名称是空的（空格和不可见字符不算）。例：<code>/invite 龙城镇</code>"
    if reason == "long_name":
        return f"❌ 单位名称太长了（最多 {data.get('limit', 60)} 字）。"
    if reason == "no_unit":
        return f"❌ 找不到单位「{name}」。发送 /units 查看单位名册。"
    if reason == "name_taken":
        if data.get("deleted"):
            return (f"❌ 名称「{name}」属于一个已删除的单位。如要恢复它，请用 <code>/invite {name}</code>；"
                    "否则请换一个名称。")
        return f"❌ 已经有单位叫「{name}」了，请换一个名称。"
    if reason == "same_name":
        return f"新名称和原名称相同（「{name}」），没有变化。"
    if reason == "has_members":
        members = "、".join(esc(m) for m in data.get("members", [])[:10])
        return (f"❌ <b>{name}</b> 还有成员（{members}），不能删除。请先用 "
                f"<code>/unbind {name}</code> 解除绑定。")
    if reason == "no_members":
        return f"<b>{name}</b> 目前没有绑定任何成员，没有可解除的。"
    if reason == "no_member":
        members = "、".join(esc(m) for m in data.get("members", [])[:20])
        return f"❌ <b>{name}</b> 没有名为「{esc(data.get('who', ''))}」的成员。该单位的成员：{members}"
    if reason == "ambiguous":
        entries = "、".join(f"「{esc(e)}」" for e in data.get("entries", []))
        return (f"❓ {entries}中间有空格，不知道是一个单位还是几个单位，所以没有生成任何链接。\n"
                "· 如果是几个单位，请用顿号或逗号隔开，例：<code>/invite 龙城镇、三合街道</code>\n"
                "· 如果是一个单位，请去掉空格再发。")
    if reason == "too_many":
        return (f"一次最多邀请 {data.get('limit')} 个单位（这次有 {data.get('n')} 个），没有生成任何链接。\n" + UPLOAD_HINT)
    return "❌ 操作没有完成。"


def remind_missing_result(period: str, reminded: Sequence[str], people: int, failed: int,
                          unbound: Sequence[str]) -> str:
    """/remind_missing: units reminded (with a bound member) and, apart, units nobody could be told."""
    if not reminded and not unbound:
        return f"{esc(period)} 期所有单位都已填报，无需催办。👍"
    lines = []
    if reminded:
        lines.append(f"已催办 {esc(period)} 期未填报的 {len(reminded)} 个单位，共提醒 {people} 人"
                     + (f"（{failed} 人发送失败）" if failed else "") + "：\n" + "、".join(esc(n) for n in reminded))
    else:
        lines.append(f"{esc(period)} 期未填报的单位都还没有绑定联络员，没有提醒到任何人（催办 0 个单位）。")
    if unbound:
        lines.append(f"\n⚠️ 未绑定联络员，无法提醒：{len(unbound)} 个单位——" + "、".join(esc(n) for n in unbound)
                     + "\n请用 /invite 或上传名单为它们生成邀请链接。")
    return "\n".join(lines)


def invite_workbook_name(stamp: str) -> str:
    return f"邀请链接-{stamp}.xlsx"


def invite_links_fallback(links: Sequence, expires: str) -> str:  # noqa: ANN001 - (unit name, link)
    """The links as text, when the workbook could not be sent (the units and invites exist)."""
    lines = [f"邀请链接表没能发送，下面是同样的 {len(links)} 个链接（每个仅限一人使用，{esc(expires)} 前有效）："]
    lines += [f"<b>{esc(name)}</b>\n{esc(link)}" for name, link in links]
    return "\n".join(lines)


CREATE_ANYWAY = "仍然新建"


def invite_lookalikes(similar: dict) -> str:  # noqa: ANN001 - new name -> existing name
    """/invite names that look like units the roster has: nothing created until 「仍然新建」."""
    pairs = "\n".join(f"「{esc(new)}」 很像名册里的 「{esc(old)}」" for new, old in similar.items())
    first_old = next(iter(similar.values()))
    return ("⚠️ 没有新建单位：\n" + pairs + "\n\n如果写错了，请用名册里的名称重新发送，例如 "
            f"<code>/invite {esc(first_old)}</code>；如果确实是另一个单位，点「仍然新建」。")
