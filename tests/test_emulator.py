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
    CommandHandler,
    ContextTypes,
    Defaults,
    MessageHandler,
    filters,
)

from bot.console import render_html, run_console
from bot.emulator import ApplicationThread, BotApiEmulator, HtmlParseError, parse_html, utf16_len

pytestmark = pytest.mark.filterwarnings("ignore::telegram.warnings.PTBDeprecationWarning")

# ---------------------------------------------------------------- the echo bot


def build_echo_app(emu: BotApiEmulator, errors: list):
    """A bare echo bot whose texts trigger the refusals under test."""

    async def start(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        await update.message.reply_text(f"started {html.escape(' '.join(context.args))}")

    async def text(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        t = update.message.text
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
        if t in replies:
            await update.message.reply_text(replies[t])
        elif t == "bigdata":
            big = InlineKeyboardMarkup([[InlineKeyboardButton("x", callback_data="é" * 33)]])
            await update.message.reply_text("big", reply_markup=big)
        elif t == "buttons":
            await update.message.reply_text("请选择：<i>确认</i>还是取消？", reply_markup=keyboard)
        elif t == "doc":
            payload = bytes(range(256)) * 40
            await update.message.reply_document(payload, filename="名册.bin", caption="<b>名册</b>")
        else:
            await update.message.reply_text(f"echo: {html.escape(t)}")

    async def document(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        f = await update.message.document.get_file()
        data = await f.download_as_bytearray()
        await update.message.reply_text(f"got {len(data)} bytes {hashlib.sha1(data).hexdigest()}")

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
    app.add_handler(CallbackQueryHandler(button))
    app.add_error_handler(on_error)
    return app


class Bot:
    def __init__(self, emu: BotApiEmulator) -> None:
        self.emu = emu
        self.errors: list = []

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
    with ApplicationThread(build_echo_app(emu, b.errors), poll_timeout=1):
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
    assert reply.plain == f"got {len(content)} bytes {hashlib.sha1(content).hexdigest()}"


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
