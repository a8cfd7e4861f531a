"""This benchmark's section of BENCHMARKS.md: rendered from one run, spliced between markers so
other targets' sections stay as they are."""
from __future__ import annotations

import pathlib
import re

from benchmarks.sections import replace_section
from benchmarks.harness_bench.cache_effect import CacheEffect
from benchmarks.harness_bench.contenders import HARNESS, PLAIN, REFERENCE, RunResult
from benchmarks.harness_bench.offline_rounds import OfflineComparison
from benchmarks.harness_bench.server_search import PROBE_MIN_DURATION_MS, ServerSearch

BEGIN = "<!-- bench-harness:start -->"
END = "<!-- bench-harness:end -->"
HEADING = "## make bench-harness: harness vs LLM.generate vs MLCommons reference"
GOALS = {"offline_vs_plain": 0.97, "offline_vs_reference": 1.3, "server_vs_reference": 5.0,
         "server_share_of_offline": 0.85}


def splice_section(document: str, section: str) -> str:
    """Replace the block between this benchmark's markers, or append it if there is none."""
    return replace_section(document, f"{BEGIN}\n{HEADING}\n\n{section.strip()}\n{END}", BEGIN, END)


def write_section(path: pathlib.Path, section: str) -> None:
    existing = path.read_text(encoding="utf-8") if path.exists() else ""
    path.write_text(splice_section(existing, section), encoding="utf-8")


def reference_patches(script: pathlib.Path) -> list[str]:
    """The numbered comments in prepare_reference.sh: one per patch, written once."""
    patches, current = [], None
    for line in script.read_text(encoding="utf-8").splitlines():
        numbered = re.match(r"# (\d+)\. (.*)", line)
        if numbered:
            current = [numbered.group(2)]
            patches.append(current)
        elif current is not None and line.startswith("#    "):
            current.append(line[1:].strip())
        else:
            current = None
    return [" ".join(parts) for parts in patches]


def goal_rows(offline: OfflineComparison, server: dict[str, ServerSearch]) -> list[tuple[str, str, str]]:
    # Three decimals: a ratio just under its goal (0.848 against 0.85) must not print as the goal.
    vs_plain = offline.ratio(HARNESS, PLAIN)
    vs_reference = offline.ratio(HARNESS, REFERENCE)
    server_ratio = server_throughput_ratio(server)
    share = server_share_of_offline(offline, server)
    return [
        (f"Offline: harness / LLM.generate tokens/s >= {GOALS['offline_vs_plain']}",
         _num(vs_plain, 3), _met(vs_plain, GOALS["offline_vs_plain"])),
        (f"Offline: harness / reference tokens/s >= {GOALS['offline_vs_reference']}",
         _num(vs_reference, 3), _met(vs_reference, GOALS["offline_vs_reference"])),
        (f"Server: harness / reference highest VALID completed tokens/s >= {GOALS['server_vs_reference']}",
         _num(server_ratio, 3), _met(server_ratio, GOALS["server_vs_reference"])),
        ("Server share of Offline: harness highest VALID Server completed tokens/s / harness Offline median "
         f"tokens/s >= {GOALS['server_share_of_offline']}",
         _num(share, 3), _met(share, GOALS["server_share_of_offline"])),
    ]


def server_share_of_offline(offline: OfflineComparison, server: dict[str, ServerSearch]) -> float | None:
    """How much of its own Offline capacity the harness keeps under the Server latency limits."""
    search = server.get(HARNESS)
    best, offline_median = (search.best_valid if search else None), offline.median(HARNESS)
    if not best or not offline_median:
        return None
    return round(best.tokens_per_second / offline_median, 3)


def server_throughput_ratio(server: dict[str, ServerSearch]) -> float | None:
    harness, reference = server.get(HARNESS), server.get(REFERENCE)
    best_h = harness.best_valid if harness else None
    best_r = reference.best_valid if reference else None
    if not best_h or not best_r or not best_r.tokens_per_second:
        return None
    return round(best_h.tokens_per_second / best_r.tokens_per_second, 2)


