"""Locate the bundled Chinese font (Noto Sans CJK) shipped by a pip package.

The font comes from the ``cvttf-notosanscjk-regular`` distribution (import name
``cvttf_NotoSansCJK_Regular``), so rendering never depends on fonts installed in
the operating system.
"""

from __future__ import annotations

import functools
import importlib.resources
import importlib.util
import pathlib

FONT_PACKAGE = "cvttf_NotoSansCJK_Regular"
_FONT_SUFFIXES = (".otf", ".ttf", ".ttc")


@functools.cache
def chinese_font_path() -> pathlib.Path:
    """Return the path of the CJK font file inside the installed font package.

    Raises ``RuntimeError`` with an actionable message if the package or the
    font file is missing.
    """
    hint = (
        f"Chinese font package {FONT_PACKAGE!r} is not usable; install it with "
        "`pip install cvttf-notosanscjk-regular==1.0` (it is a project dependency)."
    )
    if importlib.util.find_spec(FONT_PACKAGE) is None:
        raise RuntimeError(hint)
    root = importlib.resources.files(FONT_PACKAGE)
    candidates = sorted(
        (entry for entry in root.iterdir()
         if entry.is_file() and entry.name.lower().endswith(_FONT_SUFFIXES)),
        key=lambda entry: entry.name,
    )
    for entry in candidates:
        path = pathlib.Path(str(entry))
        if path.is_file() and path.stat().st_size > 0:
            return path
    raise RuntimeError(f"no font file found in {root}. {hint}")
