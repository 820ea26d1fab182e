"""The one exception the knowledge layer raises for a document it cannot use."""

from __future__ import annotations

REASONS = {
    "missing": "the file does not exist",
    "unreadable": "the file cannot be read or is damaged (not a real .docx / .pdf)",
    "doc_format": "a legacy .doc (Word 97-2003) file: save it as .docx",
    "unsupported": "a format that is not a plan document (.txt, .docx or .pdf): a spreadsheet, an image …",
    "no_text": "a PDF without a text layer (a scan)",
    "empty": "no text at all",
    "not_a_plan": "text, but no sections (一、… / 第一部分 …) were found",
    "too_large": "bigger than the caller's limit",
}


class DocumentError(ValueError):
    """A document that cannot become a plan. ``reason`` is one of ``REASONS`` (a code; callers
    word it in Chinese, e.g. bot.texts), ``detail`` optional data (a file name, a library's
    message for the log — never shown as is)."""

    def __init__(self, reason: str, detail: str = "") -> None:
        super().__init__(f"{reason}: {detail}" if detail else reason)
        self.reason = reason
        self.detail = detail
