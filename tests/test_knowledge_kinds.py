"""The kinds of question issue 13 still misses, with our own examples of each kind (written before
the fixes, on the 2020 plan and on another county's 2026 plan): questions about the whole
document, questions that share only an everyday word or a place with it, English paraphrases,
colloquial and dialect wording, a one-character typo, the document's general approach.

The independent sets (tests/data/set4/ and the earlier ones) are measured by
benchmarks/accuracy.py, not here."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from knowledge import KnowledgeBase

ROOT = Path(__file__).resolve().parents[1]
DATA = Path(__file__).parent / "data"
DOC_2026 = DATA / "docs" / "2026-shizhu-workpoints.txt"


@pytest.fixture(scope="module")
def kb() -> KnowledgeBase:
    return KnowledgeBase.load()


@pytest.fixture(scope="module")
def kb26() -> KnowledgeBase:
    return KnowledgeBase.load(DOC_2026)


def ids(kb, q):
    return [h.clause.id for h in kb.ask(q).hits]


def _check(kb, q, expect):
    """Top-1 in ``expect`` (a clause id or a tuple of acceptable ids)."""
    got = ids(kb, q)
    want = (expect,) if isinstance(expect, str) else expect
    assert got and got[0] in want, (q, want, got)


# --- 1. the whole document: its outline, every section of it ----------------------------------

OVERVIEW = ["这份文件分成哪几块", "文件的整体结构是怎样的", "要点总共几个部分", "把目录列出来", "给我看下提纲",
            "全文大纲", "今年的重点任务有哪些", "这个通知讲了哪些内容", "整篇文件说了什么", "简单概括一下全文",
            "文件有几章", "文件的主要框架", "有哪几项主要工作", "what's in this document",
            "give me a summary of the plan", "list all the sections", "what are the main tasks",
            "show me the table of contents", "structure of the document"]


@pytest.mark.parametrize("q", OVERVIEW)
def test_whole_document_questions_get_every_section(kb, kb26, q):
    for k in (kb, kb26):
        a = k.ask(q)
        assert a.kind == "overview", (q, a.kind, ids(k, q))
        assert [h.clause.id for h in a.hits] == [c.id for c in k.sections()]


@pytest.mark.parametrize("q,kind,cid", [
    ("第二部分讲了什么", "structural", "2"), ("文件是谁发的", "content", "header"),
    ("这份文件的文号", "content", "header"), ("光荣牌的内容", "content", "1.2"),
    ("总体要求是什么", "content", "preamble"), ("第三部分有哪些内容", "structural", "3"),
])
def test_a_question_about_one_part_is_not_an_overview(kb, q, kind, cid):
    a = kb.ask(q)
    assert a.kind == kind and a.hits[0].clause.id == cid, (q, a.kind, ids(kb, q))


def test_an_overview_is_never_cut_short(kb26):
    """Six sections, asked with a small limit: all six (the limit is for clauses found by content)."""
    a = kb26.ask("文件分为几个部分", limit=1)
    assert [h.clause.id for h in a.hits] == ["1", "2", "3", "4", "5", "6"]


def test_cli_json_overview_lists_every_section():
    p = subprocess.run([sys.executable, "-m", "bot", "ask", "--json", "--doc", str(DOC_2026), "全文大纲"],
                       cwd=ROOT, capture_output=True, timeout=60)
    assert p.returncode == 0, p.stderr.decode("utf-8", "replace")
    d = json.loads(p.stdout)
    assert [r["id"] for r in d["results"]] == ["1", "2", "3", "4", "5", "6"]


# --- 2. a question that shares only an everyday word or a place with the document ----------------

OFFTOPIC_2020 = ["丰都哪里有好吃的火锅", "重庆今天下雨吗", "从丰都去万州坐什么车", "社保卡丢了怎么补办",
                 "孩子发烧去哪个医院", "驾照到期怎么换", "房贷利率是多少", "电费在哪里交", "县医院挂号电话多少",
                 "丰都县城哪里停车方便", "手机话费怎么充值", "哪里可以办身份证", "火车站几点发车",
                 "电影院今天放什么电影", "公交卡怎么充值"]
# not here: 「黄连多少钱一斤」「辣椒怎么种」 (黄连 and 辣椒 are the plan's own words, in a list of its
# specialty industries: nothing tells a question about their price from one about the industry)
OFFTOPIC_2026 = ["石柱今天多少度", "西沱古镇怎么去", "石柱到重庆的汽车票", "县城哪里有好吃的", "医院挂号要带什么", "社保卡丢了怎么补办"]


@pytest.mark.parametrize("q", OFFTOPIC_2020)
def test_offtopic_2020(kb, q):
    assert ids(kb, q) == [], q


@pytest.mark.parametrize("q", OFFTOPIC_2026)
def test_offtopic_2026(kb26, q):
    assert ids(kb26, q) == [], q


@pytest.mark.parametrize("q,cid", [
    ("医院有没有军人优先窗口", "1.2"), ("火车站的军人专用通道", "1.2"), ("高铁上播放双拥宣传片", "1.3"),
    ("丰都驻军参与地质灾害抢险", "3.4"), ("双拥网站", "1.3"), ("优抚对象住房保障", "3.3"),
    ("重庆市的脱贫攻坚方案", "3.1"),
])
def test_everyday_words_or_places_beside_a_topic_still_answer_2020(kb, q, cid):
    _check(kb, q, cid)


@pytest.mark.parametrize("q,cid", [
    ("景区门票对军人减免吗", "3.3"), ("黄水景区军人免门票吗", "3.3"), ("退役军人看病有优待吗", ("3.2", "3.3")),
    ("退役军人创业贷款贴息", "4"), ("车站的双拥公益广告", "1.1"),
])
def test_everyday_words_or_places_beside_a_topic_still_answer_2026(kb26, q, cid):
    _check(kb26, q, cid)


# --- 3. English paraphrases reach Chinese clauses ------------------------------------------------

@pytest.mark.parametrize("q,cid", [
    ("military-civilian joint drills", "2.1"),
    ("troops taking part in rural road and water conservancy projects", "3.2"),
    ("soldiers' children going to school", "2.2"),
    ("hanging honor plaques for veterans' families", "1.2"),
    ("setting up priority windows for servicemen in hospitals", "1.2"),
    ("double support publicity videos in cinemas", "1.3"),
    ("poverty relief by the local garrison", "3.1"),
    ("anti-terrorism and stability maintenance tasks", "2.1"),
    ("geological disaster rescue", "3.4"),
    ("funding and staffing of the double support office", "4.3"),
    ("helping troops solve practical difficulties", ("2.2", "2.3")),
    ("epidemic prevention and getting back to production", "2.3"),
])
def test_english_paraphrases_2020(kb, q, cid):
    _check(kb, q, cid)


@pytest.mark.parametrize("q,cid", [
    ("conscription of college graduates", "2.2"),
    ("militia and civil air defense", "2.2"),
    ("job fairs for veterans", "3.1"),
    ("ticket discounts at scenic areas for soldiers", "3.3"),
    ("pensions and subsidies for entitled groups", "3.2"),
    ("national defense education in schools", "1.2"),
    ("standardizing service stations for ex-servicemen in communities", "3.4"),
    ("quarterly progress reports from member units", "6.2"),
    ("business training for double support cadres", "6.3"),
    ("getting ready for the city's inspection of the model county", "5.1"),
    ("army helps villagers grow specialty crops", "4"),
    ("training noise disturbing residents", "2.1"),
])
def test_english_paraphrases_2026(kb26, q, cid):
    _check(kb26, q, cid)


def test_english_ambiguous_verb_still_in_top3(kb26):
    # "visit" is 走访 (慰问, 3.2) as much as 祭扫 (1.3): the cemetery's clause must be among the three
    assert "1.3" in ids(kb26, "visiting the martyrs cemetery")[:3]


@pytest.mark.parametrize("q", ["what's the weather tomorrow", "how much is a train ticket to chongqing",
                               "where can I renew my passport", "best hotpot restaurant in town"])
def test_english_offtopic(kb, kb26, q):
    assert ids(kb, q) == [] and ids(kb26, q) == [], q


# --- 4. colloquial and dialect wording ------------------------------------------------------------

@pytest.mark.parametrize("q,cid", [
    ("解放军叔叔帮村里老乡干农活", "3.2"), ("当兵的屋头挂的那个牌牌", "1.2"), ("军娃读书有啥子照顾", "2.2"),
    ("老兵找活路有人管不", "2.2"), ("发大水了兵哥哥来帮忙不", "3.4"), ("丰都的兵去扶贫", "3.1"),
])
def test_colloquial_2020(kb, q, cid):
    _check(kb, q, cid)


@pytest.mark.parametrize("q,cid", [
    ("兵娃儿上幼儿园有优待没得", "2.3"), ("部队打靶太吵了找哪个", "2.1"), ("老兵回老家搞农家乐有扶持不", "4"),
    ("大学生去当兵学费咋个办", "2.2"), ("军属去景区耍要门票不", "3.3"), ("退伍兵参加招聘会", "3.1"),
])
def test_colloquial_2026(kb26, q, cid):
    _check(kb26, q, cid)


# --- 5. a one-character typo; the document's general approach --------------------------------------

@pytest.mark.parametrize("q,cid", [
    ("光荣牌悬褂", "1.2"), ("军人依法有先", "1.2"), ("联演连训", "2.1"), ("抢险救炎", "3.4"),
    ("复工复厂", "2.3"), ("学雷峰小组", "3.2"), ("退役军人安直", "2.2"),
])
def test_typos_2020(kb, q, cid):
    _check(kb, q, cid)


@pytest.mark.parametrize("q,cid", [("国访教育日", "1.2"), ("优抚对像抚恤", "3.2"), ("拥军优属墓金", "5.3")])
def test_typos_2026(kb26, q, cid):
    _check(kb26, q, cid)


@pytest.mark.parametrize("q", ["这份要点的指导方针是什么", "总的思路", "今年双拥工作的总基调是什么",
                               "文件的总体目标"])
def test_general_approach_is_the_preamble(kb, kb26, q):
    for k in (kb, kb26):
        _check(k, q, "preamble")


@pytest.mark.parametrize("q", ["这份通知是哪个单位印发的", "这份要点是哪年的", "文件是哪天出的", "这是几号文件",
                               "谁签发的", "发给哪些部门", "who is it addressed to"])
def test_questions_about_the_notice_are_the_header(kb, kb26, q):
    for k in (kb, kb26):
        _check(k, q, "header")


# --- the same kinds on a document nobody tuned for (another district, another year) ----------------

WULONG = """武隆双拥办发〔2027〕1号

