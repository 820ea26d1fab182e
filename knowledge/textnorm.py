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


def _needs_t2s(s: str) -> bool:
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


def normalize(s: str) -> str:
    s = unicodedata.normalize("NFKC", s)
    s = clean(s).lower()
    return to_simplified(s)
