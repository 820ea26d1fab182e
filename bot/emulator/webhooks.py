"""Webhooks: setWebhook / deleteWebhook / getWebhookInfo, and a thread that POSTs each pending
update as JSON to the URL with the ``X-Telegram-Bot-Api-Secret-Token`` header, in order, keeping
an update queued (and retrying) until the bot's server answers 2xx — as Telegram does.
"""

from __future__ import annotations

import json
import threading
import time
import urllib.request
from typing import Any

from bot.emulator.updates import UpdateQueue

__all__ = ["Webhooks"]


class Webhooks:
    """The webhook setting and its delivery thread."""

    def __init__(self, cond: threading.Condition, queue: UpdateQueue) -> None:
        self.cond = cond
        self.queue = queue
        self.hook: dict[str, Any] | None = None
        self._thread: threading.Thread | None = None

    def set_webhook(self, params: dict[str, Any]) -> bool:
        """The Bot API ``setWebhook`` (url, secret_token, allowed_updates,
        drop_pending_updates); an empty url removes the webhook."""
        url = params.get("url") or ""
        with self.cond:
            if not url:
                return self.delete_webhook({})
            self.hook = {
                "url": url,
                "secret_token": params.get("secret_token"),
                "allowed_updates": params.get("allowed_updates"),
            }
            self.queue.webhook_active = True
            if "allowed_updates" in params:
                self.queue.set_allowed(params["allowed_updates"])
            if params.get("drop_pending_updates"):
                self.queue.drop_pending()
            self.queue.cut_long_polls()
            if self._thread is None or not self._thread.is_alive():
                self._thread = threading.Thread(
                    target=self._deliver, name="bot-api-emulator-webhook", daemon=True
                )
                self._thread.start()
        return True

    def delete_webhook(self, params: dict[str, Any]) -> bool:
        """The Bot API ``deleteWebhook`` (drop_pending_updates)."""
        with self.cond:
            self.hook = None
            self.queue.webhook_active = False
            if params.get("drop_pending_updates"):
                self.queue.drop_pending()
            self.cond.notify_all()
        return True

    def info(self, params: dict[str, Any]) -> dict[str, Any]:
        """The Bot API ``getWebhookInfo``."""
        with self.cond:
            return {
                "url": (self.hook or {}).get("url", ""),
                "has_custom_certificate": False,
                "pending_update_count": len(self.queue.pending()),
            }

    def _deliver(self) -> None:
        while True:
            with self.cond:
                while not self.queue.stopping and self.hook is not None and not self.queue.head():
                    self.cond.wait(0.5)
                if self.queue.stopping or self.hook is None:
                    return
                hook = dict(self.hook)
                update = self.queue.head()
            assert update is not None
            req = urllib.request.Request(
                hook["url"],
                data=json.dumps(update, ensure_ascii=False).encode("utf-8"),
                headers={"Content-Type": "application/json"},
                method="POST",
            )
            if hook.get("secret_token"):
                req.add_header("X-Telegram-Bot-Api-Secret-Token", hook["secret_token"])
            try:
                with urllib.request.urlopen(req, timeout=10) as resp:
                    ok = 200 <= resp.status < 300
            except OSError:
                ok = False
            if ok:
                self.queue.confirm(update)
            else:
                time.sleep(0.2)
