"""Answers 2.0 (issue 13): section + topic, ordinals, spaces, quoted phrases, everyday words,
English inflection, answering sentences, related hits, intents, years, short titles.
Our own examples of each kind (the independent sets are measured by benchmarks/accuracy.py)."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from knowledge import KnowledgeBase, find_year, intents

DATA = Path(__file__).parent / "data"


@pytest.fixture(scope="module")
def kb() -> KnowledgeBase:
    return KnowledgeBase.load()


@pytest.fixture(scope="module")
def kb5() -> KnowledgeBase:
    return KnowledgeBase.load(DATA / "sample-five-sections.txt")


def top(kb, q):
    a = kb.ask(q)
    return a.hits[0].clause.id if a.hits else None


# --- 1. a section named with a topic: the section filters, the topic ranks inside it ------------

@pytest.mark.parametrize("q,cid", [
    ("第三部分里关于成渝的", "3.3"), ("第四部分中联席会议那条", "4.3"), ("第一部分中喜报的要求", "1.2"),
    ("第二部分里拉练", "2.1"), ("第三部分 九项扶贫", "3.1"), ("在第二部分中，官兵子女上学怎么照顾", "2.2"),
])
def test_section_and_topic(kb, q, cid):
    a = kb.ask(q)
    assert a.kind == "content" and a.hits[0].clause.id == cid
    assert all(h.clause.id.split(".")[0] == cid.split(".")[0] for h in a.hits)  # only that section
    assert a.section == cid.split(".")[0]


def test_section_and_topic_on_another_document(kb5):
    assert top(kb5, "第五部分经费那条") == "5.3"
    assert top(kb5, "第二部分里慰问") == "2.2"


def test_a_topic_the_section_lacks_is_answered_from_where_it_is(kb):
    a = kb.ask("第一部分里地质灾害")  # 地质灾害 is not in part 一: the clause that has it, said so
    assert a.kind == "content" and a.outside and a.hits[0].clause.id == top(kb, "地质灾害")
    assert not a.hits[0].clause.id.startswith("1")


def test_section_without_topic_stays_structural(kb):
    for q in ("第二部分讲了什么", "第二部分的主要内容", "第二部分说的是啥"):
        a = kb.ask(q)
        assert a.kind == "structural" and a.hits[0].clause.id == "2", q


@pytest.mark.parametrize("q,cid", [
    ("第三部分第一条", "3.1"), ("第三部分最后一条", "3.4"), ("第四部分倒数第二条", "4.2"),
    ("最后一部分", "4"), ("最后一部分的最后一项", "4.3"), ("last item of section 1", "1.3"),
    ("倒数第二部分", "3"), ("the last section", "4"), ("第2部分的最后1项", "2.3"),
])
def test_ordinals_are_structural(kb, q, cid):
    a = kb.ask(q)
    assert a.kind == "structural" and a.hits[0].clause.id == cid


def test_ordinals_follow_the_document(kb5):
    assert top(kb5, "最后一部分最后一条") == "5.3"
    assert top(kb5, "第二部分最后一条") == "2.3"
    # a section without items is its own one item: its first and last, and no second
    for q in ("第三部分最后一条", "第三部分第一条"):
        a = kb5.ask(q)
        assert a.kind == "structural" and a.hits[0].clause.id == "3", q
    a = kb5.ask("第三部分第二条")
    assert a.kind == "missing" and "本部分无分项" in a.available[0]
    for q in ("3.1", "三（一）", "第三部分（一）", "section 3.1"):  # ids, however written: nothing
        assert kb5.ask(q).kind == "missing", q
    assert KnowledgeBase.load().ask("倒数第九部分").kind == "missing"


# --- 2. whitespace between Chinese characters never matters ---------------------------------------

@pytest.mark.parametrize("q", ["光荣牌怎么挂", "以会代训", "退役军人安置", "脱贫攻坚回头看", "第三部分第二条",
                               "地质灾害"])
def test_spaces_inside_chinese_do_not_matter(kb, q):
    plain = kb.ask(q)
    for spaced in (" ".join(q), q[:2] + " " + q[2:], "　".join(q)):
        a = kb.ask(spaced)
        assert [h.clause.id for h in a.hits] == [h.clause.id for h in plain.hits], spaced
        assert a.hits, spaced


# --- 3. quoting the document wins --------------------------------------------------------------

def _fragments(kb):
    """A 14-character run from the middle of every item's second sentence, when unique."""
    texts = {c.id: c.text for c in kb.items()}
    for cid, text in texts.items():
        sents = [s for s in re.split(r"[。；]", text) if len(s) >= 20]
        if len(sents) < 2:
            continue
        frag = re.sub(r"[，、“”《》（）]", "", sents[1])[2:16]
        if sum(frag in re.sub(r"[，、“”《》（）]", "", t) for t in texts.values()) == 1:
            yield frag, cid


