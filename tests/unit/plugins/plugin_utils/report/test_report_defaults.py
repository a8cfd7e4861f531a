"""The report's defaults are set once, in report_stats; every place that must write them out
again (plugin documentation, role defaults and argument specs) is checked against it.

Plugin documentation is read through ansible-doc, so options the plugins take from the
report_statistics doc fragment are checked as users see them."""
from __future__ import annotations

import functools
import json
import os
import pathlib
import subprocess
import sys

import yaml

from ansible_collections.fleetbench.llm.plugins.plugin_utils.report.stats import CONFIDENCE, DEFAULT_NOISE_PCT

ROOT = next(p for p in pathlib.Path(__file__).resolve().parents if (p / "galaxy.yml").is_file())


def _yaml(relative: str) -> dict:
    return yaml.safe_load((ROOT / relative).read_text(encoding="utf-8"))


@functools.lru_cache(maxsize=None)
def _documented_options(plugin_type: str, *names: str) -> dict[str, dict]:
    """Each plugin's options as ansible-doc shows them, doc fragments merged in."""
    env = {**os.environ, "ANSIBLE_COLLECTIONS_PATH": str(ROOT / "collections")}
    command = [str(pathlib.Path(sys.executable).parent / "ansible-doc"), "-t", plugin_type, "--json",
               *(f"fleetbench.llm.{name}" for name in names)]
    docs = json.loads(subprocess.run(command, capture_output=True, text=True, check=True, env=env).stdout)
    return {name: docs[f"fleetbench.llm.{name}"]["doc"]["options"] for name in names}


def _written_defaults() -> dict[str, dict[str, float]]:
    """Where each default is written out: place -> {default_noise_pct, confidence, tolerance_pct}."""
    callback = _documented_options("callback", "results")["results"]
    role_spec = _yaml("roles/report/meta/argument_specs.yml")["argument_specs"]["main"]["options"]
    role_defaults = _yaml("roles/report/defaults/main.yml")
    places = {
        "callback results": {"confidence": callback["confidence"]["default"],
                             "tolerance_pct": callback["tolerance_pct"]["default"]},
        "role report defaults": {key: role_defaults[f"fleetbench_report_{key}"]
                                 for key in ("default_noise_pct", "confidence", "tolerance_pct")},
        "role report argument spec": {key: role_spec[f"fleetbench_report_{key}"]["default"]
                                      for key in ("default_noise_pct", "confidence", "tolerance_pct")},
    }
    for name, options in _documented_options("filter", "fleet_report", "compare_runs").items():
        places[f"filter {name}"] = {key: options[key]["default"] for key in ("default_noise_pct", "confidence")}
    return places


def test_every_written_noise_band_and_confidence_default_is_report_stats_own():
    expected = {"default_noise_pct": DEFAULT_NOISE_PCT, "confidence": CONFIDENCE}
    wrong = {place: {key: value for key, value in values.items() if key in expected and value != expected[key]}
             for place, values in _written_defaults().items()}
    assert {place: values for place, values in wrong.items() if values} == {}


def test_the_callback_and_the_report_role_gate_with_the_same_tolerance():
    tolerances = {place: values["tolerance_pct"] for place, values in _written_defaults().items() if "tolerance_pct" in values}
    assert len(set(tolerances.values())) == 1, tolerances
