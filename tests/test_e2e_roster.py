"""The roster through the chat, over the loopback Bot API, on SQLite and PostgreSQL: uploading a
unit list (xlsx with a merged title, GBK and UTF-8-BOM CSVs), its preview and 「确认」 surviving a
restart, the invite workbook, the file door's refusals, /invite lists and the name rule,
/unbind, /revoke, /unit_rename, /unit_del, /remind_missing's unbound units, old invite links, and
private-only roster commands."""

from __future__ import annotations

import io

import openpyxl
import pytest

from bot.services.intake import OLE2_MAGIC
from tests.conftest import bind, say
from tests.harness import ADMIN
from tests.test_intake import _png, xlsx


@pytest.fixture
def db_url(any_db_url):
    """These suites run on SQLite and on PostgreSQL."""
    return any_db_url


def upload(emu, name: str, content: bytes, *, user: int = ADMIN, contains=None, **kw):  # noqa: ANN001, ANN201
    """The user sends a file; returns the bot's reply (containing ``contains``)."""
    emu.user_document(user, file_name=name, content=content, **kw)
    return emu.wait_for(chat_id=kw.get("chat_id", user), contains=contains)


def confirm(emu, preview, *, user: int = ADMIN) -> str:  # noqa: ANN001
    """Press 「确认」; returns its callback data (to press it again once the buttons are gone)."""
    data = preview.button("确认")[1]
    emu.press(user, preview, data)
    return data


def workbook_rows(emu, user: int = ADMIN) -> list[tuple]:  # noqa: ANN001
    doc = emu.wait_for(chat_id=user, predicate=lambda m: m.document is not None and m.filename.endswith(".xlsx"))
    ws = openpyxl.load_workbook(io.BytesIO(doc.document)).active
    return [tuple(r) for r in ws.iter_rows(values_only=True)]


ROSTER_XLSX_ROWS = [
    None,
    ["序号", "单位名称", "类型", "联络员"],
    [1, "龙城镇", None, "张三"],
    [2, "三合街道", "街道", "李四"],
    None,
    [3, "县人武部", "成员单位", None],
    [4, "龙城镇\u200b", None, None],     # a repeat, only an invisible character differs
    [5, "ＸＸ镇", None, None],
    [6, "XX镇", None, None],              # a repeat in half width
    [7, None, "乡镇", "王五"],            # no name
    None,
]


def test_upload_preview_restart_confirm_once_and_the_workbook(emu, start_bot):
    first = start_bot()
    data = xlsx(ROSTER_XLSX_ROWS, title="2026年丰都县双拥工作单位名册", merge="A1:D1")
    preview = upload(emu, "名册.xlsx", data, contains="预览")
    assert "新建 4 个" in preview.plain and "已存在 0 个" in preview.plain
    assert "表头在第 3 行" in preview.plain
    assert "第 8 行「龙城镇」：与第 4 行重复" in preview.plain and "不可见字符" in preview.plain
    assert "第 10 行「XX镇」：与第 9 行重复" in preview.plain
    assert "第 11 行" in preview.plain and "名称为空" in preview.plain
    assert "确认" in preview.button("确认")[0] and preview.button("取消")
    assert "县人武部" not in say(emu, ADMIN, "/units", contains="单位").plain  # nothing before 确认

    first.stop()  # a restart between the preview and 确认 loses nothing
    start_bot()
    mark = emu.mark()
    pressed = confirm(emu, preview)
    rows = workbook_rows(emu)
    assert rows[0][:4] == ("单位名称", "类型", "邀请链接", "有效期至")
    assert [(r[0], r[1]) for r in rows[1:]] == [("龙城镇", "乡镇"), ("三合街道", "街道"), ("县人武部", "成员单位"),
                                               ("XX镇", "乡镇")]
    assert all(r[2].startswith("https://t.me/shuangyong_test_bot?start=") for r in rows[1:])
    assert rows[1][4] == "张三" and rows[0][4] == "联络员"
    caption = emu.wait_for(chat_id=ADMIN, contains="新建 4 个", after=mark)
    assert "邀请链接" in caption.plain

    assert preview.buttons == []  # the preview lost its buttons
    # the second 确认 (a double tap, or the old button later) changes nothing and says so
    emu.press(ADMIN, preview, pressed)
    assert "确认过" in emu.wait_for(chat_id=ADMIN, contains="确认过").plain
    units = say(emu, ADMIN, "/units", contains="单位名册")
    assert "共 4 个" in units.plain

    # the links work: a liaison opens one
    code = rows[2][2].split("start=")[1]
    r = say(emu, 7, f"/start {code}", contains="绑定")
    assert "三合街道" in r.plain


