"""A large fleet's report: distributions and the hosts outside the band first, every host still in the JSON."""
from __future__ import annotations

import json
import re

import pytest

from ansible_collections.fleetbench.llm.plugins.plugin_utils.report.document import report_data
from ansible_collections.fleetbench.llm.plugins.plugin_utils.report.render import render_html, render_json, render_markdown
from tests.pytest_plugins.report import L02_SERVER, fleet_with_slow_hosts, scale_throughput

HOSTS = 60
SLOW = ("node-017", "node-042")


@pytest.fixture(scope="module")
def fleet(parsed_corpus_run):
    """60 hosts x 2 repeats of a real Server run; two hosts on an older driver and 40% slower."""
    def document(run_id: str, slow_scale: float) -> dict:
        return fleet_with_slow_hosts(lambda: parsed_corpus_run(L02_SERVER), run_id, [f"node-{i:03d}" for i in range(HOSTS)],
                                     SLOW, slow_scale, spread=7)

    return document("after", 0.6), document("before", 1.0)


def _report(fleet, **options):
    current, baseline = fleet
    return report_data(current, baseline=baseline, tolerance_pct=5, generated_at="2026-12-07T12:00:00Z", **options)


def _section(markdown: str, title: str) -> str:
    return markdown.split(f"## {title}", 1)[1].split("\n## ", 1)[0]


def test_above_the_threshold_the_markdown_names_the_slow_hosts_first_and_counts_the_rest(fleet):
    markdown = render_markdown(_report(fleet))

    assert markdown.index("## Hosts outside the noise band") < markdown.index("## Drift")
    attention = _section(markdown, "Hosts outside the noise band")
    assert all(host in attention for host in SLOW)
    assert "60 hosts: 2 slower and 0 faster than the fleet median beyond the noise band" in attention
    deviation = _section(markdown, "Deviation from the fleet median")
    table_hosts = re.findall(r"^\| (node-\d+) \|", deviation, flags=re.M)
    assert set(SLOW) <= set(table_hosts) and len(table_hosts) < 10
    assert f"The other {HOSTS - len(table_hosts)} hosts are within the noise band and not outliers" in deviation
    results = _section(markdown, "Results per run")
    assert set(re.findall(r"^\| (node-\d+) \|", results, flags=re.M)) == set(SLOW)
    assert "116 more runs, VALID, of hosts within the noise band" in results


def test_above_the_threshold_the_drift_table_is_a_row_per_field_naming_the_hosts_that_differ(fleet):
    drift = _section(render_markdown(_report(fleet)), "Drift: configuration across hosts")

    assert "| **driver** | 570.133.07 (58 hosts) | 535.247.01 on 2: node-017, node-042 |" in drift
    assert "node-000" not in drift


def test_above_the_threshold_the_json_keeps_every_host_and_run(fleet):
    report = json.loads(render_json(_report(fleet)))

    assert len(report["run"]["hosts"]) == HOSTS
    assert len(report["rows"]) == 2 * HOSTS
    assert len(report["groups"][0]["hosts"]) == HOSTS
    assert len(report["comparison"]["rows"]) == HOSTS
    assert report["presentation"] == {"summarise_above_hosts": 50}


def test_above_the_threshold_the_html_folds_the_hosts_within_the_band_and_charts_the_distribution(fleet):
    html = render_html(_report(fleet))

    attention = html.split('<h2 id="attention">', 1)[1].split("<h2", 1)[0]
    assert all(host in attention for host in SLOW)
    deviation = html.split('<h2 id="deviation">', 1)[1].split("<h2", 1)[0]
    shown, folded = deviation.split('<details class="other-hosts">', 1)
    assert all(f"<td>{host}</td>" in shown for host in SLOW)
    assert "<td>node-000</td>" not in shown and "<td>node-000</td>" in folded
    charts = html.split('<h2 id="charts">', 1)[1]
    throughput = charts.split('id="chart-throughput-0"', 1)[1].split("</figure>", 1)[0]
    # The slow hosts are named as text in the chart; no tick per host.
    assert all(f">{host}</text>" in throughput for host in SLOW)
    assert "majority configuration" in throughput and "driver 535.247.01, CUDA 12.2" in throughput
    assert ">node-000</text>" not in throughput


def test_a_threshold_at_the_fleet_size_leaves_the_report_as_it_was(fleet):
    at_threshold = _report(fleet, summarise_above_hosts=HOSTS)
    far_above = _report(fleet, summarise_above_hosts=10_000)

    markdown = render_markdown(at_threshold)
    assert markdown == render_markdown(far_above)
    assert "Hosts outside the noise band" not in markdown
    deviation = _section(markdown, "Deviation from the fleet median")
    assert len(re.findall(r"^\| (node-\d+) \|", deviation, flags=re.M)) == HOSTS
    html = render_html(at_threshold)
    assert html == render_html(far_above)
    assert "<details" not in html and 'id="attention"' not in html


def test_above_the_threshold_a_slow_host_named_like_markup_stays_text(parsed_corpus_run):
    hostile = "<script>window.x = 1</script>{{ lookup('pipe', 'id') }}"
    records = []
    for index in range(HOSTS):
        host = hostile if index == 3 else f"node-{index:03d}"
        for repeat, jitter in ((1, 0.995), (2, 1.005)):
            record = parsed_corpus_run(L02_SERVER)
            scale_throughput(record, (0.6 if index == 3 else 1.0) * jitter * (1 + (index % 7) * 0.001))
            record.update(host=host, repeat=repeat, run_id="hostile")
            records.append(record)
    report = report_data({"schema_version": 1, "run_id": "hostile", "records": records, "hosts": {}})

    html = render_html(report)
    assert "<script>" not in html
    assert "&lt;script&gt;window.x = 1&lt;/script&gt;&#123;&#123; lookup(&#39;pipe&#39;, &#39;id&#39;) }}" in html
    markdown = render_markdown(report)
    assert "\\<script\\>window.x = 1\\</script\\>\\{\\{ lookup('pipe', 'id') \\}\\}" in _section(markdown, "Hosts outside the noise band")


def test_a_fleet_of_many_configurations_is_charted_as_the_largest_groups_and_one_box_for_the_rest():
    from ansible_collections.fleetbench.llm.plugins.plugin_utils.report.config import configuration_table
    from ansible_collections.fleetbench.llm.plugins.plugin_utils.report.fleet_charts import configuration_groups

    # 80 hosts on the majority driver, then 9 smaller groups of 2 on drivers of their own.
    configs = {f"h{i:03d}": {"driver": "570.133.07", "cuda": "12.8"} for i in range(80)}
    configs |= {f"x{i:03d}": {"driver": f"5{i // 2:02d}.0", "cuda": "12.8"} for i in range(18)}
    groups = configuration_groups(configuration_table(configs))

    assert list(groups)[0] == "majority configuration" and len(groups["majority configuration"]) == 80
    assert len(groups) == 6
    assert list(groups)[-1] == "5 other configurations" and len(groups["5 other configurations"]) == 10
    assert sorted(h for hosts in groups.values() for h in hosts) == sorted(configs)
    assert "driver 500.0" in groups
