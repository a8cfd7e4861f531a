# Copyright: fleetbench developers
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""A results document read once for the report and the A/B comparison: its records normalised
(each with the headline, lost samples and finality ResultRecord computes, or an `unreadable`
entry naming what is wrong) and each host's configuration."""
from __future__ import annotations

import dataclasses
import typing as t

from ansible_collections.fleetbench.llm.plugins.module_utils.result_record import ResultRecord, record_dict_errors
from ansible_collections.fleetbench.llm.plugins.plugin_utils.report.config import host_configuration
from ansible_collections.fleetbench.llm.plugins.plugin_utils.report.honesty import is_measurement


class ReportInputError(ValueError):
    """The results document cannot be read; the message is one line naming the cause."""


@dataclasses.dataclass(frozen=True)
class RunInput:
    """One run's results document, read once: what build_report and compare_runs both start from."""

    document: t.Mapping[str, t.Any]
    records: list[dict[str, t.Any]]

    @property
    def hosts_facts(self) -> t.Mapping[str, t.Any]:
        return self.document.get("hosts") or {}

    @property
    def run_id(self) -> t.Any:
        return self.document.get("run_id")


def read_run(results: t.Mapping[str, t.Any] | RunInput) -> RunInput:
    """The document with its records normalised; a RunInput passes through unread."""
    if isinstance(results, RunInput):
        return results
    return RunInput(results, normalised_records(results))


def normalised_records(results: t.Mapping[str, t.Any]) -> list[dict[str, t.Any]]:
    """The document's records, each with a headline; a malformed one becomes an `unreadable`
    entry that names what is wrong, so one bad record cannot take the whole report down."""
    if not isinstance(results, t.Mapping):
        raise ReportInputError(f"results must be a mapping (results.json), got {type(results).__name__}")
    records = results.get("records")
    if not isinstance(records, list):
        raise ReportInputError("results has no 'records' list: is this a results.json written by fleetbench.llm.results?")
    return [_normalised(index, record) for index, record in enumerate(records)]


def _normalised(index: int, record: t.Any) -> dict[str, t.Any]:
    """The record with the keys it derives (headline, lost_samples, is_final) as ResultRecord
    computes them; a headline stored in the document is checked, never trusted."""
    problems = record_dict_errors(record) or _headline_problems(record.get("headline"))
    if not problems:
        typed = ResultRecord.from_dict(record, validate=False)
        record = {**record, "headline": typed.headline, "lost_samples": typed.lost_samples, "is_final": typed.is_final}
    if problems:
        source = record if isinstance(record, t.Mapping) else {}
        return {"host": source.get("host") or f"record {index}", "scenario": source.get("scenario"),
                "scenario_label": source.get("scenario_label"), "mode": source.get("mode"),
                "repeat": source.get("repeat"), "status": "unreadable", "source": source.get("source") or {},
                "problems": [{"message": "; ".join(problems)}]}
    record.setdefault("host", f"record {index}")
    return record


def _headline_problems(headline: t.Any) -> list[str]:
    if headline is None:
        return []
    if not isinstance(headline, t.Mapping) or not all(k in headline for k in ("name", "value", "unit")):
        return [f"'headline' must hold name, value and unit, got {headline!r:.80}"]
    value = headline["value"]
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        return [f"headline value must be a number, got {value!r:.40}"]
    return []


def scenario_label(record: t.Mapping[str, t.Any]) -> str:
    return record.get("scenario_label") or record.get("scenario") or "unknown"


def by_scenario_and_metric(records: list[dict[str, t.Any]]) -> dict[tuple[str, str], list[dict[str, t.Any]]]:
    groups: dict[tuple[str, str], list[dict[str, t.Any]]] = {}
    for record in records:
        if is_measurement(record):
            groups.setdefault((scenario_label(record), record["headline"]["name"]), []).append(record)
    return dict(sorted(groups.items()))


def host_configs(records: list[dict[str, t.Any]], hosts_facts: t.Mapping[str, t.Any]) -> dict[str, dict[str, t.Any]]:
    """Each host's configuration, from its facts and the run_info of its latest record."""
    run_infos: dict[str, t.Mapping[str, t.Any]] = {}
    for record in records:
        if record.get("run_info"):
            run_infos[record["host"]] = record["run_info"]
    hosts = sorted({r["host"] for r in records} | set(hosts_facts))
    configs = {}
    for host in hosts:
        facts = hosts_facts.get(host) or {}
        configs[host] = host_configuration(facts.get("gpu"), facts.get("fingerprint"), run_infos.get(host))
    return configs