@pytest.mark.parametrize("encoding", ["gbk", "utf-8-sig"])
def test_csv_as_excel_saves_it_and_existing_units(emu, bot, encoding):
    say(emu, ADMIN, "/invite 龙城镇", contains="start=")
    text = "单位名称,类型\r\n龙城镇,乡镇\r\n名山街道,\r\n县民政局,部门\r\n\r\n"
    preview = upload(emu, "名单.csv", text.encode(encoding), contains="预览")
    assert "新建 2 个" in preview.plain and "已存在 1 个" in preview.plain
    confirm(emu, preview)
    rows = workbook_rows(emu)
    assert [(r[0], r[1]) for r in rows[1:]] == [("龙城镇", "乡镇"), ("名山街道", "街道"), ("县民政局", "成员单位")]


def test_sixty_units_take_one_upload(emu, bot):
    names = [f"第{i:02d}测试镇" for i in range(60)]
    preview = upload(emu, "60.csv", ("单位名称\n" + "\n".join(names)).encode("gbk"), contains="预览")
    assert "新建 60 个" in preview.plain
    confirm(emu, preview)
    rows = workbook_rows(emu)
    assert len(rows) == 61 and len({r[2] for r in rows[1:]}) == 60


def test_an_import_never_creates_a_second_unit_for_one_written_another_way(emu, bot):
    """县XX局 / XX局 / 丰都县XX局, a typo that sounds the same, a name without its ending: against
    the roster and between rows of the same file. Such rows are left out with the name they look
    like; real neighbours (龙河镇 / 龙孔镇, 县委办 / 县委宣传部) are imported."""
    say(emu, ADMIN, "/invite 县民政局、三合街道、龙河镇", contains="start=")
    text = ("序号,单位,类型\r\n1,民政局,部门\r\n2,丰都县民政局,\r\n3,三和街道,\r\n4,龙孔镇,\r\n"
            "5,县人武部,\r\n6,人武部,\r\n7,县委办,\r\n8,县委宣传部,\r\n9,龙河,\r\n")
    preview = upload(emu, "名册.csv", text.encode("gbk"), contains="预览")
    p = preview.plain
    assert "新建 4 个" in p and "已存在 0 个" in p, p
    assert "第 2 行「民政局」：很像名册里已有的「县民政局」" in p
    assert "第 3 行「丰都县民政局」：很像名册里已有的「县民政局」" in p
    assert "第 4 行「三和街道」：很像名册里已有的「三合街道」" in p
    assert "第 7 行「人武部」：很像第 6 行的「县人武部」" in p and "/invite 人武部" in p
    assert "第 10 行「龙河」：很像名册里已有的「龙河镇」" in p
    confirm(emu, preview)
    rows = workbook_rows(emu)
    assert [r[0] for r in rows[1:]] == ["龙孔镇", "县人武部", "县委办", "县委宣传部"]
    roster = say(emu, ADMIN, "/units", contains="单位名册").plain
    assert "共 7 个" in roster and "民政局、" not in roster.replace("县民政局", "")


def test_a_newer_preview_replaces_the_older_and_cancel_changes_nothing(emu, bot):
    old = upload(emu, "a.csv", "单位名称\n龙城镇\n".encode(), contains="预览")
    new = upload(emu, "b.csv", "单位名称\n三合街道\n".encode(), contains="预览")
    confirm(emu, old)
    assert "旧的预览" in emu.wait_for(chat_id=ADMIN, contains="旧的预览").plain
    ok = new.button("确认")[1]
    emu.press(ADMIN, new, new.button("取消")[1])
    emu.wait_for(chat_id=ADMIN, contains="已取消")
    emu.press(ADMIN, new, ok)
    emu.wait_for(chat_id=ADMIN, contains="已经取消")
    units = say(emu, ADMIN, "/units", contains="单位")
    assert "龙城镇" not in units.plain and "三合街道" not in units.plain


def test_cancel_command_cancels_a_pending_import(emu, bot):
    preview = upload(emu, "a.csv", "单位名称\n龙城镇\n".encode(), contains="预览")
    ok = preview.button("确认")[1]
    say(emu, ADMIN, "/cancel", contains="已取消 1 个待确认的预览")
    emu.press(ADMIN, preview, ok)
    emu.wait_for(chat_id=ADMIN, contains="已经取消")
    assert "龙城镇" not in say(emu, ADMIN, "/units", contains="单位").plain


