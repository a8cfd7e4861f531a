"""The walls between the collection's rooms, read from the import statements themselves.

Modules are packed by AnsiballZ with only what module_utils holds, so module_utils and the
modules must never reach controller-only code (plugin_utils, filters, the callback, the action
plugin) or the controller's report libraries; the harness runs on hosts in its own virtual
environment and shares a contract with the collection, never code.
"""
from __future__ import annotations

import ast
import pathlib

import pytest

ROOT = next(p for p in pathlib.Path(__file__).resolve().parents if (p / "galaxy.yml").is_file())
COLLECTION = "ansible_collections.fleetbench.llm"
CONTROLLER_ONLY_LIBRARIES = ("jinja2", "matplotlib", "scipy", "numpy")


def imported_names(path: pathlib.Path, root: pathlib.Path) -> list[tuple[int, str]]:
    """(line, dotted name) of every import in `path`; relative imports are made absolute."""
    folders = list(path.relative_to(root).parent.parts)
    package = [COLLECTION, *folders] if folders[:1] == ["plugins"] else folders
    found = []
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"), filename=str(path))):
        if isinstance(node, ast.Import):
            found += [(node.lineno, alias.name) for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                base = ".".join(package[:len(package) - node.level + 1] + ([base] if base else []))
            found += [(node.lineno, f"{base}.{alias.name}") for alias in node.names]
    return found


def _module_utils_rule(name: str) -> str | None:
    if name.startswith(f"{COLLECTION}.plugins.") and not name.startswith(f"{COLLECTION}.plugins.module_utils."):
        return "module_utils may import only module_utils from this collection (modules carry nothing else)"
    if name.split(".")[0] in CONTROLLER_ONLY_LIBRARIES:
        return "a controller-only library is not installed on the hosts modules run on"
    return None


def _harness_rule(name: str) -> str | None:
    if name.startswith("ansible_collections") or name.split(".")[0] in ("ansible", "plugins"):
        return "the harness shares a contract with the collection, never code"
    return None


RULES = {
    "plugins/module_utils": _module_utils_rule,
    "plugins/modules": _module_utils_rule,
    "harness": _harness_rule,
}


def broken_rules(root: pathlib.Path) -> list[str]:
    """One line per import that breaks a rule: file, line, the import and the rule."""
    broken = []
    for folder, rule in RULES.items():
        for path in sorted((root / folder).rglob("*.py")):
            for line, name in imported_names(path, root):
                reason = rule(name)
                if reason:
                    broken.append(f"{path.relative_to(root)}:{line}: imports {name}: {reason}")
    return broken


def test_no_import_crosses_a_wall():
    assert broken_rules(ROOT) == []


def test_every_room_the_rules_guard_holds_python_files():
    for folder in RULES:
        assert list((ROOT / folder).rglob("*.py")), f"{folder} holds no Python: did it move?"


@pytest.mark.parametrize("folder, source, named", [
    ("plugins/module_utils/loadgen", "from ansible_collections.fleetbench.llm.plugins.plugin_utils.report import fleet\n",
     "plugins.plugin_utils.report.fleet"),
    ("plugins/module_utils/gpu", "from ...plugin_utils.report import render\n", "plugins.plugin_utils.report.render"),
    ("plugins/modules", "from ansible_collections.fleetbench.llm.plugins.filter import fleet_report\n",
     "plugins.filter.fleet_report"),
    ("plugins/module_utils", "import matplotlib.pyplot\n", "matplotlib.pyplot"),
    ("harness/src/fleetbench_harness", "from ansible_collections.fleetbench.llm.plugins.module_utils import atomic_file\n",
     "plugins.module_utils.atomic_file"),
])
def test_a_crossing_import_is_named_with_its_file_and_line(tmp_path, folder, source, named):
    path = tmp_path / folder / "crossing.py"
    path.parent.mkdir(parents=True)
    path.write_text(f'"""A file that breaks a wall."""\n{source}', encoding="utf-8")
    (broken,) = broken_rules(tmp_path)
    assert broken.startswith(f"{folder}/crossing.py:2: imports ") and named in broken


def test_imports_inside_a_room_are_allowed(tmp_path):
    path = tmp_path / "plugins/module_utils/gpu/reader.py"
    path.parent.mkdir(parents=True)
    path.write_text("from ..result_record import ResultRecord\nfrom .record import gpu\nimport json\n", encoding="utf-8")
    assert broken_rules(tmp_path) == []
