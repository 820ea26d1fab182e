"""Input cleaning: every update's text loses NUL and the other control characters before any
handler sees it, so what is compared, echoed and stored is one and the same clean string.

Control characters are Unicode category Cc except line feed and tab (C0, DEL, C1) and unpaired
surrogates; invisible format characters go too — zero-width space, word joiner, BOM, soft hyphen,
the direction marks and overrides, and the zero-width (non-)joiners except between two emoji,
where they make one picture (👨‍👩‍👧) — so 「2\u200b.2」 is item 2.2 and 「已\u200d完成」 a status; PostgreSQL refuses NUL in text ("A string literal cannot contain NUL (0x00)
characters"), SQLite stores it, and neither belongs in a unit name, a note or a broadcast. The
cleaning happens where updates enter (LifecycleApplication.process_update) rather than in a
storage type: a type on the columns would store 「龙城镇」 while the reply echoed 「龙城镇\\x00」, a
broadcast preview would differ from what recipients get, and every column added later would have
to remember it. Entity offsets (UTF-16 units) are moved with the removed characters, so commands
and mentions still point at the right text.
"""

from __future__ import annotations

import re
from typing import Any

from telegram import Update

# C0 controls but \t and \n, DEL, C1 controls, unpaired surrogates; invisible format characters
# (soft hyphen, Mongolian vowel separator, zero-width space, LRM/RLM, bidi embeddings, overrides and
# isolates, word joiner and invisible operators, ALM, BOM); ZWNJ/ZWJ unless joining two emoji
_EMOJI = "\U0001F000-\U0001FAFF\u2600-\u27BF\uFE0F\U0001F3FB-\U0001F3FF"
_CONTROL = re.compile("[\x00-\x08\x0b-\x1f\x7f-\x9f\ud800-\udfff"
                      "\u00ad\u180e\u200b\u200e\u200f\u202a-\u202e\u2060-\u2064\u2066-\u2069\u061c\ufeff]"
                      f"|(?<![{_EMOJI}])[\u200c\u200d]|[\u200c\u200d](?![{_EMOJI}])")
# (text field, its entities field) in Message; captions carry their own entities
_TEXT_FIELDS = (("text", "entities"), ("caption", "caption_entities"),
                ("quote", None), ("data", None))


def clean_text(text: str) -> str:
    """``text`` without control characters (line feeds and tabs kept)."""
    return _CONTROL.sub("", text)


def needs_cleaning(update: Update) -> bool:
    """Whether any string a handler reads carries a control character (cheap; no copy made)."""
    msg = update.effective_message
    if msg is not None:
        for value in (msg.text, msg.caption):
            if value and _CONTROL.search(value):
                return True
        doc = msg.document
        if doc is not None and doc.file_name and _CONTROL.search(doc.file_name):
            return True
    q = update.callback_query
    if q is not None and q.data and _CONTROL.search(q.data):
        return True
    for person in (update.effective_user, update.effective_chat):
        if person is None:
            continue
        for attr in ("first_name", "last_name", "username", "title"):
            value = getattr(person, attr, None)
            if value and _CONTROL.search(value):
                return True
    return False


def clean_update(update: Update) -> Update:
    """The update itself when it is clean, else a copy with every string cleaned and entity offsets
    moved accordingly (rebuilt with PTB's own ``Update.de_json``, bound to the same bot)."""
    if not needs_cleaning(update):
        return update
    data = _clean(update.to_dict())
    clean = Update.de_json(data, update.get_bot())
    return clean if clean is not None else update


def _clean(value: Any) -> Any:
    if isinstance(value, str):
        return clean_text(value)
    if isinstance(value, list):
        return [_clean(v) for v in value]
    if not isinstance(value, dict):
        return value
    out = {}
    for key, v in value.items():
        out[key] = _clean(v)
    for text_key, ent_key in _TEXT_FIELDS:
        raw = value.get(text_key)
        if ent_key and isinstance(raw, str) and isinstance(value.get(ent_key), list):
            out[ent_key] = _move_entities(raw, value[ent_key])
    return out


def _u16(ch: str) -> int:
    return 2 if ord(ch) > 0xFFFF else 1


def _move_entities(raw: str, entities: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Entities of ``raw`` re-expressed in ``clean_text(raw)`` (offsets and lengths in UTF-16)."""
    removed: list[int] = []  # UTF-16 positions (in raw) of removed units
    at = [0]  # UTF-16 position of each character of raw
    for ch in raw:
        at.append(at[-1] + _u16(ch))
    for m in _CONTROL.finditer(raw):
        removed.extend(range(at[m.start()], at[m.end()]))

    def shift(at: int) -> int:
        return at - sum(1 for r in removed if r < at)

    out = []
    for ent in entities:
        start, end = int(ent.get("offset", 0)), int(ent.get("offset", 0)) + int(ent.get("length", 0))
        new_start, new_end = shift(start), shift(end)
        if new_end > new_start:  # an entity made only of control characters disappears
            out.append({**_clean(ent), "offset": new_start, "length": new_end - new_start})
    return out
