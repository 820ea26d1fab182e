"""Events, reminders and check-in deadline pushes.

Every time shown is on the wall clock of BOT_TIMEZONE (the ``tz`` passed in) in the one full form
of ``common.when_full`` (2026年12月20日（周日）09:30), and named with ``common.tz_name`` (北京时间
for Asia/Shanghai) wherever a reader could wonder which clock it is."""

from __future__ import annotations

from datetime import datetime, timedelta

from bot.dates import WEEKDAYS
from bot.texts.common import clip, esc, span, tz_name, when_full

EV_CONFIRM = "✅ 确认"
EV_CANCEL = "取消"


def _forms(tz=None) -> str:  # noqa: ANN001
    zone = f"（{tz_name(tz)}）" if tz is not None else ""
    return ("日期可写 <code>2026-12-20</code>、<code>12月20日</code>、<code>明天</code>、<code>下周五</code>；"
            f"时间可写 <code>9:30</code>、<code>下午3点</code>、<code>3点半</code>{zone}。")


def event_add_usage(tz=None) -> str:  # noqa: ANN001
    """How to write /event_add; ``tz`` (BOT_TIMEZONE) names the clock the times are read on."""
    return ("添加活动的格式：<code>/event_add 日期 时间 标题</code>\n"
            "例：<code>/event_add 2026-12-20 09:30 县级双拥模范命名表彰大会</code>\n"
            "　　<code>/event_add 明天下午3点 座谈会</code>\n" + _forms(tz) +
            "\n写全年月日和时间的立即添加；其余先显示换算后的日期，请点「确认」。")


def event_edit_usage(tz=None) -> str:  # noqa: ANN001
    """How to write /event_edit; ``tz`` as in :func:`event_add_usage`."""
    return ("改期的格式：<code>/event_edit 编号 日期 时间 [新标题]</code>\n"
            "例：<code>/event_edit 3 2026-12-21 09:30</code>，<code>/event_edit 3 下周五上午10点 表彰大会</code>\n"
            + _forms(tz) + "\n编号见 /events。")


EVENT_DEL_USAGE = "删除活动的格式：<code>/event_del 活动编号</code>，例：<code>/event_del 3</code>\n编号见 /events。"
EVENT_NEED_TITLE = "❌ 请在时间后写上活动标题，例：<code>/event_add 2026-12-20 09:30 县级双拥模范命名表彰大会</code>"


# --- refusals ----------------------------------------------------------------------------------

def _zone_of(moment) -> str:  # noqa: ANN001
    """（北京时间） for an aware moment (the zone it carries), nothing for a naive one."""
    tz = getattr(moment, "tzinfo", None)
    return f"（{tz_name(tz)}）" if tz is not None else ""


def date_error(exc) -> str:  # noqa: ANN001 - bot.errors.DateError
    """A date or time that cannot be used, said with what was typed and how to write it. Times
    are shown in the zone ``exc.at`` / ``exc.now`` carry (BOT_TIMEZONE), named beside them."""
    typed = f"「{esc(exc.typed)}」" if exc.typed else ""
    r = exc.reason
    if r == "no_date":
        day = (f"{exc.year}年" if exc.year else "") + (f"{exc.month}月" if exc.month else "") + f"{exc.day}日"
        return f"❌ 日期不存在：{esc(day)}。请检查月份和日期，例：<code>2026-12-20</code> 或 <code>12月20日</code>。"
    if r == "no_time":
        shown = typed or f"{esc(exc.part or '')}{exc.hour}点{exc.minute or 0:02d}分"
        return (f"❌ 时间不存在：{shown}。"
                "请写 00:00 到 23:59 之间的时间，例：<code>09:30</code>、<code>下午3点</code>。")
    if r == "ambiguous":
        h, m = exc.hour, exc.minute or 0
        return (f"❓ {typed}是凌晨还是下午？请写明 <code>凌晨{h}点</code>/<code>下午{h}点</code>，"
                f"或用24小时制：<code>{h:02d}:{m:02d}</code> 或 <code>{h + 12}:{m:02d}</code>。")
    if r == "need_hour":
        return (f"❓ {esc(exc.part or '')}几点？请写上时间，例：<code>明天{esc(exc.part or '下午')}3点</code> "
                "或 <code>明天 15:00</code>。")
    if r == "weekday":
        return f"❌ {when_full(exc.at, with_time=False)}不是周{WEEKDAYS[exc.weekday]}，请核对日期。"
    if r == "past":
        return (f"❌ 这个时间已经过去了：{when_full(exc.at)}。现在是 {when_full(exc.now)}{_zone_of(exc.now)}，"
                "请填写将来的时间。")
    if r == "far":
        return f"❌ {when_full(exc.at)}{_zone_of(exc.at)} 在两年以后，请检查年份是否写错。"
    if r == "dst_gap":
        return (f"❌ 时间不存在：{exc.hour:02d}:{exc.minute or 0:02d}{_zone_of(exc.at)}（夏令时跳过的一小时），"
                "请换一个时间。")
    return event_add_usage(getattr(exc.now, "tzinfo", None))


