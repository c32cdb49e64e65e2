"""Shared by the benchmark scripts: each owns one marked section of BENCHMARKS.md."""

from __future__ import annotations

import re
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def write_section(section: str, text: str) -> None:
    """Replace (or append) the block between ``<!-- bench:SECTION -->`` markers."""
    path = ROOT / "BENCHMARKS.md"
    start, end = f"<!-- bench:{section} -->", f"<!-- /bench:{section} -->"
    block = f"{start}\n{text.rstrip()}\n{end}\n"
    if path.exists():
        cur = path.read_text(encoding="utf-8")
        if start in cur and end in cur:
            cur = re.sub(
                re.escape(start) + r".*?" + re.escape(end) + r"\n?", lambda _m: block, cur, flags=re.S
            )
        else:
            cur = cur.rstrip() + "\n\n" + block
    else:
        cur = "# Benchmarks\n\nEach section is written by its script in `bench/`.\n\n" + block
    path.write_text(cur, encoding="utf-8")


def method_of(doc: str | None) -> str:
    """A benchmark module docstring's second paragraph (its method), on one line."""
    paras = (doc or "").split("\n\n")
    return " ".join(paras[1].split()).split(" Writes its own")[0] if len(paras) > 1 else ""


def publish(section: str, lines: list[str], write: bool) -> None:
    """Print a benchmark's section and, unless told not to, write it into BENCHMARKS.md."""
    text = "\n".join(lines)
    if write:
        write_section(section, text)
    print(text)
