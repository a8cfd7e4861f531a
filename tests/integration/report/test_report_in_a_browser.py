"""The HTML report opened in headless Chromium, as a person would open it."""
from __future__ import annotations

import pytest

from ansible_collections.fleetbench.llm.plugins.module_utils.report_document import fleet_report
from tests.pytest_plugins.report import L02_SERVER, L06_CPU_SERVER

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
