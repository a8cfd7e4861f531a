# Copyright: fleetbench developers
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Read accuracy results: the reference scripts' accuracy.txt and LoadGen's accuracy log."""
from __future__ import annotations

import ast
import re
import typing as t
import warnings

ACCURACY_TXT = "accuracy.txt"
ACCURACY_LOG = "mlperf_log_accuracy.json"

_NAME = re.compile(r"[A-Za-z_][\w.-]*")
_CHUNK = 1 << 20
# accuracy.txt lines are short (the printed dict is under 300 characters); a longer line is
# garbage, skipped as a problem, and keeps literal_eval's cost bounded.
MAX_LINE_CHARS = 65536
# No score (a percentage, a character count of every generated answer) comes near this.
_ABSURD_SCORE = 1e12
_SCORE_TYPES = (int, float, str, bool, type(None))


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


def _pairs(line: str) -> dict[str, t.Any]:
    """'accuracy=76.078%, good=38039' -> {accuracy: 76.078, good: 38039}; string operations,
    not a pattern (`[\\w.-]*` before `\\s*=` was quadratic in a long word)."""
    pairs = {}
    for piece in line.split(","):
        name, equals, value = piece.partition("=")
        name = name.strip().split()[-1] if name.strip() else ""
        words = value.split()
        if equals and words and _NAME.fullmatch(name):
            pairs[name] = _number(words[0])
    return pairs


def scan_accuracy_txt(text: str) -> tuple[dict[str, t.Any], list[str]]:
    """(scores, problems) of an accuracy.txt; scores may be empty."""
    scores: dict[str, t.Any] = {}
    problems: list[str] = []
    for lineno, line in enumerate(text.splitlines(), 1):
        if len(line) > MAX_LINE_CHARS:
            problems.append(f"line {lineno} is {len(line)} characters long (over {MAX_LINE_CHARS}): skipped")
            continue
        stripped = line.strip()
        if stripped.startswith("{") and stripped.endswith("}"):
            try:
                with warnings.catch_warnings():
                    # Damaged text such as '1x' makes the compiler warn on stderr before failing.
                    warnings.simplefilter("ignore", SyntaxWarning)
                    parsed = ast.literal_eval(stripped)
            except (ValueError, TypeError, SyntaxError, RecursionError, MemoryError):
                continue
            if isinstance(parsed, dict):
                scores.update({str(k): _number(v) for k, v in parsed.items()})
        elif stripped.startswith("hash="):
            scores["hash"] = stripped.partition("=")[2]
        elif "=" in stripped and not stripped.startswith("["):
            pairs = _pairs(stripped)
            if pairs and all(not isinstance(v, str) for v in pairs.values()):
                scores.update(pairs)
    return scores, problems


def parse_accuracy_txt(text: str) -> dict[str, t.Any] | None:
    """Scores from an accuracy.txt: a printed dict (LLMs) or `name=value, ...` (vision).

    Progress lines around the result (dataset loading, nltk downloads) are skipped.
    None when no score is found.
    """
    scores = scan_accuracy_txt(text)[0]
    return scores if any(key != "hash" for key in scores) else None


def score_problems(scores: dict[str, t.Any]) -> list[str]:
    """Why some scores are not scores: NaN, infinite, negative, absurdly large, or not numbers.

    Nested values (a harness file's targets and scorer) and flags are not scores; a value of a
    type JSON cannot hold (a set or complex number in a printed dict) is removed from `scores`.
    """
    problems = []
    for name in list(scores):
        value = scores[name]
        if name == "hash" or isinstance(value, (bool, dict, list, type(None))):
            continue
        if not isinstance(value, _SCORE_TYPES):
            del scores[name]
            problems.append(f"score {name!r} is a {type(value).__name__}, not a number")
        elif isinstance(value, str):
            problems.append(f"score {name!r} is {value[:60]!r}, not a number")
        elif not 0 <= value < _ABSURD_SCORE:  # NaN fails it too; no float conversion of a huge int
            problems.append(f"score {name!r} is {value!r}: not a possible score")
    return problems


def read_accuracy_txt(path: str) -> tuple[dict[str, t.Any] | None, str | None]:
    """(scores, problem): problem is a one-line reason when no score could be read, or when a
    score is not a number a scorer could print."""
    with open(path, encoding="utf-8", errors="replace") as handle:
        scores, problems = scan_accuracy_txt(handle.read())
    if not any(key != "hash" for key in scores):
        return None, "; ".join(problems + ["no accuracy scores found (expected a {...} dict or name=value pairs)"])
    problems.extend(score_problems(scores))
    return scores, "; ".join(problems) or None


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
