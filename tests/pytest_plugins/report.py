"""Fixtures for the fleet report: real parsed LoadGen runs and real parsed GPU facts to replay incidents.

Records come from the project's own parser run on the real corpus logs; host facts from the
project's nvidia-smi XML reader run on a real corpus capture. Without the corpus, both read the
stand-ins of tests/pytest_plugins/report_inputs.py instead. Tests then change values (host
names, throughput, driver) to replay what went wrong in real reports.
"""
from __future__ import annotations

import copy
import pathlib
import shutil

import pytest

L01_OFFLINE = "NVIDIA_v5.1_B200-SXM-180GBx8_TRT_llama3.1-8b_Offline"
L02_SERVER = "NVIDIA_v5.1_B200-SXM-180GBx8_TRT_llama3.1-8b_Server"
L06_CPU_SERVER = "Intel_v5.1_1-node-2S-GNR_128C_llama3_1-8b_Server"
L41_INVALID_SERVER = "Lenovo_v5.1_SR680a_V3_B200SXMx8_TRT_llama2-70b-99.9_Server_ranging_INVALID"
GPU_XML = "netdata_rtx-4090_535.86.05_q-x.xml"


@pytest.fixture(scope="session")
def parsed_corpus_run(report_inputs):
    """Factory: corpus folder name -> a fresh copy of the record dict the parser builds from it."""
    from ansible_collections.fleetbench.llm.plugins.module_utils.loadgen.parser import parse_result_dir

    cache: dict[str, dict] = {}

    def parse(folder: str) -> dict:
        if folder not in cache:
            cache[folder] = parse_result_dir(str(report_inputs.loadgen / folder)).to_dict()
        return copy.deepcopy(cache[folder])

    return parse


def scale_throughput(record: dict, scale: float) -> dict:
    """The record as if the host had run `scale` times as fast: the measured fields the headline
    is computed from, and the stored headline with them."""
    for key in ("tokens_per_second", "samples_per_second"):
        if record.get(key) is not None:
            record[key] *= scale
    if record.get("headline"):
        record["headline"] = {**record["headline"], "value": record["headline"]["value"] * scale}
    return record


def fleet_with_slow_hosts(make_record, run_id: str, names: list[str], slow: tuple[str, ...], slow_scale: float,
                          spread: int) -> dict:
    """A results document: two repeats per host of `make_record()`, the `slow` hosts on an older
    driver and `slow_scale` times as fast, every host a little apart (index % spread tenths of a percent)."""
    records, hosts = [], {}
    for index, host in enumerate(names):
        is_slow = host in slow
        hosts[host] = {"gpu": {"driver_version": "535.247.01" if is_slow else "570.133.07",
                               "cuda_driver_version": "12.2" if is_slow else "12.8"}}
        for repeat, jitter in ((1, 0.995), (2, 1.005)):
            record = make_record()
            record.update(host=host, repeat=repeat, run_id=run_id)
            records.append(scale_throughput(record, (slow_scale if is_slow else 1.0) * jitter * (1 + (index % spread) * 0.001)))
    return {"schema_version": 1, "run_id": run_id, "records": records, "hosts": hosts}


@pytest.fixture
def replay_run(parsed_corpus_run):
    """Factory: a parsed real run as it would come from `host`, throughput scaled by `scale`."""

    def replay(folder: str, host: str, repeat: int = 0, run_id: str = "run-now", scale: float = 1.0, **changes) -> dict:
        record = parsed_corpus_run(folder)
        record.update(host=host, repeat=repeat, run_id=run_id)
        scale_throughput(record, scale)
        record.update(changes)
        return record

    return replay


@pytest.fixture(scope="session")
def real_gpu_facts(report_inputs):
    """Factory: facts shaped like gpu_facts' fleetbench_gpu, read from nvidia-smi XML (corpus or stand-in)."""
    from ansible_collections.fleetbench.llm.plugins.module_utils.gpu.smi_xml import parse_smi_xml

    parsed = parse_smi_xml(report_inputs.gpu_xml)

    def facts(driver: str, cuda: str, **gpu_changes) -> dict:
        result = copy.deepcopy(parsed)
        result.update(driver_version=driver, cuda_driver_version=cuda, gpu_present=True)
        for gpu in result["gpus"]:
            gpu.update(gpu_changes)
        return result

    return facts


