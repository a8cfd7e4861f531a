"""The HTML report opened in headless Chromium, as a person would open it."""
from __future__ import annotations

import pytest

from ansible_collections.fleetbench.llm.plugins.filter.fleet_report import FilterModule
from ansible_collections.fleetbench.llm.plugins.plugin_utils.report.document import fleet_report
from tests.pytest_plugins.report import (
    DOWN_HOST,
    L02_SERVER,
    L06_CPU_SERVER,
    MATHS_HOST,
    SCRIPT_HOST,
    SHELL_REASON,
    TEMPLATE_GPU,
    TEMPLATE_HOST,
    fleet_with_slow_hosts,
    hostile_values,
)

FILTERS = FilterModule().filters()

pytestmark = pytest.mark.browser


@pytest.fixture
def report_html(tmp_path, replay_run, real_gpu_facts, results_document):
    """A two-run A/B report: repeats on four hosts, one of them slower on an older driver."""
    def run(run_id, slow_scale):
        records = [replay_run(L02_SERVER, host, repeat=r, run_id=run_id, scale=scale * jitter)
                   for host, scale in (("gpu-01", 1.0), ("gpu-02", 1.0), ("gpu-03", 1.0), ("gpu-04", slow_scale))
                   for r, jitter in ((1, 0.99), (2, 1.01))]
        records.append(replay_run(L06_CPU_SERVER, "cpu-01", run_id=run_id, status="running", valid=None))
        gpu = {h: real_gpu_facts("570.133.07", "12.8") for h in ("gpu-01", "gpu-02", "gpu-03")}
        gpu["gpu-04"] = real_gpu_facts("535.247.01", "12.2", power_limit_enforced_w=300.0)
        return results_document(records, gpu, run_id=run_id)

    html = fleet_report(run("after", 0.58), baseline=run("before", 1.0), tolerance_pct=5)["html"]
    path = tmp_path / "report.html"
    path.write_text(html)
    return path


def test_html_report_loads_without_console_errors_and_shows_its_charts(headless_chromium, report_html, artifacts_dir):
    browser = headless_chromium
    browser.get(report_html.as_uri())

    errors = [entry for entry in browser.get_log("browser") if entry["level"] in ("SEVERE", "WARNING")]
    assert errors == []
    assert browser.execute_script("return performance.getEntriesByType('resource').length") == 0
    charts = browser.execute_script("""
        return Array.from(document.querySelectorAll('figure.chart')).map(f => {
            const svg = f.querySelector('svg'); const box = svg ? svg.getBoundingClientRect() : {width: 0, height: 0};
            return {id: f.id, width: box.width, height: box.height, shapes: svg ? svg.querySelectorAll('path, use').length : 0};
        });""")
    assert [c["id"] for c in charts] == ["chart-throughput-0", "chart-ttft_ns", "chart-tpot_ns",
                                         "chart-latency-distribution", "chart-before-after"]
    assert all(c["width"] > 300 and c["height"] > 100 and c["shapes"] > 20 for c in charts), charts
    explanations = browser.execute_script(
        "return Array.from(document.querySelectorAll('ul.explanations li')).map(li => li.textContent)")
    assert explanations[0].startswith("gpu-04: 42% below the fleet median completed_tokens_per_second")
    assert "driver 535.247.01 vs 570.133.07" in explanations[0]
    browser.set_window_size(1280, browser.execute_script("return document.body.scrollHeight") + 100)
    browser.save_screenshot(str(artifacts_dir / "report.png"))
    assert (artifacts_dir / "report.png").stat().st_size > 10_000


@pytest.fixture
def hostile_report_html(tmp_path, replay_run, results_document):
    """A fleet whose host names, GPU name and LoadGen reason look like code, one throughput NaN."""
    values = hostile_values()
    records = [replay_run(L02_SERVER, host, repeat=1, run_id="hostile", **values[host]["record"]) for host in values]
    document = results_document(records, {host: values[host]["gpu"] for host in values}, run_id="hostile",
                                failures=[{"host": DOWN_HOST, "message": "unreachable: ssh refused", "task": "ping"}])
    path = tmp_path / "hostile.html"
    path.write_text(FILTERS["fleet_report"](document)["html"])
    return path


