# Copyright: fleetbench developers
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""JUnit XML for CI and AWX: one test case per host x scenario x mode (x repeat).

A test case fails for an INVALID result, lost samples, a run that failed, timed out or did
not finish, and a regression against a baseline; an unreachable host is a failed case too.
"""
from __future__ import annotations

import typing as t

try:
    from junit_xml import TestCase, TestSuite, to_xml_report_string
except ImportError:  # pragma: no cover - reported by junit_report
    TestCase = None

from ansible_collections.fleetbench.llm.plugins.plugin_utils.report.honesty import (
    invalid_reasons,
    record_errors,
    withheld_reason,
)
from ansible_collections.fleetbench.llm.plugins.module_utils.result_record import (
    RecordLike,
    ResultRecordError,
    as_record,
)


def case_name(record: RecordLike) -> str:
    typed = as_record(record)
    name = f"{typed.label} {typed.mode}"
    if typed.repeat is not None:
        name += f" repeat {typed.repeat}"
    if typed.fleet_mode == "fleet":
        name += " (fleet run)"
    return name


def failure_messages(record: RecordLike, regressed_hosts: t.Collection[str] = ()) -> list[str]:
    """Why this record is a failed test case (empty when it passed)."""
    typed = as_record(record)
    if not typed.finished:
        return [withheld_reason(typed)]
    messages = record_errors(typed)
    if typed.mode == "performance" and typed.valid is not True:
        reasons = "; ".join(invalid_reasons(typed)) or "LoadGen gave no reason"
        messages.append(f"INVALID: {reasons}" if typed.valid is False else "no LoadGen validity in the logs")
    if typed.mode == "accuracy" and (typed.accuracy or {}).get("passed") is False:
        messages.append("accuracy below the 99% targets")
    if typed.host in regressed_hosts and typed.mode == "performance":
        messages.append("regression against the baseline run beyond noise and tolerance")
    return messages


def _record_case(index: int, record: t.Mapping[str, t.Any], regressed_hosts: t.Collection[str]):
    try:
        typed = as_record(record)
    except ResultRecordError as exc:  # one record this code cannot read costs its own case only
        case = TestCase(f"unreadable record {index}", classname=str(record.get("host")))
        case.add_failure_info(message=str(exc))
        return case
    case = TestCase(case_name(typed), classname=str(typed.host), elapsed_sec=typed.duration_s,
                    file=(typed.source or {}).get("dir"))
    messages = failure_messages(typed, regressed_hosts)
    if messages:
        case.add_failure_info(message=messages[0], output="\n".join(messages))
    return case


def junit_report(document: t.Mapping[str, t.Any], regressed_hosts: t.Collection[str] = ()) -> str:
    if TestCase is None:
        raise RuntimeError("JUnit output needs junit-xml on the controller: pip install -r requirements/controller.txt")
    cases = []
    for index, record in enumerate(document.get("records") or []):
        cases.append(_record_case(index, record, regressed_hosts))
    for failure in document.get("failures") or []:
        case = TestCase(failure.get("task") or "host", classname=str(failure.get("host")))
        case.add_failure_info(message=failure.get("message"))
        cases.append(case)
    suite = TestSuite(f"fleetbench {document.get('run_id')}", cases, timestamp=document.get("started_at"))
    return to_xml_report_string([suite], prettyprint=True)
