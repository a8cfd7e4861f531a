"""Device check for a machine with an NVIDIA GPU: `make gpu-check` (no network needed).

Reads the GPUs through gpu_facts' two readers (NVML and `nvidia-smi -q -x`) and runs the
harness's telemetry sampler through an idle phase and a load phase (matrix products through
PyTorch when it is importable, else no load), then prints one table and writes a JSON file:
- the readers agree on driver, CUDA, GPU names, UUIDs, memory and maximum clocks;
- under load the sampler saw power rise and the SM clock not fall.
Exit 0: every check passed; 1: a check failed; 2: the check could not run (one line says why).
"""
from __future__ import annotations

import argparse
import json
import pathlib
import shutil
import statistics
import subprocess
import sys
import tempfile
import time

REPO = pathlib.Path(__file__).resolve().parents[1]
sys.path[:0] = [str(REPO / "collections"), str(REPO / "harness" / "src")]

from ansible_collections.fleetbench.llm.plugins.module_utils.gpu.facts import read_smi_xml  # noqa: E402
from ansible_collections.fleetbench.llm.plugins.module_utils.gpu.nvml import NvmlUnavailable, read_nvml  # noqa: E402
from ansible_collections.fleetbench.llm.plugins.module_utils.gpu.record import GpuOutputError  # noqa: E402
from fleetbench_harness.telemetry import TelemetrySampler  # noqa: E402

SYSTEM_FIELDS = ("driver_version", "cuda_driver_version")
GPU_FIELDS = ("name", "uuid", "memory_total_mib", "clock_max_sm_mhz", "clock_max_mem_mhz")
POWER_RISE = 1.10  # under load a GPU draws at least 10% more than idle


class CannotRun(Exception):
    pass


def run_command(argv: list) -> tuple[int, str, str]:
    done = subprocess.run(argv, capture_output=True, text=True, timeout=60, check=False)
    return done.returncode, done.stdout, done.stderr


def read_both(smi: str) -> tuple[dict, dict]:
    try:
        nvml = read_nvml()
    except NvmlUnavailable as error:
        raise CannotRun(f"NVML: {error}") from None
    try:
        xml = read_smi_xml(run_command, smi)
    except (GpuOutputError, OSError, subprocess.TimeoutExpired) as error:
        raise CannotRun(f"nvidia-smi: {' '.join(str(error).split())[:200]}") from None
    for source, facts in (("NVML", nvml), ("nvidia-smi", xml)):
        if not facts.get("gpus"):
            raise CannotRun(f"{source} sees no GPU: {facts.get('reason', 'no devices')}")
    return nvml, xml


def reader_checks(nvml: dict, xml: dict) -> list[dict]:
    checks = [{"check": field, "nvml": nvml.get(field), "nvidia_smi": xml.get(field)} for field in SYSTEM_FIELDS]
    checks.append({"check": "gpu count", "nvml": len(nvml["gpus"]), "nvidia_smi": len(xml["gpus"])})
    for index, (left, right) in enumerate(zip(nvml["gpus"], xml["gpus"])):
        checks += [{"check": f"gpu{index} {field}", "nvml": left.get(field), "nvidia_smi": right.get(field)}
                   for field in GPU_FIELDS]
    for check in checks:
        check["ok"] = check["nvml"] is not None and check["nvml"] == check["nvidia_smi"]
    return checks


def mean_of(samples: list[dict], index: int, key: str) -> float | None:
    values = [gpu[key] for sample in samples for gpu in sample.get("gpus", [])
              if gpu.get("index") == index and isinstance(gpu.get(key), (int, float))]
    return round(statistics.fmean(values), 1) if values else None


def load_checks(timeline: dict, load_from_s: float, load_s: float, gpu_count: int, loaded: bool) -> list[dict]:
    """Idle is before the load; under load is its second half (the first half is ramp-up)."""
    idle = [s for s in timeline["samples"] if s["t"] < load_from_s]
    busy = [s for s in timeline["samples"] if s["t"] >= load_from_s + load_s / 2]
    checks = []
    for index in range(gpu_count):
        power = (mean_of(idle, index, "power_w"), mean_of(busy, index, "power_w"))
        clock = (mean_of(idle, index, "sm_clock_mhz"), mean_of(busy, index, "sm_clock_mhz"))
        for what, (before, after), rose in (
                ("power W", power, lambda b, a: a >= b * POWER_RISE),
                ("SM clock MHz", clock, lambda b, a: a >= b)):
            ok = None if not loaded else (before is not None and after is not None and rose(before, after))
            checks.append({"check": f"gpu{index} {what} idle -> load", "idle": before, "load": after, "ok": ok})
    return checks