def test_a_hostile_fleet_shows_its_names_as_text_and_runs_none_of_them(headless_chromium, hostile_report_html):
    browser = headless_chromium
    browser.get(hostile_report_html.as_uri())

    assert [e for e in browser.get_log("browser") if e["level"] in ("SEVERE", "WARNING")] == []
    assert browser.execute_script("return [window.fleetbenchRan, window.fleetbenchDown, window.fleetbenchReason]") \
        == [None, None, None]
    assert browser.execute_script("return document.querySelectorAll('script').length") == 0
    hosts = browser.execute_script(
        "return Array.from(document.querySelectorAll('#deviation ~ table tr td:first-child')).map(td => td.textContent)")
    assert sorted(set(hosts)) == sorted([MATHS_HOST, "plain-host", TEMPLATE_HOST])
    errors = browser.execute_script("return Array.from(document.querySelectorAll('#errors + ul li')).map(li => li.textContent)")
    assert f"{SCRIPT_HOST} Server repeat 1: INVALID: {SHELL_REASON}" in errors
    assert f"{DOWN_HOST}: unreachable: ssh refused" in errors
    assert TEMPLATE_GPU in browser.execute_script("return document.querySelector('#drift ~ table').textContent")
    assert browser.execute_script("return document.querySelectorAll('figure.chart svg').length") >= 1


FLEET_HOSTS = 1000
FLEET_SLOW = ("gpu-0137", "gpu-0588", "gpu-0921")


@pytest.fixture
def fleet_report_html(tmp_path, parsed_corpus_run):
    """A 1,000-host A/B report, two repeats per host; three hosts on an older driver and 40% slower."""
    server = parsed_corpus_run(L02_SERVER)

    def run(run_id, slow_scale):
        return fleet_with_slow_hosts(lambda: dict(server), run_id, [f"gpu-{i:04d}" for i in range(FLEET_HOSTS)],
                                     FLEET_SLOW, slow_scale, spread=11)

    html = fleet_report(run("after", 0.6), baseline=run("before", 1.0), tolerance_pct=5)["html"]
    path = tmp_path / "fleet.html"
    path.write_text(html)
    return path


def test_a_thousand_host_report_shows_its_slow_hosts_on_the_first_screen(headless_chromium, fleet_report_html, artifacts_dir):
    assert fleet_report_html.stat().st_size < 5_000_000
    browser = headless_chromium
    browser.set_window_size(1280, 900)
    browser.get(fleet_report_html.as_uri())

    assert [e for e in browser.get_log("browser") if e["level"] in ("SEVERE", "WARNING")] == []
    first_screen = browser.execute_script("""
        return Array.from(document.querySelectorAll('#attention ~ p.attention span.host'))
            .filter(s => s.getBoundingClientRect().bottom <= window.innerHeight).map(s => s.textContent);""")
    for host in FLEET_SLOW:
        assert any(text.startswith(f"{host} -") and "slower" in text for text in first_screen), first_screen
    # The hosts within the band are folded away: a reader scrolls past a few rows, not a thousand.
    rows_on_page = browser.execute_script(
        "return Array.from(document.querySelectorAll('tr')).filter(tr => tr.checkVisibility()).length")
    assert rows_on_page < 100
    assert browser.execute_script("return document.querySelectorAll('details.other-hosts tr').length") > FLEET_HOSTS
    named = browser.execute_script(
        "return Array.from(document.querySelectorAll('#chart-throughput-0 svg text')).map(t => t.textContent)")
    assert set(FLEET_SLOW) <= set(named)
    browser.save_screenshot(str(artifacts_dir / "fleet-report.png"))
