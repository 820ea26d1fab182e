"""``python -m bot units import PATH``: invite links as CSV on stdout, rejected rows on stderr, the
bot's username from getMe (the loopback Bot API here), refusals with exit code 2."""

from __future__ import annotations

import csv
import io
import subprocess
import sys
from datetime import timedelta

import pytest

from bot.clock import Clock
from bot.db import make_engine
from bot.services.roster import RosterService
from tests.harness import ROOT, bot_env
from tests.test_intake import xlsx


def run(emu, db_url: str, *args: str) -> subprocess.CompletedProcess:  # noqa: ANN001
    return subprocess.run([sys.executable, "-m", "bot", "units", "import", *args], cwd=ROOT,
                          env=bot_env(emu, db_url), capture_output=True, text=True, timeout=60)


def test_cli_import_prints_links_and_reasons(emu, any_db_url, tmp_path):
    path = tmp_path / "名册.xlsx"
    path.write_bytes(xlsx([["单位名称", "类型", "联络员"], ["龙城镇", None, "张三"], ["三合街道", None, None],
                           ["龙城镇\u200b", None, None], ["", "乡镇", "无名"]], title="单位名册", merge="A1:C1"))
    dry = run(emu, any_db_url, str(path), "--dry-run")
    assert dry.returncode == 0 and dry.stdout == "" and "新建 2 个" in dry.stderr and "试运行" in dry.stderr

    done = run(emu, any_db_url, str(path))
    assert done.returncode == 0, done.stderr
    rows = list(csv.reader(io.StringIO(done.stdout)))
    assert rows[0] == ["单位名称", "类型", "邀请链接", "有效期至", "联络员"]
    assert [(r[0], r[1], r[4]) for r in rows[1:]] == [("龙城镇", "乡镇", "张三"), ("三合街道", "街道", "")]
    assert all(r[2].startswith("https://t.me/shuangyong_test_bot?start=") for r in rows[1:])
    assert "第 5 行「龙城镇」未导入：与第 3 行重复" in done.stderr and "第 6 行" in done.stderr  # title in row 1

    engine = make_engine(any_db_url)
    roster = RosterService(engine, Clock(), invite_ttl=timedelta(days=7))
    assert [u.name for u in roster.units()] == ["龙城镇", "三合街道"]
    assert roster.invite_unit(rows[1][2].split("start=")[1]).name == "龙城镇"
    engine.dispose()

    again = run(emu, any_db_url, str(path), "--bot-username", "@other_bot")  # existing: fresh links
    assert "新建 0 个，已存在 2 个" in again.stderr
    assert all(r[2].startswith("https://t.me/other_bot?start=") for r in list(csv.reader(io.StringIO(again.stdout)))[1:])


@pytest.mark.parametrize("name, content, words", [
    ("通讯录.csv", "姓名,电话\n张三,138\n".encode("gbk"), "单位名称"),
    ("名单.xls", b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\x00" * 600, ".xlsx"),
    ("任务分解表.csv", "事项,责任单位\n1.2,各乡镇\n".encode(), "单位名称"),
])
def test_cli_refuses_with_a_reason(emu, sqlite_url, tmp_path, name, content, words):
    path = tmp_path / name
    path.write_bytes(content)
    r = run(emu, sqlite_url, str(path))
    assert r.returncode == 2 and r.stdout == "" and words in r.stderr and "<b>" not in r.stderr


def test_cli_missing_file(emu, sqlite_url, tmp_path):
    r = run(emu, sqlite_url, str(tmp_path / "nope.xlsx"))
    assert r.returncode == 2 and "文件不存在" in r.stderr


def test_cli_import_leaves_out_a_unit_written_two_ways(emu, db_url, tmp_path):
    """县民政局 and 民政局 in one file are one unit: the second row is left out and says why."""
    path = tmp_path / "名册.csv"
    path.write_bytes("单位名称\n县民政局\n县财政局\n民政局\n".encode("gbk"))
    done = run(emu, db_url, str(path))
    assert done.returncode == 0, done.stderr
    assert [r[0] for r in csv.reader(io.StringIO(done.stdout))][1:] == ["县民政局", "县财政局"]
    assert "第 4 行「民政局」未导入：很像第 2 行的「县民政局」" in done.stderr
