"""Text as Telegram sees it: UTF-16 lengths, Telegram-flavoured HTML, and the entities a client
attaches to what a user types.

Telegram counts every offset and limit in UTF-16 code units (Bot API, "MessageEntity": "offset in
UTF-16 code units"), so 😀 is 2 and 字 is 1.  ``parse_html`` follows the Bot API's "HTML style"
section: the tags b/strong, i/em, u/ins, s/strike/del, a href, code, pre (+ code class=language-x),
span class=tg-spoiler, tg-spoiler, blockquote [expandable], tg-emoji; entities &lt; &gt; &amp;
&quot; and numeric ones.  It is stricter than Telegram about a bare ``&`` (Telegram keeps it
literally; we refuse it so unescaped user text is caught in tests).
"""

from __future__ import annotations

import re
from typing import Any

__all__ = [
    "HtmlParseError",
    "MAX_MESSAGE_UTF16",
    "has_lone_surrogate",
    "parse_html",
    "public_entities",
    "split_text",
    "text_entities",
    "utf16_len",
]

MAX_MESSAGE_UTF16 = 4096  # Bot API sendMessage: "1-4096 characters after entities parsing"

_TAG_TYPES = {
    "b": "bold",
    "strong": "bold",
    "i": "italic",
    "em": "italic",
    "u": "underline",
    "ins": "underline",
    "s": "strikethrough",
    "strike": "strikethrough",
    "del": "strikethrough",
    "a": "text_link",
    "code": "code",
    "pre": "pre",
    "tg-spoiler": "spoiler",
    "span": "spoiler",
    "blockquote": "blockquote",
    "tg-emoji": "custom_emoji",
}
_NAMED_ENTITIES = {"lt": "<", "gt": ">", "amp": "&", "quot": '"'}
_ENTITY_RE = re.compile(r"&(#[0-9]{1,8}|#[xX][0-9a-fA-F]{1,7}|[a-zA-Z][a-zA-Z0-9]{0,30});")
_TAG_NAME_RE = re.compile(r"[a-zA-Z0-9-]+")
_ATTR_NAME_RE = re.compile(r"[a-zA-Z0-9_-]+")


class HtmlParseError(ValueError):
    """HTML that Telegram would refuse ("Bad Request: can't parse entities: ...")."""


def utf16_len(text: str) -> int:
    """Length in UTF-16 code units, the unit Telegram counts offsets and limits in."""
    return len(text.encode("utf-16-le", "surrogatepass")) // 2


def _byte_offset(text: str, index: int) -> int:
    return len(text[:index].encode("utf-8"))


def _decode_entity(text: str, i: int, *, strict: bool) -> tuple[str, int]:
    """Decode the ``&...;`` starting at ``text[i]``; return (decoded, next index)."""
    m = _ENTITY_RE.match(text, i)
    if m:
        body = m.group(1)
        if body.startswith("#"):
            try:
                code = int(body[2:], 16) if body[1] in "xX" else int(body[1:])
                return chr(code), m.end()
            except (ValueError, OverflowError):
                pass
        elif body in _NAMED_ENTITIES:
            return _NAMED_ENTITIES[body], m.end()
    if strict:
        raise HtmlParseError(
            f'Unescaped "&" at byte offset {_byte_offset(text, i)}: use &amp; '
            "(strict emulator; Telegram supports only &lt; &gt; &amp; &quot; and numeric entities)"
        )
    return "&", i + 1


