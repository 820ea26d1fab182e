"""What Telegram refuses, with the code and description it answers.

Limits come from the Bot API documentation (https://core.telegram.org/bots/api): sendMessage text
"1-4096 characters after entities parsing", captions "0-1024 characters", callback_data "1-64
bytes", answerCallbackQuery text "0-200 characters", getFile "bots can download files of up to
20MB in size", at most 100 commands of 1-32 characters [a-z0-9_].  Descriptions are the strings
real Telegram answers (as reported in the issue trackers of bot libraries).
"""

from __future__ import annotations

import re
from typing import Any

from bot.emulator.entities import (
    MAX_MESSAGE_UTF16,
    HtmlParseError,
    has_lone_surrogate,
    parse_html,
    utf16_len,
)

__all__ = [
    "ApiError",
    "BLOCKED",
    "DEFAULT_DESCRIPTIONS",
    "FILE_TOO_BIG",
    "KICKED_FROM_GROUP",
    "MAX_CALLBACK_DATA_BYTES",
    "MAX_CAPTION_UTF16",
    "MAX_DOWNLOAD_BYTES",
    "MIGRATED",
    "NOT_MODIFIED",
    "QUERY_TOO_OLD",
    "check_markup",
    "check_text",
    "error_body",
]

MAX_CAPTION_UTF16 = 1024
MAX_CALLBACK_DATA_BYTES = 64
MAX_CALLBACK_ANSWER = 200
MAX_DOWNLOAD_BYTES = 20 * 1024 * 1024
MAX_BUTTONS = 100

BLOCKED = "Forbidden: bot was blocked by the user"
KICKED_FROM_GROUP = "Forbidden: bot was kicked from the group chat"
KICKED_FROM_SUPERGROUP = "Forbidden: bot was kicked from the supergroup chat"
NOT_A_MEMBER = "Forbidden: bot is not a member of the {kind} chat"
MIGRATED = "Bad Request: group chat was upgraded to a supergroup chat"
QUERY_TOO_OLD = (
    "Bad Request: query is too old and response timeout expired or query ID is invalid"
)
FILE_TOO_BIG = "Bad Request: file is too big"
NOT_UTF8 = "Bad Request: strings must be encoded in UTF-8"
NOT_MODIFIED = (
    "Bad Request: message is not modified: specified new message content and reply markup are "
    "exactly the same as a current content and reply markup of the message"
)

DEFAULT_DESCRIPTIONS = {
    400: "Bad Request: injected failure",
    401: "Unauthorized",
    403: BLOCKED,
    404: "Not Found",
    409: "Conflict: terminated by other getUpdates request",
    500: "Internal Server Error",
    502: "Bad Gateway",
}

_OTHER_INLINE_BUTTONS = (
    "switch_inline_query",
    "switch_inline_query_current_chat",
    "web_app",
    "login_url",
    "pay",
    "callback_game",
    "copy_text",
    "switch_inline_query_chosen_chat",
)


class ApiError(Exception):
    """A refusal: HTTP/``error_code`` ``code``, ``description``, optional ``parameters``
    (``retry_after`` for 429, ``migrate_to_chat_id`` for a migrated group)."""

    def __init__(
        self, code: int, description: str, parameters: dict[str, Any] | None = None
    ) -> None:
        super().__init__(description)
        self.code = code
        self.description = description
        self.parameters = parameters


def error_body(code: int, description: str, parameters: dict[str, Any] | None = None) -> dict:
    """The JSON body Telegram answers a refused call with."""
    out: dict[str, Any] = {"ok": False, "error_code": code, "description": description}
    if parameters:
        out["parameters"] = parameters
    return out


