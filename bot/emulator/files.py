"""Files on both sides: what users upload (documents, photos, stickers) and what the bot sends,
``getFile`` and the download URL ``{base_file_url}{token}/{file_path}``.

Bot API, getFile: "bots can download files of up to 20MB in size"; a bigger file is answered
400 "Bad Request: file is too big".  A user may upload files up to 2 GB, so a file can be known by
its declared size only (no content kept), as a large upload seen by the bot would be.
"""

from __future__ import annotations

import itertools
import json
import mimetypes
import threading
from dataclasses import dataclass
from typing import Any

from bot.emulator.refusals import FILE_TOO_BIG, MAX_DOWNLOAD_BYTES, ApiError, error_body

__all__ = ["FileStore", "StoredFile", "guess_mime"]

_MIME = {
    "pdf": "application/pdf",
    "txt": "text/plain",
    "csv": "text/csv",
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    "xls": "application/vnd.ms-excel",
    "docx": "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
    "doc": "application/msword",
    "wps": "application/vnd.ms-works",
    "et": "application/vnd.ms-excel",
    "png": "image/png",
    "jpg": "image/jpeg",
    "jpeg": "image/jpeg",
    "json": "application/json",
    "zip": "application/zip",
}


def guess_mime(name: str) -> str:
    """The MIME type a Telegram client reports for a file called ``name`` (by extension;
    application/octet-stream when unknown)."""
    ext = name.rsplit(".", 1)[-1].lower() if "." in name else ""
    return _MIME.get(ext) or mimetypes.guess_type(name)[0] or "application/octet-stream"


@dataclass
class StoredFile:
    """One file: ``content`` None when only its ``size`` is known (a large upload)."""

    file_id: str
    file_unique_id: str
    content: bytes | None
    file_path: str
    size: int
    file_name: str | None = None
    mime_type: str | None = None


class FileStore:
    """Files by id and by download path."""

    def __init__(self, cond: threading.Condition, token: str) -> None:
        self.cond = cond
        self.token = token
        self._by_id: dict[str, StoredFile] = {}
        self._by_path: dict[str, StoredFile] = {}
        self._seq = itertools.count(1)

    def add(
        self,
        content: bytes | None,
        folder: str,
        *,
        name: str | None = None,
        mime: str | None = None,
        ext: str = "",
        size: int | None = None,
    ) -> StoredFile:
        """Store a file under ``folder`` (documents, photos, ...); ``size`` defaults to the
        content's length."""
        with self.cond:
            n = next(self._seq)
            if name and not ext and "." in name:
                ext = "." + name.rsplit(".", 1)[-1]
            f = StoredFile(
                file_id=f"EMU{folder[:3].upper()}{n:06d}",
                file_unique_id=f"u{n:06d}",
                content=content,
                file_path=f"{folder}/file_{n}{ext}",
                size=len(content) if size is None and content is not None else int(size or 0),
                file_name=name,
                mime_type=mime,
            )
            self._by_id[f.file_id] = f
            self._by_path[f.file_path] = f
            return f

    def get(self, file_id: str) -> StoredFile | None:
        with self.cond:
            return self._by_id.get(file_id)

    def content(self, file_id: str) -> bytes | None:
        f = self.get(file_id)
        return f.content if f else None

    def get_file(self, params: dict[str, Any]) -> dict[str, Any]:
        """The Bot API ``getFile``: a File object, or 400 for an unknown id or a file over 20 MB."""
        f = self.get(str(params.get("file_id") or ""))
        if f is None:
            raise ApiError(400, "Bad Request: invalid file_id")
        if f.size > MAX_DOWNLOAD_BYTES:
            raise ApiError(400, FILE_TOO_BIG)
        return {
            "file_id": f.file_id,
            "file_unique_id": f.file_unique_id,
            "file_size": f.size,
            "file_path": f.file_path,
        }

    def download(self, rest: str) -> tuple[int, bytes, str]:
        """Serve ``{token}/{file_path}`` (the part of the URL after ``/file/bot``)."""
        token, _, path = rest.partition("/")
        if token != self.token:
            return 401, json.dumps(error_body(401, "Unauthorized")).encode(), "application/json"
        with self.cond:
            f = self._by_path.get(path)
        if f is None or f.content is None:
            return 404, json.dumps(error_body(404, "Not Found")).encode(), "application/json"
        return 200, f.content, f.mime_type or "application/octet-stream"
