"""The one rule for unit names, and the words that name unit kinds.

Every place that takes a unit name from a person — ``/invite``, the roster import, ``/unit_rename``,
``/unbind``, ``/revoke``, ``/unit_del``, the 任务分解表 — passes it through :func:`clean_unit_name`
before storing or comparing it, so 「龙城镇」, 「龙城镇\\u200b」, 「龙城镇 」 and full-width variants are one
unit. Stored names are already clean (migration 0009 cleaned the older ones), so a lookup is an
equality test on the cleaned text. Telegram-free.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Sequence

from knowledge.sounds import sound

MAX_UNIT_NAME = 60  # characters, after cleaning

#: the three kinds a unit can be (SPEC.md "Users")
KINDS = ("乡镇", "街道", "成员单位")

_CJK = (r"\u2e80-\u2fdf\u3005-\u3007\u3021-\u3029\u3038-\u303b\u3400-\u4dbf\u4e00-\u9fff"
        r"\uf900-\ufaff\U00020000-\U0003134f")
# a space next to a Chinese character, on both sides a Chinese character or a bracket, is noise
_CJK_SPACE = re.compile(rf"(?<=[{_CJK}()\[\]【】]) (?=[{_CJK}()\[\]【】])")


def _invisible(ch: str) -> bool:
    """Format (Cf: zero-width space/joiners, BOM, direction marks), control (Cc), surrogates,
    private use and variation selectors: characters that show nothing, or nothing reliable."""
    cat = unicodedata.category(ch)
    if cat in ("Cf", "Cc", "Cs", "Co", "Cn"):
        return True
    cp = ord(ch)
    return 0xFE00 <= cp <= 0xFE0F or 0xE0100 <= cp <= 0xE01EF or cp in (0x115F, 0x1160, 0x3164, 0xFFA0)


def clean_unit_name(raw: str | None) -> str:
    """The unit-name rule: NFKC (full-width letters, digits and brackets become their usual form),
    invisible characters removed (Unicode category Cf such as U+200B zero-width space and U+FEFF
    BOM, control characters, variation selectors), every run of whitespace (including U+3000)
    collapsed to one space, ends stripped, and a space between two Chinese characters (or a
    Chinese character and a bracket) removed: 「县 人武部」 is 「县人武部」. Returns "" when nothing
    visible is left; never raises."""
    s = " ".join(fold_text(raw).split())
    return _CJK_SPACE.sub("", s)


def fold_text(raw: str | None) -> str:
    """The first half of the name rule, for text that still has to be split: NFKC and invisible
    characters removed, whitespace (line breaks, spaces) kept as it is."""
    if not raw:
        return ""
    s = unicodedata.normalize("NFKC", raw)
    return "".join(ch for ch in s if ch.isspace() or not _invisible(ch))


def unit_kind_for(name: str) -> str:
    """Township (乡镇), street office (街道) or member unit (成员单位), guessed from the name's ending."""
    if name.endswith("街道") or name.endswith(("街道办事处", "街道办")):
        return "街道"
    if name.endswith(("镇", "乡", "镇人民政府", "乡人民政府", "镇政府", "乡政府")):
        return "乡镇"
    return "成员单位"


_KIND_WORDS = {
    "乡镇": "乡镇", "乡": "乡镇", "镇": "乡镇", "乡镇人民政府": "乡镇", "乡镇政府": "乡镇",
    "街道": "街道", "街道办": "街道", "街道办事处": "街道", "街": "街道",
    "成员单位": "成员单位", "成员": "成员单位", "部门": "成员单位", "县级部门": "成员单位",
    "县级单位": "成员单位", "单位": "成员单位", "县级成员单位": "成员单位", "领导小组成员单位": "成员单位",
}


def kind_from_word(word: str | None) -> str | None:
    """The kind a 类型 cell names (乡镇 / 乡 / 镇 → 乡镇, 街道 / 街道办 → 街道, 成员单位 / 部门 → 成员单位);
    "" for an empty cell (the caller guesses from the name), None when the word names no kind."""
    w = clean_unit_name(word).replace(" ", "")
    if not w:
        return ""
    return _KIND_WORDS.get(w)


# separators between names in a list typed by a person: new line, 、 ， , ； ;
_LIST_SEP = re.compile(r"[\n\r、，,；;]+")


def split_name_list(text: str) -> list[str]:
    """Split a typed list of names at line breaks and 、，,；; (spaces are not separators: see
    :func:`clean_unit_name`). Empty entries are dropped; entries are returned raw (not cleaned)."""
    return [p for p in (x.strip() for x in _LIST_SEP.split(text or "")) if p]


# an ending that may be left off (镇, 街道, 局…): Chinese characters only — 单位1 / 单位10 are two units
_ENDING = re.compile(rf"[{_CJK}]+")
_COUNTY_PREFIX = re.compile(r"^[\u4e00-\u9fff]{1,4}?县(?=[\u4e00-\u9fff]{2})")


class Lookalikes:
    """Names that are probably one unit written two ways, found in constant time per name:
    the same sound (三和街道 / 三合街道, knowledge.sounds), the same name with or without the county
    (丰都县民政局 / 县民政局 / 民政局 — the county's name and a leading 县 dropped), or one name the
    other minus an ending of one or two Chinese characters (龙河 / 龙河镇). Real neighbours such as
    龙河镇 / 龙孔镇 differ in sound and are not matched. Used by /invite and the roster import, so
    both refuse to create 「民政局」 beside 「县民政局」 on a guess."""

    def __init__(self, names: Sequence[str] = ()) -> None:
        self._heard: dict[str, str] = {}
        self._sound: dict[str, str] = {}
        self._bare: dict[str, str] = {}
        self._names: set[str] = set()
        self._trimmed: dict[str, str] = {}
        for n in names:
            self.add(n)

    def _pinyin(self, name: str) -> str:
        heard = self._heard.get(name)
        if heard is None:
            heard = self._heard[name] = sound(name)
        return heard

    @staticmethod
    def bare(name: str) -> str:
        """丰都县民政局, 县民政局 and 民政局 all give 民政局 (the rest of the name kept at two or more)."""
        s = _COUNTY_PREFIX.sub("县", name)
        return s[1:] if s.startswith("县") and len(s) >= 3 else s

    def add(self, name: str) -> None:
        self._sound.setdefault(self._pinyin(name), name)
        self._bare.setdefault(self.bare(name), name)
        self._names.add(name)
        for cut in (1, 2):
            if len(name) - cut >= 2 and _ENDING.fullmatch(name[-cut:]):
                self._trimmed.setdefault(name[:-cut], name)

    def match(self, name: str) -> str | None:
        """The known name ``name`` probably means (never ``name`` itself), or None."""
        hits = [self._sound.get(self._pinyin(name)), self._bare.get(self.bare(name)),
                self._trimmed.get(name)]
        hits += [name[:-cut] for cut in (1, 2)
                 if len(name) - cut >= 2 and _ENDING.fullmatch(name[-cut:]) and name[:-cut] in self._names]
        return next((h for h in hits if h is not None and h != name), None)
