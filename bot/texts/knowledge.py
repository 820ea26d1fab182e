"""Answers: quoted clauses (answering sentences in bold), not-found, the outline, and answers
from the bot's own data (deadline, events, how to report, how to bind)."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import datetime

from bot.texts.common import clip, esc, tz_name, when_full

LONG_CLAUSE = 350  # characters: a longer clause shows its answering sentences first


def _bold_spans(text: str, spans: Sequence[tuple[int, int]]) -> str:
    """``text`` escaped, with each (start, end) span in <b>…</b>."""
    out, pos = [], 0
    for a, b in sorted(spans):
        if a < pos or b <= a or b > len(text):
            continue
        out.append(esc(text[pos:a]))
        out.append(f"<b>{esc(text[a:b])}</b>")
        pos = b
    out.append(esc(text[pos:]))
    return "".join(out)


def _crumb(c, kb) -> str:  # noqa: ANN001
    parent = kb.get(c.parent_id) if c.parent_id else None
    year = f"（{kb.year}年）" if getattr(kb, "year", None) and str(kb.year) not in kb.title else ""
    return (f"📖 {esc(kb.title)}{year}"
            + (f" › {esc(parent.label)} {esc(clip(parent.title, 30))}" if parent else ""))


def clause(c, kb, sentences: Sequence[tuple[int, int]] = (), *, full: bool = True) -> str:  # noqa: ANN001
    """A clause: label + title, then its text with the answering ``sentences`` (character spans
    of ``c.text``) in bold. ``full=False`` (a long clause): only the answering sentences, the
    rest one button away. A section shows its heading once, its own text, then its items."""
    head = f"<b>{esc(c.label)}　{esc(c.title)}</b>" if c.label != c.title else f"<b>{esc(c.title)}</b>"
    lines = [_crumb(c, kb), head]
    if c.kind == "section":
        body = c.text[len(c.title):].strip() if c.text.startswith(c.title) else c.text.strip()
        if body:
            lines += ["", esc(body)]
        items = [kb.get(cid) for cid in c.children]
        if items:
            lines += ["", "<b>本部分包括：</b>"]
            lines += [f"{esc(ch.label)} {esc(ch.title)}" for ch in items if ch]
        return "\n".join(lines)
    if not full and sentences:
        quoted = "……".join(f"<b>{esc(c.text[a:b].strip())}</b>" for a, b in sorted(sentences))
        lines += ["", quoted, "", "（以上为条文中回答您问题的部分，点「📄 全文」查看整条）"]
        return "\n".join(lines)
    lines += ["", _bold_spans(c.text.strip() if not sentences else c.text, sentences)]
    return "\n".join(lines)


def is_long(c) -> bool:  # noqa: ANN001
    return c.kind != "section" and len(c.text) > LONG_CLAUSE


def also_matched(hits: Sequence) -> str:
    if not hits:
        return ""
    return "\n\n相关条目：" + "；".join(f"{esc(h.clause.label)} {esc(clip(h.clause.title, 24))}" for h in hits)


def section_named(label: str) -> str:
    """A prefix when the question named a section and the answer is found inside it."""
    return f"（在第{esc(label)}部分中查找）\n"


def section_lacks(label: str) -> str:
    """A prefix when the question named a section that does not hold its topic, and the answer
    comes from another part."""
    return f"（第{esc(label)}部分中没有相关内容，以下是其他部分的条款）\n"


def not_found(question: str, suggestions: Iterable[str]) -> str:
    tips = "、".join(f"「{esc(s)}」" for s in suggestions)
    return (f"未找到与「{esc(clip(question, 60))}」相关的条款。\n"
            f"可以换个说法再问，例如：{tips}；\n或发送 /outline 浏览目录。")



# a whole message that is only a greeting or thanks (compared NFKC, lower-cased, without spaces
# and punctuation): answered politely, not searched and not recorded as unanswered
GREETINGS = frozenset({"你好", "您好", "你好啊", "您好啊", "你好呀", "您好呀", "在吗", "在么", "在不在", "有人吗",
                       "hello", "hi", "hey", "哈喽", "嗨", "早上好", "上午好", "下午好", "晚上好"})
THANKS = frozenset({"谢谢", "谢谢你", "谢谢您", "谢谢啦", "多谢", "多谢了", "感谢", "非常感谢", "谢了",
                    "thanks", "thankyou", "thx", "好的谢谢"})
# what a clerk replies to every notice (a message of only emoji or punctuation counts too)
ACKS = frozenset({"收到", "收到了", "已收到", "好的", "好", "好滴", "好嘞", "嗯", "嗯嗯", "ok", "okay", "明白", "明白了",
                  "知道了", "了解", "晓得了", "行", "可以", "没问题", "👌", "👍"})
HELP_WORDS = frozenset({"帮助", "菜单", "功能", "命令", "怎么用", "如何使用", "使用说明", "help", "menu", "?", "？"})


def small_talk(kind: str, title: str, suggestions: Sequence[str]) -> str:
    """The reply to a message that is not a question: ``kind`` 'thanks' | 'greeting' | 'ack';
    ``title``: the document the bot answers from (the active plan's); ``suggestions``: questions
    it can answer."""
    if kind == "ack":
        return "👌 好的。有问题随时问我，发送 /help 查看全部命令。"
    tips = "".join(f"「{esc(s)}」" for s in suggestions[:2])
    what = (f"我可以解答《{esc(title)}》的问题，直接用文字问我就行" + (f"，例如：{tips}" if tips else "") + "。\n"
            "发送 /outline 浏览目录，/checkin 登记工作进度，/help 查看全部命令。")
    return ("不客气！还有问题随时问我。\n" if kind == "thanks" else "您好！我是双拥助手。\n") + what


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


def outline_button(label: str, short_title: str) -> str:
    """A button of the outline: 二（三）多种形式拥军活动 (``short_title`` from kb.short_titles)."""
    return f"{label}{short_title}" if label.endswith("）") else f"{label} {short_title}"


BUTTON_CONTENTS = "📋 目录"
BUTTON_FULL_TEXT = "📄 全文"
ASK_USAGE = "请在 /ask 后面写上问题，例如：<code>/ask 光荣牌怎么挂</code>"

STALE_LINK = "这个按钮已失效，请发送 /outline 重新打开目录。"


# --- answers from the bot's own data -------------------------------------------------------------

def _day(moment: datetime, tz) -> str:  # noqa: ANN001
    return when_full(moment, tz)


def deadline_answer(period: str, deadline: datetime, now: datetime, tz,  # noqa: ANN001
                    next_period: str | None = None, next_deadline: datetime | None = None) -> str:
    """The check-in deadline of the current period (and the next one when it has passed)."""
    if now <= deadline:
        days = (deadline.astimezone(tz).date() - now.astimezone(tz).date()).days
        left = "今天截止" if days == 0 else f"还有 {days} 天"
        text = f"⏰ 本期（{esc(period)}）进度填报截止：<b>{_day(deadline, tz)}</b>（{tz_name(tz)}），{left}。"
    else:
        text = (f"⏰ 本期（{esc(period)}）进度填报已于 {_day(deadline, tz)} 截止；"
                "现在填报仍然记入本期，标为补报。")
        if next_period and next_deadline:
            text += f"\n下一期（{esc(next_period)}）截止：<b>{_day(next_deadline, tz)}</b>。"
    return text + "\n发送 /checkin 填报进度。"


def events_answer(matches: Sequence, others: Sequence, tz) -> str:  # noqa: ANN001
    """``matches``: events whose title matches the question; ``others``: other upcoming events
    (listed when nothing matches). Each has ``title``, ``starts_at``, ``tentative``."""
    def line(ev) -> str:  # noqa: ANN001
        when = "日期待定" if getattr(ev, "tentative", False) else _day(ev.starts_at, tz)
        return f"📅 <b>{esc(clip(ev.title, 60))}</b>：{when}"

    if matches:
        return "\n".join(line(ev) for ev in matches) + "\n发送 /events 查看全部活动安排。"
    if others:
        return ("📅 活动安排中没有找到这个活动。近期活动：\n" + "\n".join(line(ev) for ev in others[:5])
                + "\n发送 /events 查看全部。")
    return "📅 目前没有已安排的活动。时间确定后会在 /events 中公布，并提前提醒。"


HOWTO_CHECKIN = ("📝 填报进度：发送 /checkin，按按钮选择事项和状态，再写一句说明即可。\n"
                 "也可以一句话填报：<code>/checkin 2.2 已完成 说明…</code>（状态：未开始 / 进行中 / 已完成）。\n"
                 "填报前需先绑定单位（向县双拥办索取邀请链接）。")
HOWTO_BIND = ("🔗 绑定单位：请向县双拥办索取本单位的邀请链接，点开链接后按「开始」即可绑定。\n"
              "绑定后就能用 /checkin 填报进度、用 /mine 查看本单位记录。")
FROM_DOCUMENT = "\n\n<b>文件中的相关内容：</b>\n"


def quoting_plan(year: int, active_year: int, missing_year: int | None) -> str:
    """A first line when the answer does not come from the active plan as a matter of course:
    it quotes another year's plan, or the year the question named has no plan. Plain text (the
    command line prints it too)."""
    if missing_year is not None:
        return f"📅 没有 {missing_year} 年的工作要点，以下引自当前启用的 {active_year} 年工作要点。\n\n"
    if year != active_year:
        return f"📅 以下引自 {year} 年工作要点（当前启用的是 {active_year} 年）。\n\n"
    return ""


def section_question(label: str) -> str:
    """A question to suggest about a section of the active plan: 「第二部分讲什么」."""
    return f"第{label}部分讲什么"