def test_a_quoted_phrase_finds_its_clause(kb):
    frags = list(_fragments(kb))
    assert len(frags) >= 8
    wrong = [(f, cid, top(kb, f)) for f, cid in frags if top(kb, f) != cid]
    assert not wrong, wrong


def test_a_quoted_phrase_outranks_a_synonym_pointing_elsewhere(kb):
    # 训练 is a synonym of 练兵备战 (二（一）); the phrase itself is in 三（四）
    assert top(kb, "加强抢险救灾应急力量建设和训练") == "3.4"
    assert top(kb, "训练场地建设") == "2.2"


# --- 4. everyday words alone are not a topic ---------------------------------------------------

@pytest.mark.parametrize("q", ["疫情期间能出门吗", "会议室在几楼", "学习资料在哪下载", "新冠疫苗在哪打",
                               "学习", "会议", "今天有什么活动安排吗", "去医院看病要挂号吗"])
def test_everyday_words_alone_are_not_found(kb, q):
    assert kb.ask(q).kind == "none"


@pytest.mark.parametrize("q,cid", [("疫情防控中部队做了什么", "3.2"), ("会议精神怎么传达学习", "4.2"),
                                   ("联络员会议", "4.3")])
def test_everyday_words_with_a_topic_are_found(kb, q, cid):
    ids = [h.clause.id for h in kb.ask(q).hits]
    assert cid in ids[:3], ids


# --- 5. English: inflections fold ----------------------------------------------------------------

@pytest.mark.parametrize("q,cid", [("the honour plaques", "1.2"), ("poverty-alleviation", "3.1"),
                                   ("landslides", "3.4"), ("commendation ceremonies", "4.1"),
                                   ("employing soldiers' spouses", "2.2")])
def test_english_inflections(kb, q, cid):
    ids = [h.clause.id for h in kb.ask(q).hits]
    assert ids and ids[0] in (cid, "4.2" if cid == "4.1" else cid), (q, ids)


# --- 7. the sentences that answer, and only relevant further hits -------------------------------

def test_hits_carry_the_answering_sentences(kb):
    h = kb.ask("光荣牌怎么挂").hits[0]
    assert h.clause.id == "1.2" and h.sentences
    assert any("光荣牌" in s for s in h.answer_text())
    assert all(h.clause.text[a:b] == s for (a, b), s in zip(h.sentences, h.answer_text(), strict=True))
    h = kb.ask("以会代训").hits[0]
    assert any("以会代训" in s for s in h.answer_text()) and len(h.sentences) == 1
    assert kb.ask("二（三）").hits[0].sentences == ()  # a structural answer is the whole clause


def test_no_unrelated_further_hits(kb):
    assert [h.clause.id for h in kb.ask("光荣排").hits] == ["1.2"]
    assert [h.clause.id for h in kb.ask("以会代训").hits] == ["4.3"]