def test_a_preview_past_its_expiry_changes_nothing(emu, start_bot):
    from datetime import UTC, datetime, timedelta

    from bot.clock import FakeClock

    clock = FakeClock(datetime(2026, 11, 10, 2, 0, tzinfo=UTC))
    start_bot(clock=clock)
    preview = upload(emu, "a.csv", "单位名称\n龙城镇\n".encode(), contains="预览")
    clock.advance(timedelta(hours=25))
    confirm(emu, preview)
    assert "过期" in emu.wait_for(chat_id=ADMIN, contains="过期").plain
    assert "龙城镇" not in say(emu, ADMIN, "/units", contains="单位").plain


@pytest.mark.parametrize("name, content, expect", [
    ("照片.jpg", _png(), "图片"),
    ("空.xlsx", b"", "空"),
    ("要点.doc", OLE2_MAGIC + b"\x00" * 504 + "WordDocument".encode("utf-16-le") + b"\x00" * 64, ".docx"),
    ("名单.xls", OLE2_MAGIC + b"\x00" * 504 + "Workbook".encode("utf-16-le") + b"\x00" * 64, ".xlsx"),
    ("a.bin", b"\x7fELF\x02\x01\x01" + b"\x00" * 64, "无法识别"),
    ("通讯录.csv", "姓名,电话\n张三,138\n".encode("gbk"), "单位名称"),
])
def test_refusals_say_why_and_change_nothing(emu, bot, name, content, expect):
    r = upload(emu, name, content, contains="没有做任何改动")
    assert expect in r.plain and not r.buttons
    if expect == "单位名称":
        assert "事项" in r.plain and "责任单位" in r.plain


def test_a_30_mb_file_is_refused_before_downloading(emu, bot):
    r = upload(emu, "大表.xlsx", b"PK\x03\x04" + b"\x00" * (30 * 1024 * 1024), contains="20 MB")
    assert "太大" in r.plain
    assert emu.calls_to("getFile") == []


def test_only_admins_in_private_chats(emu, bot):
    data = "单位名称\n龙城镇\n".encode()
    r = upload(emu, "名单.csv", data, user=7, contains="管理员")
    assert not r.buttons
    r = upload(emu, "名单.csv", data, chat_id=-100, chat_type="group", contains="私聊")
    assert not r.buttons and "预览" not in r.plain
    emu.user_document(8, file_name="群文件.pdf", chat_id=-100, chat_type="group")  # someone else's file
    emu.user_photo(ADMIN, caption="活动照片", chat_id=-100, chat_type="group")  # an admin's photo
    emu.wait_idle(quiet=0.6)
    assert [m for m in emu.to(-100) if "私聊" in m.plain] == [r]  # no chatter about it
    for cmd in ("/units", "/unbind 龙城镇", "/revoke 龙城镇", "/unit_rename 龙城镇 三合街道", "/unit_del 龙城镇"):
        r = say(emu, ADMIN, cmd, chat_id=-100, chat_type="group", contains="私聊")
        assert "龙城镇" not in r.plain
    r = say(emu, 7, "/unbind 龙城镇", contains="管理员")


# --- /invite -----------------------------------------------------------------------------------------

def test_invite_lists_and_the_name_rule(emu, bot):
    r = say(emu, ADMIN, "/invite 龙城镇、三合街道\n县人武部", contains="3 个邀请链接")
    assert r.plain.count("start=") == 3 and "批量" in r.plain
    r = say(emu, ADMIN, "/invite 龙城镇\u200b", contains="start=")
    assert "已存在" in r.plain and "龙城镇\u200b" not in r.plain
    # invisible characters are cleaned from every update at the door: this is /invite alone
    r = say(emu, ADMIN, "/invite \u200b", contains="用法")
    assert "start=" not in r.plain
    r = say(emu, ADMIN, "/invite 仙女湖镇 许明寺镇", contains="空格")
    assert "start=" not in r.plain and "顿号" in r.plain
    r = say(emu, ADMIN, "/invite", contains="用法")
    assert "批量" in r.plain
    units = say(emu, ADMIN, "/units", contains="单位名册")
    assert "共 3 个" in units.plain


