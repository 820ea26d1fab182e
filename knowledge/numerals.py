"""Chinese numerals <-> int (1..99 is all a work plan needs)."""

from __future__ import annotations

_DIGITS = {"零": 0, "〇": 0, "一": 1, "二": 2, "两": 2, "三": 3, "四": 4, "五": 5,
           "六": 6, "七": 7, "八": 8, "九": 9}
_EN = {"one": 1, "two": 2, "three": 3, "four": 4, "five": 5, "six": 6, "seven": 7,
       "eight": 8, "nine": 9, "ten": 10, "eleven": 11, "twelve": 12,
       "first": 1, "second": 2, "third": 3, "fourth": 4, "fifth": 5, "sixth": 6,
       "seventh": 7, "eighth": 8, "ninth": 9, "tenth": 10,
       "1st": 1, "2nd": 2, "3rd": 3, "4th": 4, "5th": 5, "6th": 6, "7th": 7, "8th": 8,
       "9th": 9, "10th": 10}
CN_NUM_CHARS = "零〇一二三四五六七八九十两百"


def cn_to_int(s: str) -> int | None:
    """'三' -> 3, '十二' -> 12, '二十' -> 20, '12' -> 12, 'third' -> 3; None if not a number."""
    s = s.strip().lower()
    if not s:
        return None
    if s.isdigit():
        return int(s)
    if s in _EN:
        return _EN[s]
    if any(c not in CN_NUM_CHARS for c in s):
        return None
    if "百" in s:
        return None
    if "十" in s:
        head, _, tail = s.partition("十")
        tens = _DIGITS.get(head, None) if head else 1
        ones = _DIGITS.get(tail, None) if tail else 0
        if tens is None or ones is None:
            return None
        return tens * 10 + ones
    if len(s) == 1:
        return _DIGITS.get(s)
    return None


def int_to_cn(n: int) -> str:
    """3 -> '三', 12 -> '十二', 20 -> '二十'."""
    digits = "零一二三四五六七八九"
    if n < 10:
        return digits[n]
    if n < 20:
        return "十" + (digits[n % 10] if n % 10 else "")
    if n < 100:
        return digits[n // 10] + "十" + (digits[n % 10] if n % 10 else "")
    return str(n)
