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


INVITE_PRIVATE_ONLY = "请私聊我使用 /invite：邀请链接只能一人使用，不要发在群里。"


INVITE_ERRORS = {
    "unknown": "❌ 邀请码无效。请确认链接完整，或向县双拥办重新索取邀请链接。",
    "used": "❌ 这个邀请链接已被使用过（每个链接只能绑定一人）。请向县双拥办索取新的邀请链接。",
    "expired": "❌ 这个邀请链接已过期。请向县双拥办索取新的邀请链接。",
}


def invite_created(unit: str, kind: str, link: str, new: bool, expires: str) -> str:
    if new:
        head = f"已新建单位 <b>{esc(unit)}</b>（{esc(kind)}）。\n邀请链接（仅限一人使用，{esc(expires)} 前有效）："
    else:
        head = (f"单位 <b>{esc(unit)}</b>（{esc(kind)}）已存在，新的邀请链接：\n"
                f"（仅限一人使用，{esc(expires)} 前有效；之前发出的未用链接仍然有效）")
    return f"{head}\n{esc(link)}\n\n请把链接发给该单位的联络员，点击后即可绑定。"


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
