"""The input side of a 任务分解表: which item each row names, and which units it makes responsible.

Real tables write items as ``一（二）``, ``1.2``, ``（二）广泛营造…``, ``二、（三）`` and units as
``各乡镇（街道）、县退役军人事务局；县人武部（牵头）``. :func:`parse_assignment_rows` reads the rows
(an item cell merged over several rows carries down), :func:`parse_item_ref` the item reference,
:func:`split_unit_refs` the unit list, and :func:`resolve_unit_refs` matches the references
against the existing units with the one name rule — unknown names are listed, never created.
Resolving an item reference against a plan, and storing assignments, are the plan module's job.
Telegram-free, database-free (the units are passed in).
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Protocol

from bot.services.intake import Table
from bot.services.unit_names import KINDS, clean_unit_name, fold_text
from knowledge.numerals import cn_to_int

_CN = "零〇一二两三四五六七八九十百"


@dataclass(frozen=True)
class ItemRef:
    """An item as a table writes it.

    ``raw``: the cell (name rule applied: width folded, invisible characters gone).
    ``section``: from ``一、`` / ``一（二）`` / ``第一部分`` / the first number of ``1.2``.
    ``item``: from ``（二）`` / ``第二条`` / the second number of ``1.2``.
    ``number``: a lone Arabic number (``3``, ``3、…``, ``3.…``) whose level the table does not say.
    ``title``: the words after the numbering (``广泛营造…``), "" when none.
    """

    raw: str
    section: int | None = None
    item: int | None = None
    number: int | None = None
    title: str = ""

    @property
    def key(self) -> str | None:
        """``"1.2"`` when both section and item are known, ``"1"`` for a section alone, else None."""
        if self.section is not None and self.item is not None:
            return f"{self.section}.{self.item}"
        if self.section is not None and self.number is None:
            return str(self.section)
        return None


_NUM = rf"[0-9]+|[{_CN}]+"
_DOTTED = re.compile(r"^(\d+)\s*[.\-_]\s*(\d+)(?!\d)[.、]?\s*(.*)$")
_SECTION_ITEM = re.compile(rf"^(?:第)?([{_CN}]+|\d+)(?:部分)?\s*[、.,]?\s*\((?:第)?({_NUM})(?:条|项)?\)\s*[、.]?\s*(.*)$")
_ORDINAL = re.compile(rf"^第({_NUM})部分\s*(?:第({_NUM})[条项]|\((?:第)?({_NUM})(?:条|项)?\))?\s*[、.:]?\s*(.*)$")
_ITEM_ONLY = re.compile(rf"^\((?:第)?({_NUM})(?:条|项)?\)\s*[、.]?\s*(.*)$")
_SECTION_ONLY = re.compile(rf"^([{_CN}]+)\s*[、.]\s*(.*)$")
_BARE_CN = re.compile(rf"^([{_CN}]+)$")
_ARABIC = re.compile(r"^(\d+)\s*(?:[、.]\s*(.*)|$)")


def parse_item_ref(text: str) -> ItemRef:
    """Read an item reference (see ItemRef). Never raises: a cell with no numbering gives an
    ItemRef with only ``title`` set (the integrator may match it by title)."""
    raw = clean_unit_name(text)
    s = raw
    if m := _DOTTED.match(s):
        return ItemRef(raw, section=int(m.group(1)), item=int(m.group(2)), title=m.group(3).strip())
    if m := _ORDINAL.match(s):
        item = m.group(2) or m.group(3)
        return ItemRef(raw, section=cn_to_int(m.group(1)), item=cn_to_int(item) if item else None,
                       title=m.group(4).strip())
    if m := _SECTION_ITEM.match(s):
        return ItemRef(raw, section=cn_to_int(m.group(1)), item=cn_to_int(m.group(2)), title=m.group(3).strip())
    if m := _ITEM_ONLY.match(s):
        return ItemRef(raw, item=cn_to_int(m.group(1)), title=m.group(2).strip())
    if m := _SECTION_ONLY.match(s):
        return ItemRef(raw, section=cn_to_int(m.group(1)), title=m.group(2).strip())
    if m := _BARE_CN.match(s):
        return ItemRef(raw, section=cn_to_int(m.group(1)))
    if m := _ARABIC.match(s):
        return ItemRef(raw, number=int(m.group(1)), title=(m.group(2) or "").strip())
    return ItemRef(raw, title=s)


_OPEN, _CLOSE = "([【", ")]】"
_SEPARATORS = set("、，,;；/\n ")
_LABEL = re.compile(r"^[^:()]{1,8}(?:单位|部门)?:")  # 牵头单位： / 配合： / 责任单位:
_ROLE_NOTE = re.compile(r"\((?:牵头|配合|负责|主责|参与|协助|协办|主办|承办|牵头单位|配合单位|责任单位)\)")


def split_unit_refs(text: str) -> list[str]:
    """Split a 责任单位 cell into references at 、，,;；/, line breaks and spaces — never inside
    brackets, so 「县委宣传部（县文明办、县网信办）」 stays one — after the name rule. A leading
    label (「牵头单位：」) and a role note (「（牵头）」, 「（配合）」) are dropped. Returns the
    references in order, without repeats."""
    s = fold_text(text)
    parts: list[str] = []
    depth, buf = 0, []
    for ch in s:
        if ch in _OPEN:
            depth += 1
        elif ch in _CLOSE and depth:
            depth -= 1
        if depth == 0 and ch in _SEPARATORS:
            parts.append("".join(buf))
            buf = []
        else:
            buf.append(ch)
    parts.append("".join(buf))
    out = []
    for p in parts:
        p = _LABEL.sub("", clean_unit_name(p))
        p = _ROLE_NOTE.sub("", p).strip(" 。.等")
        if p:
            out.append(p)
    return list(dict.fromkeys(out))


# --- unit kinds written as words ---------------------------------------------------------------

_ALL_WORDS = {"全部", "全部单位", "所有单位", "各单位", "全县各单位", "全体", "全体单位", "全部成员单位及乡镇街道"}
_STRIP = re.compile(r"^(?:全县|县级|各|县)+")


def kinds_of_word(ref: str) -> tuple[str, ...] | None:
    """The unit kinds a reference names as a group, or None when it names none.
    全部 / 所有单位 / 各单位 → all three; 各乡镇（街道）/ 乡镇街道 / 各乡镇、街道 → 乡镇 and 街道;
    乡镇 / 各乡镇 / 各镇乡 → 乡镇; 街道 / 各街道（办事处） → 街道; 成员单位 / 各成员单位 /
    县双拥工作领导小组成员单位 / 各部门 / 县级各部门 → 成员单位."""
    w = clean_unit_name(ref).replace(" ", "")
    if w in _ALL_WORDS:
        return KINDS
    if w.endswith("成员单位"):
        return ("成员单位",)
    core = _STRIP.sub("", w).replace("(", "").replace(")", "").replace("、", "")
    core = core.removesuffix("办事处").removesuffix("人民政府").removesuffix("政府")
    table = {
        "乡镇街道": ("乡镇", "街道"), "镇乡街道": ("乡镇", "街道"), "乡镇和街道": ("乡镇", "街道"),
        "乡镇及街道": ("乡镇", "街道"), "乡镇": ("乡镇",), "镇乡": ("乡镇",), "乡镇街": ("乡镇", "街道"),
        "镇": ("乡镇",), "乡": ("乡镇",), "街道": ("街道",), "街道办": ("街道",),
        "部门": ("成员单位",), "级部门": ("成员单位",), "级各部门": ("成员单位",), "成员": ("成员单位",),
    }
    return table.get(core)


# --- rows ----------------------------------------------------------------------------------------

@dataclass(frozen=True)
class AssignmentRow:
    """One row of a 任务分解表. ``row``: the sheet's row number. ``item``: the reference (an item
    cell left empty under a merged cell repeats the one above; ``carried`` is then True).
    ``units``: the references of its 责任单位 cell (split_unit_refs), [] when empty."""

    row: int
    item: ItemRef
    units: list[str]
    carried: bool = False


def parse_assignment_rows(rows: Table | Iterable[tuple[int, str, str]]) -> list[AssignmentRow]:
    """Parse a 任务分解表: a Table from bot.services.intake (kind ``assignment``: columns 事项 and
    责任单位) or (row number, 事项 text, 责任单位 text) triples. Rows with neither an item nor units
    are skipped; a row with units but an empty item cell takes the item above it (vertically merged
    cells come out of a spreadsheet empty below their first row)."""
    if isinstance(rows, Table):
        triples: Iterable[tuple[int, str, str]] = (
            (n, rows.get(cells, "item"), rows.get(cells, "units")) for n, cells in rows.rows)
    else:
        triples = rows
    out: list[AssignmentRow] = []
    last: ItemRef | None = None
    for n, item_text, units_text in triples:
        units = split_unit_refs(units_text)
        if clean_unit_name(item_text):
            last = parse_item_ref(item_text)
            out.append(AssignmentRow(n, last, units))
        elif units and last is not None:
            out.append(AssignmentRow(n, last, units, carried=True))
        elif units:
            out.append(AssignmentRow(n, ItemRef(""), units))
    return out


# --- resolving unit references ---------------------------------------------------------------------

class UnitLike(Protocol):
    id: int | None
    name: str


@dataclass
class UnitRefs:
    """What references resolve to: ``kinds`` named as groups (in KINDS order), ``units`` named one
    by one (existing units, in the order given, no repeats), ``unknown`` references that match
    nothing (never created), ``suggestions`` unknown reference -> the closest unit name when one
    is close (rapidfuzz ratio ≥ 80)."""

    kinds: tuple[str, ...] = ()
    units: list = field(default_factory=list)
    unknown: list[str] = field(default_factory=list)
    suggestions: dict[str, str] = field(default_factory=dict)


_NOTE = re.compile(r"\([^()]*\)")
_COUNTY = re.compile(r"^[\u4e00-\u9fff]{1,4}?县(?=[\u4e00-\u9fff]{2})")


def _county_free(name: str) -> str:
    """丰都县民政局 → 县民政局: the county's own name before 县 dropped, for a second-chance match."""
    return _COUNTY.sub("县", name)


