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

from ansible_collections.fleetbench.llm.plugins.module_utils.report_honesty import (
    invalid_reasons,
    is_tabulated,
    record_errors,
    withheld_reason,
)


def case_name(record: t.Mapping[str, t.Any]) -> str:
    name = f"{record.get('scenario_label') or record.get('scenario')} {record.get('mode')}"
    if record.get("repeat") is not None:
        name += f" repeat {record['repeat']}"
    if record.get("fleet_mode") == "fleet":
        name += " (fleet run)"
    return name


def failure_messages(record: t.Mapping[str, t.Any], regressed_hosts: t.Collection[str] = ()) -> list[str]:
    """Why this record is a failed test case (empty when it passed)."""
    if not is_tabulated(record):
        return [withheld_reason(record)]
    messages = record_errors(record)
    if record.get("mode") == "performance" and record.get("valid") is not True:
        reasons = "; ".join(invalid_reasons(record)) or "LoadGen gave no reason"
        messages.append(f"INVALID: {reasons}" if record.get("valid") is False else "no LoadGen validity in the logs")
    accuracy = record.get("accuracy") or {}
    if record.get("mode") == "accuracy" and accuracy.get("passed") is False:
        messages.append("accuracy below the 99% targets")
    if record.get("host") in regressed_hosts and record.get("mode") == "performance":
        messages.append("regression against the baseline run beyond noise and tolerance")
    return messages


def junit_report(document: t.Mapping[str, t.Any], regressed_hosts: t.Collection[str] = ()) -> str:
    if TestCase is None:
        raise RuntimeError("JUnit output needs junit-xml on the controller: pip install -r requirements/controller.txt")
    cases = []
    for record in document.get("records") or []:
        case = TestCase(case_name(record), classname=str(record.get("host")), elapsed_sec=record.get("duration_s"),
                        file=(record.get("source") or {}).get("dir"))
        messages = failure_messages(record, regressed_hosts)
        if messages:
            case.add_failure_info(message=messages[0], output="\n".join(messages))
        cases.append(case)
    for failure in document.get("failures") or []:
        case = TestCase(failure.get("task") or "host", classname=str(failure.get("host")))
        case.add_failure_info(message=failure.get("message"))
        cases.append(case)
    suite = TestSuite(f"fleetbench {document.get('run_id')}", cases, timestamp=document.get("started_at"))
    return to_xml_report_string([suite], prettyprint=True)
