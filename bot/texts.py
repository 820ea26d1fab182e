"""Every user-facing string. Dynamic text is HTML-escaped here; nothing built here exceeds
Telegram's limits once passed through ``split``."""

from __future__ import annotations

import html
import re
from collections.abc import Iterable, Sequence
from datetime import datetime, timedelta

from bot.errors import AppError, BadInput, InviteInvalid, NotAdmin, NotBound, NotFound

LIMIT = 4096
STATUS_ICON = {"已完成": "✅", "进行中": "⏳", "未开始": "⭕"}
UNIT_KIND_ICON = {"乡镇": "🏘", "街道": "🏙", "成员单位": "🏛"}


def esc(text: object) -> str:
    return html.escape(str(text), quote=False)


def when(moment: datetime | None, tz) -> str:  # noqa: ANN001
    return moment.astimezone(tz).strftime("%Y-%m-%d %H:%M") if moment else "—"


_TZ_NAMES = {"Asia/Shanghai": "北京时间", "Asia/Chongqing": "北京时间", "PRC": "北京时间", "Asia/Hong_Kong": "香港时间",
             "UTC": "协调世界时"}


def tz_name(tz) -> str:  # noqa: ANN001
    """How a clerk names the bot's timezone: 北京时间 rather than Asia/Shanghai."""
    key = getattr(tz, "key", str(tz))
    return _TZ_NAMES.get(key, f"{esc(key)} 时间")