def test_old_used_invite_after_moving_names_the_current_unit(emu, bot):
    first = say(emu, ADMIN, "/invite 龙城镇", contains="start=")
    code = first.plain.split("start=")[1].split()[0]
    say(emu, 7, f"/start {code}", contains="龙城镇")
    bind(emu, 7, "三合街道")
    r = say(emu, 7, f"/start {code}", contains="用过")
    assert "绑定成功" not in r.plain and "三合街道" in r.plain
    assert "三合街道" in say(emu, 7, "/start", contains="双拥助手").plain


# --- /unbind, /revoke, /unit_rename, /unit_del -------------------------------------------------------

def test_unbind_tells_the_member_and_takes_rights_at_once(emu, bot):
    bind(emu, 7, "龙城镇", name="张三")
    bind(emu, 8, "龙城镇", name="李四")
    say(emu, 7, "/checkin 1.1 已完成 宣传到位", contains="已记录")
    preview = say(emu, ADMIN, "/unbind 龙城镇\u200b 张三", contains="确认解除")
    assert "张三" in preview.plain and "李四" not in preview.plain
    pressed = confirm(emu, preview)
    done = emu.wait_for(chat_id=ADMIN, contains="已解除")
    assert "张三" in done.plain and "已通知 1 人" in done.plain
    assert "解除" in emu.wait_for(chat_id=7, contains="解除").plain
    r = say(emu, 7, "/checkin 1.2 已完成", contains="绑定")
    assert "已记录" not in r.plain
    mine = say(emu, 8, "/mine", contains="龙城镇")
    assert "1.1" in mine.plain  # the check-in stays with the unit
    emu.user_message(ADMIN, "/export")
    doc = emu.wait_for(chat_id=ADMIN, predicate=lambda m: m.document is not None)
    detail = [r for r in openpyxl.load_workbook(io.BytesIO(doc.document)).worksheets[0].iter_rows(values_only=True)]
    assert any("龙城镇" in r and "张三" in r for r in detail)  # attributed to its reporter
    emu.press(ADMIN, preview, pressed)
    emu.wait_for(chat_id=ADMIN, contains="确认过")
    r = say(emu, ADMIN, "/unbind 龙城镇 王五", contains="没有名为")
    assert "李四" in r.plain


def test_revoke_rename_and_delete(emu, bot):
    first = say(emu, ADMIN, "/invite 三合镇", contains="start=")
    code = first.plain.split("start=")[1].split()[0]
    r = say(emu, ADMIN, "/revoke 三合镇", contains="作废")
    assert "1 个" in r.plain
    r = say(emu, 7, f"/start {code}", contains="作废")
    assert "绑定成功" not in r.plain
    say(emu, ADMIN, "/invite 龙城镇", contains="start=")
    r = say(emu, ADMIN, "/unit_rename 县教委 县教育委员会", contains="县教委")  # no such unit
    assert "县教委县教育委员会" not in r.plain  # the old name alone, not the input glued together
    r = say(emu, ADMIN, "/unit_rename 三合镇 龙城镇", contains="已经有单位")
    r = say(emu, ADMIN, "/unit_rename 三合镇 三合街道", contains="改名")
    assert "三合街道" in say(emu, ADMIN, "/units", contains="单位名册").plain
    bind(emu, 7, "三合街道")
    r = say(emu, ADMIN, "/unit_del 三合街道", contains="不能删除")
    assert "/unbind" in r.plain
    preview = say(emu, ADMIN, "/unit_del 龙城镇", contains="确认删除")
    confirm(emu, preview)
    emu.wait_for(chat_id=ADMIN, contains="已删除")
    assert "龙城镇" not in say(emu, ADMIN, "/units", contains="单位名册").plain
    progress = say(emu, ADMIN, "/progress", contains="进度")
    assert "龙城镇" not in progress.plain
    r = say(emu, ADMIN, "/unbind 龙城镇", contains="找不到")
    # invited again: the removed unit comes back with its history, and the reply says so
    r = say(emu, ADMIN, "/invite 龙城镇", contains="start=")
    assert "已恢复" in r.plain and "已新建" not in r.plain
    r = say(emu, ADMIN, "/invite 龙城镇、高家镇", contains="start=")
    assert "龙城镇（乡镇，已存在）" in r.plain and "高家镇（乡镇，新建）" in r.plain


