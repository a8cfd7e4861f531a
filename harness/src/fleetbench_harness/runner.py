"""One benchmark run: dataset, LoadGen settings, vLLM engine, SUT, LoadGen test, scoring.

Run one test per process: LoadGen keeps state between tests (FACTS.md)."""
from __future__ import annotations

import logging
import os
import sys
import time

import mlperf_loadgen as lg

from fleetbench_harness.accuracy import ACCURACY_FILE, score_run
from fleetbench_harness.console import LOG_FILE
from fleetbench_harness.cpu_placement import keep_off_worker_cpus
from fleetbench_harness.dataset import check_tokenizer_matches, load_dataset
from fleetbench_harness.engine import (MAX_OUTPUT_TOKENS, cross_query_reuse, effective_engine_settings, engine_config,
                                       offline_engine, one_line, sampling_params, sampling_record)
from fleetbench_harness.engine_args import engine_arg_names, engine_kwargs
from fleetbench_harness.errors import HarnessError, LoadGenFailure
from fleetbench_harness.loadgen_settings import (OFFICIAL_SAMPLE_COUNT, USER_CONF_FILE, build_test_settings,
                                                 check_user_conf_key, read_user_conf, reported_settings,
                                                 user_conf_text)
from fleetbench_harness.measured_progress import ProgressTimeline
from fleetbench_harness.model_files import check_model_dir, load_tokenizer
from fleetbench_harness.profiles import is_compliant, profile_overrides
from fleetbench_harness.qsl import construct_qsl
from fleetbench_harness.run_config import RunConfig
from fleetbench_harness.run_record import run_record, write_run_record
from fleetbench_harness.sample_plan import distinct_samples_for, expected_queries, reuse_warning, sample_plan
from fleetbench_harness.scenarios import SCENARIOS
from fleetbench_harness.status import Progress, StatusFile, write_json_atomically
from fleetbench_harness.start_barrier import iso_utc, measured_window, wait_until
from fleetbench_harness.sut_offline import OfflineSUT
from fleetbench_harness.sut_streaming import StreamingSUT
from fleetbench_harness.telemetry import TelemetrySampler

log = logging.getLogger("fleetbench_harness")
# A benchmark host does not report to vLLM's usage-statistics server unless asked to.
os.environ.setdefault("VLLM_NO_USAGE_STATS", "1")
OFFICIAL_DATASET_SIZES = (13368, 5000)  # datacenter and edge sets


def run_benchmark(config: RunConfig, console=sys.stderr) -> dict:
    """Run and return a short summary. Raises HarnessError (status file says `failed`); a failure
    inside an engine thread ends the process with the contract's exit code instead, since
    LoadGen cannot be interrupted."""
    config.output.mkdir(parents=True, exist_ok=True)
    progress = Progress()
    status = StatusFile(config.output, progress)
    status.start()

    def fatal(error: HarnessError) -> None:
        status.finish(error.exit_code, str(error))
        print(f"fleetbench-harness: {error}", file=console, flush=True)
        os._exit(error.exit_code)

    try:
        summary = _run(config, status, progress, fatal)
    except HarnessError as error:
        status.finish(error.exit_code, str(error))
        raise
    except BaseException as error:
        status.finish(1, f"{type(error).__name__}: {one_line(error)}")
        raise
    status.finish(0)
    return summary


def _run(config: RunConfig, status: StatusFile, progress: Progress, fatal) -> dict:
    config.check()
    scenario = SCENARIOS[config.scenario]
    check_model_dir(config.model)

    status.set_phase("loading_dataset")
    dataset = load_dataset(config.dataset, config.dataset_sha256, config.total_sample_count)
    tokenizer = load_tokenizer(config.model)
    check_tokenizer_matches(dataset, tokenizer, config.model)
    overrides, test_settings, untouched, plan = _loadgen_settings(config, scenario, len(dataset))
    kwargs = engine_kwargs(config.engine_args, engine_arg_names())

    status.set_phase("loading_model")
    started = time.monotonic()
    vllm_config = engine_config(config.model, kwargs)
    effective = effective_engine_settings(vllm_config)
    compliant = (untouched and config.max_output_tokens == MAX_OUTPUT_TOKENS
                 and len(dataset) in OFFICIAL_DATASET_SIZES and not cross_query_reuse(effective))
    record = run_record(config, scenario, dataset, overrides, reported_settings(test_settings), kwargs, compliant)
    record.update({
        "engine_effective": effective,
        "loadgen_settings_untouched": untouched,
        "sampling": sampling_record(sampling_params(config.max_output_tokens, streaming=scenario.streaming)),
        "sample_plan": plan,
        "warnings": _run_warnings(config, plan, len(dataset)),
    })
    write_run_record(config.output, record)
    sut = _system_under_test(config, scenario, dataset, kwargs, vllm_config, progress, fatal)
    log.info("engine ready in %.1f s", time.monotonic() - started)
    record["cpu_placement"] = keep_off_worker_cpus()
    if record["cpu_placement"]:
        log.info("vLLM's worker computes on CPUs %s; the harness and the engine core run on CPUs %s",
                 record["cpu_placement"]["worker_cpus"], record["cpu_placement"]["harness_cpus"])

    status.set_phase("warmup")
    sut.warm_up(config.warmup_samples)
    late_by_s = None
    if config.start_at is not None:
        status.set_phase("waiting")
        log.info("ready; waiting for the agreed start %s", iso_utc(config.start_at))
        late_by_s = wait_until(config.start_at)
        if late_by_s:
            log.warning("ready %.3f s after the agreed start %s: measuring at once", late_by_s, iso_utc(config.start_at))
    status.set_phase("running")
    sut.start()
    with TelemetrySampler(config.output, config.telemetry_interval_s), ProgressTimeline(progress) as timeline:
        measured_start = time.time()
        _start_loadgen_test(sut, config, len(dataset), test_settings)
        measured_end = time.time()
    sut.stop()
    record["measured"] = measured_window(measured_start, measured_end, config.start_at, late_by_s, timeline.points)
    write_run_record(config.output, record)
    _check_nothing_lost(config, progress)

    summary = {"output": str(config.output), "samples_issued": progress.samples_issued,
               "samples_completed": progress.samples_completed, "tokens_generated": progress.tokens_generated,
               "compliant": compliant}
    if config.mode == "accuracy":
        status.set_phase("scoring")
        scores = score_run(config.output, dataset.references, tokenizer)
        write_json_atomically(config.output / ACCURACY_FILE, scores)
        summary["accuracy"] = {key: scores[key] for key in ("rouge1", "rouge2", "rougeL", "rougeLsum", "passed")}
    return summary


