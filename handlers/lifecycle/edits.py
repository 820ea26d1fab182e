"""Edit policy: an edited message never repeats a side effect. Telegram sends an edit as a new
update (``edited_message``), and PTB's CommandHandler accepts edits by default, so editing
``/event_add …`` used to add a second event. One rule, registered before every handler: an edited
plain text is a question asked again, answered by the question handler and by nothing else (not
taken as a check-in note, a pasted invite, a typed check-in or the rest of a broadcast); an edited
command, caption or file stops here, and the first edit of a command addressed to us says so once.
No other handler needs to exclude edits."""

from __future__ import annotations

from collections import OrderedDict

from telegram import Update
from telegram.ext import ApplicationHandlerStop, filters

from bot import texts
from bot.context import BotContext
from handlers.common import reply
from handlers.lifecycle.private import command_of

# the edits that must not reach the handlers: every edit but plain text
REPEATS_NOTHING = filters.UpdateType.EDITED & ~(filters.TEXT & ~filters.COMMAND)
# ... and plain text edited: a question again, for the question handler only
ASKED_AGAIN = filters.UpdateType.EDITED & filters.TEXT & ~filters.COMMAND
_NOTICES = "_edited_command_notices"
_REMEMBER = 2_000


async def ignore_edit(update: Update, context: BotContext) -> None:
    """Stop the edit; tell the user once per edited command message."""
    msg = update.effective_message
    if msg is not None and update.edited_message is not None:
        cmd = command_of(msg, context.bot.username)
        if cmd is not None and cmd[1]:
            told: OrderedDict = context.bot_data.setdefault(_NOTICES, OrderedDict())
            key = (msg.chat.id, msg.message_id)
            if key not in told:
                told[key] = None
                while len(told) > _REMEMBER:
                    told.popitem(last=False)
                await reply(update, texts.EDITED_COMMAND)
    raise ApplicationHandlerStop


async def answer_edit(update: Update, context: BotContext) -> None:
    """An edited plain text: answered as a question (the edit may have fixed a typo), then stop."""
    from handlers.ask import plain_text

    await plain_text(update, context)
    raise ApplicationHandlerStop
