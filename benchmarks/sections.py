"""BENCHMARKS.md is shared by every benchmark: each owns the block between its two markers."""
from __future__ import annotations

import pathlib


def replace_section(document: str, section: str, start: str, end: str) -> str:
    """Put `section` (which begins with `start` and ends with `end`) in place of that block, or append it."""
    if start in document and end in document:
        before, rest = document.split(start, 1)
        _, after = rest.split(end, 1)
        return before + section + after
    document = document.rstrip("\n") if document.strip() else "# Benchmarks"
    return document + "\n\n" + section + "\n"


def write_section(benchmarks_md: pathlib.Path, section: str, start: str, end: str) -> None:
    """Replace one benchmark's block in BENCHMARKS.md, leaving every other section alone."""
    current = benchmarks_md.read_text(encoding="utf-8") if benchmarks_md.exists() else ""
    benchmarks_md.write_text(replace_section(current, section, start, end), encoding="utf-8")
