"""Shared pieces of every reply: escaping, times, splitting at Telegram's 4096 limit, generic texts."""

from __future__ import annotations

import html
import re
from datetime import datetime, timedelta

from bot.dates import WEEKDAYS

LIMIT = 4096
STATUS_ICON = {"已完成": "✅", "进行中": "⏳", "未开始": "⭕"}
UNIT_KIND_ICON = {"乡镇": "🏘", "街道": "🏙", "成员单位": "🏛"}


def esc(text: object) -> str:
    return html.escape(str(text), quote=False)


def when(moment: datetime | None, tz) -> str:  # noqa: ANN001
    return moment.astimezone(tz).strftime("%Y-%m-%d %H:%M") if moment else "—"


def when_full(moment: datetime, tz=None, *, with_time: bool = True) -> str:  # noqa: ANN001
    """The one way a date is echoed in full: ``2026年12月20日（周日）09:30`` (``with_time=False``:
    ``2026年12月20日（周日）``). ``moment`` is shown on the wall clock of ``tz`` (a ZoneInfo); with
    ``tz`` None, or a naive ``moment``, it is shown as it is. Name the zone beside it with
    :func:`tz_name`."""
    local = moment.astimezone(tz) if tz is not None and moment.tzinfo is not None and moment.year > 1 else moment
    day = f"{local.year}年{local.month}月{local.day}日（周{WEEKDAYS[local.weekday()]}）"
    return f"{day}{local.hour:02d}:{local.minute:02d}" if with_time else day


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


def utf16_len(text: str) -> int:
    """Length in UTF-16 code units, as Telegram counts a message's 4,096."""
    return _u16(text)


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
UNSUPPORTED_MEDIA = ("我只能读文字消息，请用文字提问。\n"
                     "如果这是填报进度的佐证照片或文件：请先发送 /checkin，选好事项和状态，到写说明的一步再发送。")


def welcome(name: str, unit: str | None, is_admin: bool, plan_title: str) -> str:
    """/start: who the bot is, the user's unit, what it can do with the active plan."""
    lines = [f"您好，{esc(name)}！我是 <b>双拥助手</b>，丰都县双拥工作的小帮手。", ""]
    if unit:
        lines.append(f"您已绑定单位：<b>{esc(unit)}</b>。")
    lines += [
        "我可以：",
        f"📖 解答《{esc(plan_title)}》的问题——直接用文字问我；",
        "📝 登记工作进度——/checkin；",
        "📅 提醒重要活动和填报截止时间——/events；",
        "📋 查看目录——/outline。",
    ]
    if not unit and not is_admin:
        lines += ["", "如需填报进度，请向县双拥办索取本单位的<b>邀请链接</b>，点击后即可绑定单位。"]
    if is_admin:
        lines += ["", "您是管理员，可用 /invite、/progress、/broadcast 等命令，详见 /help。"]
    return "\n".join(lines)


def help_text(is_admin: bool, bound: bool, tz) -> str:  # noqa: ANN001
    """/help: every command this user may use, one example each; times in ``tz``'s name."""
    lines = [
        "<b>可用命令</b>",
        "/ask 问题 — 查询工作要点，例：<code>/ask 光荣牌怎么挂</code>（私聊直接发问题也可以）",
        "/outline — 工作要点目录，点按钮查看各部分",
        "/checkin — 分步登记进度（可附照片或文件）；或一行登记：<code>/checkin 2.2 已完成 已组织慰问</code>；"
        "<code>/checkin 2.2</code> 直接从选状态开始",
        "/mine — 本单位最近的填报（可更正最新一条）",
        "/evidence 编号 — 重新查看某次填报的附件，例：<code>/evidence 12</code>",
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
            "/invite 单位名称 — 生成邀请链接，例：<code>/invite 龙城镇</code>；"
            "几个单位用顿号隔开：<code>/invite 龙城镇、三合街道</code>",
            "批量导入单位 — 把名单（.xlsx / .csv，含「单位名称」列）直接发给我，确认后发回邀请链接表",
            "/units — 单位名册与绑定情况",
            "/unbind 单位名称 [成员] — 解除绑定，例：<code>/unbind 龙城镇 张三</code>",
            "/revoke 单位名称 — 作废未使用的邀请链接，例：<code>/revoke 龙城镇</code>",
            "/unit_rename 旧名 新名 — 单位改名，例：<code>/unit_rename 三合镇 三合街道</code>",
            "/unit_del 单位名称 — 删除没有成员的单位，例：<code>/unit_del 龙城镇</code>",
            "/checkin_for 单位 事项 状态 说明 — 代填（电话报来的进度），例："
            "<code>/checkin_for 龙城镇 2.2 已完成 已走访12户</code>",
            "/plans — 各年度工作要点，切换当前启用的年度；导入新年度：把工作要点文件（.docx / .txt / .pdf）直接发给我",
            "/assign 事项 责任单位 — 任务分解，例：<code>/assign 1.2 乡镇 街道</code>、<code>/assign 3.1 县人武部、县民政局</code>；"
            "也可以直接发送任务分解表（.xlsx / .csv，列：事项、责任单位）",
            "/progress — 本期进度汇总，例：<code>/progress 2026-11</code>",
            "/export — 导出全部填报（Excel），例：<code>/export 2026-11</code>",
            "/chart — 进度图（PNG）",
            "/remind_missing — 催办未填报单位",
            "/event_add 日期 时间 标题 — 例：<code>/event_add 2026-12-20 09:30 县级双拥模范命名表彰大会</code>、"
            f"<code>/event_add 明天下午3点 座谈会</code>（{tz_name(tz)}）",
            "/event_edit ID 日期 时间 — 活动改期，例：<code>/event_edit 3 下周五上午10点</code>",
            "/event_del ID — 删除活动，例：<code>/event_del 3</code>",
            "/broadcast 文本 — 群发通知，例：<code>/broadcast 请于本月25日前完成填报</code>",
            "/broadcasts — 最近的群发及送达情况",
            "/unanswered — 最近未能回答的问题",
        ]
    return "\n".join(lines)


MUTED = "🔕 已暂停活动提醒。需要时发送 /unmute 恢复。（群发通知和催办仍会收到）"
UNMUTED = "🔔 已恢复活动提醒。"
UNKNOWN_COMMAND = "没有这个命令。发送 /help 查看可用命令；有问题可以直接用文字问我。"
