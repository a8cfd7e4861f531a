"""A fleet whose data looks like code, through the results callback, the filter and the report role.

Real parts: ansible-playbook with a YAML inventory of hostile host names, the loadgen_result module
on real LoadGen logs, the results callback enabled as AWX enables it, SSH to a closed port for the
unreachable host. Hostile values (GPU name, LoadGen reason, a NaN throughput) are read from a JSON
file, as facts and logs are data. Each must come out as the text it is, and the rest of the report
must stand.
"""
from __future__ import annotations

import json
import os
import re
import subprocess
import sys
import xml.etree.ElementTree as ET

import pytest

from tests.pytest_plugins.report import (
    DOWN_HOST,
    L02_SERVER,
    L41_INVALID_SERVER,
    MATHS_HOST,
    NAN_HOST,
    SCRIPT_HOST,
    SHELL_REASON,
    TEMPLATE_GPU,
    TEMPLATE_HOST,
    hostile_values,
)

PLAYBOOK = "collect_hostile_fleet.yml"


def _inventory(report_inputs) -> dict:
    local = {"ansible_connection": "local", "ansible_python_interpreter": sys.executable}
    bench = {host: {**local, "fleetbench_test_folder": L41_INVALID_SERVER if host == SCRIPT_HOST else L02_SERVER}
             for host in hostile_values()}
    bench[DOWN_HOST] = {"ansible_host": "127.0.0.1", "ansible_port": 9, "ansible_connection": "ssh",
                        "fleetbench_test_folder": "none"}
    return {"bench": {"hosts": bench}, "local": {"hosts": {"localhost": local}}}


@pytest.fixture(scope="module")
def hostile_run(repo_root, ansible_bin, tmp_path_factory, report_inputs):
    tmp_path = tmp_path_factory.mktemp("hostile")
    (tmp_path / "inventory.yml").write_text(json.dumps(_inventory(report_inputs)))
    (tmp_path / "hostile.json").write_text(json.dumps(hostile_values()))
    variables = {"fleetbench_test_corpus": str(report_inputs.loadgen), "fleetbench_run_id": "hostile",
                 "fleetbench_results_dir": str(tmp_path / "results"), "fleetbench_test_hostile": str(tmp_path / "hostile.json")}
    env = {**os.environ, "ANSIBLE_CONFIG": str(repo_root / "ansible.cfg"), "ANSIBLE_CALLBACKS_ENABLED": "fleetbench.llm.results",
           "FLEETBENCH_RESULTS_DIR": str(tmp_path / "results"), "ANSIBLE_NOCOLOR": "1",
           "PATH": f"{ansible_bin}:{os.environ['PATH']}"}
    result = subprocess.run(
        [str(ansible_bin / "ansible-playbook"), "-i", str(tmp_path / "inventory.yml"),
         str(repo_root / "tests/integration/report/playbooks" / PLAYBOOK), "-e", json.dumps(variables)],
        cwd=repo_root, env=env, capture_output=True, text=True, timeout=300,
    )
    return tmp_path / "results" / "hostile", result


def _text(path) -> str:
    return path.read_text(encoding="utf-8")


def test_the_report_role_renders_a_hostile_fleet_and_names_only_the_real_errors(hostile_run):
    folder, result = hostile_run
    assert "Traceback" not in result.stdout + result.stderr
    assert "TASK [fleetbench.llm.report : Report | Write report.md, report.html and report.json]" in result.stdout
    assert "RenderError" not in result.stdout and "not JSON compliant" not in result.stdout
    assert sorted(p.name for p in folder.iterdir()) == [
        "report.html", "report.json", "report.md", "results.json", "results.junit.xml"]


def test_a_host_name_with_template_syntax_renders_as_text(hostile_run):
    folder, result = hostile_run
    report = json.loads(_text(folder / "report.json"))
    assert TEMPLATE_HOST in report["run"]["hosts"]
    assert "| \\{\\{ lookup('pipe', 'id') \\}\\} |" in _text(folder / "report.md")
    assert "<td>&#123;&#123; lookup(&#39;pipe&#39;, &#39;id&#39;) }}</td>" in _text(folder / "report.html")
    assert "uid=" not in result.stdout + _text(folder / "report.md") + _text(folder / "report.html")


def test_a_gpu_name_with_template_syntax_renders_as_text(hostile_run):
    folder, _ = hostile_run
    assert "NVIDIA \\{\\{ H100 \\}\\} \\{% if 1 %\\} \\$(reboot)" in _text(folder / "report.md")
    assert "NVIDIA &#123;&#123; H100 }} &#123;% if 1 %} &#36;(reboot)" in _text(folder / "report.html")
    configuration = json.loads(_text(folder / "report.json"))["configuration"]
    assert any(TEMPLATE_GPU in row["values"].values() for row in configuration["rows"])


def test_markdown_carries_no_raw_html_from_host_names_reasons_or_errors(hostile_run):
    folder, _ = hostile_run
    markdown = _text(folder / "report.md")
    assert re.search(r"(?<!\\)<", markdown) is None
    assert "\\<script\\>window.fleetbenchRan = 1\\</script\\>" in markdown
    assert "\\<script\\>window.fleetbenchDown = 1\\</script\\>: unreachable:" in markdown
    assert "<script" not in _text(folder / "report.html")


def test_a_shell_expression_in_a_loadgen_reason_is_shown_not_run(hostile_run):
    folder, _ = hostile_run
    assert "INVALID: early stopping \\$(date) \\$\\{HOME\\} \\{% raw %\\}" in _text(folder / "report.md")
    errors = json.loads(_text(folder / "report.json"))["errors"]
    assert f"{SCRIPT_HOST} Server repeat 1: INVALID: {SHELL_REASON}" in errors


def test_a_nan_throughput_is_an_error_naming_the_field_and_the_fleet_is_still_compared(hostile_run):
    folder, _ = hostile_run
    report = json.loads(_text(folder / "report.json"))
    assert f"{NAN_HOST} Server repeat 1: ERROR: unreadable result: headline.value is not a number; " \
           "unreadable result: tokens_per_second is not a number" in report["errors"]
    assert sorted(h["host"] for h in report["groups"][0]["hosts"]) == sorted([MATHS_HOST, "plain-host", TEMPLATE_HOST])
    assert f"| {NAN_HOST} | Server | 1 | ERROR" in _text(folder / "report.md")
    assert "| power limit (W) | not a number |" in _text(folder / "report.md")


def test_a_host_name_with_maths_syntax_is_a_plain_chart_label(hostile_run):
    folder, _ = hostile_run
    html = _text(folder / "report.html")
    assert 'id="chart-throughput-0"' in html and "<td>h1 &#36;\\frac&#123;&#36;</td>" in html


def test_the_callback_keeps_hostile_names_verbatim_in_results_json_and_junit(hostile_run):
    folder, result = hostile_run
    document = json.loads(_text(folder / "results.json"))
    assert sorted(r["host"] for r in document["records"]) == sorted(hostile_values())
    assert [f["host"] for f in document["failures"]] == [DOWN_HOST]
    classnames = {case.get("classname") for case in ET.parse(folder / "results.junit.xml").iter("testcase")}
    assert classnames == set(hostile_values()) | {DOWN_HOST}
    assert f"fleetbench: {TEMPLATE_HOST} | Server performance #1 | VALID" in result.stdout
