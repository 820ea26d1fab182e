"""The input side of a 任务分解表: item references as tables write them, unit lists split and
resolved against existing units (unknown names listed, never created)."""

from __future__ import annotations

from dataclasses import dataclass

import pytest

from bot.services.assignment_table import (
    kinds_of_word,
    parse_assignment_rows,
    parse_item_ref,
    resolve_unit_refs,
    split_unit_refs,
)
from bot.services.intake import intake
from knowledge.numerals import cn_to_int
from tests.test_intake import xlsx


@dataclass
class U:
    id: int
    name: str


UNITS = [U(1, "龙城镇"), U(2, "三合街道"), U(3, "县退役军人事务局"), U(4, "县人武部"), U(5, "县委宣传部"),
         U(6, "县民政局")]


@pytest.mark.parametrize("text, section, item, number, title", [
    ("1.2", 1, 2, None, ""),
    ("1．2", 1, 2, None, ""),
    ("2.10", 2, 10, None, ""),
    ("1.2 广泛营造浓厚氛围", 1, 2, None, "广泛营造浓厚氛围"),
    ("一（二）", 1, 2, None, ""),
    ("一(二)", 1, 2, None, ""),
    ("二、（三）", 2, 3, None, ""),
    ("二、（三）落实优待政策", 2, 3, None, "落实优待政策"),
    ("（二）广泛营造浓厚氛围…", None, 2, None, "广泛营造浓厚氛围..."),  # NFKC: … is ...
    ("（十二）其他", None, 12, None, "其他"),
    ("一、广泛开展双拥宣传", 1, None, None, "广泛开展双拥宣传"),
    ("第二部分第3条", 2, 3, None, ""),
    ("第三部分（二）", 3, 2, None, ""),
    ("第2部分", 2, None, None, ""),
    ("三", 3, None, None, ""),
    ("3", None, None, 3, ""),
    ("3、拥军优属", None, None, 3, "拥军优属"),
    ("广泛营造浓厚氛围", None, None, None, "广泛营造浓厚氛围"),
])
def test_item_references_as_tables_write_them(text, section, item, number, title):
    ref = parse_item_ref(text)
    assert (ref.section, ref.item, ref.number, ref.title) == (section, item, number, title)


def test_item_key_and_chinese_numbers():
    assert parse_item_ref("二、（三）").key == "2.3" and parse_item_ref("一、宣传").key == "1"
    assert parse_item_ref("（二）宣传").key is None and parse_item_ref("3").key is None
    assert [cn_to_int(x) for x in ("一", "十", "十二", "二十", "二十三", "一百零五", "7", "甲")] == [
        1, 10, 12, 20, 23, 105, 7, None]


def test_unit_lists_split_outside_brackets():
    assert split_unit_refs("各乡镇（街道）、县退役军人事务局") == ["各乡镇(街道)", "县退役军人事务局"]
    assert split_unit_refs("县人武部 县民政局；县财政局（牵头）") == ["县人武部", "县民政局", "县财政局"]
    assert split_unit_refs("牵头单位：县退役军人事务局；配合单位：各乡镇（街道）") == ["县退役军人事务局", "各乡镇(街道)"]
    assert split_unit_refs("县委宣传部（县文明办、县网信办）") == ["县委宣传部(县文明办、县网信办)"]
    assert split_unit_refs("县民政局,县财政局\n县人社局/县人武部") == ["县民政局", "县财政局", "县人社局", "县人武部"]
    assert split_unit_refs("县\u200b民政局等、县民政局") == ["县民政局"]
    assert split_unit_refs("") == []


@pytest.mark.parametrize("word, kinds", [
    ("各乡镇（街道）", ("乡镇", "街道")),
    ("各乡镇街道", ("乡镇", "街道")),
    ("乡镇", ("乡镇",)),
    ("各乡镇", ("乡镇",)),
    ("街道", ("街道",)),
    ("各街道办事处", ("街道",)),
    ("成员单位", ("成员单位",)),
    ("各成员单位", ("成员单位",)),
    ("县双拥工作领导小组成员单位", ("成员单位",)),
    ("县级各部门", ("成员单位",)),
    ("全部", ("乡镇", "街道", "成员单位")),
    ("所有单位", ("乡镇", "街道", "成员单位")),
    ("县民政局", None),
    ("有关部门", None),
])
def test_kind_words(word, kinds):
    assert kinds_of_word(word) == kinds


def test_resolve_lists_unknown_names_never_invents_units():
    r = resolve_unit_refs(["各乡镇、街道", "县退役军人事务局", "县人武部\u200b", "县委宣传部(县文明办)",
                           "丰都县民政局", "县退役军人事务局", "县财政局", "县退役军人事物局"], UNITS)
    assert r.kinds == ("乡镇", "街道")
    assert [u.id for u in r.units] == [3, 4, 5, 6]
    assert r.unknown == ["县财政局", "县退役军人事物局"]
    assert r.suggestions.get("县退役军人事物局") == "县退役军人事务局"
    r = resolve_unit_refs(split_unit_refs("各乡镇、街道；县人武部"), UNITS)
    assert r.kinds == ("乡镇", "街道") and [u.id for u in r.units] == [4] and r.unknown == []
    r = resolve_unit_refs(["全部"], [])
    assert r.kinds == ("乡镇", "街道", "成员单位") and r.units == [] and r.unknown == []


def test_rows_from_a_table_with_merged_item_cells():
    data = xlsx([["序号", "事项", "责任单位", "完成时限"],
                 [1, "一（一）", "县委宣传部、各乡镇（街道）", "全年"],
                 [None, None, "县人武部", None],          # the 事项 cell above is merged over this row
                 None,
                 [2, "（二）广泛营造浓厚氛围", "全部", ""],
                 [3, "二、（三）", "", ""],              # no units yet
                 [4, "", "", "备注"]],                  # nothing to assign
                title="任务分解表", merge="A1:D1")
    up = intake(data, "任务分解表.xlsx")
    assert up.route == "assignment"
    rows = parse_assignment_rows(up.table)
    assert [(r.row, r.item.key, r.units, r.carried) for r in rows] == [
        (3, "1.1", ["县委宣传部", "各乡镇(街道)"], False),
        (4, "1.1", ["县人武部"], True),
        (6, None, ["全部"], False),
        (7, "2.3", [], False),
    ]
    assert rows[2].item.item == 2 and rows[2].item.title == "广泛营造浓厚氛围"
    triples = parse_assignment_rows([(2, "1.2", "县民政局 县人武部")])
    assert triples[0].units == ["县民政局", "县人武部"]