def event_error(exc, tz=None) -> str:  # noqa: ANN001 - bot.errors.EventError
    """An event command that cannot be carried out. ``tz`` (BOT_TIMEZONE), when the caller has
    it, names the clock in the usage texts."""
    r, eid = exc.reason, exc.event_id
    if r == "usage":
        return event_add_usage(tz)
    if r == "edit_usage":
        return event_edit_usage(tz)
    if r == "del_usage":
        return EVENT_DEL_USAGE
    if r == "no_title":
        return EVENT_NEED_TITLE
    if r == "long_title":
        return f"❌ 活动标题有 {exc.length} 字，超过了 {exc.limit} 字的上限，请精简后重试。"
    if r == "duplicate":
        return (f"这个活动已经有了：#{eid} {esc(exc.title)}。发送 /events 查看；"
                f"如要改时间：<code>/event_edit {eid} 日期 时间</code>。")
    if r == "not_found":
        return f"❌ 找不到编号为 {esc(eid)} 的活动（发送 /events 查看现有活动的编号）。"
    if r == "started":
        return f"❌ 活动 #{eid} {esc(exc.title)} 已经开始，不能再改期。"
    if r == "unchanged":
        return f"活动 #{eid} {esc(exc.title)} 的时间和标题都没有变化，未作修改。"
    if r == "stale":
        return f"⚠️ 活动 #{eid} {esc(exc.title)} 在预览之后又被改过，这个预览已作废。请重新发送命令。"
    return event_add_usage(tz)


# --- previews and results ------------------------------------------------------------------------

_ASSUMED = {"relative": "今天是{today}", "year": "未写年份，按最近的这一天", "time": "未写时间，按 09:00",
            "first_day": "多日活动按第一天安排提醒"}


def _at(moment: datetime, tz) -> str:  # noqa: ANN001
    """<b>2026年12月20日（周日）09:30</b>（北京时间）: a time that matters, with its clock named."""
    return f"<b>{when_full(moment, tz)}</b>（{tz_name(tz)}）"


def _assumed(assumed, now: datetime, tz) -> str:  # noqa: ANN001
    """A line saying what was inferred (today's date, the year, the time), or nothing."""
    today = when_full(now, tz, with_time=False)
    notes = [_ASSUMED[a].format(today=today) for a in assumed if a in _ASSUMED]
    return f"\n说明：{'；'.join(notes)}。" if notes else ""


def _ahead(offset: timedelta) -> str:
    return f"提前{span(offset)}"


def _plan_lines(plans, tz) -> list[str]:  # noqa: ANN001
    lines = [f"提醒推送时间（{tz_name(tz)}）："]
    for p in plans:
        if p.skipped:
            lines.append(f"· <s>{when_full(p.due_at, tz)}</s>（{_ahead(p.offset)}）— 已过，不再推送")
        else:
            lines.append(f"· {when_full(p.due_at, tz)}（{_ahead(p.offset)}）")
    return lines


def event_preview_add(title: str, at: datetime, assumed, now: datetime, tz, typed: str) -> str:  # noqa: ANN001
    """The preview of a natural-date /event_add: the title, the resolved date in full, what was
    typed and what was assumed; 「确认」/「取消」 go under it."""
    return (f"📅 <b>请确认要添加的活动</b>\n标题：<b>{esc(title)}</b>\n"
            f"时间：{_at(at, tz)}\n"
            f"您写的是「{esc(typed)}」，距现在 {span(at - now)}。{_assumed(assumed, now, tz)}\n\n"
            "日期无误请点「确认」，有误请点「取消」后重新输入。")