def torch_load(seconds: float) -> str:
    """Matrix products on every GPU for `seconds`; returns what ran, or why nothing did."""
    try:
        import torch  # noqa: PLC0415 - optional: the check runs without PyTorch too
    except ImportError:
        return "none: PyTorch is not importable"
    if not torch.cuda.is_available():
        return "none: PyTorch sees no CUDA device"
    devices = [torch.device("cuda", i) for i in range(torch.cuda.device_count())]
    pairs = [(torch.randn(8192, 8192, device=d, dtype=torch.float16),) * 2 for d in devices]
    end = time.monotonic() + seconds
    while time.monotonic() < end:
        for a, b in pairs:
            a @ b  # noqa: B018 - the work is the point
        for device in devices:
            torch.cuda.synchronize(device)
    return f"torch fp16 8192x8192 matmul on {len(devices)} GPU(s) for {seconds:.0f} s"


def measure(idle_s: float, load_s: float, interval_s: float, load) -> tuple[dict, float, str]:
    with tempfile.TemporaryDirectory() as folder:
        sampler = TelemetrySampler(pathlib.Path(folder), interval_s)
        sampler.start()
        time.sleep(idle_s)
        load_from = time.monotonic() - sampler.started
        what = load(load_s)
        timeline = sampler.stop()
    return timeline, load_from, what


def table(rows: list[dict]) -> str:
    lines = [f"{'check':<34} {'NVML / idle':>26} {'nvidia-smi / load':>26}  result"]
    for row in rows:
        left, right = (row["nvml"], row["nvidia_smi"]) if "nvml" in row else (row["idle"], row["load"])
        verdict = {True: "ok", False: "FAIL", None: "not checked"}[row["ok"]]
        lines.append(f"{row['check']:<34} {str(left):>26} {str(right):>26}  {verdict}")
    return "\n".join(lines)


def check(smi: str, idle_s: float, load_s: float, interval_s: float, load=torch_load) -> dict:
    nvml, xml = read_both(smi)
    timeline, load_from, what = measure(idle_s, load_s, interval_s, load)
    rows = reader_checks(nvml, xml) + load_checks(timeline, load_from, load_s, len(nvml["gpus"]),
                                                       not what.startswith("none"))
    return {"passed": all(row["ok"] is not False for row in rows), "load": what,
            "telemetry_source": timeline["sources"]["gpu"], "samples": len(timeline["samples"]),
            "sampler_cpu_s": timeline["sampler_cpu_s"], "checks": rows, "nvml": nvml, "nvidia_smi": xml}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=pathlib.Path, default=REPO / "tests" / "output" / "gpu-check.json")
    parser.add_argument("--nvidia-smi", default=shutil.which("nvidia-smi") or "nvidia-smi")
    parser.add_argument("--idle-seconds", type=float, default=10.0)
    parser.add_argument("--load-seconds", type=float, default=30.0)
    parser.add_argument("--interval", type=float, default=0.5)
    args = parser.parse_args(argv)
    try:
        result = check(args.nvidia_smi, args.idle_seconds, args.load_seconds, args.interval)
    except CannotRun as error:
        print(f"gpu-check: cannot run: {error}", file=sys.stderr)
        return 2
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(result, indent=2, default=str) + "\n", encoding="utf-8")
    print(table(result["checks"]))
    print(f"load: {result['load']}; telemetry: {result['telemetry_source']}, {result['samples']} samples, "
          f"sampler CPU {result['sampler_cpu_s']} s")
    print(f"gpu-check: {'passed' if result['passed'] else 'FAILED'}; details in {args.out}")
    return 0 if result["passed"] else 1


if __name__ == "__main__":
    sys.exit(main())