def check_text(
    text: Any, parse_mode: Any, *, what: str, strict_html: bool = True
) -> tuple[str, list[dict[str, Any]]]:
    """Parse a message text (``what="text"``) or caption (``what="caption"``) as Telegram does:
    returns (visible text, entities) or raises :class:`ApiError` 400 for HTML that does not
    parse, an empty text, more than 4096 (text) or 1024 (caption) UTF-16 units after parsing, or a
    string that is not valid Unicode."""
    if not isinstance(text, str):
        text = "" if text is None else str(text)
    if has_lone_surrogate(text):
        raise ApiError(400, NOT_UTF8)
    mode = parse_mode.lower() if isinstance(parse_mode, str) else ""
    if mode == "html":
        try:
            plain, entities = parse_html(text, strict=strict_html)
        except HtmlParseError as exc:
            raise ApiError(400, f"Bad Request: can't parse entities: {exc}") from None
    else:
        plain, entities = text, []
    if has_lone_surrogate(plain):  # &#xD800; decodes to a lone surrogate
        raise ApiError(400, NOT_UTF8)
    if what == "text":
        if not plain.strip():
            raise ApiError(400, "Bad Request: message text is empty")
        if utf16_len(plain) > MAX_MESSAGE_UTF16:
            raise ApiError(400, "Bad Request: message is too long")
    elif what == "caption" and utf16_len(plain) > MAX_CAPTION_UTF16:
        raise ApiError(400, "Bad Request: message caption is too long")
    return plain, entities


def check_markup(markup: Any) -> list[list[tuple[str, str | None]]]:
    """Validate a reply_markup; return its buttons as rows of (label, callback data or URL or
    None).  Raises :class:`ApiError` 400 for an empty label, callback data outside 1-64 bytes, a
    bad URL, a text-only inline button or more than 100 buttons."""
    if markup is None:
        return []
    if not isinstance(markup, dict):
        raise ApiError(400, "Bad Request: can't parse reply keyboard markup JSON object")
    if "inline_keyboard" in markup:
        return _inline_buttons(markup["inline_keyboard"])
    buttons: list[list[tuple[str, str | None]]] = []
    for row in markup.get("keyboard") or []:
        out_row: list[tuple[str, str | None]] = []
        for b in row:
            label = b if isinstance(b, str) else (b or {}).get("text")
            if not isinstance(label, str) or not label:
                raise ApiError(400, "Bad Request: BUTTON_TEXT_INVALID")
            out_row.append((label, None))
        buttons.append(out_row)
    return buttons


def _inline_buttons(rows: Any) -> list[list[tuple[str, str | None]]]:
    if not isinstance(rows, list) or not all(isinstance(r, list) for r in rows):
        raise ApiError(400, 'Bad Request: field "inline_keyboard" must be an Array of Arrays')
    if sum(len(r) for r in rows) > MAX_BUTTONS:
        raise ApiError(400, "Bad Request: reply markup is too long")
    buttons: list[list[tuple[str, str | None]]] = []
    for row in rows:
        out_row: list[tuple[str, str | None]] = []
        for b in row:
            label = b.get("text") if isinstance(b, dict) else None
            if not isinstance(label, str) or not label.strip():
                raise ApiError(400, "Bad Request: BUTTON_TEXT_INVALID")
            if "callback_data" in b:
                data = b["callback_data"]
                size = len(data.encode("utf-8", "surrogatepass")) if isinstance(data, str) else 0
                if not 1 <= size <= MAX_CALLBACK_DATA_BYTES:
                    raise ApiError(400, "Bad Request: BUTTON_DATA_INVALID")
                out_row.append((label, data))
            elif "url" in b:
                url = b["url"]
                if not isinstance(url, str) or not re.match(r"(https?|tg)://\S+$", url):
                    raise ApiError(
                        400,
                        f"Bad Request: inline keyboard button URL '{url}' is invalid: "
                        "Wrong HTTP URL",
                    )
                out_row.append((label, url))
            elif any(k in b for k in _OTHER_INLINE_BUTTONS):
                out_row.append((label, None))
            else:
                raise ApiError(
                    400,
                    "Bad Request: can't parse inline keyboard button: Text buttons are "
                    "unallowed in the inline keyboard",
                )
        buttons.append(out_row)
    return buttons
