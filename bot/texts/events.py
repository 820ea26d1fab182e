"""Events, reminders and check-in deadline pushes."""

from __future__ import annotations

from datetime import datetime, timedelta

from bot.texts.common import clip, esc, span, tz_name, when

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


def event_duplicate(event_id: int, title: str) -> str:
    return f"这个活动已经有了：#{event_id} {esc(title)}。发送 /events 查看；如要改时间，先 /event_del {event_id} 再添加。"
