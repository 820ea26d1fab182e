"""Groups, supergroups and channels: the bot being added and removed, who can speak there besides
people (other bots, anonymous admins, the channel itself), and a group's upgrade to a supergroup.

Shapes follow the Bot API and what Telegram actually sends:

* anonymous group admins write as ``from`` = @GroupAnonymousBot (id 1087968824) with
  ``sender_chat`` = the group (Bot API 5.0, "Message.sender_chat");
* channel posts are ``channel_post`` updates without ``from``, ``sender_chat`` = the channel;
* a group upgraded to a supergroup sends a service message with ``migrate_to_chat_id`` in the old
  group (from the user who upgraded it) and one with ``migrate_from_chat_id`` in the new
  supergroup (from @GroupAnonymousBot, sender_chat = the supergroup); afterwards every write to
  the old id is answered 400 "Bad Request: group chat was upgraded to a supergroup chat" with
  ``parameters.migrate_to_chat_id``;
* adding the bot sends my_chat_member (left -> member or administrator) and a service message with
  ``new_chat_members``; removing it sends my_chat_member (-> kicked with until_date 0, or left),
  after which writes are answered 403.

Ids: basic groups are negative (-4xxxxxxxxx), supergroups and channels -100xxxxxxxxxx.
"""

from __future__ import annotations

import itertools
from typing import Any

from bot.emulator.entities import text_entities
from bot.emulator.limits import Faults
from bot.emulator.refusals import KICKED_FROM_GROUP, KICKED_FROM_SUPERGROUP, NOT_A_MEMBER
from bot.emulator.store import MessageStore
from bot.emulator.updates import UpdateQueue
from bot.emulator.users import UserSide

__all__ = ["GROUP_ANONYMOUS_BOT", "GroupSide"]

GROUP_ANONYMOUS_BOT = {
    "id": 1087968824,
    "is_bot": True,
    "first_name": "Group",
    "username": "GroupAnonymousBot",
}


