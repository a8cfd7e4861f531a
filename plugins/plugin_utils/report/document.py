# Copyright: fleetbench developers
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""One call from results (and an optional baseline) to the finished report in three formats."""
from __future__ import annotations

import json
import math
import typing as t

from ansible_collections.fleetbench.llm.plugins.plugin_utils.report.compare import compare_runs
from ansible_collections.fleetbench.llm.plugins.plugin_utils.report.fleet import build_report
from ansible_collections.fleetbench.llm.plugins.plugin_utils.report.records import read_run
from ansible_collections.fleetbench.llm.plugins.plugin_utils.report.fleet_view import SUMMARISE_ABOVE_HOSTS
from ansible_collections.fleetbench.llm.plugins.plugin_utils.report.format import not_a_number
from ansible_collections.fleetbench.llm.plugins.plugin_utils.report.honesty import Thresholds
from ansible_collections.fleetbench.llm.plugins.plugin_utils.report.render import (
    render_html,
    render_json,
    render_markdown,
)
from ansible_collections.fleetbench.llm.plugins.plugin_utils.report.stats import (
    CONFIDENCE,
    DEFAULT_NOISE_PCT,
    UNIFORM_WITHIN_PCT,
    NoiseSettings,
)


def report_data(
    results: t.Mapping[str, t.Any],
    baseline: t.Mapping[str, t.Any] | None = None,
    tolerance_pct: float | None = None,
    default_noise_pct: float = DEFAULT_NOISE_PCT,
    confidence: float = CONFIDENCE,
    min_duration_s: float | None = None,
    min_samples: int | None = None,
    generated_at: str | None = None,
    uniform_within_pct: float = UNIFORM_WITHIN_PCT,
    summarise_above_hosts: int = SUMMARISE_ABOVE_HOSTS,
) -> dict[str, t.Any]:
    """The report dict, with the A/B comparison and the gate verdict when a baseline is given.

    Above `summarise_above_hosts` hosts the Markdown and HTML show the fleet's distribution and
    the hosts outside the band instead of a row per host (report_fleet_view); the dict keeps all.
    """
    limits = Thresholds()
    if min_duration_s is not None:
        limits.min_duration_s = float(min_duration_s)
    if min_samples is not None:
        limits.min_samples = int(min_samples)
    settings = NoiseSettings(float(default_noise_pct), float(confidence), float(uniform_within_pct))
    results = with_non_finite_named(results)
    baseline = with_non_finite_named(baseline) if baseline else baseline
    # Each document is read once; the report and the A/B comparison share what was read.
    current = read_run(results)
    before = read_run(baseline) if baseline else None
    reference = build_report(before, settings, limits)["groups"] if before else None
    report = build_report(current, settings, limits, generated_at, reference)
    report["presentation"] = {"summarise_above_hosts": int(summarise_above_hosts)}
    if baseline:
        comparison = compare_runs(current, before, None if tolerance_pct is None else float(tolerance_pct),
                                  settings.default_pct, settings.confidence)
        report["comparison"] = comparison
        report["verdict"]["regressions"] = comparison["regressions"]
        report["verdict"]["passed"] = report["verdict"]["passed"] and comparison["passed"]
    return report


def fleet_report(results: t.Mapping[str, t.Any], previous_json: str | t.Mapping[str, t.Any] | None = None, **options: t.Any) -> dict[str, t.Any]:
    """{markdown, html, json, verdict}: what roles/report writes to report.{md,html,json}.

    `previous_json` is the report.json already written for this run, if any. When the new report
    says the same apart from when it was generated, it keeps the earlier time, so the same inputs
    give the same three files and writing them again changes nothing."""
    report, report_json = keep_earlier_time(report_data(results, **options), previous_json)
    return {
        "markdown": render_markdown(report),
        "html": render_html(report),
        "json": report_json,
        "verdict": report["verdict"],
    }


def keep_earlier_time(report: dict[str, t.Any], previous: str | t.Mapping[str, t.Any] | None) -> tuple[dict[str, t.Any], str]:
    """The report and its JSON, with the earlier report's generated_at when that makes it the earlier
    report. `previous` is report.json's text (or that text already read as JSON by the template engine)."""
    try:
        earlier = json.loads(previous) if isinstance(previous, str) else previous
        dated = {**report, "run": {**report["run"], "generated_at": earlier["run"]["generated_at"]}}
    except (ValueError, TypeError, KeyError):
        return report, render_json(report)
    dated_json = render_json(dated)
    return (dated, dated_json) if json.loads(dated_json) == earlier else (report, render_json(report))


def with_non_finite_named(results: t.Any) -> t.Any:
    """The document with every NaN or infinity made visible instead of silently averaged.

    A record holding one becomes an error that names the field (kept out of every statistic,
    its other numbers still shown); in host facts and the drift table it becomes the words
    "not a number" or "infinity", which compare equal across hosts where NaN never does.
    """
    if not isinstance(results, t.Mapping) or not isinstance(results.get("records"), list):
        return results  # build_report says what is wrong with it
    return {
        **results,
        "records": [_record_with_problems(record) for record in results["records"]],
        "hosts": _non_finite_as_words(results.get("hosts")),
        "drift": _non_finite_as_words(results.get("drift")),
    }


def _record_with_problems(record: t.Any) -> t.Any:
    if not isinstance(record, t.Mapping) or not isinstance(record.get("problems", []), list):
        return record
    found = [{"file": None, "message": f"{path} is {not_a_number(value)}"} for path, value in _non_finite(record)]
    return {**record, "problems": list(record.get("problems") or []) + found} if found else record


def _non_finite(value: t.Any, path: str = "") -> t.Iterator[tuple[str, float]]:
    if isinstance(value, float) and not math.isfinite(value):
        yield path, value
    elif isinstance(value, t.Mapping):
        for key, item in value.items():
            yield from _non_finite(item, f"{path}.{key}" if path else str(key))
    elif isinstance(value, list):
        for index, item in enumerate(value):
            yield from _non_finite(item, f"{path}[{index}]")


def _non_finite_as_words(value: t.Any) -> t.Any:
    if isinstance(value, float) and not math.isfinite(value):
        return not_a_number(value)
    if isinstance(value, t.Mapping):
        return {key: _non_finite_as_words(item) for key, item in value.items()}
    if isinstance(value, list):
        return [_non_finite_as_words(item) for item in value]
    return value
