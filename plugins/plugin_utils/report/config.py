# Copyright: fleetbench developers
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""A host's configuration as one flat dict, and the differences between hosts.

The explanation machinery compares hosts field by field, so it needs the same flat shape on
GPU hosts (gpu_facts), CPU hosts (the harness fingerprint) and for the run itself (engine
arguments, checksums from fleetbench_run.json). Each field has a label a person reads in
the report ("driver", "CUDA", "CPU quota") and a weight that breaks ties when two differences
explain a gap equally well: a driver change moves throughput more often than a VBIOS string.
"""
from __future__ import annotations

import typing as t

# (field, label, weight): the order is the order of the report's configuration table.
FIELDS: tuple[tuple[str, str, int], ...] = (
    ("driver", "driver", 100),
    ("cuda", "CUDA", 95),
    ("gpu_model", "GPU model", 90),
    ("gpu_count", "GPU count", 90),
    ("power_limit_w", "power limit (W)", 85),
    ("sm_clock_max_mhz", "max SM clock (MHz)", 80),
    ("mem_clock_max_mhz", "max memory clock (MHz)", 78),
    ("app_sm_clock_mhz", "application SM clock (MHz)", 76),
    ("pcie_width", "PCIe width", 70),
    ("pcie_gen", "PCIe generation", 68),
    ("ecc", "ECC", 65),
    ("mig", "MIG", 64),
    ("persistence", "persistence mode", 50),
    ("vbios", "VBIOS", 40),
    ("cpu_model", "CPU", 88),
    ("cpu_count", "CPU count", 87),
    ("cpu_quota", "CPU quota", 86),
    ("memory_gib", "memory (GiB)", 60),
    ("kernel", "kernel", 58),
    ("device", "device", 92),
    ("vllm", "vLLM", 75),
    ("torch", "torch", 74),
    ("transformers", "transformers", 45),
    ("loadgen", "LoadGen", 55),
    ("python", "Python", 30),
    ("harness", "harness", 35),
    ("profile", "profile", 84),
    ("model_sha256", "model checksum", 83),
    ("dataset_sha256", "dataset checksum", 82),
)
LABELS = {field[0]: field[1] for field in FIELDS}
WEIGHTS = {field[0]: field[2] for field in FIELDS}
ENGINE_ARG_WEIGHT = 79


def label_of(field: str) -> str:
    if field.startswith("engine_arg."):
        return "engine argument " + field.split(".", 1)[1]
    return LABELS.get(field, field)


def weight_of(field: str) -> int:
    return ENGINE_ARG_WEIGHT if field.startswith("engine_arg.") else WEIGHTS.get(field, 10)


def host_configuration(
    gpu_facts: t.Mapping[str, t.Any] | None = None,
    fingerprint: t.Mapping[str, t.Any] | None = None,
    run_info: t.Mapping[str, t.Any] | None = None,
) -> dict[str, t.Any]:
    """The flat configuration of one host: GPU facts, CPU fingerprint, and the run's settings.

    Missing sources leave their fields out; a field that is absent is never reported as a
    difference, so a GPU host and a host without facts are not "different" by omission.
    """
    config: dict[str, t.Any] = {}
    gpu_facts = gpu_facts or {}
    run_info = run_info or {}
    config.update(_from_gpu_facts(gpu_facts))
    # Later sources win: what the harness saw at run time, then what gpu_facts read on the host.
    config.update(_from_fingerprint({
        **(run_info.get("fingerprint") or {}),
        **(gpu_facts.get("host") or {}),
        **(gpu_facts.get("harness") or {}),
        **(fingerprint or {}),
    }))
    config.update(_from_run_info(run_info))
    return {key: value for key, value in config.items() if value not in (None, "", [], {})}


def _from_gpu_facts(facts: t.Mapping[str, t.Any]) -> dict[str, t.Any]:
    gpus = [g for g in facts.get("gpus") or [] if isinstance(g, t.Mapping)]
    config = {
        "driver": facts.get("driver_version"),
        "cuda": cuda_version_text(facts.get("cuda_driver_version", facts.get("cuda_version"))),
    }
    if not gpus:
        return config
    config["gpu_count"] = len(gpus)
    # Keys of gpu_record.GPU_KEYS (what every gpu_facts reader returns per GPU).
    per_gpu = {
        "gpu_model": "name",
        "vbios": "vbios_version",
        "power_limit_w": "power_limit_enforced_w",
        "sm_clock_max_mhz": "clock_max_sm_mhz",
        "mem_clock_max_mhz": "clock_max_mem_mhz",
        "app_sm_clock_mhz": "clock_app_sm_mhz",
        "pcie_width": "pcie_width_current",
        "pcie_gen": "pcie_gen_current",
        "ecc": "ecc_mode",
        "mig": "mig_mode",
        "persistence": "persistence_mode",
    }
    for field, key in per_gpu.items():
        config[field] = _one_or_all([g.get(key) for g in gpus])
    return config


def _from_fingerprint(fingerprint: t.Mapping[str, t.Any]) -> dict[str, t.Any]:
    keys = ("cpu_model", "cpu_count", "cpu_quota", "memory_gib", "kernel", "device", "vllm", "torch",
            "transformers", "loadgen", "python")
    config = {key: fingerprint.get(key) for key in keys}
    # A null quota is a fact too: the cgroup sets no limit, so the harness may use every CPU.
    if "cpu_quota" in fingerprint and fingerprint["cpu_quota"] is None:
        config["cpu_quota"] = "unlimited"
    return config


def _from_run_info(run_info: t.Mapping[str, t.Any]) -> dict[str, t.Any]:
    config = {
        "harness": run_info.get("harness_version"),
        "profile": run_info.get("profile"),
        "model_sha256": _nested(run_info, "model", "sha256"),
        "dataset_sha256": _nested(run_info, "dataset", "sha256"),
    }
    for name, value in sorted((run_info.get("engine_args") or {}).items()):
        config[f"engine_arg.{name}"] = value
    return config


def cuda_version_text(value: t.Any) -> t.Any:
    """NVML reports the CUDA driver API version as 12020; people read it as 12.2."""
    if isinstance(value, int) and not isinstance(value, bool) and value >= 1000:
        return f"{value // 1000}.{value % 1000 // 10}"
    return value


def _nested(data: t.Mapping[str, t.Any], outer: str, inner: str) -> t.Any:
    value = data.get(outer)
    return value.get(inner) if isinstance(value, t.Mapping) else None


def _one_or_all(values: list[t.Any]) -> t.Any:
    """One value when every GPU agrees, else the per-GPU list (itself a difference worth showing)."""
    present = [v for v in values if v is not None]
    if not present:
        return None
    if all(v == present[0] for v in present):
        return present[0]
    return ", ".join(str(v) for v in values)


def majority_value(values: list[t.Any]) -> t.Any:
    """The most common value; ties go to the first seen, so the result is stable."""
    counts: dict[str, tuple[int, int, t.Any]] = {}
    for position, value in enumerate(values):
        key = repr(value)
        count, first = counts.get(key, (0, position, value))[:2]
        counts[key] = (count + 1, first, value)
    return max(counts.values(), key=lambda c: (c[0], -c[1]))[2]


def differences(one: t.Mapping[str, t.Any], other: t.Mapping[str, t.Any]) -> list[dict[str, t.Any]]:
    """Fields present on both sides whose values differ, in the report's field order."""
    fields = [f for f in _ordered_fields(one, other) if f in one and f in other]
    return [
        {"field": f, "label": label_of(f), "value": one[f], "other": other[f], "weight": weight_of(f)}
        for f in fields if one[f] != other[f]
    ]


