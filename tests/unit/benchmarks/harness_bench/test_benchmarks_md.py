"""BENCHMARKS.md: this benchmark rewrites only its own block; the patch list comes from the script."""
from __future__ import annotations

from benchmarks.harness_bench.benchmarks_md import BEGIN, END, HEADING, reference_patches, splice_section

OTHER = "<!-- bench-parse:start -->\n## bench-parse\n\nratio 0.84\n<!-- bench-parse:end -->\n"


def test_splice_appends_a_block_after_other_sections_when_absent():
    result = splice_section("# Benchmarks\n\n" + OTHER, "numbers v1")
    assert result.startswith("# Benchmarks\n\n" + OTHER)
    assert result.endswith(f"{BEGIN}\n{HEADING}\n\nnumbers v1\n{END}\n")


def test_splice_replaces_only_its_own_block():
    first = splice_section("# Benchmarks\n\n" + OTHER, "numbers v1")
    second = splice_section(first + "\ntrailing text\n", "numbers v2")
    assert "numbers v1" not in second
    assert second.count(BEGIN) == 1 and "numbers v2" in second
    assert OTHER in second and second.endswith("trailing text\n")


def test_splice_starts_a_document_when_there_is_none():
    assert splice_section("", "x").startswith("# Benchmarks\n\n" + BEGIN)


def test_each_numbered_patch_comment_in_prepare_reference_is_one_entry(repo_root):
    patches = reference_patches(repo_root / "benchmarks" / "prepare_reference.sh")
    script = (repo_root / "benchmarks" / "prepare_reference.sh").read_text()
    assert len(patches) == script.count("\npatch_ref ")
    assert "CUDA" in patches[0]
    assert any("EngineDeadError" in text and "one query at a time" in text for text in patches)