def offline_table(offline: OfflineComparison) -> list[str]:
    lines = ["| contender | tokens/s, each run (in run order) | median | / LLM.generate |",
             "| --- | --- | ---: | ---: |"]
    for contender in (PLAIN, HARNESS, REFERENCE):
        runs = [r for r in offline.runs if r.contender == contender]
        shown = ", ".join(_run_cell(r) for r in runs) or "not run"
        ratio = offline.ratio(contender, PLAIN)
        lines.append(f"| {contender} | {shown} | {_num(offline.median(contender), 0)} | {_num(ratio)} |")
    return lines


def server_table(server: dict[str, ServerSearch]) -> list[str]:
    lines = ["| contender | probes: target QPS (pass/fail, completed tokens/s) | highest passing probe | "
             "confirmed VALID target QPS | completed tokens/s | p99 TTFT ms | p99 TPOT ms |",
             "| --- | --- | ---: | ---: | ---: | ---: | ---: |"]
    for contender in (HARNESS, REFERENCE):
        search = server.get(contender)
        if search is None:
            lines.append(f"| {contender} | not measured | n/a | n/a | n/a | n/a | n/a |")
            continue
        if search.unavailable:
            lines.append(f"| {contender} | {search.unavailable} | n/a | n/a | n/a | n/a | n/a |")
            continue
        probes = ", ".join(f"{p.target_qps:g} ({'pass' if p.passed else 'fail'}, "
                           f"{_num(p.detail.tokens_per_second, 0)}{_repeats(p.detail)})" for p in search.search.probes)
        best = search.best_valid
        tried = ", ".join(f"{r.settings['target_qps']} {_validity(r)}{_repeats(r)}"
                          for r in search.confirmations) or "none"
        lines.append(
            f"| {contender} | {probes} | {_num(search.search.best_qps)} | "
            f"{best.settings['target_qps'] if best else 'none'} (tried: {tried}) | "
            f"{_num(best.tokens_per_second, 0) if best else 'n/a'} | "
            f"{_num(best.outcome.ttft_p99_ms) if best else 'n/a'} | "
            f"{_num(best.outcome.tpot_p99_ms) if best else 'n/a'} |")
    return lines


def cache_table(effects: list[CacheEffect]) -> list[str]:
    lines = ["| contender | scenario | tokens/s, cache off | tokens/s, cache on (one run) | change | "
             "p99 TTFT ms, off / on |", "| --- | --- | ---: | ---: | ---: | ---: |"]
    for effect in effects:
        on = _num(effect.on.tokens_per_second, 0) + (f" {effect.on.outcome.validity}" if effect.on.outcome else "")
        if not effect.on.ok:
            on = f"failed ({effect.on.error})"
        ttft = "n/a"
        if effect.scenario == "Server" and effect.off and effect.on.ok:
            ttft = f"{_num(effect.off.outcome.ttft_p99_ms)} / {_num(effect.on.outcome.ttft_p99_ms)}"
        change = "n/a" if effect.change is None else f"{effect.change:+.1%}"
        lines.append(f"| {effect.contender} | {effect.scenario}"
                     f"{' at ' + effect.on.settings['target_qps'] + ' QPS' if effect.scenario == 'Server' else ''} | "
                     f"{_num(effect.off_tokens_per_second, 0)} | {on} | {change} | {ttft} |")
    return lines


def _repeats(run: RunResult) -> str:
    """Marks a Server run that loaded fewer samples than the queries it was scheduled to issue."""
    settings = run.settings
    if "target_qps" not in settings:
        return ""
    scheduled = max(int(settings["min_query_count"]),
                    float(settings["target_qps"]) * PROBE_MIN_DURATION_MS / 1000)
    return "; prompts repeat" if int(settings["performance_sample_count_override"]) < scheduled else ""


def _run_cell(run: RunResult) -> str:
    if not run.ok:
        return f"failed ({run.error})"
    validity = f" {run.outcome.validity}" if run.outcome else ""
    return f"{run.tokens_per_second:,.0f}{validity} (load {run.load_before:.1f})"


def _validity(run: RunResult) -> str:
    return run.outcome.validity if run.ok else f"failed: {run.error}"


