"""Texts of Telegram's update lifecycle: floods, edited commands, private-only commands, senders
that are not a person (handlers/lifecycle/)."""

from __future__ import annotations

from bot.texts.common import esc

FLOOD_NOTICE = "⏳ 消息发得太快了，请稍候：我会先回答前面的消息，之后多出来的消息就不处理了。慢一点再发即可。"
EDITED_COMMAND = ("✏️ 修改过的命令不会再执行一次（以免重复登记、重复推送）。"
                  "如需重新操作，请发送一条新消息。")
EDIT_CHANGES_NOTHING = ("✏️ 收到您修改的消息。修改已发出的消息不会改动已填写的说明或已提交的填报；"
                        "如需更正，请发送 /mine 点「更正」，填报中途可直接重新输入说明。"
                        "如果这是一个问题，请换个说法重新发送。")
NOT_A_PERSON = "请用您本人的账号私聊我使用命令（匿名管理员或频道身份无法绑定、填报或管理）。"


def private_only(command: str, bot_username: str | None) -> str:
    """A private-only command typed in a group: where to use it, nothing else."""
    where = f"@{esc(bot_username)}" if bot_username else "我"
    return f"🔒 /{esc(command)} 只能在私聊中使用，以免单位信息出现在群里。请点开 {where} 私聊后再发送。"