class GroupSide:
    """Group life: chats, membership of the bot, non-human senders, migration."""

    def __init__(
        self, store: MessageStore, queue: UpdateQueue, users: UserSide, faults: Faults
    ) -> None:
        self.store = store
        self.queue = queue
        self.users = users
        self.faults = faults
        self._seq = itertools.count(1)

    @property
    def other_bot_username(self) -> str:
        """A different bot whose username starts with ours (``<ours>_helper_bot``)."""
        return f"{self.store.bot_sender['username']}_helper_bot"

    def new_group(
        self,
        title: str = "测试群",
        *,
        supergroup: bool = False,
        channel: bool = False,
        chat_id: int | None = None,
    ) -> int:
        """Register a basic group (or a supergroup, or a channel) and return its id; no update
        is sent (use :meth:`add_bot_to_group` for the bot joining)."""
        n = next(self._seq)
        if chat_id is None:
            chat_id = -1002000000000 - n if supergroup or channel else -4000000000 - n
        kind = "channel" if channel else ("supergroup" if supergroup else "group")
        self.store.group_chat(chat_id, kind, title)
        return chat_id

    def add_bot_to_group(
        self,
        user_id: int,
        chat_id: int | None = None,
        *,
        title: str = "测试群",
        supergroup: bool = False,
        admin: bool = False,
    ) -> int:
        """User ``user_id`` adds the bot to a group (a new one unless ``chat_id`` is given):
        my_chat_member left -> member (administrator with ``admin=True``) and the service message
        with ``new_chat_members`` = [the bot].  Returns the group's id."""
        if chat_id is None:
            chat_id = self.new_group(title, supergroup=supergroup)
        elif chat_id not in self.store.chats:
            kind = "supergroup" if supergroup else self.store.chat_type(chat_id)
            self.store.group_chat(chat_id, kind, title)
        self.faults.reopen(chat_id)
        self.users.my_chat_member(chat_id, user_id, "left", "administrator" if admin else "member")
        msg = self.users.new_message(user_id, chat_id=chat_id)
        msg["new_chat_members"] = [dict(self.store.bot_sender)]
        self.users.deliver(msg)
        return chat_id

    def remove_bot_from_group(
        self, user_id: int, chat_id: int, *, kicked: bool = True
    ) -> dict[str, Any]:
        """User ``user_id`` removes the bot from group ``chat_id``: my_chat_member member ->
        kicked (until_date 0), or -> left with ``kicked=False``; writes to the group are
        answered 403 afterwards.  Returns the update."""
        kind = self.store.chat_type(chat_id)
        if kicked:
            why = KICKED_FROM_SUPERGROUP if kind == "supergroup" else KICKED_FROM_GROUP
        else:
            why = NOT_A_MEMBER.format(kind="supergroup" if kind == "supergroup" else "group")
        self.faults.close(chat_id, why)
        return self.users.my_chat_member(chat_id, user_id, "member", "kicked" if kicked else "left")

    def mention_other_bot(
        self, user_id: int, chat_id: int, text: str = "你好", *, command: str | None = None
    ) -> dict[str, Any]:
        """In group ``chat_id`` the user addresses a *different* bot whose username starts with
        ours: ``@<other> text``, or ``/command@<other> text`` when ``command`` is given."""
        other = self.other_bot_username
        typed = f"/{command}@{other} {text}" if command else f"@{other} {text}"
        return self.users.user_message(user_id, typed.strip(), chat_id=chat_id)

    def bot_message(
        self,
        chat_id: int,
        text: str,
        *,
        bot_id: int = 5_000_000_001,
        username: str = "other_helper_bot",
        first_name: str = "别的机器人",
    ) -> dict[str, Any]:
        """Another bot (``is_bot`` true) writes ``text`` in ``chat_id``.  Telegram delivers such
        a message only in bot-to-bot contexts (a /command@ours, a reply to our message, or when
        both bots allow it), so use it with such a text."""
        sender = {"id": bot_id, "is_bot": True, "first_name": first_name, "username": username}
        chat = self._group(chat_id)
        msg = self.store.new_message(chat, sender)
        msg["text"] = text
        return self._with_entities(msg)

    def anonymous_admin_message(
        self, chat_id: int, text: str, *, signature: str | None = None
    ) -> dict[str, Any]:
        """An admin who posts anonymously writes ``text`` in group ``chat_id``: ``from`` is
        @GroupAnonymousBot, ``sender_chat`` the group, ``author_signature`` its custom title."""
        chat = self._group(chat_id)
        msg = self.store.new_message(chat, dict(GROUP_ANONYMOUS_BOT), sender_chat=dict(chat))
        msg["text"] = text
        if signature:
            msg["author_signature"] = signature
        return self._with_entities(msg)

    def channel_post(
        self,
        chat_id: int | None,
        text: str,
        *,
        title: str = "双拥公告",
        signature: str | None = None,
    ) -> dict[str, Any]:
        """A post in channel ``chat_id`` (a new channel when None) where the bot is an admin: a
        ``channel_post`` update without ``from``, ``sender_chat`` = the channel."""
        if chat_id is None:
            chat_id = self.new_group(title, channel=True)
        chat = self.store.group_chat(chat_id, "channel", title)
        msg = self.store.new_message(chat, None, sender_chat=dict(chat))
        msg["text"] = text
        if signature:
            msg["author_signature"] = signature
        return self._with_entities(msg)

    def migrate_to_supergroup(
        self, chat_id: int, user_id: int, *, new_chat_id: int | None = None
    ) -> int:
        """User ``user_id`` upgrades basic group ``chat_id`` to a supergroup: the two service
        messages (``migrate_to_chat_id`` in the old group, ``migrate_from_chat_id`` in the new
        one), and from then on writes to the old id are refused with 400 and
        ``migrate_to_chat_id``.  Returns the supergroup's id."""
        old = self._group(chat_id)
        if old["type"] != "group":
            raise ValueError(f"only a basic group can be upgraded; {chat_id} is a {old['type']}")
        if new_chat_id is None:
            new_chat_id = -1002000000000 - next(self._seq)
        new_chat = self.store.group_chat(new_chat_id, "supergroup", old.get("title"))
        notice = self.users.new_message(user_id, chat_id=chat_id, chat_type=old["type"])
        notice["migrate_to_chat_id"] = new_chat_id
        self.users.deliver(notice)
        self.faults.migrate(chat_id, new_chat_id)
        welcome = self.store.new_message(
            new_chat, dict(GROUP_ANONYMOUS_BOT), sender_chat=dict(new_chat)
        )
        welcome["migrate_from_chat_id"] = chat_id
        self.users.deliver(welcome)
        return new_chat_id

    def _group(self, chat_id: int) -> dict[str, Any]:
        """The Chat of group ``chat_id`` (registered on first use); ValueError for a private
        chat or a channel, where none of this happens."""
        kind = self.store.chat_type(chat_id)
        if kind not in ("group", "supergroup"):
            raise ValueError(f"{chat_id} is a {kind} chat, not a group (use a negative id)")
        return self.store.group_chat(chat_id, kind)

    def _with_entities(self, msg: dict[str, Any]) -> dict[str, Any]:
        entities = text_entities(msg["text"])
        if entities:
            msg["entities"] = entities
        return self.users.deliver(msg)