def parse_html(text: str, *, strict: bool = True) -> tuple[str, list[dict[str, Any]]]:
    """Parse Telegram-flavoured HTML into (visible text, entities).

    Entities carry Telegram's UTF-16 ``offset``/``length`` plus private ``_start``/``_end``
    (Python string indices into the visible text) used by the console renderer.
    Raises :class:`HtmlParseError` with a Telegram-like description.
    """
    out: list[str] = []
    u16 = 0  # UTF-16 length of "".join(out)
    nchars = 0
    stack: list[tuple[str, dict[str, str], int, int]] = []
    entities: list[dict[str, Any]] = []
    i, n = 0, len(text)

    def emit(s: str) -> None:
        nonlocal u16, nchars
        out.append(s)
        u16 += utf16_len(s)
        nchars += len(s)

    while i < n:
        ch = text[i]
        if ch == "&":
            s, i = _decode_entity(text, i, strict=strict)
            emit(s)
            continue
        if ch != "<":
            j = i + 1
            while j < n and text[j] not in "<&":
                j += 1
            emit(text[i:j])
            i = j
            continue
        start = i
        if text.startswith("</", i):
            end = text.find(">", i)
            if end < 0:
                raise HtmlParseError(f"Unclosed end tag at byte offset {_byte_offset(text, start)}")
            name = text[i + 2 : end].strip().lower()
            if not stack:
                raise HtmlParseError(
                    f'Unexpected end tag "{name}" at byte offset {_byte_offset(text, start)}'
                )
            open_name, attrs, ent_u16, ent_char = stack.pop()
            if name != open_name:
                raise HtmlParseError(
                    f"Unmatched end tag at byte offset {_byte_offset(text, start)}, "
                    f'expected "</{open_name}>", found "</{name}>"'
                )
            length = u16 - ent_u16
            if length > 0:
                ent: dict[str, Any] = {
                    "type": _TAG_TYPES[open_name],
                    "offset": ent_u16,
                    "length": length,
                    "_start": ent_char,
                    "_end": nchars,
                }
                if open_name == "a":
                    href = attrs.get("href", "")
                    if not href:
                        ent = {}
                    elif href.startswith("tg://user?id="):
                        ent["type"] = "text_mention"
                        ent["user"] = {
                            "id": int(href.split("=", 1)[1] or 0),
                            "is_bot": False,
                            "first_name": "用户",
                        }
                    else:
                        ent["url"] = href
                elif open_name == "pre" and "language" in attrs:
                    ent["language"] = attrs["language"]
                elif open_name == "code" and stack and stack[-1][0] == "pre":
                    cls = attrs.get("class", "")
                    if cls.startswith("language-"):
                        # <pre><code class="language-x"> → language on the pre entity
                        pre = stack[-1]
                        pre[1]["language"] = cls[len("language-") :]
                        ent = {}
                elif open_name == "blockquote" and "expandable" in attrs:
                    ent["type"] = "expandable_blockquote"
                elif open_name == "tg-emoji":
                    ent["custom_emoji_id"] = attrs.get("emoji-id", "")
                if ent:
                    entities.append(ent)
            i = end + 1
            continue
        # start tag
        m = _TAG_NAME_RE.match(text, i + 1)
        name = m.group(0).lower() if m else ""
        if not name or name not in _TAG_TYPES:
            raise HtmlParseError(
                f'Unsupported start tag "{name}" at byte offset {_byte_offset(text, start)}'
            )
        j = m.end()
        attrs: dict[str, str] = {}
        while True:
            while j < n and text[j].isspace():
                j += 1
            if j >= n:
                raise HtmlParseError(
                    f"Unclosed start tag at byte offset {_byte_offset(text, start)}"
                )
            if text[j] == ">":
                j += 1
                break
            if text.startswith("/>", j):
                raise HtmlParseError(
                    f'Unsupported self-closing tag "{name}" at byte offset '
                    f"{_byte_offset(text, start)}"
                )
            am = _ATTR_NAME_RE.match(text, j)
            if not am:
                raise HtmlParseError(
                    f"Expected equal sign in declaration of an attribute of the tag at byte "
                    f"offset {_byte_offset(text, start)}"
                )
            attr = am.group(0).lower()
            j = am.end()
            value = ""
            if j < n and text[j] == "=":
                j += 1
                if j < n and text[j] in "\"'":
                    quote = text[j]
                    close = text.find(quote, j + 1)
                    if close < 0:
                        raise HtmlParseError(
                            f"Unclosed start tag at byte offset {_byte_offset(text, start)}"
                        )
                    raw = text[j + 1 : close]
                    j = close + 1
                else:
                    k = j
                    while k < n and not text[k].isspace() and text[k] != ">":
                        k += 1
                    raw = text[j:k]
                    j = k
                parts: list[str] = []
                p = 0
                while p < len(raw):
                    if raw[p] == "&":
                        s, p = _decode_entity(raw, p, strict=False)
                        parts.append(s)
                    else:
                        parts.append(raw[p])
                        p += 1
                value = "".join(parts)
            attrs[attr] = value
        if name == "span" and attrs.get("class") != "tg-spoiler":
            raise HtmlParseError(
                f'Tag "span" must have class "tg-spoiler" at byte offset {_byte_offset(text, start)}'
            )
        stack.append((name, attrs, u16, nchars))
        i = j
    if stack:
        raise HtmlParseError(f'Can\'t find end tag corresponding to start tag "{stack[-1][0]}"')
    entities.sort(key=lambda e: (e["offset"], -e["length"]))
    return "".join(out), entities


def public_entities(entities: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """The entities as Telegram sends them: without our private ``_start``/``_end`` keys."""
    return [{k: v for k, v in e.items() if not k.startswith("_")} for e in entities]


def text_entities(text: str) -> list[dict[str, Any]]:
    """The entities a Telegram client attaches to typed ``text``: a ``bot_command`` at the start
    (``/cmd`` or ``/cmd@some_bot``, whoever the bot is) and ``mention`` for every ``@username``
    (5-32 characters), with UTF-16 offsets and lengths."""
    entities: list[dict[str, Any]] = []
    m = re.match(r"/[A-Za-z0-9_]{1,32}(@[A-Za-z0-9_]{3,32})?", text)
    if m:
        entities.append({"type": "bot_command", "offset": 0, "length": utf16_len(m.group(0))})
    for mm in re.finditer(r"(?<![A-Za-z0-9_/])@[A-Za-z0-9_]{5,32}", text):
        if m and mm.start() < m.end():
            continue
        entities.append(
            {
                "type": "mention",
                "offset": utf16_len(text[: mm.start()]),
                "length": utf16_len(mm.group(0)),
            }
        )
    return entities


def split_text(text: str, limit: int = MAX_MESSAGE_UTF16) -> list[str]:
    """Cut ``text`` into pieces of at most ``limit`` UTF-16 units, as Telegram clients do with a
    message that is too long: preferably after a newline, never inside a surrogate pair.
    ``split_text("")`` is ``[""]``."""
    if utf16_len(text) <= limit:
        return [text]
    pieces: list[str] = []
    rest = text
    while utf16_len(rest) > limit:
        # the longest prefix within the limit (characters outside the BMP count 2)
        units = 0
        cut = 0
        for i, ch in enumerate(rest):
            units += 2 if ord(ch) > 0xFFFF else 1
            if units > limit:
                cut = i
                break
        newline = rest.rfind("\n", 0, cut)
        if newline >= cut // 2:
            cut = newline + 1
        pieces.append(rest[:cut])
        rest = rest[cut:]
    if rest:
        pieces.append(rest)
    return pieces


def has_lone_surrogate(text: str) -> bool:
    """Whether ``text`` holds a lone UTF-16 surrogate, which no UTF-8 byte string can carry
    (Telegram answers such a string with "Bad Request: strings must be encoded in UTF-8")."""
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return True
    return False
