"""Shared pytest set-up. Each area keeps its fixtures in tests/pytest_plugins/<area>.py."""
import pathlib

_PLUGIN_DIR = pathlib.Path(__file__).parent / "pytest_plugins"

pytest_plugins = sorted(
    f"tests.pytest_plugins.{p.stem}" for p in _PLUGIN_DIR.glob("*.py") if p.stem != "__init__"
)
