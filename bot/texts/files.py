"""Files sent to the bot (refusals with their reason) and previews waiting for 「确认」."""

from __future__ import annotations

from collections.abc import Mapping

from bot.texts.common import esc

CONFIRM = "确认"
CANCEL = "取消"
A_PHOTO = "照片"

FILE_PRIVATE_ONLY = ("📎 请<b>私聊</b>我发送文件：单位名单、任务分解表和工作要点只在私聊中导入，"
                     "群里发送的文件不会处理。")
FILE_ADMIN_ONLY = ("这个文件没有保存：只有县双拥办管理员可以上传文件导入（单位名单、任务分解表、工作要点）。\n"
                   "如果这是填报进度的佐证材料：请先发送 /checkin，选好事项和状态，到写说明的一步再发送文件。"
                   "有问题请直接用文字问我。")
WHAT_I_READ = ("我能读取：\n· 单位名单（.xlsx / .csv，含「单位名称」列）\n"
               "· 任务分解表（.xlsx / .csv，含「事项」「责任单位」列）\n"
               "· 工作要点（.docx / .txt / .pdf）")


def _mb(size: object) -> str:
    try:
        return f"{int(size) / 1024 / 1024:.1f} MB"  # type: ignore[call-overload]
    except (TypeError, ValueError):
        return "超过 20 MB"


def file_refused(reason: str, data: Mapping[str, object] | None = None) -> str:
    """Why a file was not taken; always ends by saying nothing changed."""
    d = dict(data or {})
    what = esc(d.get("what") or "")
    if reason == "too_big":
        head = (f"❌ 文件太大（{_mb(d.get('size'))}）。Telegram 只允许机器人下载 20 MB 以内的文件，"
                "请压缩、删去图片或拆分后再发送。")
    elif reason == "empty":
        head = "❌ 文件是空的，没有可读的内容。"
    elif reason == "image":
        head = (f"❌ 这是一张图片（{what or '图片'}），我读不了图片里的文字。\n{WHAT_I_READ}")
    elif reason == "legacy_doc":
        head = "❌ 这是旧版 Word 文件（.doc 等）。请在 Word 或 WPS 中「另存为」<b>.docx</b> 后再发送。"
    elif reason == "legacy_xls":
        head = "❌ 这是旧版 Excel 文件（.xls 等）。请在 Excel 或 WPS 中「另存为」<b>.xlsx</b>（或 CSV）后再发送。"
    elif reason == "legacy_office":
        head = "❌ 这是旧版 Office 文件。请「另存为」<b>.docx</b>（文档）或 <b>.xlsx</b>（表格）后再发送。"
    elif reason == "opendocument":
        target = ".xlsx" if d.get("what") == "ods" else ".docx"
        head = f"❌ 这是 OpenDocument 文件（.{what}）。请「另存为」<b>{target}</b> 后再发送。"
    elif reason == "archive":
        head = f"❌ 这是压缩包（{what}）。请解压后单独发送其中的文件。"
    elif reason == "unreadable":
        head = f"❌ 文件无法打开，可能已损坏（{what}）。请重新导出或另存后再发送。"
    elif reason == "no_header":
        head = ("❌ 表格里没有找到能识别的表头，所以不知道这是什么表。\n"
                "· 单位名单需要列：<b>单位名称</b>（可选：类型、联络员）\n"
                "· 任务分解表需要列：<b>事项</b>、<b>责任单位</b>\n"
                "表头上方可以有标题行和空行；请检查列名后再发送。")
    elif reason == "too_many_rows":
        head = f"❌ 表格超过 {esc(d.get('limit'))} 行，请拆分后分批发送。"
    elif reason == "not_here":
        head = "❌ 这类文件暂时还不能导入。"
    else:
        head = f"❌ 无法识别这个文件的类型（{what or '未知'}）。\n{WHAT_I_READ}"
    return head + "\n没有做任何改动。"


# --- previews awaiting 确认 -----------------------------------------------------------------------

PENDING_CANCELLED = "已取消，没有做任何改动。"
PENDING_NO_HANDLER = "这类预览暂时不能确认，没有做任何改动。"

PENDING_GONE = {
    "done": "这个预览已经确认过了，不会重复执行。",
    "cancelled": "这个预览已经取消，没有做任何改动。需要时请重新发送。",
    "superseded": "这是旧的预览，已被更新的一次取代，没有做任何改动。请使用最新一条预览上的按钮。",
    "expired": "这个预览已过期，没有做任何改动。请重新发送文件或命令。",
    "not_yours": "这是另一位管理员的预览，按钮对您无效。",
    "unknown": "这个按钮已失效，没有做任何改动。",
}


def pending_gone(reason: str) -> str:
    return PENDING_GONE.get(reason, PENDING_GONE["unknown"])


def previews_cancelled(n: int) -> str:
    return f"已取消 {n} 个待确认的预览，没有做任何改变。"