def _num(value: float | None, digits: int = 2) -> str:
    if value is None:
        return "n/a"
    return f"{value:,.{digits}f}"


def _met(value: float | None, goal: float) -> str:
    if value is None:
        return "not measured"
    return "met" if value >= goal else "NOT met"


def render_section(context: dict, offline: OfflineComparison, server: dict[str, ServerSearch],
                   patches: list[str], cache: list[CacheEffect] | None = None) -> str:
    machine, versions = context["machine"], context["versions"]
    loads = [r.load_before for r in offline.runs + [r for s in server.values() for r in _server_runs(s)]
             + [effect.on for effect in cache or []]]
    lines = [
        f"Command: `{context['command']}`; run {context['started']} UTC, {context['minutes']:.0f} min in all.",
        "",
        f"Machine: {machine['cpu_model']}, {machine['nproc']} CPUs, {machine['memory_gib']} GiB, "
        f"{machine['os']} (kernel {machine['kernel']}); no GPU. Versions: vLLM {versions.get('vllm')} (CPU build), "
        f"torch {versions.get('torch')}, LoadGen {versions.get('loadgen')}, transformers "
        f"{versions.get('transformers')}, Python {versions.get('python')}, harness {versions.get('harness')}; "
        f"MLCommons reference: {context['reference']}.",
        "",
        f"Load: the machine is shared with other engineers' jobs; 1-minute load average before each run "
        f"ranged {min(loads, default=0):.1f} to {max(loads, default=0):.1f} on {machine['nproc']} CPUs "
        "(shown per run). Runs alternate (LLM.generate, harness, reference, again...), and the table "
        "compares medians, so that load falls on all three alike; single runs are noisy.",
        "",
        f"Workload: {context['workload']}",
        "",
        f"### Offline: {offline.samples} samples, each issued once; {context['rounds']} rounds",
        "",
        *offline_table(offline),
        "",
        f"Per-round ratios, harness / LLM.generate: {_list(offline.round_ratios(HARNESS, PLAIN))}; "
        f"harness / reference: {_list(offline.round_ratios(HARNESS, REFERENCE))}.",
        "",
        "### Server: highest target QPS within p99 TTFT 2000 ms and p99 TPOT 100 ms",
        "",
        context["server_method"],
        "",
        *server_table(server),
        "",
        "### What the prefix cache changed",
        "",
        "The same runs with vLLM's prefix cache on (`enable_prefix_caching=True` for all three), one of each "
        "after the runs above: Offline over the same samples; Server at the target QPS each contender was "
        "confirmed VALID at with the cache off, with the same distinct samples. Not compliant (MLPerf forbids "
        "caching across queries); shown so the difference is measured, not assumed.",
        "",
        *(cache_table(cache) if cache else ["Not measured in this run."]),
        "",
        "### Goals",
        "",
        "| goal | measured | |",
        "| --- | ---: | --- |",
        *[f"| {goal} | {value} | {met} |" for goal, value, met in goal_rows(offline, server)],
        "",
        "### What the MLCommons reference needed to start on vLLM 0.32 CPU",
        "",
        "`benchmarks/prepare_reference.sh` extracts `language/llama3.1-8b` from a git clone of "
        "mlcommons/inference (made under `.cache/` when the network allows, or `FLEETBENCH_MLCOMMONS_MIRROR`) "
        "into `.cache/mlcommons-ref/` (never committed) and applies, with sed:",
        "",
        *[f"{number}. {text}" for number, text in enumerate(patches, 1)],
        "",
        "It runs with its README settings (`--batch-size 16 --dtype bfloat16`, tensor parallel 1), "
        "the same model, dataset and LoadGen settings as the harness.",
    ]
    for note in context.get("notes", []):
        lines += ["", note]
    return "\n".join(lines)


def _server_runs(search: ServerSearch) -> list[RunResult]:
    probes = [p.detail for p in search.search.probes] if search.search else []
    return probes + search.confirmations


def _list(values: list[float]) -> str:
    return ", ".join(f"{v:.3f}" for v in values) or "n/a"