# --- intents: questions about the bot's own data --------------------------------------------------

@pytest.mark.parametrize("q,kind", [
    ("本月进度几号前要报", "deadline"), ("截止日期是什么时候", "deadline"), ("最晚什么时候交", "deadline"),
    ("慰问活动哪天举行", "events"), ("什么时候开表彰会", "events"), ("When is the award ceremony?", "events"),
    ("在哪里填报工作情况", "howto_checkin"), ("进度怎么上报", "howto_checkin"), ("how do I report progress", "howto_checkin"),
    ("我怎么绑定我们单位", "howto_bind"), ("邀请码在哪里", "howto_bind"),
    ("光荣牌怎么挂", None), ("表彰大会的要求是什么", None), ("第二部分", None), ("退役军人就业", None),
])
def test_intents(q, kind):
    got = intents.detect(q)
    assert (got.kind if got else None) == kind


def test_event_intent_carries_the_event_words():
    i = intents.detect("表彰大会什么时候开")
    assert i.kind == "events" and any("表彰大会" in w for w in i.words) and "表彰大会" in i.rest
    i = intents.detect("When is the commendation meeting?")
    assert i.kind == "events" and "表彰大会" in i.words


# --- years ---------------------------------------------------------------------------------------

@pytest.mark.parametrize("q,year,rest", [
    ("2020年的第二部分", 2020, "第二部分"), ("2020年要点里光荣牌怎么说", 2020, "光荣牌怎么说"),
    ("in the 2020 plan, what about veterans", 2020, "what about veterans"),
    ("〔2026〕5号文件中关于就业的", 2026, "关于就业的"), ("光荣牌怎么挂", None, "光荣牌怎么挂"),
    ("2020年6月8日印发的是什么", None, None), ("2020年是什么之年", None, None),
])
def test_find_year(q, year, rest):
    y, r = find_year(q)
    assert y == year
    assert r == (rest if rest is not None else q)


def test_a_named_year_does_not_disturb_the_answer(kb):
    assert top(kb, "2020年要点里光荣牌怎么说") == "1.2"
    assert kb.ask("2020年的第二部分").hits[0].clause.id == "2"


# --- short titles for buttons (issue 15 item 2) ----------------------------------------------------

@pytest.mark.parametrize("path", [None, DATA / "sample-five-sections.txt", DATA / "docs" / "2026-shizhu-workpoints.txt",
                                  DATA / "docs" / "2025-odd-workpoints.txt"])
def test_short_titles_are_distinct_whole_words(path):
    from knowledge.resources import tokenizer

    kb = KnowledgeBase.load(path) if path else KnowledgeBase.load()
    short = kb.short_titles(8)
    ids = [c.id for c in kb.clauses.values() if c.kind in ("section", "item")]
    assert set(short) == set(ids)
    assert len(set(short.values())) == len(ids), short
    for cid in ids:
        title = re.sub(r"[“”\"'‘’《》「」『』（）()【】\s]", "", kb.get(cid).title)
        s = short[cid]
        assert s in title, (cid, s, title)
        if kb.get(cid).kind == "item":
            assert len(s) <= 8 or s == title, (cid, s)  # shortened to fit a button, or short already
        # never cut mid-word: the label starts and ends at a boundary of jieba's words
        start = title.index(s)
        bounds = {0}
        pos = 0
        for w in tokenizer().cut(title):
            pos += len(w)
            bounds.add(pos)
        assert start in bounds and start + len(s) in bounds, (cid, s, title)
        # and never begins with a word that joins it to what was cut off (「和双拥宣传教育」)
        words = tokenizer().cut(s)
        assert tokenizer().tag(words[0]) not in {"c", "u", "uj"}, (cid, s)
        assert tokenizer().tag(words[-1]) not in {"c", "p"}, (cid, s)


