"""Every user-facing string, one module per area; import as ``from bot import texts`` and use
``texts.name``. Dynamic text is HTML-escaped here; nothing built here exceeds Telegram's limits once
passed through ``split``. Services and knowledge never import this package (DESIGN.md)."""

from bot.texts.broadcast import *  # noqa: F403
from bot.texts.checkins import *  # noqa: F403
from bot.texts.common import *  # noqa: F403
from bot.texts.common import _u16  # noqa: F401 - used by the broadcast report's budget
from bot.texts.errors import *  # noqa: F403
from bot.texts.events import *  # noqa: F403
from bot.texts.files import *  # noqa: F403
from bot.texts.knowledge import *  # noqa: F403
from bot.texts.lifecycle import *  # noqa: F403
from bot.texts.onboarding import *  # noqa: F403
from bot.texts.plans import *  # noqa: F403
