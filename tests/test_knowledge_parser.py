"""Parser: the seed document's structure and quirks, a second document, a generated .docx."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from knowledge import Clause, KnowledgeBase
from knowledge.parser import dedupe_sentences, join_broken, parse_text

DATA = Path(__file__).parent / "data"


@pytest.fixture(scope="module")
def kb() -> KnowledgeBase:
    return KnowledgeBase.load()


def test_counts_and_order(kb):
    kinds = [c.kind for c in kb.clauses.values()]
    assert kinds.count("section") == 4
    assert kinds.count("item") == 13
    assert list(kb.clauses) == ["header", "preamble", "1", "1.1", "1.2", "1.3", "2", "2.1", "2.2",
                                "2.3", "3", "3.1", "3.2", "3.3", "3.4", "4", "4.1", "4.2", "4.3"]
    assert [c.id for c in kb.top_level()] == ["header", "preamble", "1", "2", "3", "4"]
    assert kb.clauses["3"].children == ("3.1", "3.2", "3.3", "3.4")
    assert all(isinstance(c, Clause) for c in kb.clauses.values())


def test_title_and_header(kb):
    assert kb.title == "2020年丰都县双拥工作要点"
    h = kb.get("header")
    assert h.kind == "header" and h.label == "通知"
    for piece in ("丰都双拥办发〔2020〕3号", "丰都县双拥工作领导小组办公室", "2020年6月8日",
                  "县双拥工作领导小组成员单位，各乡镇人民政府、街道办事处"):
        assert piece in h.text
    assert kb.meta.doc_number == "丰都双拥办发〔2020〕3号"
    assert kb.meta.issuer == "丰都县双拥工作领导小组办公室"
    assert kb.meta.date == "2020年6月8日"
    assert kb.meta.addressees.startswith("县双拥工作领导小组成员单位")
    assert "《2020年丰都县双拥工作要点》" in h.title
    pre = kb.get("preamble")
    assert pre.label == "总体要求" and pre.text.startswith("2020年是")
    assert pre.text.endswith("共同把强国强军事业推向前进。")


def test_labels_titles_parents(kb):
    assert kb.get("2.3").label == "二（三）"
    assert kb.get("2").label == "二"
    assert kb.get("1.1").title == "开展经常性国防和双拥宣传教育"
    assert kb.get("3.2").title == "支援地方经济社会发展"
    assert kb.get("3.3").title == "积极参与“成渝双城经济圈”建设"
    assert kb.get("3.4").title == "积极参与平安丰都建设"
    assert kb.get("3.4").label == "三（四）"
    assert kb.get("4").title == "扎实做好双拥模范城（县）创建工作，不断提高双拥工作的质量效益"
    assert kb.get("4.1").title == "精心筹备召开县级双拥模范命名表彰大会"
    for c in kb.clauses.values():
        if c.kind == "item":
            assert c.parent_id == c.id.split(".")[0]
            assert c.id in kb.get(c.parent_id).children
        assert c.title and c.text
    assert kb.get("9.9") is None


def test_broken_paragraphs_joined(kb):
    assert "能打仗、打胜仗，依托双拥渠道" in kb.get("2.1").text
    assert "爱国主义、国防教育基地，加大国防知识宣传力度" in kb.get("1.1").text
    assert "\n" not in kb.get("1.1").text


def test_duplicated_sentence_dropped(kb):
    for c in kb.clauses.values():
        sents = [s for s in re.split(r"[。！？；]", c.text) if len(s) >= 4]
        assert len(sents) == len(set(sents)), c.id
    t = kb.get("3.3").text
    assert t.count("积极参与“成渝双") == 1


def test_related(kb):
    assert [c.id for c in kb.related("2.2")] == ["2", "2.1", "2.3"]
    assert [c.id for c in kb.related("1.1")] == ["1", "1.2"]
    assert [c.id for c in kb.related("3")] == ["3.1", "3.2", "3.3", "3.4"]
    assert kb.related("nope") == []


def test_join_and_dedupe_rules():
    assert join_broken(["要围绕服务部队能打仗、", "打胜仗，依托平台。"]) == ["要围绕服务部队能打仗、打胜仗，依托平台。"]
    # a short heading-shaped line followed by a numbered item is not joined
    assert join_broken(["做好创建工作", "（一）筹备大会。召开大会。"]) == ["做好创建工作", "（一）筹备大会。召开大会。"]
    assert dedupe_sentences("甲乙丙丁。甲乙丙丁。戊己庚。") == "甲乙丙丁。戊己庚。"


def test_second_document_five_sections():
    kb = KnowledgeBase.load(DATA / "sample-five-sections.txt")
    assert kb.title == "2021年某县退役军人服务工作实施方案"
    secs = [c for c in kb.clauses.values() if c.kind == "section"]
    assert [c.title for c in secs] == ["加强服务站点建设", "做好优抚保障", "推进就业创业",
                                       "加强思想政治引领", "强化组织领导"]
    assert kb.get("1").children == ("1.1", "1.2")        # half-width (一)
    assert kb.get("2").children == ("2.1", "2.2", "2.3")  # "1." items
    assert kb.get("3").children == ()                      # a section without items
    assert "专场招聘会" in kb.get("3").text
    assert kb.get("4").children == ("4.1", "4.2")          # "1、" items, "（1）" sub-points kept inside
    assert "（1）每季度" in kb.get("4.1").text
    assert kb.get("5.3").title == "保障工作经费"
    assert "公开办事流程和监督电话" in kb.get("1.1").text    # broken line joined
    assert kb.meta.date == "2021年3月15日" and kb.meta.issuer == "某县退役军人事务局"
    assert "2021年3月15日" not in kb.get("5.3").text      # signature is not part of the last item
    assert kb.ask("第三部分").hits[0].clause.id == "3"
    assert kb.ask("5.2").hits[0].clause.id == "5.2"
    assert kb.ask("第六部分").kind == "missing"
    assert kb.ask("专场招聘会").hits[0].clause.id == "3"
    assert kb.ask("经费列入预算").hits[0].clause.id == "5.3"


def _docx_paragraphs() -> list[str]:
    return [
        "某区双拥办〔2022〕7号", "", "某区双拥工作领导小组办公室", "关于印发《2022年某区双拥工作计划》的通知",
        "各街道办事处：", "现将计划印发给你们，请认真贯彻执行。", "某区双拥工作领导小组办公室", "2022年2月1日",
        "2022年某区双拥工作计划", "今年双拥工作要坚持服务大局，突出重点。",
        "第一部分 宣传教育", "（一）开展国防教育。组织国防教育进校园活动。", "（二）营造拥军氛围。在车站设置拥军标语。",
        "第二部分 服务部队", "（一）帮助解决官兵困难。协调解决官兵子女入学问题，",
        "帮助随军家属就业。",
        "开展慰问活动。节日期间走访慰问驻区部队官兵。",
        "加强组织保障", "（一）健全工作机制。定期召开双拥联席会议。",
    ]


def test_docx_document(tmp_path):
    docx = pytest.importorskip("docx")
    d = docx.Document()
    for p in _docx_paragraphs():
        d.add_paragraph(p)
    path = tmp_path / "plan.docx"
    d.save(str(path))
    kb = KnowledgeBase.load(path)
    assert kb.title == "2022年某区双拥工作计划"
    assert kb.meta.doc_number == "某区双拥办〔2022〕7号"
    assert kb.meta.date == "2022年2月1日"
    assert [c.id for c in kb.top_level()] == ["header", "preamble", "1", "2", "3"]
    assert kb.get("2").children == ("2.1", "2.2")   # unnumbered item after （一）
    assert kb.get("2.2").title == "开展慰问活动"
    assert "入学问题，帮助随军家属就业" in kb.get("2.1").text
    assert kb.get("3").title == "加强组织保障"      # unnumbered heading
    assert kb.get("3.1").label == "三（一）"
    assert kb.ask("随军家属就业").hits[0].clause.id == "2.1"
    assert kb.ask("联席会议").hits[0].clause.id == "3.1"


def test_parse_text_without_front_matter():
    doc = parse_text("一、总则\n（一）第一条。内容一。\n（二）第二条。内容二。\n二、附则\n本办法自印发之日起施行。")
    assert [c for c in doc.clauses] == ["1", "1.1", "1.2", "2"]
    assert "本办法自印发之日起施行" in doc.clauses["2"].text