def event_preview_edit(ev, title: str, at: datetime, assumed, now: datetime, tz, typed: str,  # noqa: ANN001
                       reminded: int) -> str:
    """The preview of a natural-date /event_edit of ``ev`` (an Event): old and new time, new title,
    and how many members will be told of the change."""
    old = "日期待定" if ev.tentative else when_full(ev.starts_at, tz)
    lines = [f"📅 <b>请确认活动改期</b> #{ev.id}：<b>{esc(ev.title)}</b>",
             f"原时间：{old}", f"新时间：{_at(at, tz)}"]
    if title != ev.title:
        lines.append(f"新标题：<b>{esc(title)}</b>")
    lines.append(f"您写的是「{esc(typed)}」。{_assumed(assumed, now, tz)}")
    if reminded:
        lines.append(f"已收到提醒的 {reminded} 人将收到一条「时间变更」通知。")
    lines.append("\n无误请点「确认」，有误请点「取消」。")
    return "\n".join(lines)


def event_preview_del(ev, tz, reminded: int) -> str:  # noqa: ANN001
    """The question /event_del asks before deleting ``ev``."""
    when_text = "日期待定" if ev.tentative else f"{when_full(ev.starts_at, tz)}，{tz_name(tz)}"
    tail = f"已收到提醒的 {reminded} 人将收到一条「已取消」通知。" if reminded else "还没有人收到过它的提醒。"
    return (f"🗑 <b>请确认删除活动</b> #{ev.id}：<b>{esc(ev.title)}</b>（{when_text}）\n"
            f"删除后不再推送它的提醒；{tail}\n\n确定删除请点「确认」。")


def event_added(ev, plans, now: datetime, tz, recipients: int) -> str:  # noqa: ANN001
    """An event was added: its time, when each reminder goes out, who gets them."""
    lines = [f"✅ 已添加活动 <b>#{ev.id}</b>：<b>{esc(ev.title)}</b>",
             f"时间：{_at(ev.starts_at, tz)}，距开始还有 {span(ev.starts_at - now)}",
             "", *_plan_lines(plans, tz)]
    if ev.notice:
        lines.append("部分提醒时间已过：现在就通知成员一次。")
    lines.append(f"\n将推送给已绑定且未暂停提醒的成员（目前 {recipients} 人）。"
                 f"改期：<code>/event_edit {ev.id} 日期 时间</code>；删除：<code>/event_del {ev.id}</code>")
    return "\n".join(lines)


def event_moved(moved, plans, now: datetime, tz) -> str:  # noqa: ANN001
    """An event was moved and/or renamed (``moved``: services.events.Moved)."""
    ev = moved.event
    lines = [f"✅ 已修改活动 <b>#{ev.id}</b>：<b>{esc(ev.title)}</b>"]
    if moved.old_title != ev.title:
        lines.append(f"标题：{esc(moved.old_title)} → {esc(ev.title)}")
    if moved.time_changed:
        old = "日期待定" if moved.old_starts_at is None else when_full(moved.old_starts_at, tz)
        lines += [f"时间：{old} → {_at(ev.starts_at, tz)}",
                  f"距开始还有 {span(ev.starts_at - now)}", "", *_plan_lines(plans, tz)]
        if moved.reminded:
            lines.append(f"已收到提醒的 {moved.reminded} 人将收到一条「时间变更」通知；已发的提醒不会重发。")
        if moved.skipped:
            lines.append("部分提醒时间已过：现在就通知成员一次。")
    return "\n".join(lines)


def event_deleted(ev, tz) -> str:  # noqa: ANN001
    """An event was deleted."""
    tail = "已收到提醒的成员将收到「已取消」通知。" if ev.notice else ""
    return (f"🗑 已删除活动 #{ev.id}：<b>{esc(ev.title)}</b>（{when_full(ev.starts_at, tz)}，{tz_name(tz)}），"
            f"尚未发出的提醒已取消。{tail}")


# --- what members receive ----------------------------------------------------------------------

