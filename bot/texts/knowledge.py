"""Answers: quoted clauses, not-found, the outline."""

from __future__ import annotations

from collections.abc import Iterable, Sequence

from bot.texts.common import clip, esc


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

STALE_LINK = "这个按钮已失效，请发送 /outline 重新打开目录。"
