"""Text normalisation shared by the index and the questions.

NFKC (full-width -> half-width), control characters removed, lower case, traditional ->
simplified (zhconv, only called when a character outside GB2312 is present, which keeps plain
simplified questions free of the conversion cost).
"""

from __future__ import annotations

import re
import unicodedata

_CTRL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f\u200b-\u200f\u2028-\u202e\u2060-\u206f\ufeff]")
_SPACES = re.compile(r"\s+")
CJK_RUN = re.compile(r"[\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff]+")
# Chinese characters and Chinese punctuation: whitespace between two of them carries no meaning
# (text pasted from a PDF: 「光 荣 牌」, 「光荣 牌怎么挂」)
_CJK = r"\u2018-\u201f\u3000-\u303f\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff\uff01-\uff0f\uff1a-\uff20"
_CJK_GAP = re.compile(rf"(?<=[{_CJK}])\s+(?=[{_CJK}])")


def _needs_t2s(s: str) -> bool:
    try:
        s.encode("gb2312")  # the common case, in C: simplified text with ASCII
        return False
    except UnicodeEncodeError:
        pass
    for ch in s:
        if "\u3400" <= ch <= "\u9fff" or "\uf900" <= ch <= "\ufaff":
            try:
                ch.encode("gb2312")
            except UnicodeEncodeError:
                return True
    return False


def to_simplified(s: str) -> str:
    if not _needs_t2s(s):
        return s
    import zhconv  # lazy

    return zhconv.convert(s, "zh-cn")


def clean(s: str) -> str:
    """Remove control / invisible characters and collapse whitespace (keeps case and width)."""
    s = _CTRL.sub(" ", s)
    return _SPACES.sub(" ", s).strip()


def join_cjk(s: str) -> str:
    """Drop whitespace between two Chinese characters or punctuation marks: 「光 荣 牌」 ->
    「光荣牌」; whitespace next to Latin letters or digits stays (「section 2」)."""
    return _CJK_GAP.sub("", s)


def normalize(s: str) -> str:
    """NFKC, no control characters, whitespace collapsed and removed between Chinese characters,
    lower case, simplified characters. Used for questions and for the index alike."""
    s = unicodedata.normalize("NFKC", s)
    s = join_cjk(clean(s)).lower()
    return to_simplified(s)
