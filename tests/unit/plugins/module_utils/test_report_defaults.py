"""The report's defaults are set once, in report_stats; every place that must write them out
again (plugin documentation, role defaults and argument specs) is checked against it."""
from __future__ import annotations

import ast
import pathlib

import yaml

from ansible_collections.fleetbench.llm.plugins.plugin_utils.report.stats import CONFIDENCE, DEFAULT_NOISE_PCT

ROOT = next(p for p in pathlib.Path(__file__).resolve().parents if (p / "galaxy.yml").is_file())


def _yaml(relative: str) -> dict:
    return yaml.safe_load((ROOT / relative).read_text(encoding="utf-8"))


def _python_documentation(relative: str) -> dict:
    tree = ast.parse((ROOT / relative).read_text(encoding="utf-8"))
    [text] = [node.value.value for node in tree.body
              if isinstance(node, ast.Assign) and getattr(node.targets[0], "id", None) == "DOCUMENTATION"]
    return yaml.safe_load(text)


def _written_defaults() -> dict[str, dict[str, float]]:
    """Where each default is written out: place -> {default_noise_pct, confidence, tolerance_pct}."""
    callback = _python_documentation("plugins/callback/results.py")["options"]
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
    for name in ("fleet_report", "compare_runs"):
        options = _yaml(f"plugins/filter/{name}.yml")["DOCUMENTATION"]["options"]
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
