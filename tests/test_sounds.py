"""The characters' readings the bot ships (knowledge/data/readings.txt) are pypinyin's, and
homophone slips of the input method are read as the words they sound like."""

from __future__ import annotations

import random

from knowledge import KnowledgeBase
from knowledge.sounds import sound


def test_the_shipped_table_is_what_pypinyin_reads():
    from pypinyin import Style, pinyin

    rng = random.Random(5)
    sample = [chr(c) for c in rng.sample(range(0x4E00, 0x9FA6), 400)] + list("征争兵合和抚扶")
    for ch in sample:
        expected = pinyin(ch, style=Style.NORMAL, heteronym=False, errors="ignore")
        want = expected[0][0] if expected and expected[0] and expected[0][0] != ch else ch
        assert sound(ch) == want, ch


def test_a_slip_of_the_input_method_finds_the_word_it_sounds_like():
    from pathlib import Path

    kb = KnowledgeBase.load(Path(__file__).parent / "data" / "docs" / "2024-wulong-workpoints.txt")
    assert sound("争兵") == sound("征兵") and sound("龙河") != sound("龙孔")
    got, want = kb.ask("争兵体检"), kb.ask("征兵体检")  # 争兵: no word, no other way to read it
    assert got.hits and got.hits[0].clause.id == want.hits[0].clause.id
