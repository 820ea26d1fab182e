"""How Chinese characters sound, for telling a pinyin input method's slip (争兵 typed for 征兵,
三和 for 三合) from a different word: each character's commonest reading, without tones.

The table (knowledge/data/readings.txt, one ``字 reading`` a line, U+4E00–U+9FFF) is derived
from pypinyin, the well-kept pinyin library, by ``python -m knowledge.sounds``: pypinyin itself
costs ~56 MiB of memory and 0.15 s to import (its phrase dictionaries), the table ~2 MiB and a
few milliseconds, loaded the first time a sound is asked for.
"""

from __future__ import annotations

import sys
from functools import lru_cache
from pathlib import Path

__all__ = ["sound"]

TABLE = Path(__file__).with_name("data") / "readings.txt"


@lru_cache(maxsize=1)
def _readings() -> dict[str, str]:
    out: dict[str, str] = {}
    with TABLE.open(encoding="utf-8") as f:
        for line in f:
            ch, _, reading = line.rstrip("\n").partition(" ")
            if ch and reading:
                out[ch] = reading
    return out


def sound(text: str) -> str:
    """The toneless readings of ``text``'s characters, space separated ("zheng bing" for 征兵 and
    for 争兵); a character without a reading (a letter, a digit, a rare one) stands for itself."""
    table = _readings()
    return " ".join(table.get(ch, ch) for ch in text)


def build(path: Path = TABLE) -> int:
    """Write the table from pypinyin (each character's first reading, tones dropped); its size."""
    from pypinyin import Style, pinyin

    lines = []
    for code in range(0x4E00, 0xA000):
        ch = chr(code)
        got = pinyin(ch, style=Style.NORMAL, heteronym=False, errors="ignore")
        if got and got[0] and got[0][0] and got[0][0] != ch:
            lines.append(f"{ch} {got[0][0]}")
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return len(lines)


if __name__ == "__main__":
    print(f"{build()} characters written to {TABLE}", file=sys.stderr)
