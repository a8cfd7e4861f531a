# Copyright: fleetbench developers
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""One call from results (and an optional baseline) to the finished report in three formats."""
from __future__ import annotations

import typing as t

from ansible_collections.fleetbench.llm.plugins.module_utils.report_compare import compare_runs
from ansible_collections.fleetbench.llm.plugins.module_utils.report_fleet import build_report
from ansible_collections.fleetbench.llm.plugins.module_utils.report_honesty import Thresholds
from ansible_collections.fleetbench.llm.plugins.module_utils.report_render import (
    render_html,
    render_json,
    render_markdown,
)
from ansible_collections.fleetbench.llm.plugins.module_utils.report_stats import (
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
) -> dict[str, t.Any]:
    """The report dict, with the A/B comparison and the gate verdict when a baseline is given."""
    limits = Thresholds()
    if min_duration_s is not None:
        limits.min_duration_s = float(min_duration_s)
    if min_samples is not None:
        limits.min_samples = int(min_samples)
    settings = NoiseSettings(float(default_noise_pct), float(confidence), float(uniform_within_pct))
    reference = build_report(baseline, settings, limits)["groups"] if baseline else None
    report = build_report(results, settings, limits, generated_at, reference)
    if baseline:
        comparison = compare_runs(results, baseline, None if tolerance_pct is None else float(tolerance_pct),
                                  settings.default_pct, settings.confidence)
        report["comparison"] = comparison
        report["verdict"]["regressions"] = comparison["regressions"]
        report["verdict"]["passed"] = report["verdict"]["passed"] and comparison["passed"]
    return report


def fleet_report(results: t.Mapping[str, t.Any], **options: t.Any) -> dict[str, t.Any]:
    """{markdown, html, json, verdict}: what roles/report writes to report.{md,html,json}."""
    report = report_data(results, **options)
    return {
        "markdown": render_markdown(report),
        "html": render_html(report),
        "json": render_json(report),
        "verdict": report["verdict"],
    }
