"""prepare_reference.sh against the real mirror of mlcommons/inference (when this machine has one),
and without it, as in CI."""
from __future__ import annotations

import os
import py_compile
import subprocess

import pytest

MIRROR = "/work/.mirror/mlcommons+inference/repo"


def prepare(repo_root, dest, mirror, vllm_python="python3"):
    env = {**os.environ, "FLEETBENCH_MLCOMMONS_MIRROR": str(mirror), "FLEETBENCH_REFERENCE_DIR": str(dest),
           "FLEETBENCH_VLLM_PYTHON": str(vllm_python)}
    return subprocess.run(["bash", str(repo_root / "benchmarks" / "prepare_reference.sh")], env=env,
                          capture_output=True, text=True, check=False, timeout=300)


def test_without_a_mirror_it_says_the_reference_is_not_available(repo_root, tmp_path):
    dest = tmp_path / "ref"
    dest.mkdir()
    (dest / "stale.py").write_text("left from an older run")
    result = prepare(repo_root, dest, tmp_path / "no-such-mirror")
    assert result.returncode == 0
    assert result.stdout.strip().splitlines()[-1].startswith("reference not available: no git mirror")
    assert not dest.exists()


@pytest.mark.slow
def test_with_the_mirror_every_patch_lands_and_the_code_still_compiles(repo_root, tmp_path, vllm_python):
    if not os.path.isdir(MIRROR):
        pytest.skip(f"no mirror of mlcommons/inference at {MIRROR} (made by the fetch tool)")
    dest = tmp_path / "ref"
    result = prepare(repo_root, dest, MIRROR, vllm_python)
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip().splitlines()[-1].startswith("reference ready")
    sut = (dest / "SUT_VLLM.py").read_text()
    assert "prompt_token_ids=input_ids_tensor," not in sut
    assert "asyncio.run(" not in sut and "ft_response_thread.join" not in sut
    assert "from datasets import" not in (dest / "dataset.py").read_text()
    for name in ("SUT_VLLM.py", "dataset.py", "main.py"):
        py_compile.compile(str(dest / name), doraise=True, cfile=str(tmp_path / f"{name}c"))
    assert (dest / "deps" / "pandas").is_dir()
