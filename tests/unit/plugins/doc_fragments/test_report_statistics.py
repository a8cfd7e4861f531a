"""The statistics options are described once, in the report_statistics doc fragment: the plugins
that take them may add only how they are set (env, ini) and their own default."""
from __future__ import annotations

import ast
import pathlib

import pytest
import yaml

from ansible_collections.fleetbench.llm.plugins.doc_fragments.report_statistics import ModuleDocFragment

ROOT = next(p for p in pathlib.Path(__file__).resolve().parents if (p / "galaxy.yml").is_file())
SHARED = set(yaml.safe_load(ModuleDocFragment.DOCUMENTATION)["options"]) | set(
    yaml.safe_load(ModuleDocFragment.NOISE)["options"])
DESCRIBING_KEYS = {"description", "type", "choices", "elements"}


def _callback_documentation() -> dict:
    tree = ast.parse((ROOT / "plugins/callback/results.py").read_text(encoding="utf-8"))
    [text] = [node.value.value for node in tree.body
              if isinstance(node, ast.Assign) and getattr(node.targets[0], "id", None) == "DOCUMENTATION"]
    return yaml.safe_load(text)


def _filter_documentation(name: str) -> dict:
    return yaml.safe_load((ROOT / f"plugins/filter/{name}.yml").read_text(encoding="utf-8"))["DOCUMENTATION"]


PLUGINS = {
    "callback results": _callback_documentation,
    "filter fleet_report": lambda: _filter_documentation("fleet_report"),
    "filter compare_runs": lambda: _filter_documentation("compare_runs"),
}


@pytest.mark.parametrize("plugin", sorted(PLUGINS))
def test_the_plugin_takes_the_statistics_options_from_the_fragment(plugin):
    documentation = PLUGINS[plugin]()
    assert "fleetbench.llm.report_statistics" in documentation["extends_documentation_fragment"]
    described_again = {name: sorted(DESCRIBING_KEYS & set(option or {}))
                       for name, option in documentation["options"].items() if name in SHARED}
    assert {name: keys for name, keys in described_again.items() if keys} == {}


def test_the_fragment_describes_each_shared_option_with_a_type():
    for text in (ModuleDocFragment.DOCUMENTATION, ModuleDocFragment.NOISE):
        for name, option in yaml.safe_load(text)["options"].items():
            assert option["description"] and option["type"] == "float", name
