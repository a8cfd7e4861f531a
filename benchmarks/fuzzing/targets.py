"""The fuzzed parsers: how each is fed one input, and which exception is its clean refusal."""
from __future__ import annotations

import dataclasses
import json
import pathlib
import random
import shutil
import time
import typing as t

from ansible_collections.fleetbench.llm.plugins.module_utils.gpu.record import GpuOutputError
from ansible_collections.fleetbench.llm.plugins.module_utils.gpu.smi_csv import (
    driver_version_from_rows,
    gpus_from_rows,
    parse_query_csv,
)
from ansible_collections.fleetbench.llm.plugins.module_utils.gpu.smi_table import parse_smi_table
from ansible_collections.fleetbench.llm.plugins.module_utils.gpu.smi_text import parse_smi_text
from ansible_collections.fleetbench.llm.plugins.module_utils.gpu.smi_xml import parse_smi_xml
from ansible_collections.fleetbench.llm.plugins.module_utils.loadgen.accuracy import read_accuracy_txt
from ansible_collections.fleetbench.llm.plugins.module_utils.loadgen.detail_log import read_detail_log
from ansible_collections.fleetbench.llm.plugins.module_utils.loadgen.parser import (
    KNOWN_FILES,
    LoadGenDirError,
    parse_result_dir,
    problem_lines,
)
from ansible_collections.fleetbench.llm.plugins.module_utils.loadgen.summary import read_summary

from benchmarks.fuzzing import seeds as seed_sources
from benchmarks.fuzzing.mutations import mutate

# What a feed returns: the damages applied, and the parser's CPU seconds (process time, so that
# other work on a shared machine does not count as the parser being slow).
Fed = t.Tuple[t.List[str], float]


@dataclasses.dataclass
class Target:
    """One parser: `feed` damages a seed and runs the parser on it (bytes, or a whole folder).

    A feed that raises leaves its CPU time unknown; the campaign then times it by the clock."""

    name: str
    seeds: list[tuple[str, t.Any]]
    feed: t.Callable[[t.Any, random.Random, list], float]
    refusal: tuple[type[BaseException], ...] = ()


def _text(data: bytes) -> str:
    # The module decodes nvidia-smi output as run_command does: invalid bytes replaced.
    return data.decode("utf-8", errors="replace")


def _csv(data: bytes) -> None:
    rows = parse_query_csv(_text(data))
    gpus_from_rows(rows, [])
    driver_version_from_rows(rows)


def _on_file(work: pathlib.Path, name: str, reader: t.Callable[[str], t.Any]) -> t.Callable[[bytes], None]:
    """The file readers take a path: the damaged bytes are written once, then read."""
    path = work / name

    def parse(data: bytes) -> None:
        path.write_bytes(data)
        reader(str(path))
    return parse


def _timed(call: t.Callable[[], t.Any]) -> float:
    start = time.process_time()
    call()
    return time.process_time() - start


class FolderFeed:
    """Damages one file of a copy of a LoadGen folder, parses the whole folder, restores the file."""

    def __init__(self, work: pathlib.Path):
        self.work = work
        self.copies: dict[pathlib.Path, pathlib.Path] = {}

    def copy_of(self, folder: pathlib.Path) -> pathlib.Path:
        if folder not in self.copies:
            copy = self.work / f"folder-{len(self.copies)}"
            # Only what the parser reads: LoadGen's trace log alone can be 80 MB.
            shutil.copytree(folder, copy, ignore=lambda _where, names: [n for n in names if n not in KNOWN_FILES])
            self.copies[folder] = copy
        return self.copies[folder]

    def __call__(self, folder: pathlib.Path, rng: random.Random, applied: list) -> float:
        copy = self.copy_of(folder)
        name = rng.choice(sorted(p.name for p in copy.iterdir() if p.is_file()))
        original = (folder / name).read_bytes()
        damaged, names = mutate(original, rng)
        applied.extend([name] + names)
        try:
            (copy / name).write_bytes(damaged)
            return _timed(lambda: _whole_folder(copy))
        finally:
            (copy / name).write_bytes(original)


def _whole_folder(folder: pathlib.Path) -> None:
    record = parse_result_dir(str(folder))
    json.dumps(record.to_dict())  # what the module returns must serialise
    problem_lines(record)


def _bytes_feed(parse: t.Callable[[bytes], t.Any]) -> t.Callable[[bytes, random.Random, list], float]:
    def feed(seed: bytes, rng: random.Random, applied: list) -> float:
        data, names = mutate(seed, rng)
        applied.extend(names)
        return _timed(lambda: parse(data))
    return feed


def all_targets(corpus: pathlib.Path | None, runs: list[pathlib.Path], work: pathlib.Path) -> list[Target]:
    """Every fuzz target with the seeds found; a target without seeds is left out."""
    folders = seed_sources.loadgen_folders(corpus, runs)
    byte_targets = [
        ("summary", seed_sources.loadgen_files(folders, "mlperf_log_summary.txt"),
         _on_file(work, "mlperf_log_summary.txt", read_summary), ()),
        ("detail log", seed_sources.loadgen_files(folders, "mlperf_log_detail.txt"),
         _on_file(work, "mlperf_log_detail.txt", read_detail_log), ()),
        ("accuracy.txt", seed_sources.loadgen_files(folders, "accuracy.txt"),
         _on_file(work, "accuracy.txt", read_accuracy_txt), ()),
        ("nvidia-smi XML", seed_sources.smi_outputs(corpus, "xml"), lambda d: parse_smi_xml(_text(d)), (GpuOutputError,)),
        ("nvidia-smi CSV", seed_sources.smi_outputs(corpus, "csv"), _csv, (GpuOutputError,)),
        ("nvidia-smi -q text", seed_sources.smi_outputs(corpus, "text"), lambda d: parse_smi_text(_text(d)), (GpuOutputError,)),
        ("nvidia-smi table", seed_sources.smi_outputs(corpus, "table"), lambda d: parse_smi_table(_text(d)), (GpuOutputError,)),
    ]
    targets = [Target(name, found, _bytes_feed(parse), refusal) for name, found, parse, refusal in byte_targets if found]
    if folders:
        targets.insert(3, Target("whole run folder", [(f.name, f) for f in folders], FolderFeed(work), (LoadGenDirError,)))
    return targets