武隆区双拥工作领导小组办公室
关于印发《2027年武隆区双拥工作要点》的通知

各乡镇人民政府、街道办事处，区双拥工作领导小组各成员单位：

现将《2027年武隆区双拥工作要点》印发给你们，请认真贯彻落实。

2027年武隆区双拥工作要点

2027年全区双拥工作要以习近平新时代中国特色社会主义思想为指导，巩固军政军民团结。

一、加强双拥宣传教育
（一）开展国防教育。组织中小学生军训，推动国防教育进学校、进社区。
（二）营造尊崇氛围。推动仙女山、天生三桥等旅游景区对现役军人和退役军人实行门票减免。

二、支持部队建设
（一）支持练兵备战。协调解决部队训练场地和训练扰民问题，做好演训保障。
（二）做好征兵工作。重点征集大学毕业生入伍，落实大学生士兵学费补偿政策。

三、落实优抚安置
（一）做好退役军人安置。举办退役军人专场招聘会，扶持退役军人返乡创业。
（二）提高优抚水平。按时发放优抚对象抚恤补助金，春节走访慰问烈属和困难军属。

四、加强组织领导
（一）健全工作机制。落实双拥工作联席会议制度。
（二）加强队伍建设。确保双拥办有编制、有人员、有经费。
（三）开展双拥模范区创建。迎接市级双拥模范区考评验收。
"""


@pytest.fixture(scope="module")
def kbw() -> KnowledgeBase:
    from knowledge import parse_text

    return KnowledgeBase.from_document(parse_text(WULONG))


def test_unseen_document_overview_lists_all_four(kbw):
    for q in ("这份要点分几块", "全文提纲", "what are the main sections"):
        a = kbw.ask(q)
        assert a.kind == "overview" and [h.clause.id for h in a.hits] == ["1", "2", "3", "4"], q


@pytest.mark.parametrize("q", ["武隆今天天气怎么样", "仙女山怎么去", "天生三桥门票多少钱", "武隆到重庆的高铁票",
                               "how is the weather in wulong today"])
def test_unseen_document_places_and_everyday_words_are_not_found(kbw, q):
    assert ids(kbw, q) == [], q


@pytest.mark.parametrize("q,cid", [
    ("仙女山景区对军人免门票吗", "1.2"), ("部队打靶太吵了咋办", "2.1"), ("大学生去当兵学费咋个办", "2.2"),
    ("老兵回老家创业有人扶持不", "3.1"), ("过年有人去看望烈士家属吗", "3.2"), ("双拥办没人没钱咋整", "4.2"),
    ("veterans job fairs", "3.1"), ("tuition compensation for student soldiers", "2.2"),
    ("preparing for the municipal model district evaluation", "4.3"), ("military training for pupils", "1.1"),
    ("国防教肓进学校", "1.1"), ("这份要点的总体要求是什么", "preamble"),
])
def test_unseen_document_kinds(kbw, q, cid):
    _check(kbw, q, cid)


@pytest.mark.parametrize("name,doc", [("questions_2020.jsonl", None), ("questions_2026.jsonl", DOC_2026)])
def test_set4_does_not_fall_back(name, doc):
    """Set 4 (measured on first contact at 89.1 % and 87.7 %) stays above 95 % top-1, scored as
    its helper did: [] = no answer, ["overview"] = every section listed."""
    k = KnowledgeBase.load(doc) if doc else KnowledgeBase.load()
    rows = [json.loads(x) for x in (DATA / "set4" / name).read_text(encoding="utf-8").splitlines() if x.strip()]
    ok = 0
    for d in rows:
        a = k.ask(d["q"])
        got = [h.clause.id for h in a.hits]
        if d["expect"] == ["overview"]:
            ok += a.kind == "overview" and got == [c.id for c in k.sections()]
        elif d["expect"] == []:
            ok += not got
        else:
            ok += bool(got) and got[0] in d["expect"]
    assert ok / len(rows) >= 0.95, ok / len(rows)


# --- a third county's plan (忠县 2025, sections written 第一部分 …) --------------------------------

@pytest.fixture(scope="module")
def kb25() -> KnowledgeBase:
    return KnowledgeBase.load(DATA / "docs" / "2025-odd-workpoints.txt")


@pytest.mark.parametrize("q,cid", [
    ("当兵的坐公交免费吗", "3.5"), ("发洪水部队来救", "4.2"), ("兵娃娃上学", "3.6"), ("给烈士找亲人", "3.7"),
    ("pensions and living allowances", "3.3"), ("relocating scattered martyrs' tombs", "3.7"),
    ("half-year work summary", "5.3"), ("随军家署就业", "3.6"), ("双拥模范县复差", "5.2"),
])
def test_third_county_kinds(kb25, q, cid):
    _check(kb25, q, cid)


@pytest.mark.parametrize("q", ["忠县今天天气", "长江边哪里钓鱼好", "忠县到重庆的动车", "银行几点开门"])
def test_third_county_offtopic(kb25, q):
    assert ids(kb25, q) == [], q


def test_third_county_overview(kb25):
    for q in ("这份要点分几块", "文件目录", "what are the sections", "今年主要干哪些事"):
        a = kb25.ask(q)
        assert a.kind == "overview" and len(a.hits) == 5, q
