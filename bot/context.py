"""A typed CallbackContext: handlers read ``context.services`` and ``context.settings`` (a plan's
knowledge base: ``handlers.ask.plan_kb``)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from telegram.ext import Application, CallbackContext, ExtBot

if TYPE_CHECKING:
    from bot.config import Settings
    from bot.services import Services


class BotContext(CallbackContext[ExtBot, dict, dict, dict]):
    def __init__(self, application: Application, chat_id: int | None = None, user_id: int | None = None):
        super().__init__(application=application, chat_id=chat_id, user_id=user_id)

    @property
    def services(self) -> Services:
        return self.bot_data["services"]

    @property
    def settings(self) -> Settings:
        return self.bot_data["settings"]


    def is_admin(self, user_id: int | None) -> bool:
        return self.settings.is_admin(user_id)
