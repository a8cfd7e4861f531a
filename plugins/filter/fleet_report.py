# Copyright: fleetbench developers
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Filters that turn collected benchmark results into the fleet report."""
from __future__ import annotations

# Documentation: fleet_report.yml and compare_runs.yml beside this file (one per filter).

from ansible.errors import AnsibleFilterError

from ansible_collections.fleetbench.llm.plugins.plugin_utils.report.compare import compare_runs as _compare_runs
from ansible_collections.fleetbench.llm.plugins.plugin_utils.report.document import fleet_report as _fleet_report
from ansible_collections.fleetbench.llm.plugins.plugin_utils.report.records import ReportInputError
from ansible_collections.fleetbench.llm.plugins.plugin_utils.report.fleet_view import SUMMARISE_ABOVE_HOSTS
from ansible_collections.fleetbench.llm.plugins.plugin_utils.report.render import RenderError
from ansible_collections.fleetbench.llm.plugins.plugin_utils.report.stats import CONFIDENCE, DEFAULT_NOISE_PCT, UNIFORM_WITHIN_PCT


def fleet_report(results, baseline=None, tolerance_pct=None, default_noise_pct=DEFAULT_NOISE_PCT, confidence=CONFIDENCE,
                 min_duration_s=None, min_samples=None, uniform_within_pct=UNIFORM_WITHIN_PCT,
                 summarise_above_hosts=SUMMARISE_ABOVE_HOSTS, previous_json=None):
    """{markdown, html, json, verdict} for a results document."""
    try:
        return _fleet_report(results, previous_json=previous_json, baseline=baseline, tolerance_pct=tolerance_pct, default_noise_pct=default_noise_pct,
                             confidence=confidence, min_duration_s=min_duration_s, min_samples=min_samples,
                             uniform_within_pct=uniform_within_pct, summarise_above_hosts=summarise_above_hosts)
    except (ReportInputError, RenderError, RuntimeError, TypeError, ValueError) as exc:
        raise AnsibleFilterError(f"fleet_report: {exc}") from exc


def compare_runs(results, baseline, tolerance_pct=None, default_noise_pct=DEFAULT_NOISE_PCT, confidence=CONFIDENCE):
    """Per host and scenario: change against the baseline, its significance, configuration changes."""
    try:
        return _compare_runs(results, baseline, tolerance_pct, default_noise_pct, confidence)
    except (ReportInputError, RuntimeError, TypeError, ValueError) as exc:
        raise AnsibleFilterError(f"compare_runs: {exc}") from exc


class FilterModule:
    def filters(self):
        return {"fleet_report": fleet_report, "compare_runs": compare_runs}
