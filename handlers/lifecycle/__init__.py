"""Telegram's update lifecycle, one small module per concern, all applied in bot/app.py where the
Application is built and the handlers registered — never re-implemented inside a handler:

- ordering.py    each chat's updates in the order sent, chats concurrently (a BaseUpdateProcessor)
- inbox.py       every update stored as it arrives and replayed after a crash until handled
- flood.py       a per-sender token bucket at arrival: one 「太快」 notice, the excess dropped
- slots.py       a 429's wait gives the worker slot to other chats (used by handlers/common.py)
- application.py / cleaning.py  NUL and other control characters removed from every update
- membership.py  my_chat_member: blocked/removed -> inactive, back -> active; private message -> active
- migration.py   group -> supergroup: stored chat ids follow; a send answered ChatMigrated is retried
- senders.py     channels, anonymous admins and other bots never act
- edits.py       an edited message never repeats a side effect; an edited question may be answered
- private.py     private-only commands refused in groups; group text not addressed to us ignored

Two more live where every caller already goes: safe acknowledgement of a button press is
handlers/common.py ``answer()``, batch isolation is handlers/push.py ``push_one``. Start-up
failures are bot/startup.py. Keep this package's __init__ free of imports: handlers.common
imports slots and migration, and flood imports handlers.common."""