def test_outline_labels_tell_three_three_from_three_four(kb):
    short = kb.short_titles(8)
    assert short["3.3"] != short["3.4"]
    assert "成渝" in short["3.3"] and "平安" in short["3.4"]


@pytest.mark.parametrize("question", [
    "怎样加入民兵组织", "退役军人优待证怎么注册", "伤残军人证件过期了怎么办", "优待证的有效期限",
    "如何报告军人家属的困难情况", "退役军人怎么登记优待证", "如何提交拥军优属建议", "退役军人安置截止时间",
    "怎样加入志愿者服务队", "光荣牌什么时候挂完",
])
def test_document_questions_are_not_taken_for_questions_about_the_bot(question):
    """Words like 注册, 加入, 过期, 期限, 报告…情况 belong to the document's topics too: only a
    question about reporting to the office, its deadline or joining one's unit is about the bot."""
    assert intents.detect(question) is None


@pytest.mark.parametrize(("question", "year", "rest"), [
    ("2020年3.3", 2020, "3.3"),                       # an item of the 2020 plan, not 3 March
    ("2020 3.3", 2020, "3.3"),
    ("二0二0年的要点第一部分", 2020, "第一部分"),         # digits mixed as people type them
    ("去年的要点里成渝双城经济圈", 2025, "成渝双城经济圈"),  # relative to this year
    ("今年的要点第一部分", 2026, "第一部分"),
    ("2020年3月的活动", None, "2020年3月的活动"),         # a date
    ("去年的光荣牌", None, "去年的光荣牌"),               # no plan named
])
def test_years_as_people_name_them(question, year, rest):
    assert find_year(question, this_year=2026) == (year, rest)


# --- found on documents the code had never seen (sets 5 and 6) -------------------------------------

def test_which_part_answers_the_section_but_which_of_a_group_does_not(kb):
    part = kb.ask("光荣牌在哪一部分")
    assert part.hits[0].clause.kind == "section" and part.hits[0].clause.id == top(kb, "光荣牌怎么挂").split(".")[0]
    group = kb.ask("哪部分单位要悬挂光荣牌")  # which of the units: the clause, not a section
    assert group.hits[0].clause.kind == "item"


def test_a_suffix_that_changes_the_question_is_not_the_topic():
    kb = KnowledgeBase.load(DATA / "docs" / "2024-wulong-workpoints.txt")
    assert top(kb, "抚恤金一般啥时候发到手") == "3.1"  # 抚恤 + 金: a thing of the topic
    for q in ("就业率多少", "集中式"):  # a rate, a manner: questions the plan does not answer
        assert kb.ask(q).kind == "none", q


def test_addressees_under_the_title_are_the_notice():
    kb = KnowledgeBase.load(DATA / "docs" / "2025-kaizhou-workpoints.txt")
    assert top(kb, "主送单位有哪些") == "header"
    assert "各乡镇人民政府" in kb.clauses["header"].text
    assert not kb.clauses["preamble"].text.startswith("各乡镇")


def test_a_topic_outside_the_named_section_is_found_where_it_is_and_said_so():
    kb = KnowledgeBase.load(DATA / "docs" / "2025-kaizhou-workpoints.txt")
    a = kb.ask("第一部分里关于光荣牌的")  # 光荣牌 is in part 三
    assert a.hits[0].clause.id.startswith("3.") and a.outside and a.section == "1"
    inside = kb.ask("第三部分里关于光荣牌的")
    assert inside.hits[0].clause.id == a.hits[0].clause.id and not inside.outside
    assert kb.ask("第二部分的标题是啥").hits[0].clause.id == "2"  # a word of the notice is no topic


def test_a_short_phrase_quoted_from_one_clause_answers_with_it():
    kb = KnowledgeBase.load(DATA / "docs" / "2025-kaizhou-workpoints.txt")
    holder = [cid for cid, c in kb.clauses.items() if "四优先" in c.text]
    assert len(holder) == 1 and top(kb, "四优先") == holder[0]