def resolve_unit_refs(refs: Sequence[str], units: Sequence[UnitLike]) -> UnitRefs:
    """Match references (from split_unit_refs, or typed after /assign) against ``units`` (the live
    units: bot.services.roster.RosterService.units()). A reference is, in this order: a group word
    (kinds_of_word); a unit name under the name rule; the same without a bracketed note
    (「县委宣传部（县文明办）」 → 县委宣传部); the same with the county's name before 县 dropped on
    both sides, when that picks exactly one unit. Anything else is unknown."""
    by_name = {u.name: u for u in units}
    by_county: dict[str, list] = {}
    for u in units:
        by_county.setdefault(_county_free(u.name), []).append(u)
    kinds: set[str] = set()
    out = UnitRefs()
    chosen: dict[int, UnitLike] = {}  # by object identity: table models are not hashable
    for ref in refs:
        group = kinds_of_word(ref)
        if group:
            kinds.update(group)
            continue
        name = clean_unit_name(ref)
        if not name:
            continue
        unit = by_name.get(name) or by_name.get(_NOTE.sub("", name).strip())
        if unit is None:
            for candidate in (name, _NOTE.sub("", name).strip()):
                hits = by_county.get(_county_free(candidate), [])
                if len(hits) == 1:
                    unit = hits[0]
                    break
        if unit is not None:
            chosen.setdefault(id(unit), unit)
            continue
        if name not in out.unknown:
            out.unknown.append(name)
    out.kinds = tuple(k for k in KINDS if k in kinds)
    out.units = list(chosen.values())
    if out.unknown and units:
        from rapidfuzz import fuzz, process

        names = [u.name for u in units]
        for name in out.unknown:
            hit = process.extractOne(name, names, scorer=fuzz.ratio, score_cutoff=80)
            if hit is not None:
                out.suggestions[name] = hit[0]
    return out
