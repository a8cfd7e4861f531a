"""Time one code tree's fleet report on a simulated fleet; print the steps as JSON.

Run as a subprocess by bench_report.py, once for this checkout and once for the code it is
compared with (a git ref unpacked with `git archive`), so that both are timed the same way on the
same input: `python benchmarks/report_timing.py --code ROOT --hosts 1000 --repeats 3 --runs 3`.
The fleet is built from real corpus runs parsed by ROOT's own parser.
"""
from __future__ import annotations

import argparse
import copy
import itertools
import json
import pathlib
import random
import statistics
import sys
import time

REPO = pathlib.Path(__file__).resolve().parents[1]
CORPUS = REPO.parent / "shared" / "corpus" / "loadgen"
RUNS = ("NVIDIA_v5.1_B200-SXM-180GBx8_TRT_llama3.1-8b_Offline", "NVIDIA_v5.1_B200-SXM-180GBx8_TRT_llama3.1-8b_Server")


def fleet_document(parse_result_dir, hosts: int, repeats: int, run_id: str, seed: int) -> dict:
    """Every tenth host on an older driver and 42% slower; 1% run-to-run noise."""
    rng = random.Random(seed)
    parsed = [parse_result_dir(str(CORPUS / name)).to_dict() for name in RUNS]
    records, facts = [], {}
    for index in range(hosts):
        host = f"gpu-{index:03d}"
        old_driver = index % 10 == 0
        facts[host] = {"gpu": {"driver_version": "535.247.01" if old_driver else "570.133.07",
                               "cuda_driver_version": "12.2" if old_driver else "12.8",
                               "gpus": [{"name": "NVIDIA H100 80GB HBM3", "power_limit_enforced_w": 700.0}] * 8}}
        for base in parsed:
            for repeat in range(1, repeats + 1):
                record = copy.deepcopy(base)
                scale = (0.58 if old_driver else 1.0) * rng.gauss(1.0, 0.01)
                record["headline"]["value"] *= scale
                record["tokens_per_second"] *= scale
                record.update(host=host, run_id=run_id, repeat=repeat)
                records.append(record)
    return {"schema_version": 1, "run_id": run_id, "records": records, "hosts": facts}


def timed(function, *args, runs: int, **kwargs) -> tuple[float, object]:
    times, result = [], None
    for call in itertools.repeat(function, runs):
        start = time.process_time()
        result = call(*args, **kwargs)
        times.append(time.process_time() - start)
    return statistics.median(times), result


def measure(code: pathlib.Path, hosts: int, repeats: int, runs: int) -> list[dict]:
    """[{step, seconds, bytes}] for statistics, Markdown, HTML, JSON and the whole report (wall clock)."""
    sys.path[:0] = [str(code / "collections")]
    from ansible_collections.fleetbench.llm.plugins.module_utils.loadgen.parser import parse_result_dir
    from ansible_collections.fleetbench.llm.plugins.plugin_utils.report.document import report_data
    from ansible_collections.fleetbench.llm.plugins.plugin_utils.report.render import render_html, render_json, render_markdown

    current = fleet_document(parse_result_dir, hosts, repeats, "after", 1)
    baseline = fleet_document(parse_result_dir, hosts, repeats, "before", 2)
    wall = time.perf_counter()
    data_s, report = timed(report_data, current, baseline=baseline, tolerance_pct=5, runs=runs)
    md_s, markdown = timed(render_markdown, report, runs=runs)
    html_s, html = timed(render_html, report, runs=runs)
    json_s, text = timed(render_json, report, runs=runs)
    wall = (time.perf_counter() - wall) / runs
    return [
        {"step": "statistics, explanations, A/B (`report_data`)", "seconds": data_s, "bytes": None},
        {"step": "Markdown", "seconds": md_s, "bytes": len(markdown.encode())},
        {"step": "HTML", "seconds": html_s, "bytes": len(html.encode()), "charts": html.count("<figure")},
        {"step": "JSON", "seconds": json_s, "bytes": len(text.encode())},
        {"step": "total, CPU", "seconds": data_s + md_s + html_s + json_s, "bytes": None},
        {"step": "total, wall clock", "seconds": wall, "bytes": None},
    ]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--code", type=pathlib.Path, default=REPO, help="root of the code tree to time")
    parser.add_argument("--hosts", type=int, default=1000)
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--runs", type=int, default=3)
    args = parser.parse_args()
    print(json.dumps(measure(args.code.resolve(), args.hosts, args.repeats, args.runs)))


if __name__ == "__main__":
    main()
