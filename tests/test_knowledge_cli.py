"""CLI through the real entry point: python -m bot ask / outline (subprocess)."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
DATA = Path(__file__).parent / "data"
pytestmark = pytest.mark.skipif(not (ROOT / "bot" / "__main__.py").exists(),
                                reason="bot/__main__.py not there yet")


def run(*args, stdin: bytes | None = None):
    p = subprocess.run([sys.executable, "-m", "bot", *args], cwd=ROOT, input=stdin,
                       capture_output=True, timeout=60)
    assert b"Traceback" not in p.stderr, p.stderr.decode("utf-8", "replace")
    return p


def test_ask_json():
    p = run("ask", "--json", "光荣牌怎么挂")
    assert p.returncode == 0
    d = json.loads(p.stdout)
    assert d["question"] == "光荣牌怎么挂"
    r = d["results"][0]
    assert r["id"] == "1.2" and r["label"] == "一（二）" and "光荣牌" in r["text"]
    assert set(r) == {"id", "label", "title", "score", "text", "sentences"}
    assert any("光荣牌" in x for x in r["sentences"]) and all(x in r["text"] for x in r["sentences"])
    assert "光荣牌" in p.stdout.decode("utf-8")  # ensure_ascii=False


def test_ask_plain_and_missing_and_none():
    out = run("ask", "第二部分").stdout.decode()
    assert "聚焦实现强军目标" in out and "二（三）" in out
    out = run("ask", "第五部分").stdout.decode()
    assert "第五部分" in out and "四" in out
    out = run("ask", "今天天气怎么样").stdout.decode()
    assert "未找到" in out
    d = json.loads(run("ask", "--json", "第五部分").stdout)
    assert d["results"] == []


def test_ask_stdin_batch_and_bad_input():
    lines = ["光荣牌", "", "x" * 10_000, "控制\x01\x02字符", "😀", "3.2"]
    data = "\n".join(lines).encode() + b"\n\xff\xfe\x80bad\n"
    p = run("ask", "--json", stdin=data)
    assert p.returncode == 0
    objs = [json.loads(x) for x in p.stdout.decode().splitlines()]
    assert len(objs) == len(lines) + 1
    assert objs[0]["results"][0]["id"] == "1.2"
    assert objs[1]["results"] == []
    assert objs[5]["results"][0]["id"] == "3.2"
    p = run("ask", stdin="光荣牌\n\n".encode())
    assert p.returncode == 0 and "光荣牌" in p.stdout.decode()


def test_ask_limit_and_doc():
    d = json.loads(run("ask", "--json", "--limit", "1", "退役军人").stdout)
    assert len(d["results"]) <= 1
    d = json.loads(run("ask", "--json", "--doc", str(DATA / "sample-five-sections.txt"),
                       "招聘会").stdout)
    assert d["results"][0]["id"] == "3"
    p = run("ask", "--doc", str(DATA / "nope.txt"), "x")
    assert p.returncode != 0


def test_outline_json():
    p = run("outline", "--json")
    tree = json.loads(p.stdout)
    assert [n["id"] for n in tree] == ["header", "preamble", "1", "2", "3", "4"]
    assert sum(len(n["children"]) for n in tree) == 13
    assert tree[4]["children"][3] == {"id": "3.4", "label": "三（四）",
                                      "title": "积极参与平安丰都建设", "children": []}
    text = run("outline").stdout.decode()
    assert "二（三）" in text
    tree = json.loads(run("outline", "--json", "--doc", str(DATA / "sample-five-sections.txt")).stdout)
    assert len([n for n in tree if n["id"].isdigit()]) == 5


def test_exit_codes_and_chinese_errors(tmp_path):
    p = run("ask", "今天天气怎么样")
    assert p.returncode == 1
    out = p.stdout.decode()
    assert "未找到" in out and "python -m bot outline" in out and "/outline" not in out
    p = run("ask", "--doc", str(tmp_path / "missing.docx"), "光荣牌")
    assert p.returncode == 2 and "文件不存在" in p.stderr.decode()
    assert "Error" not in p.stderr.decode()  # never a library exception name
    (tmp_path / "old.doc").write_bytes(b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\x00" * 600)
    p = run("outline", "--doc", str(tmp_path / "old.doc"))
    assert p.returncode == 2 and ".docx" in p.stderr.decode()
    assert run("ask", "第五部分").returncode == 1
    assert run("ask", "光荣牌怎么挂").returncode == 0
    helptext = " ".join(run("ask", "--help").stdout.decode().split())
    assert "exit status: 0 answered; 1 nothing in the document answers" in helptext  # documented where it is used


def test_section_json_carries_its_items():
    d = json.loads(run("ask", "--json", "第三部分").stdout)
    r = d["results"][0]
    assert [i["id"] for i in r["items"]] == ["3.1", "3.2", "3.3", "3.4"]
    assert "地质灾害" in r["text"] and all(i["text"] for i in r["items"])


def test_pdf_document(tmp_path):
    pytest.importorskip("pypdf")
    from tests.test_knowledge_documents import SEED_LINES, make_pdf

    path = tmp_path / "plan.pdf"
    path.write_bytes(make_pdf(SEED_LINES))
    d = json.loads(run("ask", "--json", "--doc", str(path), "以会代训").stdout)
    assert d["results"][0]["id"] == "4.3"


def test_stdin_on_a_terminal_says_so():
    import os
    import pty

    pid, fd = pty.fork()
    if pid == 0:  # child: stdin is the terminal
        os.chdir(ROOT)
        os.execv(sys.executable, [sys.executable, "-m", "bot", "ask", "--json"])
    out = b""
    import select

    while b"Ctrl-D" not in out:
        r, _, _ = select.select([fd], [], [], 20)
        if not r:
            break
        out += os.read(fd, 1024)
    os.write(fd, b"\x04")
    os.waitpid(pid, 0)
    assert "标准输入".encode() in out
