"""bench-parse: how fast the LoadGen detail-log parser reads a full-size Server run.

Makes the run with the real mlcommons-loadgen (tests/tools/make_loadgen_run.py): Server,
13,368 samples, a zero-latency SUT that answers every sample with one token. LoadGen then
logs an error line per sample, which is how detail logs grow to 100 MB+ in the field, so the
log is mostly the lines the parser must read one by one.

Reports the parser's MB/s against a bare `json.loads` per line over the same file (median of
--repeats runs each, interleaved) and writes the numbers to BENCHMARKS.md's bench-parse
section. Goal: ratio >= 0.8.

    python benchmarks/bench_parse.py [--repeats 9] [--keep DIR] [--no-write]
"""
from __future__ import annotations

import argparse
import json
import pathlib
import statistics
import subprocess
import sys
import tempfile
import time

REPO = pathlib.Path(__file__).resolve().parents[1]
sys.path[:0] = [str(REPO / "collections"), str(REPO)]

from benchmarks import machine, sections  # noqa: E402

from ansible_collections.fleetbench.llm.plugins.module_utils.loadgen.detail_log import (  # noqa: E402
    DETAIL_LOG,
    MLLOG_PREFIX,
    read_detail_log,
)
from ansible_collections.fleetbench.llm.plugins.module_utils.loadgen.parser import parse_result_dir  # noqa: E402

MAKE_RUN = REPO / "tests" / "tools" / "make_loadgen_run.py"
SAMPLES = 13368
GOAL = 0.8
SECTION_START = "<!-- bench-parse:start -->"
SECTION_END = "<!-- bench-parse:end -->"


def make_server_run(output: pathlib.Path, tokens: int = 1) -> None:
    command = [
        sys.executable, str(MAKE_RUN), "--scenario", "Server", "--mode", "performance",
        "--output", str(output), "--model", "llama3_1-8b", "--tokens", str(tokens),
        "--total-samples", str(SAMPLES), "--performance-samples", str(SAMPLES),
        "--setting", f"min_query_count={SAMPLES}", "--setting", "min_duration_ms=1000",
        "--setting", "server_target_qps=10000",
    ]
    subprocess.run(command, check=True, stdout=subprocess.DEVNULL)


def bare_json_loop(path: pathlib.Path) -> int:
    """The floor to compare with: one json.loads per line, nothing kept."""
    skip = len(MLLOG_PREFIX)
    count = 0
    with open(path, encoding="utf-8") as handle:
        for line in handle:
            json.loads(line[skip:])
            count += 1
    return count


def seconds(function, path) -> float:
    """CPU seconds of one call: on a shared machine, wall time mostly measures the neighbours."""
    start = time.process_time()
    function(path)
    return time.process_time() - start


def measure(path: pathlib.Path, repeats: int) -> dict[str, float]:
    size_mb = path.stat().st_size / 1e6
    bare, parser, whole = [], [], []
    for _ in range(repeats):
        bare.append(seconds(bare_json_loop, path))
        parser.append(seconds(read_detail_log, str(path)))
        whole.append(seconds(parse_result_dir, str(path.parent)))
    bare_mb_s = size_mb / statistics.median(bare)
    parser_mb_s = size_mb / statistics.median(parser)
    return {
        "size_mb": size_mb,
        "lines": bare_json_loop(path),
        "bare_mb_s": bare_mb_s,
        "parser_mb_s": parser_mb_s,
        "ratio": parser_mb_s / bare_mb_s,
        "whole_folder_s": statistics.median(whole),
    }


def clean_run_numbers(folder: pathlib.Path, repeats: int) -> dict[str, float]:
    """The same run answered with 128 tokens per sample: what a healthy detail log costs."""
    detail = folder / DETAIL_LOG
    return {
        "size_kb": detail.stat().st_size / 1e3,
        "lines": bare_json_loop(detail),
        "whole_folder_s": statistics.median(seconds(parse_result_dir, str(folder)) for _ in range(repeats)),
    }


def section(numbers: dict[str, float], clean: dict[str, float], repeats: int) -> str:
    verdict = "meets" if numbers["ratio"] >= GOAL else "MISSES"
    return "\n".join([
        SECTION_START,
        "## bench-parse: LoadGen detail-log parser",
        "",
        "Command: `make bench-parse` (runs `python benchmarks/bench_parse.py`)",
        "",
        f"Machine: {machine.summary()}",
        "",
        f"Input: real LoadGen Server run, {SAMPLES:,} samples, zero-latency SUT answering one token per sample "
        f"(LoadGen logs an error line per sample): `{DETAIL_LOG}` of {numbers['size_mb']:.1f} MB, "
        f"{numbers['lines']:,} lines.",
        "",
        f"| measure (median of {repeats}, CPU time) | value |",
        "| --- | --- |",
        f"| bare `json.loads` per line | {numbers['bare_mb_s']:.1f} MB/s |",
        f"| `read_detail_log` (parser) | {numbers['parser_mb_s']:.1f} MB/s |",
        f"| ratio parser / bare | {numbers['ratio']:.2f} (goal >= {GOAL}: {verdict}) |",
        f"| whole folder, `parse_result_dir` | {numbers['whole_folder_s'] * 1000:.0f} ms |",
        "",
        f"For scale, the same run answering 128 tokens per sample (no errors) writes a detail log of "
        f"{clean['size_kb']:.0f} KB in {clean['lines']:,} lines; `parse_result_dir` reads that folder in "
        f"{clean['whole_folder_s'] * 1000:.0f} ms.",
        "",
        f"Measured {time.strftime('%Y-%m-%d %H:%M UTC', time.gmtime())}. The machine is shared, so absolute MB/s vary "
        "from run to run (times are this process's CPU time); the ratio is the number to watch.",
        SECTION_END,
    ])


def write_section(text: str, benchmarks_md: pathlib.Path) -> None:
    """Replace this benchmark's section in BENCHMARKS.md, leaving every other section alone."""
    sections.write_section(benchmarks_md, text, SECTION_START, SECTION_END)


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=9)
    parser.add_argument("--keep", type=pathlib.Path, help="make the run here and keep it")
    parser.add_argument("--no-write", action="store_true", help="print only, leave BENCHMARKS.md alone")
    args = parser.parse_args(argv)
    with tempfile.TemporaryDirectory() as scratch:
        output = args.keep or pathlib.Path(scratch) / "server"
        make_server_run(output)
        numbers = measure(output / DETAIL_LOG, args.repeats)
        clean_output = pathlib.Path(scratch) / "server_clean"
        make_server_run(clean_output, tokens=128)
        clean = clean_run_numbers(clean_output, args.repeats)
    text = section(numbers, clean, args.repeats)
    print(text)
    if not args.no_write:
        write_section(text, REPO / "BENCHMARKS.md")
    return 0 if numbers["ratio"] >= GOAL else 1


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
