# Copyright: fleetbench developers
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Read accuracy results: the reference scripts' accuracy.txt and LoadGen's accuracy log."""
from __future__ import annotations

import ast
import re
import typing as t

ACCURACY_TXT = "accuracy.txt"
ACCURACY_LOG = "mlperf_log_accuracy.json"

_PAIR = re.compile(r"(?P<name>[A-Za-z_][\w.-]*)\s*=\s*(?P<value>[^,\s]+)")
_CHUNK = 1 << 20


def _number(value: t.Any) -> t.Any:
    """Reference scripts print scores as numbers or as quoted numbers: make them numbers."""
    if isinstance(value, str):
        text = value.strip().rstrip("%")
        try:
            return int(text)
        except ValueError:
            try:
                return float(text)
            except ValueError:
                return value
    return value


def parse_accuracy_txt(text: str) -> dict[str, t.Any] | None:
    """Scores from an accuracy.txt: a printed dict (LLMs) or `name=value, ...` (vision).

    Progress lines around the result (dataset loading, nltk downloads) are skipped.
    None when no score is found.
    """
    scores: dict[str, t.Any] = {}
    for line in text.splitlines():
        stripped = line.strip()
        if stripped.startswith("{") and stripped.endswith("}"):
            try:
                parsed = ast.literal_eval(stripped)
            except (ValueError, SyntaxError, RecursionError, MemoryError):
                continue
            if isinstance(parsed, dict):
                scores.update({str(k): _number(v) for k, v in parsed.items()})
        elif stripped.startswith("hash="):
            scores["hash"] = stripped.partition("=")[2]
        elif "=" in stripped and not stripped.startswith("["):
            pairs = {m.group("name"): _number(m.group("value")) for m in _PAIR.finditer(stripped)}
            if pairs and all(not isinstance(v, str) for v in pairs.values()):
                scores.update(pairs)
    return scores if any(key != "hash" for key in scores) else None


def read_accuracy_txt(path: str) -> tuple[dict[str, t.Any] | None, str | None]:
    """(scores, problem): problem is a one-line reason when no score could be read."""
    with open(path, encoding="utf-8", errors="replace") as handle:
        scores = parse_accuracy_txt(handle.read())
    return scores, None if scores else "no accuracy scores found (expected a {...} dict or name=value pairs)"


def count_accuracy_log_entries(path: str) -> tuple[int, str | None]:
    """(entries, problem) for LoadGen's accuracy log, counted without loading it whole.

    The log can hold every generated token of every sample (hundreds of MB), and only its
    length and completeness matter here; scoring reads it elsewhere.
    """
    entries = 0
    tail = b""
    with open(path, "rb") as handle:
        while True:
            chunk = handle.read(_CHUNK)
            if not chunk:
                break
            entries += (tail[-8:] + chunk).count(b'"qsl_idx"') - tail[-8:].count(b'"qsl_idx"')
            tail = chunk
    ending = tail.rstrip()
    if not ending:
        return 0, "file is empty"
    if not ending.endswith(b"]"):
        return entries, "does not end with ']': LoadGen did not finish writing it (cut off?)"
    return entries, None
