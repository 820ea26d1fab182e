"""Broadcasts: preview, progress, report, history."""

from __future__ import annotations

from bot.texts.common import LIMIT, _u16, clip, esc, when

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
BC_CONTINUED = "（内容较长，Telegram 分成了几条发来：已合并，请看下方完整的新预览。）"


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
