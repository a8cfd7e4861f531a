# Copyright: fleetbench developers
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Filters drift_table and drift_text (documented in drift_table.yml and drift_text.yml)."""
from __future__ import annotations

from ansible.errors import AnsibleFilterError

from ansible_collections.fleetbench.llm.plugins.module_utils.gpu.drift import (
    DriftError,
    drift_report,
    facts_from_results,
    render_text,
)


def drift_table(results, fields=None):
    if not isinstance(results, dict):
        raise AnsibleFilterError(f"drift_table expects a mapping of host to result, got {type(results).__name__}")
    facts, down = facts_from_results(dict(results))
    try:
        return drift_report(facts, down, fields)
    except DriftError as error:
        raise AnsibleFilterError(str(error)) from None


def drift_text(report):
    try:
        return render_text(report)
    except (KeyError, TypeError) as error:
        raise AnsibleFilterError(f"drift_text expects the output of drift_table: missing {error}") from None


class FilterModule:
    def filters(self):
        return {"drift_table": drift_table, "drift_text": drift_text}
