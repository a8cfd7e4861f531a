"""The real LoadGen logs in ../shared/corpus/loadgen, with the values EXPECTED.md lists for each.

A test that takes the `loadgen_corpus_case` argument runs once per folder EXPECTED.md
describes (skipped when the corpus is absent). EXPECTED.md is read, not copied: a folder added
to the corpus with its entry is tested without touching the tests.
"""
from __future__ import annotations

import ast
import dataclasses
import json
import os
import pathlib
import re

import pytest

# Same place as tests/pytest_plugins/paths.py's CORPUS, FLEETBENCH_CORPUS included (importing it
# here would load that plugin before pytest does).
LOADGEN_CORPUS = pathlib.Path(os.environ.get(
    "FLEETBENCH_CORPUS", pathlib.Path(__file__).resolve().parents[3] / "shared" / "corpus")) / "loadgen"

_HEADING = re.compile(r"^### (?P<id>\S+) `(?P<folder>[^`]+)`")
_FIELD = re.compile(r"(?P<name>Scenario|Mode|Result|SUT name): `(?P<value>[^`]*)`")
_TICKED = re.compile(r"`([^`]+)`")
_PAIR = re.compile(r"(?P<key>[\w.]+)=(?P<value>\"[^\"]*\"|\S+)")


@dataclasses.dataclass
class CorpusCase:
    """What EXPECTED.md says one corpus folder holds."""

    case_id: str
    folder: str
    path: pathlib.Path
    summary: dict[str, str] = dataclasses.field(default_factory=dict)
    headlines: list[str] = dataclasses.field(default_factory=list)
    checks: dict[str, bool] = dataclasses.field(default_factory=dict)
    latency: dict[str, int] = dataclasses.field(default_factory=dict)
    ttft: dict[str, int] = dataclasses.field(default_factory=dict)
    tpot: dict[str, int] = dataclasses.field(default_factory=dict)
    parameters: dict[str, str] = dataclasses.field(default_factory=dict)
    loadgen_version: str | None = None
    detail_keys: dict[str, object] = dataclasses.field(default_factory=dict)
    accuracy_txt: str | None = None
    summary_has_results: bool = True


def _stats(line: str) -> dict[str, int]:
    return {m.group("key"): int(m.group("value")) for m in _PAIR.finditer(line.partition(":")[2])}


def _read_line(case: CorpusCase, line: str) -> None:
    text = line.strip().lstrip("- ").strip()
    if text.startswith("Scenario:"):
        case.summary = {m.group("name"): m.group("value") for m in _FIELD.finditer(text)}
    elif text.startswith("Summary has NO results block"):
        case.summary_has_results = False
    elif text.startswith("Headline line(s):"):
        case.headlines = _TICKED.findall(text)
    elif text.startswith("Checks:"):
        for item in text.partition(":")[2].split(";"):
            label, _, answer = item.rpartition(":")
            if label.strip():
                case.checks[" ".join(label.split())] = answer.strip().lower() == "yes"
    elif text.startswith("Latency (ns"):
        case.latency = _stats(text.replace("Latency (ns, Additional Stats)", "Latency"))
    elif text.startswith("TTFT"):
        case.ttft = _stats(text.replace("(ns)", ""))
    elif text.startswith("TPOT"):
        case.tpot = _stats(text.replace("(ns)", ""))
    elif text.startswith("Test parameters:"):
        for item in _TICKED.findall(text):
            label, _, value = item.partition(":")
            case.parameters[label.strip()] = value.strip()
    elif text.startswith("**Detail log:**"):
        case.loadgen_version = text.split("=", 1)[1].strip().strip('"')
    elif text.startswith("detail keys:"):
        ticked = _TICKED.search(text)
        pairs = _PAIR.finditer(ticked.group(1) if ticked else "")
        case.detail_keys = {m.group("key"): json.loads(m.group("value")) for m in pairs}
    elif text.startswith("**accuracy.txt:**"):
        ticked = _TICKED.search(text)
        case.accuracy_txt = ticked.group(1).strip() if ticked else None


def read_expected(expected_md: pathlib.Path) -> list[CorpusCase]:
    cases: list[CorpusCase] = []
    for line in expected_md.read_text(encoding="utf-8").splitlines():
        heading = _HEADING.match(line)
        if heading:
            folder = heading.group("folder")
            cases.append(CorpusCase(heading.group("id"), folder, expected_md.parent / folder))
        elif cases:
            _read_line(cases[-1], line)
    return cases


def expected_accuracy(text: str) -> dict[str, float]:
    """The scores an accuracy.txt line shows, as numbers."""
    if text.startswith("{"):
        return {k: float(v) for k, v in ast.literal_eval(text).items()}
    pairs = dict(item.strip().split("=") for item in text.split(","))
    return {k: float(v.rstrip("%")) for k, v in pairs.items()}


def pytest_generate_tests(metafunc: pytest.Metafunc) -> None:
    if "loadgen_corpus_case" not in metafunc.fixturenames:
        return
    expected_md = LOADGEN_CORPUS / "EXPECTED.md"
    if not expected_md.is_file():
        metafunc.parametrize(
            "loadgen_corpus_case",
            [pytest.param(None, marks=pytest.mark.skip(reason=f"LoadGen corpus not present at {LOADGEN_CORPUS}"))],
        )
        return
    cases = read_expected(expected_md)
    metafunc.parametrize("loadgen_corpus_case", cases, ids=[f"{c.case_id}-{c.folder}" for c in cases])