def _ordered_fields(*configs: t.Mapping[str, t.Any]) -> list[str]:
    seen = [field[0] for field in FIELDS]
    extra = sorted({k for c in configs for k in c} - set(seen))
    return seen + extra


def fleet_reference(configs: t.Mapping[str, t.Mapping[str, t.Any]], exclude: str | None = None) -> dict[str, t.Any]:
    """Per field, the majority value among the hosts other than `exclude`."""
    others = [c for host, c in configs.items() if host != exclude]
    fields = {k for c in others for k in c}
    return {f: majority_value([c[f] for c in others if f in c]) for f in fields}


def configuration_table(configs: t.Mapping[str, t.Mapping[str, t.Any]]) -> dict[str, t.Any]:
    """The drift table: hosts with known configuration, every field, and whether hosts differ.

    A host with no value for a field shows "n/a" but does not make the field "differ": absence
    of a fact is not evidence of a difference.
    """
    known = {host: config for host, config in configs.items() if config}
    rows = []
    for field in _ordered_fields(*known.values()):
        values = {host: config.get(field) for host, config in known.items()}
        present = [v for v in values.values() if v is not None]
        if not present:
            continue
        rows.append({
            "field": field,
            "label": label_of(field),
            "values": values,
            "majority": majority_value(present),
            "differs": any(v != present[0] for v in present),
        })
    return {"hosts": sorted(known), "rows": rows}
