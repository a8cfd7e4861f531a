"""Where things are: the repository, the shared corpus, the vLLM venv, test output."""
import os
import pathlib
import shutil

import pytest

REPO = pathlib.Path(__file__).resolve().parents[2]
SHARED = REPO.parent / "shared"
# FLEETBENCH_CORPUS moves the shared corpus; a path that does not exist simulates a clean clone
# without ../shared (as in CI), where the report tests run on inputs the session makes itself.
CORPUS = pathlib.Path(os.environ.get("FLEETBENCH_CORPUS", SHARED / "corpus"))
OUTPUT = REPO / "tests" / "output"


@pytest.fixture(scope="session")
def repo_root() -> pathlib.Path:
    return REPO


@pytest.fixture(scope="session")
def corpus_dir() -> pathlib.Path:
    if not CORPUS.is_dir():
        pytest.skip(f"shared corpus not present at {CORPUS}")
    return CORPUS


@pytest.fixture(scope="session")
def artifacts_dir() -> pathlib.Path:
    """Test artifacts kept after the run (reports, screenshots): tests/output/."""
    OUTPUT.mkdir(parents=True, exist_ok=True)
    return OUTPUT


@pytest.fixture(scope="session")
def vllm_python() -> pathlib.Path:
    python = pathlib.Path(os.environ.get("FLEETBENCH_VLLM_PYTHON", REPO / ".venv-vllm/bin/python"))
    if not python.exists():
        pytest.skip(f"vLLM venv not found at {python}: run `make setup-harness`")
    return python


@pytest.fixture(scope="session")
def ansible_bin() -> pathlib.Path:
    found = shutil.which("ansible-playbook")
    assert found, "ansible-playbook is not on PATH: run tests through `make test`"
    return pathlib.Path(found).parent
