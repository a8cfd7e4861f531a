"""LoadGen settings as LoadGen itself reads them. Each case runs in a fresh process: LoadGen
applies its compiled-in mlperf.conf only on the first FromConfig of a process."""
from __future__ import annotations

import json
import subprocess
import sys

import pytest

from tests.pytest_plugins.harness import HARNESS_SRC

SCRIPT = """
import json, pathlib, sys
from fleetbench_harness.errors import HarnessError
from fleetbench_harness.loadgen_settings import build_test_settings, reported_settings, user_conf_text
from fleetbench_harness.profiles import profile_overrides
from fleetbench_harness.scenarios import SCENARIOS

folder = pathlib.Path(sys.argv[1])
results = []
for name, profile in json.loads(sys.argv[2]):
    scenario = SCENARIOS[name]
    conf = folder / f"{name}-{profile}.conf"
    conf.write_text(user_conf_text(scenario, profile_overrides(profile, scenario, 64), [], {}))
    try:
        results.append(reported_settings(build_test_settings(scenario, "performance", conf)))
    except HarnessError as error:
        results.append({"error": type(error).__name__, "message": str(error)})
print(json.dumps(results))
"""


def settings_in_one_process(tmp_path, *runs: tuple[str, str]) -> list[dict]:
    result = subprocess.run([sys.executable, "-c", SCRIPT, str(tmp_path), json.dumps(runs)], capture_output=True,
                            text=True, check=False, env={"PYTHONPATH": str(HARNESS_SRC), "PATH": "/usr/bin:/bin"},
                            timeout=60)
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout.strip().splitlines()[-1])


@pytest.mark.parametrize(("scenario", "ttft_ms", "tpot_ms"), [
    ("Offline", 2000, 100), ("Server", 2000, 100), ("SingleStream", 2000, 100), ("Interactive", 500, 30)])
def test_official_profile_gets_the_compiled_in_llama_settings(tmp_path, scenario, ttft_ms, tpot_ms):
    (settings,) = settings_in_one_process(tmp_path, (scenario, "official"))
    assert settings["min_duration_ms"] == 600_000
    assert settings["performance_sample_count_override"] == 13368
    assert (settings["ttft_latency"], settings["tpot_latency"]) == (ttft_ms * 10**6, tpot_ms * 10**6)
    assert settings["use_token_latencies"] is True


def test_quick_profile_overrides_are_what_loadgen_uses(tmp_path):
    (settings,) = settings_in_one_process(tmp_path, ("Server", "quick"))
    assert (settings["min_duration_ms"], settings["min_query_count"]) == (2000, 480)
    assert settings["server_target_qps"] == 40


def test_quick_offline_reads_one_pass_over_at_most_64_samples(tmp_path):
    (settings,) = settings_in_one_process(tmp_path, ("Offline", "quick"))
    assert settings["performance_sample_count_override"] == 64


def test_a_second_test_in_one_process_is_refused_not_run_on_defaults(tmp_path):
    first, second = settings_in_one_process(tmp_path, ("Server", "official"), ("Interactive", "official"))
    assert first["min_duration_ms"] == 600_000
    assert second["error"] == "LoadGenFailure"
    assert "kept its defaults" in second["message"]
