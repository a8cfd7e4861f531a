"""Shared pytest set-up. Each area keeps its fixtures in tests/pytest_plugins/<area>.py."""
import pathlib

_PLUGIN_DIR = pathlib.Path(__file__).parent / "pytest_plugins"

# `paths` first: other plugins import it, and pytest can only rewrite its asserts if it loads it first.
pytest_plugins = ["tests.pytest_plugins.paths"] + sorted(
    f"tests.pytest_plugins.{p.stem}" for p in _PLUGIN_DIR.glob("*.py") if p.stem not in ("__init__", "paths")
)
