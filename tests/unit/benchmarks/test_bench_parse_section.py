"""bench-parse rewrites only its own BENCHMARKS.md section."""
from __future__ import annotations

from benchmarks.bench_parse import SECTION_END, SECTION_START, write_section


def test_section_is_appended_once_then_replaced_in_place(tmp_path):
    benchmarks_md = tmp_path / "BENCHMARKS.md"
    benchmarks_md.write_text("# Benchmarks\n\n<!-- other:start -->\nother numbers\n<!-- other:end -->\n")
    write_section(f"{SECTION_START}\nfirst\n{SECTION_END}", benchmarks_md)
    write_section(f"{SECTION_START}\nsecond\n{SECTION_END}", benchmarks_md)
    text = benchmarks_md.read_text()
    assert text.count(SECTION_START) == 1 and "second" in text and "first" not in text
    assert "other numbers" in text and text.index("other numbers") < text.index("second")


def test_missing_file_is_created(tmp_path):
    benchmarks_md = tmp_path / "BENCHMARKS.md"
    write_section(f"{SECTION_START}\nx\n{SECTION_END}", benchmarks_md)
    assert benchmarks_md.read_text().startswith("# Benchmarks\n\n" + SECTION_START)
