# Copyright: fleetbench developers
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""How measured numbers are written in the report and on the console.

Kept apart from the renderer so the results callback, loaded by every playbook run, does not
import the chart and template stack just to print a number.
"""
from __future__ import annotations

import math
import typing as t


def number(value: t.Any, digits: int = 4) -> str:
    """A measured number with `digits` significant figures and thousands separators."""
    if value is None:
        return "n/a"
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        return str(value)
    if not math.isfinite(value):
        return not_a_number(value)
    if value == 0:
        return str(value)
    decimals = max(0, digits - 1 - int(math.floor(math.log10(abs(value)))))
    return f"{value:,.{decimals}f}"


def not_a_number(value: float) -> str:
    """NaN and infinities in words: a reader should not take `nan` for a host or a unit."""
    if math.isnan(value):
        return "not a number"
    return "infinity" if value > 0 else "-infinity"


def milliseconds(value_ns: t.Any) -> str:
    return "n/a" if value_ns is None else number(value_ns / 1e6, 4)


def percent(value: t.Any, signed: bool = True) -> str:
    if value is None:
        return "n/a"
    return f"{value:+.1f}%" if signed else f"{value:.1f}%"


def count(n: int, noun: str) -> str:
    """'1 host', '3 hosts'."""
    return f"{n} {noun}{'' if n == 1 else 's'}"


def p_value(value: t.Any) -> str:
    """A test's p-value as people read one: two figures, or an upper bound when tiny."""
    if value is None:
        return "n/a"
    return "<0.001" if value < 0.001 else f"{value:.3f}"