def test_a_unit_whose_member_left_and_that_was_removed_keeps_its_reports(emu, bot):
    """The monthly report after 民政局's liaison left and the unit was removed: its check-in is
    still in /progress (marked as removed, outside the counts, which it no longer owes) and in the
    export, attributed to the unit and the person who made it."""
    bind(emu, 7, "民政局", name="赵六")
    bind(emu, 8, "三合街道", name="王芳")
    say(emu, 7, "/checkin 1.1 正在做 组织学习（第一批）", contains="已记录")
    say(emu, 8, "/checkin 2.2 完成了 走访12户", contains="已记录")
    confirm(emu, say(emu, ADMIN, "/unbind 民政局", contains="确认"))
    emu.wait_for(chat_id=7, contains="解除")
    confirm(emu, say(emu, ADMIN, "/unit_del 民政局", contains="确认删除"))
    emu.wait_for(chat_id=ADMIN, contains="已删除")
    p = say(emu, ADMIN, "/progress", contains="进度").plain
    assert "已填报 1/1 个单位" in p and "民政局（已删除，不计入统计）：⏳1.1" in p, p
    say(emu, ADMIN, "/export", contains="台账")
    rows = workbook_rows(emu)
    assert ("民政局", "1.1", "进行中", "组织学习（第一批）", "赵六") in [(r[1], r[3], r[5], r[6], r[7]) for r in rows]


def test_remind_missing_lists_units_nobody_can_be_told(emu, bot):
    bind(emu, 7, "龙城镇")
    say(emu, ADMIN, "/invite 三合街道", contains="start=")
    r = say(emu, ADMIN, "/remind_missing", contains="催办")
    assert "1 个单位" in r.plain and "1 人" in r.plain
    head, _, tail = r.plain.partition("未绑定联络员，无法提醒")
    assert "龙城镇" in head and "三合街道" not in head and "三合街道" in tail
    emu.wait_for(chat_id=7, contains="尚未填报")


def test_help_lists_roster_commands_with_examples(emu, bot):
    r = say(emu, ADMIN, "/help", contains="管理员命令")
    for cmd in ("/unbind", "/revoke", "/unit_rename", "/unit_del", "批量"):
        assert cmd in r.plain
    assert "/unbind" not in say(emu, 7, "/help", contains="可用命令").plain


def test_photos_and_files_outside_the_door_go_where_they_did(emu, bot):
    emu.user_photo(ADMIN, caption="名单截图")
    r = emu.wait_for(chat_id=ADMIN, contains="图片")
    assert "没有做任何改动" in r.plain
    # a member at the check-in's note step: the flow answers the file, not the upload door
    bind(emu, 7, "龙城镇")
    items = say(emu, 7, "/checkin", contains="选择")
    emu.press(7, items, items.button("1.1")[1])
    st = emu.wait_for(chat_id=7, contains="状态")
    emu.press(7, st, st.button("已完成")[1])
    emu.wait_for(chat_id=7, contains="说明")
    r = upload(emu, "现场.pdf", b"%PDF-1.4 evidence", user=7)
    assert "管理员" not in r.plain


def test_the_links_reach_the_admin_even_when_the_workbook_cannot_be_sent(emu, bot):
    preview = upload(emu, "a.csv", "单位名称\n龙城镇\n三合街道\n".encode(), contains="预览")
    emu.fail_next("sendDocument", 1, error_code=400, description="Bad Request: failed to send the file")
    confirm(emu, preview)
    text = emu.wait_for(chat_id=ADMIN, contains="没能发送")
    assert text.plain.count("start=") == 2 and "龙城镇" in text.plain and "三合街道" in text.plain


def test_an_invite_for_a_unit_that_sounds_like_one_in_the_roster_asks_first(emu, bot):
    say(emu, ADMIN, "/invite 三合街道、龙河镇、县民政局", contains="start=")
    warn = say(emu, ADMIN, "/invite 三和街道", contains="很像")  # 和 for 合: same sound, a typo
    assert "三合街道" in warn.plain and "start=" not in warn.plain
    assert "三和街道" not in say(emu, ADMIN, "/units", contains="单位").plain  # nothing created
    for typo in ("龙河", "丰都县民政局"):
        assert "很像" in say(emu, ADMIN, f"/invite {typo}", contains="很像").plain
    assert "start=" in say(emu, ADMIN, "/invite 龙孔镇", contains="start=").plain  # a real neighbour
    emu.press(ADMIN, warn, warn.button("仍然新建")[1])  # it really is another unit
    assert "三和街道" in emu.wait_for(chat_id=ADMIN, contains="start=").plain