@pytest.fixture
def results_document():
    """Factory: a results.json document (what the results callback writes) from records and facts."""

    def build(records: list[dict], gpu: dict[str, dict] | None = None, run_id: str = "run-now", **extra) -> dict:
        hosts = {r["host"]: {} for r in records}
        for host, facts in (gpu or {}).items():
            hosts.setdefault(host, {})["gpu"] = facts
        return {"schema_version": 1, "run_id": run_id, "records": records, "hosts": hosts, **extra}

    return build


CHROMIUM = pathlib.Path("/usr/bin/chromium")
CHROMEDRIVER = pathlib.Path("/usr/bin/chromedriver")


@pytest.fixture
def headless_chromium(tmp_path):
    """A headless Chromium that never reaches the network; its browser console log is readable."""
    if not CHROMIUM.exists() or not CHROMEDRIVER.exists():
        pytest.skip("Debian's chromium and chromium-driver are not installed: run `make setup-system`")
    webdriver = pytest.importorskip("selenium.webdriver")
    from selenium.webdriver.chrome.service import Service

    options = webdriver.ChromeOptions()
    options.binary_location = str(CHROMIUM)
    for argument in ("--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
                     "--disable-component-update", "--disable-sync", "--no-first-run",
                     "--window-size=1280,2000", f"--user-data-dir={tmp_path / 'profile'}"):
        options.add_argument(argument)
    options.set_capability("goog:loggingPrefs", {"browser": "ALL"})
    # An explicit chromedriver path: selenium never tries to download a browser or driver.
    driver = webdriver.Chrome(service=Service(str(CHROMEDRIVER)), options=options)
    try:
        yield driver
    finally:
        driver.quit()
        shutil.rmtree(tmp_path / "profile", ignore_errors=True)


# A fleet whose data looks like code (issue 13): each value must come out as the text it is.
TEMPLATE_HOST = "{{ lookup('pipe', 'id') }}"
SCRIPT_HOST = "<script>window.fleetbenchRan = 1</script>"
MATHS_HOST = "h1 $\\frac{$"
DOWN_HOST = "<script>window.fleetbenchDown = 1</script>"
NAN_HOST = "nan-host"
SHELL_REASON = "early stopping $(date) ${HOME} {% raw %} <script>window.fleetbenchReason = 1</script>"
TEMPLATE_GPU = "NVIDIA {{ H100 }} {% if 1 %} $(reboot)"


def hostile_values() -> dict[str, dict]:
    """Per host: what its record and GPU facts carry besides the parsed LoadGen run."""
    nan = float("nan")
    gpu = {"driver_version": "570.133.07", "cuda_driver_version": "12.8", "gpu_present": True,
           "gpus": [{"name": TEMPLATE_GPU, "power_limit_enforced_w": nan}]}
    return {
        TEMPLATE_HOST: {"record": {}, "gpu": gpu},
        MATHS_HOST: {"record": {}, "gpu": gpu},
        "plain-host": {"record": {}, "gpu": gpu},
        SCRIPT_HOST: {"record": {"valid": False, "invalid_reasons": [{"check": "early_stopping", "message": SHELL_REASON}]}, "gpu": gpu},
        NAN_HOST: {"record": {"tokens_per_second": nan,
                              "headline": {"name": "completed_tokens_per_second", "value": nan, "unit": "tokens/s"}},
                   "gpu": gpu},
    }


def measured_at(record: dict, start: float, duration_s: float | None = None, late_by_s: float | None = None) -> dict:
    """The record as if its harness measured from `start` (epoch seconds) for `duration_s` (the
    record's own duration by default) at a steady pace of its headline: run_info.measured."""
    import datetime

    duration = duration_s or record.get("duration_s") or 600.0
    rate = float(record["headline"]["value"])
    samples = rate * duration if "samples" in record["headline"]["name"] else (record.get("samples_per_second") or 0) * duration
    tokens = rate * duration if "tokens" in record["headline"]["name"] else (record.get("tokens_per_second") or 0) * duration

    def iso(epoch: float) -> str:
        return datetime.datetime.fromtimestamp(epoch, datetime.timezone.utc).isoformat(timespec="milliseconds")

    measured = {"start": iso(start), "end": iso(start + duration), "duration_s": duration,
                "progress": [[0.0, 0, 0], [duration, samples, tokens]]}
    if late_by_s is not None:
        measured.update(start_at=iso(start - late_by_s), late_by_s=late_by_s)
    return dict(record, run_info={**(record.get("run_info") or {}), "measured": measured})
