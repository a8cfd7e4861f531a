"""prepare_reference.sh against the real mirror of mlcommons/inference (when this machine has one),
and without it, as in CI."""
from __future__ import annotations

import os
import py_compile
import subprocess

import pytest

MIRROR = "/work/.mirror/mlcommons+inference/repo"


def prepare(repo_root, dest, mirror, vllm_python="python3", **settings):
    """Run the script; `mirror` None leaves it to clone its own under FLEETBENCH_CACHE_DIR."""
    env = {**os.environ, "FLEETBENCH_REFERENCE_DIR": str(dest), "FLEETBENCH_VLLM_PYTHON": str(vllm_python), **settings}
    env.pop("FLEETBENCH_MLCOMMONS_MIRROR", None)
    if mirror is not None:
        env["FLEETBENCH_MLCOMMONS_MIRROR"] = str(mirror)
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


def test_without_a_mirror_or_a_network_it_says_so_in_one_line(repo_root, tmp_path):
    dest = tmp_path / "ref"
    result = prepare(repo_root, dest, None, FLEETBENCH_CACHE_DIR=str(tmp_path / "cache"),
                     FLEETBENCH_MLCOMMONS_URL=f"file://{tmp_path}/unreachable.git")
    assert result.returncode == 0
    assert result.stdout.splitlines() == [
        f"reference not available: no git mirror of mlcommons/inference at {tmp_path}/cache/mlcommons-inference.git, "
        f"and cloning file://{tmp_path}/unreachable.git failed (no network?): set FLEETBENCH_MLCOMMONS_MIRROR"]
    assert not (tmp_path / "cache" / "mlcommons-inference.git").exists() and not dest.exists()


def test_without_a_mirror_it_clones_one_under_the_cache_and_reads_the_reference_from_it(repo_root, tmp_path):
    upstream = tmp_path / "upstream"
    (upstream / "language" / "llama3.1-8b").mkdir(parents=True)
    for name in ("main.py", "SUT_VLLM.py", "dataset.py"):
        (upstream / "language" / "llama3.1-8b" / name).write_text("# not the reference\n")
    git = ["git", "-C", str(upstream), "-c", "user.name=t", "-c", "user.email=t@example.invalid"]
    for command in (["init", "-q"], ["add", "."], ["commit", "-q", "-m", "reference"]):
        subprocess.run(git + command, check=True, capture_output=True)
    cache = tmp_path / "cache"
    result = prepare(repo_root, tmp_path / "ref", None, FLEETBENCH_CACHE_DIR=str(cache),
                     FLEETBENCH_MLCOMMONS_URL=f"file://{upstream}")
    # The stand-in files are not the reference, so the first patch refuses them: proof they were read.
    assert result.returncode == 1
    assert "reference patch 'cpu-device' did not apply" in result.stderr
    assert (cache / "mlcommons-inference.git" / "HEAD").is_file()
    assert (tmp_path / "ref" / "REFERENCE_COMMIT").is_file()


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
