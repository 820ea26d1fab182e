"""The Bot API emulator, proven against a real (bare) python-telegram-bot Application."""

from __future__ import annotations

import hashlib
import html
import io
import json
import threading
import time
import urllib.error
import urllib.parse
import urllib.request
import warnings

import pytest
from telegram import InlineKeyboardButton, InlineKeyboardMarkup, Update
from telegram.constants import ParseMode
from telegram.error import BadRequest, Forbidden, RetryAfter
from telegram.ext import (
    ApplicationBuilder,
    CallbackQueryHandler,
    ChatMemberHandler,
    CommandHandler,
    ContextTypes,
    Defaults,
    MessageHandler,
    TypeHandler,
    filters,
)

from bot.console import render_html, run_console
from bot.emulator import ApplicationThread, BotApiEmulator, HtmlParseError, parse_html, utf16_len

pytestmark = pytest.mark.filterwarnings("ignore::telegram.warnings.PTBDeprecationWarning")

# ---------------------------------------------------------------- the echo bot


def build_echo_app(
    emu: BotApiEmulator, errors: list, received: list | None = None, members: list | None = None
):
    """A bare echo bot whose texts trigger the refusals under test; every update it gets goes to
    ``received`` (as PTB parsed it), every my_chat_member change to ``members``."""
    received = [] if received is None else received
    members = [] if members is None else members

    async def start(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        await update.effective_message.reply_text(f"started {html.escape(' '.join(context.args))}")

    async def text(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        t = update.effective_message.text
        keyboard = InlineKeyboardMarkup(
            [
                [
                    InlineKeyboardButton("确认", callback_data="ok"),
                    InlineKeyboardButton("取消", callback_data="no"),
                ]
            ]
        )
        replies = {
            "long": "x" * 4097,
            "long_ok": "<b>" + "字" * 4096 + "</b>",
            "long_emoji": "😀" * 2049,
            "empty": "<b> </b>\n",
            "badhtml": "<b>unclosed",
            "badtag": "a <br> b",
            "bareamp": "a & b",
        }
        msg = update.effective_message
        if t in replies:
            await msg.reply_text(replies[t])
        elif t == "bigdata":
            big = InlineKeyboardMarkup([[InlineKeyboardButton("x", callback_data="é" * 33)]])
            await msg.reply_text("big", reply_markup=big)
        elif t == "buttons":
            await msg.reply_text("请选择：<i>确认</i>还是取消？", reply_markup=keyboard)
        elif t == "doc":
            payload = bytes(range(256)) * 40
            await msg.reply_document(payload, filename="名册.bin", caption="<b>名册</b>")
        elif t == "twice":
            await msg.reply_text("one")
            await msg.reply_text("two")
        else:
            await msg.reply_text(f"echo: {html.escape(t)}")

    async def document(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        doc = update.effective_message.document
        f = await doc.get_file()
        data = await f.download_as_bytearray()
        await update.effective_message.reply_text(
            f"got {len(data)} bytes {hashlib.sha1(data).hexdigest()} {doc.file_name} {doc.mime_type}"
        )

    async def photo(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        sizes = update.effective_message.photo
        data = await (await sizes[-1].get_file()).download_as_bytearray()
        await update.effective_message.reply_text(
            f"photo {len(sizes)} sizes {sizes[-1].width}px {len(data)} bytes"
        )

    async def record(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        received.append(update)

    async def member(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        m = update.my_chat_member
        members.append((m.chat.id, m.old_chat_member.status, m.new_chat_member.status))

    async def button(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        q = update.callback_query
        await q.answer("好的" if q.data == "ok" else None)
        await q.edit_message_text("已确认" if q.data == "ok" else "已取消")
        if q.data == "ok":
            await q.edit_message_text("已确认")  # identical: "message is not modified"

    async def on_error(update: object, context: ContextTypes.DEFAULT_TYPE) -> None:
        errors.append((update, context.error))

    async def post_init(app) -> None:
        await app.bot.set_my_commands([("start", "开始"), ("help", "帮助")])

    app = (
        ApplicationBuilder()
        .token(emu.token)
        .base_url(emu.base_url)
        .base_file_url(emu.base_file_url)
        .defaults(Defaults(parse_mode=ParseMode.HTML))
        .concurrent_updates(True)
        .post_init(post_init)
        .build()
    )
    app.add_handler(CommandHandler("start", start))
    app.add_handler(MessageHandler(filters.TEXT & ~filters.COMMAND, text))
    app.add_handler(MessageHandler(filters.Document.ALL, document))
    app.add_handler(MessageHandler(filters.PHOTO, photo))
    app.add_handler(CallbackQueryHandler(button))
    app.add_handler(ChatMemberHandler(member, ChatMemberHandler.MY_CHAT_MEMBER))
    app.add_handler(TypeHandler(Update, record), group=-1)
    app.add_error_handler(on_error)
    return app


class Bot:
    def __init__(self, emu: BotApiEmulator) -> None:
        self.emu = emu
        self.errors: list = []
        self.received: list[Update] = []
        self.members: list[tuple[int, str, str]] = []
        self.runner: ApplicationThread | None = None

    def call(self, coro):
        """Run a coroutine (e.g. ``bot.app.bot.send_message(...)``) on the bot's loop."""
        assert self.runner is not None
        return self.runner.call(coro)

    @property
    def api(self):
        assert self.runner is not None
        return self.runner.app.bot

    def update_where(self, predicate, timeout: float = 5.0) -> Update:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            for u in list(self.received):
                if predicate(u):
                    return u
            time.sleep(0.02)
        raise AssertionError(f"no such update among {len(self.received)} received")

    def error_for(self, chat_id: int, timeout: float = 5.0) -> Exception:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            for update, err in list(self.errors):
                if isinstance(update, Update) and update.effective_chat.id == chat_id:
                    return err
            time.sleep(0.02)
        raise AssertionError(f"no error for chat {chat_id}; errors={self.errors}")


@pytest.fixture(scope="module")
def emu():
    with BotApiEmulator(token="123456:TEST-token", bot_username="shuangyong_test_bot") as e:
        yield e


@pytest.fixture(scope="module")
def bot(emu):
    b = Bot(emu)
    app = build_echo_app(emu, b.errors, b.received, b.members)
    with ApplicationThread(app, poll_timeout=1, allowed_updates=Update.ALL_TYPES) as runner:
        b.runner = runner
        yield b


def retry_seconds(err: RetryAfter) -> float:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        ra = err.retry_after
    return ra.total_seconds() if hasattr(ra, "total_seconds") else float(ra)


# ---------------------------------------------------------------- raw HTTP helpers


def api(emu: BotApiEmulator, method: str, token: str | None = None, **params):
    body = urllib.parse.urlencode(
        {k: v if isinstance(v, str) else json.dumps(v) for k, v in params.items()}
    ).encode()
    req = urllib.request.Request(f"{emu.base_url}{token or emu.token}/{method}", data=body)
    try:
        with urllib.request.urlopen(req, timeout=10) as resp:
            return resp.status, json.loads(resp.read())
    except urllib.error.HTTPError as err:
        return err.code, json.loads(err.read())


# ---------------------------------------------------------------- tests: the real Application


def test_echo_commands_and_no_double_delivery(emu, bot):
    mark = emu.mark()
    emu.user_message(1, "/start 你好")
    assert emu.wait_for(chat_id=1, contains="started 你好", after=mark).plain == "started 你好"
    for word in ("a", "b<c>", "c"):
        emu.user_message(1, word)
    emu.wait_for(chat_id=1, contains="echo: c", after=mark)
    emu.wait_for(chat_id=1, contains="echo: b<c>", after=mark)
    time.sleep(0.3)
    texts = [m.plain for m in emu.to(1)]
    assert texts.count("echo: a") == 1 and texts.count("echo: b<c>") == 1
    # offsets: every later getUpdates confirms what was delivered
    deadline = time.monotonic() + 3
    while emu.pending_updates() and time.monotonic() < deadline:
        time.sleep(0.05)
    assert emu.pending_updates() == []
    offsets = [p.get("offset", 0) for p in emu.calls_to("getUpdates")]
    assert offsets == sorted(offsets)
    # PTB parsed our Message result: reply ids are per chat and increasing
    ids = [m.message_id for m in emu.to(1)]
    assert ids == sorted(ids) and len(set(ids)) == len(ids)
    assert emu.current_commands() == [
        {"command": "start", "description": "开始"},
        {"command": "help", "description": "帮助"},
    ]


def test_refusals_raise_badrequest(emu, bot):
    cases = {
        101: ("long", "message is too long"),
        102: ("empty", "message text is empty"),
        103: ("badhtml", "can't parse entities"),
        104: ("bigdata", "BUTTON_DATA_INVALID"),
        105: ("long_emoji", "message is too long"),
        106: ("badtag", 'Unsupported start tag "br"'),
        107: ("bareamp", "can't parse entities"),
    }
    for chat, (word, _) in cases.items():
        emu.user_message(chat, word)
    for chat, (word, desc) in cases.items():
        err = bot.error_for(chat)
        assert isinstance(err, BadRequest), (word, err)
        assert desc.lower() in str(err).lower(), (word, err)
        assert emu.to(chat) == []
    assert {d for (_m, _p, d) in emu.rejected} >= {"Bad Request: message is too long"}
    # exactly 4096 visible characters (markup excluded) is fine
    emu.user_message(108, "long_ok")
    msg = emu.wait_for(chat_id=108)
    assert len(msg.plain) == 4096 and msg.text.startswith("<b>")


def test_blocked_user_gives_forbidden(emu, bot):
    emu.block(555)
    emu.user_message(555, "hi")
    err = bot.error_for(555)
    assert isinstance(err, Forbidden) and "blocked" in str(err)
    emu.unblock(555)
    emu.user_message(555, "again")
    emu.wait_for(chat_id=555, contains="echo: again")


def test_injected_429_raises_retry_after(emu, bot):
    emu.fail_next("sendMessage", error_code=429, retry_after=3, chat_id=556)
    emu.user_message(556, "hi")
    err = bot.error_for(556)
    assert isinstance(err, RetryAfter) and retry_seconds(err) == 3
    assert emu.self_inflicted_429 == 0
    emu.user_message(556, "next")
    emu.wait_for(chat_id=556, contains="echo: next")


def test_rate_limit_counts_self_inflicted_429(emu, bot):
    emu.rate_limit(global_per_second=5)
    try:
        for uid in range(600, 612):
            emu.user_message(uid, "burst")
        deadline = time.monotonic() + 5
        while time.monotonic() < deadline:
            done = sum(1 for uid in range(600, 612) if emu.to(uid))
            if done + emu.self_inflicted_429 >= 12:
                break
            time.sleep(0.05)
        assert emu.self_inflicted_429 >= 1
        assert done + emu.self_inflicted_429 == 12
        assert done <= 10  # at most 5 per sliding second, and the burst takes well under 2 s
        retry = [e for (_u, e) in bot.errors if isinstance(e, RetryAfter)]
        assert any(retry_seconds(e) == 1 for e in retry)
    finally:
        emu.rate_limit(None)


def test_documents_both_ways(emu, bot):
    emu.user_message(700, "doc")
    msg = emu.wait_for(chat_id=700, contains="名册.bin")
    assert msg.method == "sendDocument" and msg.filename == "名册.bin"
    assert msg.document == bytes(range(256)) * 40
    assert msg.caption == "<b>名册</b>" and msg.plain == "名册"
    content = "姓名,电话\n张三,123\n".encode() * 100
    emu.user_document(701, file_name="roster.csv", content=content)
    reply = emu.wait_for(chat_id=701)
    sha = hashlib.sha1(content).hexdigest()
    assert reply.plain == f"got {len(content)} bytes {sha} roster.csv text/csv"


def test_buttons_callbacks_and_edits(emu, bot):
    emu.user_message(800, "buttons")
    msg = emu.wait_for(chat_id=800, contains="请选择")
    assert msg.buttons == [[("确认", "ok"), ("取消", "no")]]
    assert msg.plain == "请选择：确认还是取消？"
    mark = emu.mark()
    qid = emu.press_button(800, msg, "确认")
    edited = emu.wait_for(chat_id=800, edited=True, after=mark)
    assert edited is msg and msg.plain == "已确认" and msg.buttons == []
    assert msg.edited_texts == ["已确认"]
    err = bot.error_for(800)
    assert isinstance(err, BadRequest) and "not modified" in str(err)
    assert any(
        a["callback_query_id"] == qid and a.get("text") == "好的" for a in emu.answered_callbacks
    )


def test_console_against_echo_bot(emu, bot, tmp_path):
    script = "\n".join(
        [
            "hello <世界>",
            "buttons",
            "2",
            "/as admin",
            "admin says",
            "/as 4242",
            "/quit",
            "never sent",
        ]
    )
    out = io.StringIO()
    run_console(
        emu,
        user_id=900,
        admin_id=901,
        stdin=io.StringIO(script + "\n"),
        stdout=out,
        quiet=0.3,
        save_dir=tmp_path,
    )
    text = out.getvalue()
    assert "echo: hello <世界>" in text
    assert "[1] 确认  [2] 取消" in text
    assert "已取消" in text  # pressed button 2, the bot edited the message
    assert "当前身份：管理员（id 901）" in text
    assert "echo: admin says" in text
    assert "当前身份：用户（id 4242）" in text
    assert "never sent" not in text
    assert emu.to(901)[-1].plain == "echo: admin says"
    assert text.index("echo: hello") < text.index("[1] 确认") < text.index("已取消")


def test_console_saves_documents_and_shows_pushes(emu, bot, tmp_path):
    script = "doc\n"
    out = io.StringIO()
    # a scheduled push to another chat arrives while idle
    threading.Timer(
        0.1, lambda: emu.user_message(951, "push for admin", first_name="管理员")
    ).start()
    run_console(
        emu,
        user_id=950,
        admin_id=951,
        stdin=io.StringIO(script),
        stdout=out,
        quiet=0.5,
        save_dir=tmp_path,
    )
    text = out.getvalue()
    assert "[文件 名册.bin, 10240 字节, saved to" in text
    saved = next(tmp_path.glob("*名册.bin"))
    assert saved.read_bytes() == bytes(range(256)) * 40
    assert "【名册】" in text
    assert "机器人 → 发给管理员（id 951）" in text


def test_console_sends_local_files_as_the_current_identity(emu, bot, tmp_path):
    roster = tmp_path / "十一月 名册.xlsx"
    roster.write_bytes(b"PK\x03\x04" + bytes(500))
    empty = tmp_path / "空.csv"
    empty.write_bytes(b"")
    picture = tmp_path / "现场.png"
    picture.write_bytes(b"\x89PNG\r\n\x1a\n" + bytes(100))
    script = "\n".join([
        "/as admin",
        f'/file "{roster}" 十一月名册',  # quoted, as a terminal's drag and drop gives it
        f"/file {roster}",  # unquoted path with a space
        f"/file {empty}",
        "/file 不存在.docx",
        f"/photo {picture} 现场照片",
    ])
    out = io.StringIO()
    run_console(emu, user_id=960, admin_id=961, stdin=io.StringIO(script + "\n"), stdout=out,
                quiet=0.3, save_dir=tmp_path)
    text = out.getvalue()
    sha = hashlib.sha1(roster.read_bytes()).hexdigest()
    xlsx = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    assert text.count(f"got 504 bytes {sha} 十一月 名册.xlsx {xlsx}") == 2
    assert [m.plain for m in emu.to(961)][:2] == [f"got 504 bytes {sha} 十一月 名册.xlsx {xlsx}"] * 2
    captions = [m.get("caption") for m in emu.user_messages if m["chat"]["id"] == 961]
    assert captions[0] == "十一月名册" and captions[1] is None
    assert "空.csv 是空文件" in text and "找不到文件：不存在.docx" in text
    assert "photo 4 sizes 1280px 108 bytes" in text


# ---------------------------------------------------------------- tests: raw protocol


def test_getupdates_offsets_redelivery_and_long_poll():
    with BotApiEmulator() as e:
        first = e.user_message(5, "one")
        status, body = api(e, "getUpdates")
        assert status == 200 and [u["update_id"] for u in body["result"]] == [first["update_id"]]
        # not confirmed: delivered again (what a restarted bot process sees)
        assert api(e, "getUpdates", timeout=0)[1]["result"][0]["update_id"] == first["update_id"]
        e.user_message(5, "two")
        batch = api(e, "getUpdates", offset=first["update_id"] + 1)[1]["result"]
        assert [u["message"]["text"] for u in batch] == ["two"]
        assert [u["message"]["text"] for u in e.pending_updates()] == ["two"]
        assert api(e, "getUpdates", offset=batch[-1]["update_id"] + 1, limit=5)[1]["result"] == []
        assert e.pending_updates() == []
        # long polling wakes up as soon as an update arrives
        threading.Timer(0.3, lambda: e.user_message(5, "three")).start()
        t0 = time.monotonic()
        got = api(e, "getUpdates", timeout=5)[1]["result"]
        assert got[0]["message"]["text"] == "three" and time.monotonic() - t0 < 2
        # empty long poll lasts its timeout
        t0 = time.monotonic()
        assert api(e, "getUpdates", offset=got[0]["update_id"] + 1, timeout=0.5)[1]["result"] == []
        assert 0.4 < time.monotonic() - t0 < 2
        # the command entity counts UTF-16 units and includes @botname
        msg = e.user_message(5, "/start@shuangyong_test_bot 😀")["message"]
        assert msg["entities"] == [{"type": "bot_command", "offset": 0, "length": 26}]


def test_allowed_updates_decide_what_the_bot_receives():
    with BotApiEmulator() as e:
        assert api(e, "getUpdates", allowed_updates=["callback_query"])[1]["result"] == []
        e.user_message(5, "not asked for")
        assert api(e, "getUpdates")[1]["result"] == []  # the setting is remembered
        assert "never delivered (not in the bot's allowed_updates): ['message']" in e.describe()
        assert api(e, "getUpdates", allowed_updates=[])[1]["result"] == []  # Telegram's default
        e.user_message(5, "asked for")
        assert [u["message"]["text"] for u in api(e, "getUpdates")[1]["result"]] == ["asked for"]


def test_wrong_token_and_unknown_methods():
    with BotApiEmulator() as e:
        assert api(e, "getMe", token="1:wrong")[0] == 401
        status, body = api(e, "getMe")
        assert body["result"]["username"] == "shuangyong_test_bot" and body["result"]["is_bot"]
        assert api(e, "setMyDescription", description="x") == (200, {"ok": True, "result": True})
        assert e.calls[-1] == ("setMyDescription", {"description": "x"})
        e.fail_next("getMe", error_code=502)
        assert api(e, "getMe")[0] == 502
        assert api(e, "getMe")[0] == 200
        status, body = api(
            e,
            "sendMessage",
            chat_id=1,
            text="hi",
            reply_markup={"inline_keyboard": [[{"text": " ", "callback_data": "a"}]]},
        )
        assert status == 400 and body["description"] == "Bad Request: BUTTON_TEXT_INVALID"
        status, body = api(e, "sendMessage", chat_id=1, text="<b>hi</b>", parse_mode="HTML")
        assert body["result"]["text"] == "hi" and body["result"]["entities"][0]["type"] == "bold"


def test_html_parser():
    plain, ents = parse_html(
        '<b>粗<i>体</i></b> &lt;x&gt; &amp; &#128512; <a href="https://e.x/?a=1&amp;b=2">链接</a>'
    )
    assert plain == "粗体 <x> & 😀 链接"
    assert [(e["type"], e["offset"], e["length"]) for e in ents] == [
        ("bold", 0, 2),
        ("italic", 1, 1),
        ("text_link", 12, 2),
    ]
    assert ents[2]["url"] == "https://e.x/?a=1&b=2"
    assert utf16_len("😀") == 2
    for bad in ("<b>x", "<b>x</i>", "a < b", "<foo>x</foo>", "x</b>", "<span>x</span>", "a & b"):
        with pytest.raises(HtmlParseError):
            parse_html(bad)
    assert parse_html("a & b", strict=False)[0] == "a & b"
    assert parse_html('<span class="tg-spoiler">s</span><tg-spoiler>t</tg-spoiler>')[0] == "st"
    assert render_html("<b>标题</b>\n<code>x</code> <a href='https://a.b'>这里</a>") == (
        "【标题】\n「x」 这里（https://a.b）"
    )
    assert render_html("前<blockquote>一\n二</blockquote>后") == "前\n┃ 一\n┃ 二后"


def test_updates_wait_for_a_restarted_bot_and_delay_times_out():
    """Updates sent while no bot runs are delivered when one starts (as after a crash)."""
    from telegram.error import TimedOut

    with BotApiEmulator() as e:
        e.user_message(11, "while down")
        errors: list = []
        app = build_echo_app(e, errors)
        with ApplicationThread(app, poll_timeout=1) as runner:
            e.wait_for(chat_id=11, contains="echo: while down")
            e.delay(0.5, "getMe")
            with pytest.raises(TimedOut):
                runner.call(app.bot.get_me(read_timeout=0.1))
            e.delay(0)
        assert e.pending_updates() == []


def test_webhook_delivery():
    pytest.importorskip("tornado")
    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    with BotApiEmulator() as e:
        errors: list = []
        app = build_echo_app(e, errors)
        done = threading.Event()
        loops: list = []

        def run() -> None:
            import asyncio

            loops.append(asyncio.new_event_loop())
            asyncio.set_event_loop(loops[0])
            app.run_webhook(
                listen="127.0.0.1",
                port=port,
                url_path="hook",
                webhook_url=f"http://127.0.0.1:{port}/hook",
                secret_token="s3cret",
                stop_signals=None,
            )
            done.set()

        threading.Thread(target=run, daemon=True).start()
        deadline = time.monotonic() + 10
        while not e.calls_to("setWebhook") and time.monotonic() < deadline:
            time.sleep(0.05)
        assert api(e, "getUpdates")[0] == 409  # like Telegram while a webhook is set
        e.user_message(12, "via webhook")
        e.wait_for(chat_id=12, contains="echo: via webhook")
        loops[0].call_soon_threadsafe(app.stop_running)
        assert done.wait(10)


# ---------------------------------------------------------------- only what Telegram emits


def _unknown_fields(obj, path: str) -> list[str]:
    """Every field of a parsed object that PTB did not recognise (kept in ``api_kwargs``)."""
    from telegram import TelegramObject

    found: list[str] = []
    if isinstance(obj, TelegramObject):
        if obj.api_kwargs:
            found.append(f"{path}: {sorted(obj.api_kwargs)}")
        names = {n for c in type(obj).__mro__[:-1] for n in getattr(c, "__slots__", ())}
        for name in sorted(names - {"api_kwargs"}):
            if not name.startswith("_"):
                found += _unknown_fields(getattr(obj, name, None), f"{path}.{name}")
    elif isinstance(obj, (list, tuple)):
        for i, item in enumerate(obj):
            found += _unknown_fields(item, f"{path}[{i}]")
    return found


def every_update(e: BotApiEmulator) -> dict[str, dict]:
    """One update of every kind the emulator can emit, by label."""
    kinds: dict[str, dict] = {}

    def take(label: str, action) -> None:
        before = {u["update_id"] for u in e.pending_updates()}
        action()
        new = [u for u in e.pending_updates() if u["update_id"] not in before]
        assert new, f"{label} emitted nothing"
        for i, u in enumerate(new):
            kinds[f"{label}#{i}"] = u

    keyboard = {"inline_keyboard": [[{"text": "好", "callback_data": "ok"}]]}
    assert api(e, "sendMessage", chat_id=1, text="<b>选</b>", parse_mode="HTML",
               reply_markup=keyboard)[0] == 200
    sent = e.last(1)
    first = e.user_message(1, "/start@shuangyong_test_bot 码 😀")
    take("text", lambda: e.user_message(1, "你好 @someone_else"))
    take("reply to the bot", lambda: e.user_message(1, "回复", reply_to=sent))
    take("press", lambda: e.press(1, sent))
    take("press on an old message", lambda: e.press(1, 9999, "ok"))
    doc = e.user_document(1, "方案.docx", caption="/checkin 附件", content=b"PK\x03\x04")
    take("empty document", lambda: e.user_document(1, "空.txt", content=b""))
    take("document over 20 MB", lambda: e.user_document(1, "录像.zip", content=None,
                                                        size=30 * 2**20))
    take("photo", lambda: e.user_photo(1, "照片说明"))
    take("sticker", lambda: e.user_sticker(1))
    take("edited command", lambda: e.edited_message(1, "/start 改了", first))
    take("edited caption", lambda: e.edited_message(1, "新说明", doc))
    take("block", lambda: e.block(1, notify=True))
    take("unblock", lambda: e.unblock(1, notify=True))
    groups: list[int] = []
    take("bot added to a group", lambda: groups.append(e.add_bot_to_group(2, title="工作群")))
    gid = groups[0]
    take("bot added to a supergroup as admin",
         lambda: groups.append(e.add_bot_to_group(2, supergroup=True, admin=True)))
    take("group text", lambda: e.user_message(2, "@shuangyong_test_bot 光荣牌", chat_id=gid))
    take("mention of another bot", lambda: e.mention_other_bot(2, gid))
    take("command for another bot", lambda: e.mention_other_bot(2, gid, command="start"))
    take("another bot", lambda: e.bot_message(gid, "/start@shuangyong_test_bot"))
    take("anonymous admin", lambda: e.anonymous_admin_message(gid, "通知", signature="办公室"))
    post = e.channel_post(None, "公告")
    take("channel post", lambda: e.channel_post(post["channel_post"]["chat"]["id"], "又一条"))
    take("edited channel post", lambda: e.edited_message(0, "改过的公告", post))
    take("migration", lambda: groups.append(e.migrate_to_supergroup(gid, 2)))
    take("bot kicked", lambda: e.remove_bot_from_group(2, groups[1]))
    take("bot left", lambda: e.remove_bot_from_group(2, groups[2], kicked=False))
    kinds["first"] = first
    return kinds


def test_every_update_kind_parses_in_ptb_without_unknown_fields():
    """PTB's polling stalls on an update it cannot parse (e.g. a kicked member without
    until_date); every kind the emulator emits parses, and carries no field PTB does not know."""
    import telegram

    with BotApiEmulator() as e:
        kinds = every_update(e)
        tg_bot = telegram.Bot(e.token)
        assert len(kinds) >= 28
        for label, raw in kinds.items():
            upd = Update.de_json(json.loads(json.dumps(raw)), tg_bot)
            assert upd.update_id == raw["update_id"], label
            kind = next(k for k in raw if k != "update_id")
            assert getattr(upd, kind) is not None, label
            assert _unknown_fields(upd, label) == []
        kicked = kinds["block#0"]["my_chat_member"]["new_chat_member"]
        assert kicked == {"user": kicked["user"], "status": "kicked", "until_date": 0}
        unblocked = kinds["unblock#0"]["my_chat_member"]
        assert unblocked["old_chat_member"]["until_date"] == 0
        assert unblocked["new_chat_member"]["status"] == "member"


def test_method_results_parse_in_ptb():
    import telegram

    with BotApiEmulator() as e:
        e.user_message(1, "hi")
        doc = e.user_document(1, "名册.xlsx", content=b"PK\x03\x04 xlsx")["message"]["document"]
        photo = e.user_photo(1)["message"]["photo"][-1]
        results = {
            "getMe": (telegram.User, {}),
            "sendMessage": (telegram.Message, {"chat_id": 1, "text": "<b>好</b>",
                                               "parse_mode": "HTML",
                                               "reply_parameters": {"message_id": 1}}),
            "sendDocument": (telegram.Message, {"chat_id": 1, "document": doc["file_id"],
                                                "caption": "附件"}),
            "sendPhoto": (telegram.Message, {"chat_id": 1, "photo": photo["file_id"]}),
            "getChat": (telegram.ChatFullInfo, {"chat_id": 1}),
            "getChatMember": (telegram.ChatMember, {"chat_id": 1, "user_id": 1}),
            "getFile": (telegram.File, {"file_id": doc["file_id"]}),
            "getWebhookInfo": (telegram.WebhookInfo, {}),
        }
        tg_bot = telegram.Bot(e.token)
        for method, (cls, params) in results.items():
            status, body = api(e, method, **params)
            assert status == 200, (method, body)
            parsed = cls.de_json(body["result"], tg_bot)
            assert parsed is not None and _unknown_fields(parsed, method) == []


# ---------------------------------------------------------------- lifecycle through a real bot


def _wait_member(bot: Bot, change: tuple) -> None:
    deadline = time.monotonic() + 5
    while change not in bot.members and time.monotonic() < deadline:
        time.sleep(0.02)
    assert change in bot.members, bot.members


def test_block_and_unblock_reach_the_bot(emu, bot):
    emu.block(560, notify=True)
    _wait_member(bot, (560, "member", "kicked"))
    emu.user_message(560, "hi")
    err = bot.error_for(560)
    assert isinstance(err, Forbidden) and "blocked" in str(err)
    emu.unblock(560, notify=True)
    _wait_member(bot, (560, "kicked", "member"))
    emu.user_message(560, "again")  # polling goes on after kicked -> member
    emu.wait_for(chat_id=560, contains="echo: again")


def test_groups_and_who_speaks_in_them(emu, bot):
    gid = emu.add_bot_to_group(20, title="龙城镇工作群")
    _wait_member(bot, (gid, "left", "member"))
    joined = bot.update_where(lambda u: u.message is not None and bool(u.message.new_chat_members))
    assert joined.message.new_chat_members[0].username == emu.bot_username
    assert joined.effective_chat.type == "group" and joined.effective_chat.title == "龙城镇工作群"

    emu.user_message(20, "group hello", chat_id=gid)
    emu.wait_for(chat_id=gid, contains="echo: group hello")

    other = emu.other_bot_username
    assert other.startswith(emu.bot_username) and other != emu.bot_username
    emu.mention_other_bot(20, gid, "光荣牌")
    upd = bot.update_where(lambda u: u.message is not None and "光荣牌" in (u.message.text or ""))
    assert list(upd.message.parse_entities(["mention"]).values()) == [f"@{other}"]

    emu.bot_message(gid, "/start@shuangyong_test_bot 机器人")
    emu.wait_for(chat_id=gid, contains="started 机器人")
    upd = bot.update_where(lambda u: u.message is not None and u.message.from_user.is_bot)
    assert upd.message.from_user.id != emu.bot_id

    emu.anonymous_admin_message(gid, "admin note", signature="办公室主任")
    upd = bot.update_where(lambda u: u.message is not None and u.message.text == "admin note")
    assert upd.message.from_user.id == 1087968824 and upd.message.from_user.is_bot
    assert upd.effective_sender.id == gid and upd.message.author_signature == "办公室主任"

    post = emu.channel_post(None, "公告")
    cid = post["channel_post"]["chat"]["id"]
    upd = bot.update_where(lambda u: u.channel_post is not None and u.channel_post.text == "公告")
    assert upd.channel_post.from_user is None and upd.channel_post.sender_chat.id == cid
    assert upd.effective_chat.type == "channel"

    sg = emu.add_bot_to_group(21, supergroup=True, admin=True)
    _wait_member(bot, (sg, "left", "administrator"))
    emu.user_message(21, "super", chat_id=sg)
    emu.wait_for(chat_id=sg, contains="echo: super")
    assert str(sg).startswith("-100")

    emu.remove_bot_from_group(20, gid)
    _wait_member(bot, (gid, "member", "kicked"))
    with pytest.raises(Forbidden, match="kicked"):
        bot.call(bot.api.send_message(gid, "还在吗"))


def test_group_upgraded_to_supergroup(emu, bot):
    from telegram.error import ChatMigrated

    gid = emu.add_bot_to_group(30, title="名山街道群")
    new = emu.migrate_to_supergroup(gid, 30)
    old_side = bot.update_where(
        lambda u: u.message is not None and u.message.migrate_to_chat_id == new
    )
    assert old_side.message.chat.id == gid and old_side.message.from_user.id == 30
    new_side = bot.update_where(
        lambda u: u.message is not None and u.message.migrate_from_chat_id == gid
    )
    assert new_side.message.chat.id == new and new_side.message.chat.type == "supergroup"
    assert new_side.message.chat.title == "名山街道群"
    with pytest.raises(ChatMigrated) as err:
        bot.call(bot.api.send_message(gid, "通知"))
    assert err.value.new_chat_id == new
    assert emu.rejected[-1][2] == "Bad Request: group chat was upgraded to a supergroup chat"
    bot.call(bot.api.send_message(new, "通知"))
    assert emu.to(new)[-1].plain == "通知"
    with pytest.raises(ValueError):  # the old group is gone: nobody can write there
        emu.user_message(30, "还在吗", chat_id=gid)
    with pytest.raises(ValueError):  # only basic groups are upgraded
        emu.migrate_to_supergroup(new, 30)
    emu.user_message(30, "新群里说话", chat_id=new)
    emu.wait_for(chat_id=new, contains="echo: 新群里说话")


def test_callback_answer_refused_as_too_old(emu, bot):
    emu.user_message(810, "buttons")
    msg = emu.wait_for(chat_id=810, contains="请选择")
    emu.refuse_callback_answers()
    emu.press_button(810, msg, "确认")
    err = bot.error_for(810)
    assert isinstance(err, BadRequest) and "query is too old" in str(err).lower()
    emu.press_button(810, msg, "取消")  # only the next answer was refused
    emu.wait_for(chat_id=810, contains="已取消", edited=True)


def test_edits_of_commands_and_captions(emu, bot):
    first = emu.user_message(820, "/start 原来")
    emu.wait_for(chat_id=820, contains="started 原来")
    emu.edited_message(820, "/start 改了", first)
    upd = bot.update_where(
        lambda u: u.edited_message is not None and u.edited_message.text == "/start 改了"
    )
    assert upd.edited_message.message_id == first["message"]["message_id"]
    assert upd.edited_message.edit_date is not None
    assert upd.edited_message.entities[0].type == "bot_command"
    emu.wait_for(chat_id=820, contains="started 改了")  # PTB runs an edited command again
    doc = emu.user_document(820, "说明.pdf", caption="旧说明")
    emu.edited_message(820, "新说明", doc)
    upd = bot.update_where(
        lambda u: u.edited_message is not None and u.edited_message.caption == "新说明"
    )
    assert upd.edited_message.document.file_name == "说明.pdf"


DOCUMENTS = {
    "工作方案.docx": (b"PK\x03\x04word/document.xml",
                  "application/vnd.openxmlformats-officedocument.wordprocessingml.document"),
    "要点.pdf": (b"%PDF-1.7\n%\xe2\xe3\xcf\xd3", "application/pdf"),
    "名册.xlsx": (b"PK\x03\x04xl/workbook.xml",
                "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"),
    "名册.csv": ("单位名称,联络员\n龙城镇,张三\n".encode("gbk"), "text/csv"),
    "旧名册.xls": (b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" * 64, "application/vnd.ms-excel"),
    "旧方案.doc": (b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" * 8, "application/msword"),
    "说明.txt": ("第一条\r\n".encode("utf-8-sig"), "text/plain"),
    "截图.png": (b"\x89PNG\r\n\x1a\n" + bytes(3000), "image/png"),
    "空文件.txt": (b"", "text/plain"),
    "无扩展名": (bytes(range(256)), "application/octet-stream"),
}


def test_documents_of_every_kind_photos_and_the_20mb_limit(emu, bot):
    for uid, (name, (content, mime)) in enumerate(DOCUMENTS.items(), start=830):
        emu.user_document(uid, name, content=content)
        reply = emu.wait_for(chat_id=uid, contains="got")
        sha = hashlib.sha1(content).hexdigest()
        assert reply.plain == f"got {len(content)} bytes {sha} {name} {mime}"
    emu.user_document(850, "录像.zip", content=None, size=25 * 1024 * 1024)
    err = bot.error_for(850)
    assert isinstance(err, BadRequest) and "file is too big" in str(err).lower()
    picture = b"\x89PNG\r\n\x1a\n" + bytes(range(256)) * 20
    update = emu.user_photo(851, content=picture)
    reply = emu.wait_for(chat_id=851, contains="photo")
    assert reply.plain == f"photo 4 sizes 1280px {len(picture)} bytes"
    sizes = update["message"]["photo"]
    assert [s["width"] for s in sizes] == sorted(s["width"] for s in sizes)
    assert len({s["file_id"] for s in sizes}) == 4
    # the file URL serves the bytes, and only with the right token
    path = api(emu, "getFile", file_id=sizes[0]["file_id"])[1]["result"]["file_path"]
    with urllib.request.urlopen(f"{emu.base_file_url}{emu.token}/{path}", timeout=5) as resp:
        assert resp.read() == picture
    with pytest.raises(urllib.error.HTTPError):
        urllib.request.urlopen(f"{emu.base_file_url}1:wrong/{path}", timeout=5)


def test_text_that_no_client_can_send_never_cuts_the_connection(emu, bot):
    with pytest.raises(ValueError):
        emu.user_message(860, "粘贴被截断\udce5")
    body = b'{"chat_id": 861, "text": "x\\ud800"}'
    req = urllib.request.Request(f"{emu.base_url}{emu.token}/sendMessage", data=body,
                                 headers={"Content-Type": "application/json"})
    with pytest.raises(urllib.error.HTTPError) as err:
        urllib.request.urlopen(req, timeout=5)
    assert err.value.code == 400
    assert json.loads(err.value.read())["description"] == (
        "Bad Request: strings must be encoded in UTF-8"
    )
    paste = "".join(f"第{i:04d}行光荣牌\n" for i in range(600))  # 6,000 characters
    last = emu.user_message(860, paste, split=True)["message"]["text"]
    assert last.startswith("第") and paste.endswith(last) and len(last) < 6000 - 4000
    emu.wait_for(chat_id=860, contains="echo: 第0000行")
    emu.wait_for(chat_id=860, contains=f"echo: {last[:8]}")
    emu.user_message(860, "still here")
    emu.wait_for(chat_id=860, contains="echo: still here")


def test_telegram_flood_limits():
    with BotApiEmulator() as e:
        e.telegram_limits()
        assert api(e, "sendMessage", chat_id=1, text="a")[0] == 200
        status, body = api(e, "sendMessage", chat_id=1, text="b")  # same chat within a second
        assert status == 429 and body["parameters"] == {"retry_after": 1}
        assert body["description"] == "Too Many Requests: retry after 1"
        gid = e.new_group("工作群")
        e.rate_limit(None, group_per_minute=20)
        for i in range(20):
            assert api(e, "sendMessage", chat_id=gid, text=f"第{i}条")[0] == 200
        status, body = api(e, "sendMessage", chat_id=gid, text="第21条")
        assert status == 429 and 50 <= body["parameters"]["retry_after"] <= 60
        e.rate_limit(30)
        for uid in range(100, 130):
            assert api(e, "sendMessage", chat_id=uid, text="群发")[0] == 200
        status, body = api(e, "sendMessage", chat_id=130, text="群发")
        assert status == 429 and body["parameters"]["retry_after"] == 1
        assert e.self_inflicted_429 == 3
        e.rate_limit(None)
        assert api(e, "sendMessage", chat_id=130, text="群发")[0] == 200