def span(delta: timedelta) -> str:
    """A duration in Chinese: 6天3小时, 2小时5分钟, 1分钟."""
    mins = max(0, int(delta.total_seconds() // 60))
    d, rem = divmod(mins, 1440)
    h, m = divmod(rem, 60)
    parts = [f"{d}天" if d else "", f"{h}小时" if h else "", f"{m}分钟" if m and not d else ""]
    return "".join(parts) or "不到1分钟"


# --- splitting ---------------------------------------------------------------------------------

_TAG = re.compile(r"<(/?)([a-zA-Z-]+)[^>]*>")


def _u16(s: str) -> int:
    return len(s.encode("utf-16-le")) // 2


def split(text: str, limit: int = LIMIT) -> list[str]:
    """Split HTML into messages of at most ``limit`` UTF-16 units (raw length bounds the visible
    length), at line breaks where possible, never inside a tag or entity; tags open at a cut are
    closed and reopened."""
    text = text.strip()
    if not text:
        return []
    out: list[str] = []
    while _u16(text) > limit:
        budget = limit - 40  # room to close/reopen tags
        # the longest prefix within budget
        lo, acc = 0, 0
        for i, ch in enumerate(text):
            acc += 2 if ord(ch) > 0xFFFF else 1
            if acc > budget:
                lo = i
                break
        cut = text.rfind("\n", 0, lo)
        if cut < lo // 2:
            cut = lo
            # step back out of a tag or entity
            lt, gt = text.rfind("<", 0, cut), text.rfind(">", 0, cut)
            if lt > gt:
                cut = lt
            amp, semi = text.rfind("&", 0, cut), text.rfind(";", 0, cut)
            if amp > semi and cut - amp < 10:
                cut = amp
        head, text = text[:cut], text[cut:].lstrip("\n")
        stack: list[str] = []
        for m in _TAG.finditer(head):
            name = m.group(2).lower()
            if m.group(1):
                if stack and stack[-1][0] == name:
                    stack.pop()
            else:
                stack.append((name, m.group(0)))
        head += "".join(f"</{n}>" for n, _ in reversed(stack))
        text = "".join(t for _, t in stack) + text
        if head.strip():
            out.append(head)
    if text.strip():
        out.append(text)
    return out


def clip(text: str, limit: int) -> str:
    """Plain text (not yet escaped) clipped to ``limit`` characters with an ellipsis."""
    return text if len(text) <= limit else text[: limit - 1] + "…"


def button_label(text: str, limit: int = 40) -> str:
    text = " ".join(text.split()) or "·"
    return clip(text, limit)


# --- generic -----------------------------------------------------------------------------------

GENERIC_ERROR = "抱歉，处理您的消息时出了点问题，已记录下来。请稍后再试，或发送 /help 查看用法。"
ADMIN_ONLY = "⛔ 这个命令仅限县双拥办管理员使用。"
CANCELLED = "已取消。"
NOTHING_TO_CANCEL = "当前没有进行中的操作。"
GROUP_HINT = "在群里请 @我 提问，或私聊我。"
UNSUPPORTED_MEDIA = "我只能读文字消息。请用文字提问，例如：光荣牌怎么挂？"


def welcome(name: str, unit: str | None, is_admin: bool) -> str:
    lines = [f"您好，{esc(name)}！我是 <b>双拥助手</b>，丰都县双拥工作的小帮手。", ""]
    if unit:
        lines.append(f"您已绑定单位：<b>{esc(unit)}</b>。")
    lines += [
        "我可以：",
        "📖 解答《2020年丰都县双拥工作要点》的问题——直接发问题给我，如「光荣牌怎么挂」；",
        "📝 登记工作进度——/checkin；",
        "📅 提醒重要活动和填报截止时间——/events；",
        "📋 查看目录——/outline。",
    ]
    if not unit and not is_admin:
        lines += ["", "如需填报进度，请向县双拥办索取本单位的<b>邀请链接</b>，点击后即可绑定单位。"]
    if is_admin:
        lines += ["", "您是管理员，可用 /invite、/progress、/broadcast 等命令，详见 /help。"]
    return "\n".join(lines)


def help_text(is_admin: bool, bound: bool) -> str:
    lines = [
        "<b>可用命令</b>",
        "/ask 问题 — 查询工作要点，例：<code>/ask 光荣牌怎么挂</code>（私聊直接发问题也可以）",
        "/outline — 工作要点目录，点按钮查看各部分",
        "/checkin — 分步登记进度；或一行登记：<code>/checkin 2.2 已完成 已组织慰问</code>",
        "/mine — 本单位最近的填报（可更正最新一条）",
        "/events — 近期活动",
        "/mute — 暂停活动提醒；/unmute — 恢复提醒",
        "/cancel — 退出当前操作",
        "/help — 本帮助",
    ]
    if not bound:
        lines.append("\n填报进度需先绑定单位：请向县双拥办索取邀请链接。")
    if is_admin:
        lines += [
            "",
            "<b>管理员命令</b>",
            "/invite 单位名称 — 生成邀请链接，例：<code>/invite 龙城镇</code>",
            "/units — 单位名册与绑定情况",
            "/progress — 本期进度汇总，例：<code>/progress 2026-11</code>",
            "/export — 导出全部填报（Excel），例：<code>/export 2026-11</code>",
            "/chart — 进度图（PNG）",
            "/remind_missing — 催办未填报单位",
            "/event_add 日期 时间 标题 — 例：<code>/event_add 2026-12-20 09:30 县级双拥模范命名表彰大会</code>",
            "/event_del ID — 删除活动，例：<code>/event_del 3</code>",
            "/broadcast 文本 — 群发通知，例：<code>/broadcast 请于本月25日前完成填报</code>",
            "/broadcasts — 最近的群发及送达情况",
            "/unanswered — 最近未能回答的问题",
        ]
    return "\n".join(lines)


# --- onboarding --------------------------------------------------------------------------------

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


# --- knowledge ---------------------------------------------------------------------------------

def clause(c, kb, *, score: float | None = None) -> str:  # noqa: ANN001
    """A clause: label + title + full text; a section also lists its items."""
    head = f"<b>{esc(c.label)}　{esc(c.title)}</b>" if c.label != c.title else f"<b>{esc(c.title)}</b>"
    parent = kb.get(c.parent_id) if c.parent_id else None
    lines = [f"📖 {esc(kb.title)}" + (f" › {esc(parent.label)} {esc(clip(parent.title, 30))}" if parent else ""),
             head, "", esc(c.text.strip())]
    if c.children:
        lines += ["", "<b>本部分包括：</b>"]
        for cid in c.children:
            ch = kb.get(cid)
            if ch:
                lines.append(f"{esc(ch.label)} {esc(ch.title)}")
    return "\n".join(lines)


def also_matched(hits: Sequence) -> str:
    if not hits:
        return ""
    return "\n\n相关条目：" + "；".join(f"{esc(h.clause.label)} {esc(clip(h.clause.title, 24))}" for h in hits)


def not_found(question: str, suggestions: Iterable[str]) -> str:
    tips = "、".join(f"「{esc(s)}」" for s in suggestions)
    return (f"未找到与「{esc(clip(question, 60))}」相关的条款。\n"
            f"可以换个说法再问，例如：{tips}；\n或发送 /outline 浏览目录。")


SUGGESTIONS = ("光荣牌怎么挂", "第二部分讲什么", "双拥模范城创建", "退役军人就业")

# a whole message that is only a greeting or thanks (compared NFKC, lower-cased, without spaces
# and punctuation): answered politely, not searched and not recorded as unanswered
GREETINGS = frozenset({"你好", "您好", "你好啊", "您好啊", "你好呀", "您好呀", "在吗", "在么", "在不在", "有人吗",
                       "hello", "hi", "hey", "哈喽", "嗨", "早上好", "上午好", "下午好", "晚上好"})
THANKS = frozenset({"谢谢", "谢谢你", "谢谢您", "谢谢啦", "多谢", "多谢了", "感谢", "非常感谢", "谢了",
                    "thanks", "thankyou", "thx", "好的谢谢"})


def small_talk(thanks: bool) -> str:
    what = ("我可以解答《2020年丰都县双拥工作要点》的问题，直接用文字问我就行，"
            f"例如：「{esc(SUGGESTIONS[0])}」「{esc(SUGGESTIONS[1])}」。\n"
            "发送 /outline 浏览目录，/checkin 登记工作进度，/help 查看全部命令。")
    return ("不客气！还有问题随时问我。\n" if thanks else "您好！我是双拥助手。\n") + what


def fullwidth_slash(fixed: str) -> str:
    """``fixed``: the user's text with the full-width slash replaced by "/"."""
    return (f"命令要用半角斜杠，例如 <code>{esc(clip(fixed, 300))}</code>\n"
            "（全角斜杠「／」或顿号「、」开头的消息，Telegram 不当作命令。请切换到英文标点，或复制上面这行重新发送。）")


def missing_ref(ref: str, available: Sequence[str]) -> str:
    return (f"文件中没有「{esc(ref)}」。现有内容：\n" + "\n".join(esc(a) for a in available)
            + "\n\n发送 /outline 查看目录。")


def outline(kb) -> str:  # noqa: ANN001
    lines = [f"<b>{esc(kb.title)}</b> 目录", "点击下方按钮查看原文："]
    for top in kb.top_level():
        lines.append(f"{esc(top.label)} {esc(top.title)}")
        for cid in top.children:
            ch = kb.get(cid)
            if ch:
                lines.append(f"　{esc(ch.label)} {esc(clip(ch.title, 40))}")
    return "\n".join(lines)


def outline_item_button(label: str, title: str) -> str:
    """A short button label for an item: 二（三）组织开展."""
    return f"{label}{title[:4]}"


ASK_USAGE = "请在 /ask 后面写上问题，例如：<code>/ask 光荣牌怎么挂</code>"


# --- check-ins ---------------------------------------------------------------------------------

NEED_BIND = ("📝 填报进度需要先<b>绑定单位</b>。\n请向县双拥办索取本单位的邀请链接，点击链接即可完成绑定；"
             "绑定后再发送 /checkin。")
CHOOSE_ITEM = "📝 <b>登记进度</b>（第1步/共4步）\n请选择要填报的工作事项："


def choose_status(item_id: str, title: str) -> str:
    return f"📝 事项 <b>{esc(item_id)} {esc(title)}</b>\n（第2步/共4步）请选择当前状态："


def ask_note(item_id: str, status: str) -> str:
    return (f"📝 {esc(item_id)} · {STATUS_ICON.get(status, '')}{esc(status)}\n"
            f"（第3步/共4步）请用一两句话说明进展（不超过500字），直接发送文字即可。\n不需要说明请发送「无」。")


def summary(item_id: str, title: str, status: str, note: str, correcting: bool = False) -> str:
    head = "📝 <b>请确认更正内容</b>（第4步/共4步）" if correcting else "📝 <b>请确认填报内容</b>（第4步/共4步）"
    return (f"{head}\n事项：{esc(item_id)} {esc(title)}\n状态：{STATUS_ICON.get(status, '')}{esc(status)}\n"
            f"说明：{esc(note) if note else '（无）'}")


def recorded(item_id: str, title: str, status: str, period: str, note: str, corrected: bool = False) -> str:
    head = "✅ 已记录（已更正，原记录保留在历史中）" if corrected else "✅ 已记录"
    return (f"{head}：{esc(item_id)} {esc(title)} — {STATUS_ICON.get(status, '')}{esc(status)}"
            f"（{esc(period)} 期）" + (f"\n说明：{esc(note)}" if note else "") + "\n发送 /mine 查看本单位填报。")


CHECKIN_CANCELLED = "已取消本次填报，没有记录任何内容。"
CHECKIN_TIMEOUT = "⌛ 填报已超时（30分钟未操作），本次未记录。需要时请重新发送 /checkin。"
NOTE_NOT_TEXT = "请直接发送<b>文字</b>说明进展（图片、文件暂不支持），或发送 /cancel 取消。"
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


def mine(unit: str, rows: Sequence, titles: dict, tz) -> str:  # noqa: ANN001
    if not rows:
        return f"<b>{esc(unit)}</b> 还没有填报记录。发送 /checkin 开始登记。"
    lines = [f"<b>{esc(unit)}</b> 最近的填报："]
    for c in rows:
        mark = "（已更正）" if c.superseded else ""
        fix = "（更正）" if c.corrects_id else ""
        lines.append(f"{when(c.created_at, tz)} {esc(c.item_id)} {esc(clip(titles.get(c.item_id, ''), 16))} "
                     f"{STATUS_ICON.get(c.status, '')}{esc(c.status)}{fix}{mark}"
                     + (f"\n　　{esc(clip(c.note, 80))}" if c.note else ""))
    lines.append("\n如最新一条填错了，可点下方按钮更正（原记录会保留在历史中）。")
    return "\n".join(lines)


def progress(p, total_units: int) -> str:  # noqa: ANN001
    lines = [f"<b>{esc(p.period)} 期进度</b>（已填报 {len(p.units)}/{total_units} 个单位）", "",
             "<b>各事项</b>（✅已完成 ⏳进行中 ⭕未开始）"]
    for it in p.items:
        c = p.counts.get(it.id, {})
        lines.append(f"{esc(it.id)} {esc(clip(it.title, 14))}：✅{c.get('已完成', 0)} ⏳{c.get('进行中', 0)} ⭕{c.get('未开始', 0)}")
    if p.units:
        lines += ["", "<b>各单位</b>"]
        for unit, st in p.units:
            cells = " ".join(f"{STATUS_ICON[s]}{esc(i)}" for i, s in sorted(st.items(), key=lambda kv: _key(kv[0])))
            lines.append(f"{esc(unit.name)}：{cells}")
    if p.missing:
        lines += ["", f"<b>未填报（{len(p.missing)}）</b>", "、".join(esc(u.name) for u in p.missing)]
    return "\n".join(lines)


def _key(item_id: str) -> tuple[int, ...]:
    return tuple(int(x) for x in item_id.split(".") if x.isdigit())


def remind_missing_push(period: str, unit: str, deadline: str, overdue: bool = False) -> str:
    if overdue:
        return (f"📣 催办提醒：<b>{esc(unit)}</b> 尚未填报 {esc(period)} 期双拥工作进度，"
                f"填报截止时间 {esc(deadline)} 已过，请尽快发送 /checkin 补报。")
    return (f"📣 催办提醒：<b>{esc(unit)}</b> 尚未填报 {esc(period)} 期双拥工作进度，"
            f"请于 {esc(deadline)} 前发送 /checkin 完成填报。")


def remind_missing_report(units: int, people: int, failed: int, period: str, names: Sequence[str]) -> str:
    if units == 0:
        return f"{esc(period)} 期所有单位都已填报，无需催办。👍"
    text = (f"已催办 {esc(period)} 期未填报的 {units} 个单位，共提醒 {people} 人"
            + (f"（{failed} 人发送失败）" if failed else "") + "。\n" + "、".join(esc(n) for n in names))
    unbound = ""
    if people == 0:
        unbound = "\n注意：这些单位还没有绑定联络员，请先用 /invite 生成邀请链接。"
    return text + unbound


def export_caption(n: int) -> str:
    return f"📊 双拥工作进度台账：共 {n} 条填报（明细表 + 汇总表）。"


CHART_CAPTION = "📈 双拥工作要点进度图（✅已完成 ⏳进行中 ⭕未开始）"
PRIVATE_ONLY = "分步填报请私聊我发送 /checkin；在群里可用一行填报：<code>/checkin 2.2 已完成 说明</code>"


def no_data(period: str) -> str:
    return f"{esc(period)} 期还没有任何填报。"


def bad_period(kind: str) -> str:
    """The forms that name a period of this ``kind`` (monthly or quarterly), and only those."""
    if kind == "quarterly":
        return ("期间格式不对：本系统按<b>季度</b>统计，请写成 <code>2026-Q4</code>"
                "（也可写 2026年第四季度，或写月份 2026-11，按所在季度统计）。")
    return ("期间格式不对：本系统按<b>月</b>统计（不能按季度查询），请写成 <code>2026-11</code>"
            "（也可写 2026年11月，或 11月 表示今年11月）。")


# --- errors ------------------------------------------------------------------------------------

def error_text(exc: AppError, *, item_ids: Sequence[str] = ()) -> str:
    """The one place domain errors become user text."""
    if isinstance(exc, NotAdmin):
        return ADMIN_ONLY
    if isinstance(exc, NotBound):
        return NEED_BIND
    if isinstance(exc, InviteInvalid):
        return INVITE_ERRORS.get(exc.reason, INVITE_ERRORS["unknown"])
    if isinstance(exc, NotFound):
        return f"❌ 找不到{esc(exc.what)}。"
    if isinstance(exc, BadInput):
        key = exc.message
        simple = {
            "empty_unit": "请写上单位名称，例如：<code>/invite 龙城镇</code>",
            "long_unit": "单位名称太长了（最多60字）。",
            "bad_status": bad_status(),
            "no_draft": "当前没有进行中的填报，请发送 /checkin 开始。",
            "stale_step": STALE_BUTTON,
            "bad_correction": "只能更正本单位的填报记录。",
        }
        if key == "bad_item":
            return bad_item(item_ids)
        if key == "oneline_usage":
            return oneline_usage(item_ids)
        if key.startswith("long_note_oneline"):
            return long_note_oneline(int(key.split(":")[1]) if ":" in key else 501)
        if key.startswith("long_note"):
            return long_note(int(key.split(":")[1]) if ":" in key else 501)
        return simple.get(key, key)  # other BadInput messages are built by texts, already HTML
    from bot.services.checkins import DraftExpired

    if isinstance(exc, DraftExpired):
        return CHECKIN_TIMEOUT
    return GENERIC_ERROR

MUTED = "🔕 已暂停活动提醒。需要时发送 /unmute 恢复。（群发通知和催办仍会收到）"
UNMUTED = "🔔 已恢复活动提醒。"
STALE_LINK = "这个按钮已失效，请发送 /outline 重新打开目录。"


# --- events ---------------------------------------------------------------------------------------
# (events, reminders and check-in deadline pushes: bot/services/events.py, handlers/events.py)

_WEEKDAYS = "一二三四五六日"
EVENT_ADD_USAGE = ("添加活动的格式：<code>/event_add 日期 时间 标题</code>\n"
                   "例：<code>/event_add 2026-12-20 09:30 县级双拥模范命名表彰大会</code>\n"
                   "日期也可写成 2026/12/20，时间按本助手设置的时区（BOT_TIMEZONE，默认北京时间）。")
EVENT_NEED_TIME = "❌ 请在日期后写上时间，例：<code>/event_add 2026-12-20 09:30 县级双拥模范命名表彰大会</code>"
EVENT_NEED_TITLE = "❌ 请在时间后写上活动标题，例：<code>/event_add 2026-12-20 09:30 县级双拥模范命名表彰大会</code>"
EVENT_TOO_FAR = "❌ 活动时间在两年以后，请检查年份是否写错。"
EVENT_DEL_USAGE = "删除活动的格式：<code>/event_del 活动编号</code>，例：<code>/event_del 3</code>\n编号见 /events。"


def when_day(moment: datetime, tz) -> str:  # noqa: ANN001
    """2026-12-20 09:30（周日）"""
    local = moment.astimezone(tz)
    return f"{local:%Y-%m-%d %H:%M}（周{_WEEKDAYS[local.weekday()]}）"


def event_no_such_date(day: str) -> str:
    return f"❌ 日期不存在：{esc(day)}。请检查月份和日期，例：<code>2026-12-20</code>。"


def event_no_such_time(hhmm: str) -> str:
    return f"❌ 时间不存在：{esc(hhmm)}。请写成 00:00 到 23:59 之间的时间，例：<code>09:30</code>。"


def event_long_title(n: int, limit: int) -> str:
    return f"❌ 活动标题有 {n} 字，超过了 {limit} 字的上限，请精简后重试。"


def event_in_past(starts_at: datetime, now: datetime, tz) -> str:  # noqa: ANN001
    return (f"❌ 这个时间已经过去了：{when_day(starts_at, tz)}。"
            f"现在是 {when(now, tz)}（{tz_name(tz)}），请填写将来的时间。")


def event_what(event_id: int) -> str:
    return f"编号为 {event_id} 的活动（发送 /events 查看现有活动）"


def _ahead(offset: timedelta) -> str:
    return f"提前{span(offset)}"


def event_added(ev, plans, now: datetime, tz, recipients: int) -> str:  # noqa: ANN001
    lines = [f"✅ 已添加活动 <b>#{ev.id}</b>：<b>{esc(ev.title)}</b>",
             f"时间：{when_day(ev.starts_at, tz)}（{tz_name(tz)}），距开始还有 {span(ev.starts_at - now)}",
             "", "提醒推送时间："]
    for p in plans:
        if p.skipped:
            lines.append(f"· <s>{when(p.due_at, tz)}</s>（{_ahead(p.offset)}）— 已过，跳过")
        else:
            lines.append(f"· {when_day(p.due_at, tz)}（{_ahead(p.offset)}）")
    if all(p.skipped for p in plans):
        lines.append("所有提醒时间都已过，这个活动不会推送提醒。")
    lines.append(f"\n将推送给已绑定且未暂停提醒的成员（目前 {recipients} 人）。删除：<code>/event_del {ev.id}</code>")
    return "\n".join(lines)


def event_deleted(ev, tz) -> str:  # noqa: ANN001
    return (f"🗑 已删除活动 #{ev.id}：<b>{esc(ev.title)}</b>（{when_day(ev.starts_at, tz)}），"
            "尚未发出的提醒已取消。")


def events_list(events, now: datetime, tz, is_admin: bool) -> str:  # noqa: ANN001
    if not events:
        tail = "\n管理员可用 <code>/event_add 2026-12-20 09:30 标题</code> 添加。" if is_admin else ""
        return "📅 近期没有安排活动。" + tail
    lines = [f"📅 <b>近期活动</b>（共 {len(events)} 项，{tz_name(tz)}）"]
    for ev in events:
        if ev.tentative:
            lines.append(f"<b>#{ev.id}</b> <b>{esc(clip(ev.title, 60))}</b> — 日期待定"
                         f"（暂按 {when_day(ev.starts_at, tz)} 占位，确定后才推送提醒）")
            continue
        lines.append(f"<b>#{ev.id}</b> {when_day(ev.starts_at, tz)} <b>{esc(clip(ev.title, 60))}</b>"
                     f" — 还有 {span(ev.starts_at - now)}")
    lines.append("\n活动开始前会按时推送提醒；/mute 可暂停提醒。")
    if is_admin:
        lines.append("管理员：<code>/event_add 日期 时间 标题</code> 添加，<code>/event_del 编号</code> 删除。")
    return "\n".join(lines)


def event_reminder(title: str, starts_at: datetime, now: datetime, tz) -> str:  # noqa: ANN001
    return (f"⏰ <b>活动提醒</b>：{esc(title)}\n时间：{when_day(starts_at, tz)}\n"
            f"距开始还有 {span(starts_at - now)}。\n\n发送 /events 查看近期活动；/mute 可暂停活动提醒。")


def deadline_push(period: str, unit: str, deadline: datetime, now: datetime, tz) -> str:  # noqa: ANN001
    return (f"📣 <b>填报截止提醒</b>：<b>{esc(unit)}</b> 尚未填报 {esc(period)} 期双拥工作进度。\n"
            f"截止时间：{when_day(deadline, tz)}，还剩 {span(deadline - now)}。\n请发送 /checkin 完成填报。")


def deadline_digest(period: str, deadline: datetime, missing, total: int, tz) -> str:  # noqa: ANN001
    head = f"📋 <b>{esc(period)} 期填报截止汇总</b>（截止 {when(deadline, tz)}）\n"
    if not missing:
        return head + f"全部 {total} 个单位都已填报。👍"
    return (head + f"已填报 {total - len(missing)}/{total} 个单位；<b>仍未填报（{len(missing)}）</b>：\n"
            + "、".join(esc(n) for n in missing) + "\n\n可发送 /remind_missing 催办，/progress 查看详情。")
UNKNOWN_COMMAND = "没有这个命令。发送 /help 查看可用命令；有问题可以直接用文字问我。"


# --- broadcast -----------------------------------------------------------------------------------

BC_USAGE = ("请在 /broadcast 后面写上要群发的内容（可以多行），例如：\n"
            "<code>/broadcast 请各单位于本月25日前完成双拥工作进度填报。</code>\n"
            "发送前会先显示预览，确认后才会发出。")
BC_AUDIENCES = {"all": "全部已登记用户", "members": "仅已绑定单位的联络员", "township": "乡镇、街道联络员",
                "member_unit": "成员单位联络员"}
BC_BUTTON_AUDIENCE = {"all": "全部", "members": "仅已绑定成员", "township": "乡镇+街道",
                      "member_unit": "成员单位"}
BC_CONFIRM = "确认"
BC_CANCEL = "取消"
BC_PICK_UNIT = "指定单位…"
BC_PREV = "‹ 上一页"
BC_NEXT = "下一页 ›"
BC_BACK = "返回"
BC_SHOW_FAILURES = "查看失败"
BC_REFUSED = {
    "unknown": "这条群发不存在（按钮无效），没有发送任何消息。",
    "not_preview": "这个按钮不属于该群发的预览消息，没有发送任何消息。",
    "sending": "这条群发已经确认，正在发送，不会重复发送。",
    "done": "这条群发已经发送完毕，不会重复发送。",
    "cancelled": "这条群发已取消，没有发送任何消息。请重新 /broadcast。",
    "empty": "收件人为 0，没有可发送的对象。请换一个范围。",
    "empty_text": BC_USAGE,
    "bad_audience": "这个收件范围无效（单位可能已不存在）。",
}
BC_AUDIENCE_SAME = "收件范围没有变化。"
BC_STARTED = "已确认，开始发送。"
BC_CANCELLED = "🚫 已取消这条群发，没有发送任何消息。"


def bc_audience(audience: str, unit_name: str | None = None) -> str:
    if audience.startswith("unit:"):
        return f"单位「{esc(unit_name or '（已删除）')}」的联络员"
    return BC_AUDIENCES.get(audience, esc(audience))


def bc_body(text: str) -> str:
    """What every recipient sees: the admin's text, escaped (their "<b>" stays literal)."""
    return f"📢 <b>县双拥办通知</b>\n\n{esc(text.strip())}"


def bc_preview(bid: int, body: str | None, count: int, audience: str, parts: int = 1) -> str:
    """The preview message; ``body`` None when the text was long and sent above in ``parts``."""
    head = (f"📢 <b>群发预览</b>（#{bid}）\n收件人：<b>{count}</b> 人（{audience}）\n")
    if body is None:
        return (head + f"内容较长，将分 {parts} 条发送，全文见上方 {parts} 条预览消息。\n\n"
                "请点「确认」发送，或「取消」。可用下方按钮缩小收件范围。")
    return (head + "以下是收件人将看到的内容：\n━━━━━━━━━━\n" + body + "\n━━━━━━━━━━\n"
            "请点「确认」发送，或「取消」。可用下方按钮缩小收件范围。")


def bc_pick_unit(bid: int, count: int, audience: str, page: int, pages: int) -> str:
    return (f"📢 <b>群发预览</b>（#{bid}）\n当前收件人：<b>{count}</b> 人（{audience}）\n\n"
            f"请选择一个单位（第 {page + 1}/{pages} 页）：")


def _bc_excerpt(text: str) -> str:
    return esc(clip(" ".join(text.split()), 60))


def bc_progress(bid: int, text: str, fig) -> str:  # noqa: ANN001
    return (f"📤 <b>群发进行中</b>（#{bid}）「{_bc_excerpt(text)}」\n"
            f"已发送 {fig.processed}/{fig.total}\n"
            f"送达 {fig.sent} · 失败 {fig.failed} · 已屏蔽 {fig.blocked}")


def bc_report(bid: int, text: str, fig, audience: str) -> str:  # noqa: ANN001
    lines = [f"✅ <b>群发完成</b>（#{bid}）「{_bc_excerpt(text)}」",
             f"收件范围：{audience}，共 {fig.total} 人",
             f"「送达」 {fig.sent} 人",
             f"失败 {fig.failed} 人",
             f"已屏蔽 {fig.blocked} 人（已停用的用户不再发送）"]
    if fig.resent:
        lines.append(f"注：发送中途程序重启，{fig.resent} 人的消息当时正在发送，已补发（可能收到两次）。")
    if fig.failed or fig.blocked:
        lines.append("点「查看失败」查看名单。")
    return "\n".join(lines)


_BC_ERRORS = {"timeout, may have been delivered": "超时，可能已送达（未重发，以免重复）"}


def bc_failures(bid: int, rows) -> str:  # noqa: ANN001
    """Each failed or blocked recipient with the reason, trimmed to one message."""
    if not rows:
        return f"群发 #{bid} 没有失败的收件人。👍"
    head = f"<b>群发 #{bid} 未送达名单</b>（{len(rows)} 人）"
    lines = [head]
    used = len(head)
    for i, r in enumerate(rows):
        kind = "已屏蔽" if r.status == "blocked" else "失败"
        reason = _BC_ERRORS.get(r.error, r.error)
        line = f"{kind} · {esc(clip(r.name, 20)) or '—'}（{r.chat_id}）{esc(clip(reason, 60))}"
        if used + _u16(line) + 60 > LIMIT:
            lines.append(f"……另有 {len(rows) - i} 人未列出")
            break
        lines.append(line)
        used += _u16(line) + 1
    return "\n".join(lines)


def bc_history(rows, tz) -> str:  # noqa: ANN001
    if not rows:
        return "还没有发过群发。用 <code>/broadcast 文本</code> 发送通知。"
    state = {"sending": "发送中", "done": "已完成", "cancelled": "已取消"}
    lines = ["<b>最近的群发</b>"]
    for r in rows:
        b, f = r.broadcast, r.figures
        lines.append(f"#{b.id} {when(b.confirmed_at or b.created_at, tz)} {state.get(b.status, esc(b.status))}"
                     f"「{_bc_excerpt(b.text)}」")
        if b.status != "cancelled":
            lines.append(f"　共 {f.total} 人：送达 {f.sent} · 失败 {f.failed} · 已屏蔽 {f.blocked}"
                         + (f" · 待发 {f.pending}" if f.pending else ""))
    return "\n".join(lines)


def event_duplicate(event_id: int, title: str) -> str:
    return f"这个活动已经有了：#{event_id} {esc(title)}。发送 /events 查看；如要改时间，先 /event_del {event_id} 再添加。"
