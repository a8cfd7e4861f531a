"""Each role's molecule scenario (extensions/molecule/<role>/): converge on namespaced SSH test
hosts, a second converge that must change nothing, then verify. One molecule run per scenario,
in its own ephemeral folder, so concurrent runs on the machine never share state."""
from __future__ import annotations

import pathlib
import subprocess

import pytest

from tests.pytest_plugins.testhosts import REPO, ansible_command, ansible_env, skip_reason

pytestmark = [pytest.mark.molecule, pytest.mark.testhosts, pytest.mark.slow]

MOLECULE = REPO / "extensions" / "molecule"
SCENARIOS = sorted(p.parent.name for p in MOLECULE.glob("*/molecule.yml") if p.parent.name != "default")
# These converge the harness on the checkout's vLLM CPU venv (bound into the test hosts).
NEEDS_VLLM = {"benchmark_run", "harness_deploy"}


def test_every_role_has_a_scenario():
    roles = {p.name for p in (REPO / "roles").iterdir() if p.is_dir()}
    assert roles <= set(SCENARIOS), f"roles without a molecule scenario: {sorted(roles - set(SCENARIOS))}"


@pytest.mark.parametrize("scenario", [pytest.param(s, marks=pytest.mark.vllm) if s in NEEDS_VLLM else s for s in SCENARIOS])
def test_scenario_converges_changes_nothing_the_second_time_and_verifies(scenario: str, tmp_path: pathlib.Path, request):
    if scenario in NEEDS_VLLM:
        request.getfixturevalue("vllm_python")
    reason = skip_reason()
    if reason:
        pytest.skip(reason)
    env = {**ansible_env(), "NO_COLOR": "1", "MOLECULE_EPHEMERAL_DIRECTORY": str(tmp_path / "molecule")}
    run = subprocess.run([ansible_command("molecule"), "test", "-s", scenario], cwd=REPO, env=env,
                         capture_output=True, text=True, timeout=1200)
    output = run.stdout + run.stderr
    assert run.returncode == 0, output[-6000:]
    for step in ("converge", "idempotence", "verify"):
        # Molecule's log line for a step that ran and passed (a skipped step says "Skipping").
        assert f"[{scenario} > {step}] Executed: Successful" in output, output[-6000:]
