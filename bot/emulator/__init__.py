"""A Telegram Bot API emulator on 127.0.0.1 for end-to-end tests and the offline console.

The real python-telegram-bot ``Application`` talks to it over loopback HTTP exactly as it would
talk to api.telegram.org (``base_url(emu.base_url)``, ``base_file_url(emu.base_file_url)``).
It only emits what Telegram emits (every update shape parses with PTB's ``Update.de_json``),
refuses what Telegram refuses, and records what the bot did.  Standard library only.

Modules, one concern each:
    core       BotApiEmulator: wiring and the public surface
    http       the HTTP front and request decoding
    updates    the update queue, getUpdates long polling, offsets and re-delivery
    webhooks   setWebhook and delivery to the bot's server
    store      chats, users and messages on both sides; the log of what the bot did
    observe    waiting for and reading the bot's activity
    api        dispatch of the bot's calls; small methods (commands, getChat, callbacks)
    messages   the bot's sends, edits and deletes
    refusals   Telegram's refusals and limits on a single call
    limits     flood limits, blocked/kicked/migrated chats, injected failures
    entities   UTF-16 lengths, Telegram HTML, entities of typed text
    files      uploads, getFile (20 MB), downloads
    users      people: typing, uploading, editing, pressing buttons, blocking
    groups     groups, supergroups, channels, other bots, anonymous admins, migration
    app_thread run a PTB Application in a thread
"""

from bot.emulator.app_thread import ApplicationThread
from bot.emulator.core import BotApiEmulator
from bot.emulator.entities import HtmlParseError, parse_html, split_text, utf16_len
from bot.emulator.groups import GROUP_ANONYMOUS_BOT
from bot.emulator.refusals import ApiError
from bot.emulator.store import Event, SentMessage

__all__ = [
    "GROUP_ANONYMOUS_BOT",
    "ApiError",
    "ApplicationThread",
    "BotApiEmulator",
    "Event",
    "HtmlParseError",
    "SentMessage",
    "parse_html",
    "split_text",
    "utf16_len",
]