def notice_moved(title: str, old: datetime | None, new: datetime, now: datetime, tz) -> str:  # noqa: ANN001
    """「时间变更」 to members already reminded of an event that moved (``old`` None: it was 日期待定)."""
    before = "日期待定" if old is None else when_full(old, tz)
    return (f"🔄 <b>活动时间变更</b>：{esc(title)}\n"
            f"原定：<s>{before}</s>\n改为：{_at(new, tz)}\n"
            f"距开始还有 {span(new - now)}。\n\n发送 /events 查看近期活动。")


def notice_cancelled(title: str, starts_at: datetime, tz) -> str:  # noqa: ANN001
    """「已取消」 to members already reminded of a deleted event."""
    return (f"❎ <b>活动已取消</b>：{esc(title)}\n原定 {when_full(starts_at, tz)}（{tz_name(tz)}），不再举行，"
            "之前的提醒作废。\n\n发送 /events 查看近期活动。")


def notice_soon(title: str, starts_at: datetime, now: datetime, tz) -> str:  # noqa: ANN001
    """The one notice at once for an event added or moved so close that reminders' times had passed."""
    return (f"⏰ <b>活动提醒</b>：{esc(title)}\n时间：{_at(starts_at, tz)}\n"
            f"距开始只有 {span(starts_at - now)}，请提前安排。\n\n发送 /events 查看近期活动；/mute 可暂停活动提醒。")


def events_list(events, now: datetime, tz, is_admin: bool) -> str:  # noqa: ANN001
    """/events: upcoming events (tentative ones as 日期待定), with the admin commands for admins."""
    if not events:
        tail = "\n管理员可用 <code>/event_add 2026-12-20 09:30 标题</code> 添加。" if is_admin else ""
        return "📅 近期没有安排活动。" + tail
    lines = [f"📅 <b>近期活动</b>（共 {len(events)} 项，{tz_name(tz)}）"]
    for ev in events:
        if ev.tentative:
            lines.append(f"<b>#{ev.id}</b> <b>{esc(clip(ev.title, 60))}</b> — 日期待定"
                         f"（暂按 {when_full(ev.starts_at, tz)} 占位，确定后才推送提醒）")
            continue
        lines.append(f"<b>#{ev.id}</b> {when_full(ev.starts_at, tz)} <b>{esc(clip(ev.title, 60))}</b>"
                     f" — 还有 {span(ev.starts_at - now)}")
    lines.append("\n活动开始前会按时推送提醒；/mute 可暂停提醒。")
    if is_admin:
        lines.append("管理员：<code>/event_add 日期 时间 标题</code> 添加，<code>/event_edit 编号 日期 时间</code> 改期"
                     "（日期待定的活动也用它定日期），<code>/event_del 编号</code> 删除。")
    return "\n".join(lines)


def event_reminder(title: str, starts_at: datetime, now: datetime, tz) -> str:  # noqa: ANN001
    """A reminder at one of REMINDER_OFFSETS before the event."""
    return (f"⏰ <b>活动提醒</b>：{esc(title)}\n时间：{_at(starts_at, tz)}\n"
            f"距开始还有 {span(starts_at - now)}。\n\n发送 /events 查看近期活动；/mute 可暂停活动提醒。")


def deadline_push(period: str, unit: str, deadline: datetime, now: datetime, tz) -> str:  # noqa: ANN001
    """3 and 1 days before the deadline, to members of a unit that has not reported."""
    return (f"📣 <b>填报截止提醒</b>：<b>{esc(unit)}</b> 尚未填报 {esc(period)} 期双拥工作进度。\n"
            f"截止时间：{_at(deadline, tz)}，还剩 {span(deadline - now)}。\n请发送 /checkin 完成填报。")


def deadline_digest(period: str, deadline: datetime, missing, total: int, tz) -> str:  # noqa: ANN001
    """The day after the deadline, to the admins: how many units reported, which did not."""
    head = f"📋 <b>{esc(period)} 期填报截止汇总</b>（截止 {when_full(deadline, tz)}，{tz_name(tz)}）\n"
    if not missing:
        return head + f"全部 {total} 个单位都已填报。👍"
    return (head + f"已填报 {total - len(missing)}/{total} 个单位；<b>仍未填报（{len(missing)}）</b>：\n"
            + "、".join(esc(n) for n in missing) + "\n\n可发送 /remind_missing 催办，/progress 查看详情。")
