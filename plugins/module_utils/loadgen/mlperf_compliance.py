# Copyright: fleetbench developers
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""MLPerf compliance as a ladder, each rung judged from what the harness observed.

1 LoadGen settings untouched, 2 engine as the rules allow (no cross-query caching, 128 output
tokens, greedy), 3 the MLPerf dataset (recognised by content, not size), 4 the reference model
(or a declared derivative), 5 an accuracy run of the same run id meeting the 99% targets.
Rungs 1-4 are judged per record from fleetbench_run.json; rung 5 needs the run's accuracy records
and is judged where all of them are (the report). A rung is `passed` true, false, or null when
what it needs was not recorded: compliance is claimed only as far as it was checked.
"""
from __future__ import annotations

import typing as t

RUNGS = ("settings", "engine", "dataset", "model", "accuracy")
RECORD_RUNGS = RUNGS[:4]
OFFICIAL_MIN_DURATION_MS = 600000
MAX_OUTPUT_TOKENS = 128
DATASET_SIZES = {13368: "datacenter", 5000: "edge"}
# Inputs digests (fleetbench_run.json dataset.inputs_sha256) of MLCommons' cnn_eval.json (13,368)
# and sample_cnn_eval_5000.json. The files cannot be fetched from here: record each digest from a
# verified download before a run can pass this rung; until then the rung names the digest it saw.
MLPERF_DATASET_INPUT_DIGESTS: dict[int, frozenset[str]] = {13368: frozenset(), 5000: frozenset()}
REFERENCE_MODEL = "meta-llama/Llama-3.1-8B-Instruct"
REFERENCE_REVISION = "be673f326cab4cd22ccfef76109faf68e41aa5f1"
REFERENCE_CONFIG = {
    "architectures": ["LlamaForCausalLM"], "hidden_size": 4096, "intermediate_size": 14336,
    "num_hidden_layers": 32, "num_attention_heads": 32, "num_key_value_heads": 8, "vocab_size": 128256,
}
# Per-file SHA-256 of the reference checkpoint at REFERENCE_REVISION (its LFS digests), to be
# filled from a verified download; while empty, the hub revision the download recorded decides.
REFERENCE_FILE_DIGESTS: dict[str, str] = {}
_ALLOWED_SETTINGS = frozenset({"target_qps", "target_latency", "single_stream_expected_latency_ns",
                               "offline_expected_qps"})


def rung(name: str, passed: bool | None, reason: str) -> dict[str, t.Any]:
    return {"rung": name, "passed": passed, "reason": reason}


def record_compliance(run_info: t.Mapping[str, t.Any] | None, settings: t.Mapping[str, t.Any],
                      mode: str | None) -> dict[str, t.Any]:
    """Rungs 1-4 for one run, with the first one missed (null when all four passed)."""
    info = run_info or {}
    rungs = [settings_rung(info, settings, mode), engine_rung(info), dataset_rung(info), model_rung(info)]
    return {"rungs": rungs, "first_missed": first_missed(rungs)}


def effective_rungs(record: t.Mapping[str, t.Any]) -> list[dict[str, t.Any]]:
    """A record dict's rungs 1-4: as stored, or judged from what it holds when written before the
    ladder; a record that says `compliant: false` always misses a rung."""
    stored = record.get("compliance")
    stored_rungs = stored.get("rungs") if isinstance(stored, t.Mapping) else None
    if isinstance(stored_rungs, list):
        rungs = [dict(r) for r in stored_rungs if isinstance(r, t.Mapping)]
    else:
        rungs = record_compliance(record.get("run_info"), record.get("settings") or {}, record.get("mode"))["rungs"]
    if record.get("compliant") is False and compliant(rungs) is not False:
        rungs[0] = rung("settings", False, _relaxed_settings(record.get("run_info") or {}))
    return rungs


def compliant(rungs: list[dict[str, t.Any]]) -> bool | None:
    """True when every rung passed, false when one failed, null when none failed but one is unknown."""
    values = [r["passed"] for r in rungs]
    if False in values:
        return False
    return None if None in values else True


def first_missed(rungs: list[dict[str, t.Any]]) -> dict[str, t.Any] | None:
    return next((r for r in rungs if r["passed"] is not True), None)


def ladder_text(rungs: list[dict[str, t.Any]]) -> str:
    missed = first_missed(rungs)
    if missed is None:
        return "MLPerf-compliant" if len(rungs) == len(RUNGS) else "compliant as far as checked"
    return f"not compliant: {missed['rung']} ({missed['reason']})"


def settings_rung(info: t.Mapping[str, t.Any], settings: t.Mapping[str, t.Any], mode: str | None) -> dict[str, t.Any]:
    untouched = info.get("loadgen_settings_untouched", info.get("compliant"))
    if isinstance(untouched, bool):
        if untouched:
            return rung("settings", True, "official LoadGen settings")
        return rung("settings", False, _relaxed_settings(info))
    duration = settings.get("min_duration_ms")
    if mode != "accuracy" and isinstance(duration, (int, float)):
        if duration >= OFFICIAL_MIN_DURATION_MS:
            return rung("settings", True, "official min_duration")
        return rung("settings", False, f"min_duration {duration / 1000:g} s (rules: 600 s)")
    return rung("settings", None, "LoadGen settings not recorded")


def _relaxed_settings(info: t.Mapping[str, t.Any]) -> str:
    if info.get("profile") == "quick":
        return "quick profile: shortened runs"
    keys = sorted(set(info.get("loadgen_overrides") or {}) - _ALLOWED_SETTINGS)
    return f"official settings overridden ({', '.join(keys)})" if keys else "relaxed settings"


def engine_rung(info: t.Mapping[str, t.Any]) -> dict[str, t.Any]:
    if not info:
        return rung("engine", None, "engine not recorded")
    reasons = cross_query_reuse(info)
    tokens = info.get("max_output_tokens")
    if isinstance(tokens, int) and tokens != MAX_OUTPUT_TOKENS:
        reasons.append(f"max output tokens {tokens} (rules: {MAX_OUTPUT_TOKENS})")
    sampling = info.get("sampling")
    if isinstance(sampling, t.Mapping) and not _greedy(sampling):
        reasons.append(f"sampling not greedy (temperature {sampling.get('temperature')}, top_k {sampling.get('top_k')})")
    if reasons:
        return rung("engine", False, "; ".join(reasons))
    if not isinstance(sampling, t.Mapping):
        return rung("engine", None, "sampling not recorded")
    return rung("engine", True, "no cross-query caching, 128 greedy output tokens")


def cross_query_reuse(info: t.Mapping[str, t.Any]) -> list[str]:
    effective = info.get("engine_effective") or {}
    args = info.get("engine_args") or {}
    prefix = effective.get("enable_prefix_caching", args.get("enable_prefix_caching"))
    reasons = []
    if prefix is None:
        reasons.append("prefix cache on: prompts reused across queries (vLLM's default, not turned off)")
    elif prefix:
        reasons.append("prefix cache on: prompts reused across queries")
    if effective.get("kv_transfer") or args.get("kv_transfer_config"):
        reasons.append("KV transfer connector on: cached KV shared across queries")
    if effective.get("kv_offloading_size") or args.get("kv_offloading_size"):
        reasons.append("KV offloading on: cached KV reused across queries")
    return reasons


def _greedy(sampling: t.Mapping[str, t.Any]) -> bool:
    return sampling.get("temperature") == 0 or sampling.get("top_k") == 1


def dataset_rung(info: t.Mapping[str, t.Any]) -> dict[str, t.Any]:
    dataset = info.get("dataset") or {}
    samples = dataset.get("samples")
    if not isinstance(samples, int):
        return rung("dataset", None, "dataset not recorded")
    if samples not in DATASET_SIZES:
        return rung("dataset", False, f"{samples:,} samples (MLPerf: 13,368, or 5,000 for edge)")
    digest = dataset.get("inputs_sha256")
    if not isinstance(digest, str):
        return rung("dataset", None, f"{samples:,} samples, content digest not recorded")
    if digest in MLPERF_DATASET_INPUT_DIGESTS.get(samples, frozenset()):
        return rung("dataset", True, f"MLPerf CNN/DailyMail {DATASET_SIZES[samples]} set ({samples:,} samples)")
    return rung("dataset", False, f"{samples:,} samples, but not the MLPerf CNN/DailyMail set "
                                  f"(inputs digest {digest[:12]} is not a recorded one)")


def model_rung(info: t.Mapping[str, t.Any]) -> dict[str, t.Any]:
    model = info.get("model") or {}
    config = model.get("config")
    if not isinstance(config, t.Mapping) or not config:
        return rung("model", None, "model config not recorded")
    mismatched = sorted(key for key, value in REFERENCE_CONFIG.items() if config.get(key) != value)
    if mismatched:
        return rung("model", False, f"not {REFERENCE_MODEL} ({_shape(config)})")
    if REFERENCE_FILE_DIGESTS and _files_match(model.get("files") or {}):
        return rung("model", True, f"{REFERENCE_MODEL} (file digests of revision {REFERENCE_REVISION[:7]})")
    if (model.get("hub") or {}).get("revision") == REFERENCE_REVISION:
        return rung("model", True, f"{REFERENCE_MODEL} at revision {REFERENCE_REVISION[:7]}")
    if model.get("declared_derivative"):
        return rung("model", True, f"declared derivative of {REFERENCE_MODEL}: {model['declared_derivative']}")
    return rung("model", False, f"{REFERENCE_MODEL}'s shape, but not shown to be revision {REFERENCE_REVISION[:7]} "
                                "(no matching file digests or hub revision; declare a derivative if it is one)")


def _files_match(files: t.Mapping[str, t.Any]) -> bool:
    return all(files.get(name) == sha for name, sha in REFERENCE_FILE_DIGESTS.items())


def _shape(config: t.Mapping[str, t.Any]) -> str:
    architecture = ",".join(config.get("architectures") or ["unknown architecture"])
    return (f"{architecture}, {config.get('num_hidden_layers', '?')} layers, hidden {config.get('hidden_size', '?')}, "
            f"vocab {config.get('vocab_size', '?')}")


def accuracy_rung(accuracy_records: list[t.Mapping[str, t.Any]]) -> dict[str, t.Any]:
    """Rung 5 from the accuracy records of the same run id, host and scenario."""
    verdicts = [(r.get("accuracy") or {}).get("passed") for r in accuracy_records]
    if False in verdicts:
        return rung("accuracy", False, "accuracy run below the 99% targets")
    if True in verdicts:
        return rung("accuracy", True, "accuracy run meets the 99% targets")
    if verdicts:
        return rung("accuracy", False, "accuracy run scored on a subset: the 99% targets do not apply")
    return rung("accuracy", False, "no accuracy run in this run id")
