"""Chinese numerals <-> int (1..99 is all a work plan needs)."""

from __future__ import annotations

_DIGITS = {"零": 0, "〇": 0, "○": 0, "Ｏ": 0, "一": 1, "二": 2, "两": 2, "兩": 2, "三": 3, "四": 4, "五": 5,
           "六": 6, "七": 7, "八": 8, "九": 9}
_EN = {"one": 1, "two": 2, "three": 3, "four": 4, "five": 5, "six": 6, "seven": 7,
       "eight": 8, "nine": 9, "ten": 10, "eleven": 11, "twelve": 12,
       "first": 1, "second": 2, "third": 3, "fourth": 4, "fifth": 5, "sixth": 6,
       "seventh": 7, "eighth": 8, "ninth": 9, "tenth": 10,
       "1st": 1, "2nd": 2, "3rd": 3, "4th": 4, "5th": 5, "6th": 6, "7th": 7, "8th": 8,
       "9th": 9, "10th": 10}
CN_NUM_CHARS = "零〇○Ｏ一二三四五六七八九十两兩百"


def cn_to_int(s: str, *, positional: bool = False) -> int | None:
    """'三' -> 3, '十二' -> 12, '二十' -> 20, '二十三' -> 23, '一百零五' -> 105, '12' -> 12,
    'third' -> 3; with ``positional``, digits read one by one as years are written
    ('二〇二六' -> 2026). None if not a number. The one Chinese-numeral reader of the project
    (structural references, item ids, 任务分解表 rows, dates and periods)."""
    s = s.strip().lower()
    if not s:
        return None
    if s.isdigit():
        return int(s)
    if s in _EN:
        return _EN[s]
    if any(c not in CN_NUM_CHARS for c in s):
        return None
    if "十" not in s and "百" not in s:
        if len(s) == 1:
            return _DIGITS[s]
        if not positional:
            return None
        value = 0
        for c in s:
            value = value * 10 + _DIGITS[c]
        return value
    total, current, last_unit = 0, None, 1000
    for c in s:
        if c in ("十", "百"):
            unit = 10 if c == "十" else 100
            if unit >= last_unit:  # 十十, 十百: units only go down, each once
                return None
            total += (1 if current is None else current) * unit
            current, last_unit = None, unit
        else:
            if current is not None and current != 0:  # two digits in a row (二三十): not a numeral
                return None
            current = _DIGITS[c]
    return total + (current or 0)


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