def _loadgen_settings(config: RunConfig, scenario, dataset_samples: int):
    """(overrides written to user.conf, TestSettings as loaded, settings untouched, sample plan)."""
    overrides = profile_overrides(config.profile, scenario, dataset_samples)
    if dataset_samples < OFFICIAL_SAMPLE_COUNT:
        overrides.setdefault("performance_sample_count_override", str(dataset_samples))
    for key in config.loadgen_settings:
        check_user_conf_key(key, "--loadgen-setting")
    user_lines = read_user_conf(config.user_conf)
    conf_path = config.output / USER_CONF_FILE
    conf_path.write_text(user_conf_text(scenario, overrides, user_lines, config.loadgen_settings), encoding="utf-8")
    test_settings = build_test_settings(scenario, config.mode, conf_path)
    all_overrides = {**overrides, **config.loadgen_settings}
    plan = _plan_samples(config, scenario, test_settings, dataset_samples, all_overrides)
    untouched = is_compliant(config.profile, all_overrides, user_lines)
    return all_overrides, test_settings, untouched, plan


def _plan_samples(config: RunConfig, scenario, test_settings, dataset_samples: int, overrides: dict) -> dict:
    """Quick streaming runs load one distinct sample per query where the dataset allows; LoadGen
    reads user.conf only once per process (FACTS.md), so the count is set on the settings it read."""
    queries = expected_queries(scenario.loadgen_scenario, reported_settings(test_settings))
    if config.mode != "performance":
        queries = None
    loaded = min(dataset_samples, test_settings.performance_sample_count_override or dataset_samples)
    if (queries is not None and config.profile == "quick"
            and "performance_sample_count_override" not in config.loadgen_settings):
        loaded = distinct_samples_for(queries, dataset_samples)
        test_settings.performance_sample_count_override = loaded
        overrides["performance_sample_count_override"] = str(loaded)
    return sample_plan(loaded, queries)


def _run_warnings(config: RunConfig, plan: dict, dataset_samples: int) -> list[str]:
    """The official profile follows LoadGen's own counts; only a set smaller than them is flagged."""
    if config.profile == "official" and dataset_samples >= OFFICIAL_SAMPLE_COUNT:
        return []
    warning = reuse_warning(plan)
    return [warning] if warning else []


def _system_under_test(config: RunConfig, scenario, dataset, kwargs: dict, vllm_config, progress: Progress, fatal):
    params = sampling_params(config.max_output_tokens, streaming=scenario.streaming)
    log_path = config.output / LOG_FILE
    # LLMEngine drives one engine; one engine per GPU (data parallel) needs AsyncLLM's balancer.
    one_engine_per_gpu = int(kwargs.get("data_parallel_size") or 1) > 1
    if scenario.streaming or one_engine_per_gpu:
        return StreamingSUT(vllm_config, dataset, params, progress, fatal,
                            disable_log_stats=bool(kwargs.get("disable_log_stats", True)), log_path=log_path,
                            report_first_token=scenario.streaming)
    return OfflineSUT(offline_engine(vllm_config, log_path), dataset, params, progress, fatal)


def _start_loadgen_test(sut, config: RunConfig, total_samples: int, test_settings) -> None:
    performance_samples = min(total_samples, test_settings.performance_sample_count_override or total_samples)
    log_settings = lg.LogSettings()
    log_settings.log_output.outdir = str(config.output)
    log_settings.log_output.copy_summary_to_stdout = True
    log_settings.enable_trace = False
    lg_sut = lg.ConstructSUT(sut.issue_queries, sut.flush_queries)
    qsl = construct_qsl(total_samples, performance_samples)
    try:
        lg.StartTestWithLogSettings(lg_sut, qsl, test_settings, log_settings)
    finally:
        lg.DestroyQSL(qsl)
        lg.DestroySUT(lg_sut)


def _check_nothing_lost(config: RunConfig, progress: Progress) -> None:
    if not (config.output / "mlperf_log_summary.txt").is_file():
        raise LoadGenFailure(f"LoadGen wrote no mlperf_log_summary.txt in {config.output}")
    if progress.samples_completed != progress.samples_issued:
        raise LoadGenFailure(
            f"{progress.samples_issued - progress.samples_completed} of {progress.samples_issued} "
            "issued samples never completed")
