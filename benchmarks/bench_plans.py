"""Work-plan figures (issue 10): an uploaded plan's parse + index time through the plan service
(seed-sized and a 2,000-item one), and the time from pressing 「启用」 to the first answer from the
new plan, over the loopback Bot API with the real Application.

    .venv/bin/python -m benchmarks.bench_plans [--runs 5]

What is timed, per plan: reading the file (knowledge.read_document), parsing it into a PlanDraft
(what the preview shows) and building the knowledge base from the stored clause tree (what 启用
does before it answers). Goals: parse + index < 2 s for 2,000 items (issue 14); 启用 -> first
answer < 2 s for a seed-sized plan.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from benchmarks.bench_knowledge import synthetic_document  # noqa: E402
from benchmarks.figures import Figure, emit  # noqa: E402
from bot.services.plans import draft_from_paragraphs  # noqa: E402
from knowledge import KnowledgeBase, read_document  # noqa: E402
from knowledge.parser import ParsedDocument  # noqa: E402

DOC_2026 = ROOT / "tests" / "data" / "docs" / "2026-shizhu-workpoints.docx"


def upload_cost(data: bytes, name: str, runs: int) -> tuple[float, float, int]:
    """(median read + parse s, median index s, items) of one document, as the service does it."""
    parse, index, items = [], [], 0
    for _ in range(runs):
        t0 = time.perf_counter()
        draft = draft_from_paragraphs(read_document(data, name), source_name=name, year=2026)
        t1 = time.perf_counter()
        KnowledgeBase.from_document(ParsedDocument.from_dict(draft.document))
        t2 = time.perf_counter()
        parse.append(t1 - t0)
        index.append(t2 - t1)
        items = len(draft.items)
    return statistics.median(parse), statistics.median(index), items


def enable_to_first_answer(runs: int) -> list[tuple[float, float]]:
    """(press 启用 -> 已启用 reply, press 启用 -> first answer from the new plan) in seconds."""
    from bot.emulator import BotApiEmulator
    from tests.harness import ADMIN, RunningBot, make_settings

    out = []
    for _ in range(runs):
        with tempfile.TemporaryDirectory() as tmp, \
                BotApiEmulator(token="123456:bench-plans", bot_username="bench_bot") as emu:
            bot = RunningBot(make_settings(emu, f"sqlite:///{Path(tmp) / 'b.db'}", log_level="WARNING")).start()
            try:
                emu.user_document(ADMIN, file_name=DOC_2026.name, content=DOC_2026.read_bytes())
                preview = emu.wait_for(chat_id=ADMIN, contains="预览", timeout=30)
                t0 = time.perf_counter()
                emu.press(ADMIN, preview, preview.button("启用")[1])
                emu.wait_for(chat_id=ADMIN, contains="已启用", timeout=30)
                t1 = time.perf_counter()
                emu.user_message(7, "双拥在基层活动怎么搞")
                emu.wait_for(chat_id=7, contains="五（三）", timeout=30)
                t2 = time.perf_counter()
                out.append((t1 - t0, t2 - t0))
            finally:
                bot.stop()
    return out


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--runs", type=int, default=5)
    args = ap.parse_args()
    cmd = "python -m benchmarks.bench_plans"
    figures: list[Figure] = []
    p, i, n = upload_cost(DOC_2026.read_bytes(), DOC_2026.name, args.runs)
    figures.append(Figure(f"plan upload, seed-sized .docx ({n} items): read + parse + index",
                          f"{(p + i) * 1000:.0f} ms", comparison="—", command=cmd))
    print(f"uploaded plan, seed-sized (.docx, {n} items): read + parse {p * 1000:.0f} ms, "
          f"index {i * 1000:.0f} ms, total {(p + i) * 1000:.0f} ms (median of {args.runs})")
    big = synthetic_document(2000 + 100).encode("utf-8")
    p, i, n = upload_cost(big, "2000-items.txt", max(1, args.runs // 2))
    verdict = "PASS" if p + i < 2.0 else "FAIL"
    print(f"uploaded plan, {n} items (.txt): read + parse {p:.2f} s, index {i:.2f} s, total {p + i:.2f} s "
          f"(goal < 2 s: {verdict})")
    figures.append(Figure(f"plan upload, {n} items: read + parse + index", f"{p + i:.2f} s", "< 2 s",
                          "a 2,000-item plan (issue 14)", p + i < 2.0, cmd))
    times = enable_to_first_answer(max(1, args.runs // 2))
    enabled = statistics.median(t for t, _ in times)
    first = statistics.median(t for _, t in times)
    print(f"启用 -> 已启用 reply: median {enabled:.2f} s; 启用 -> first answer from the new plan: "
          f"median {first:.2f} s (goal < 2 s: {'PASS' if first < 2 else 'FAIL'}; {len(times)} runs)")
    figures.append(Figure("启用 of an uploaded plan -> first answer from it", f"{first:.2f} s", "< 2 s",
                          "the 2026 test plan over the loopback emulator", first < 2, cmd))
    emit(figures)


if __name__ == "__main__":
    main()
