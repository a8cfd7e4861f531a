# Copyright: fleetbench developers
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""How often the controller looks at a run: about 20 looks over its expected length.

LoadGen's min_duration is known before the run starts (the official settings hold 600 s); a
run that outlasts it stretches the interval with its own elapsed time. The interval never drops
below the configured floor and never exceeds MAX_INTERVAL_S, so a progress line still comes at
least every MAX_INTERVAL_S seconds. The end of a run is seen within a second whatever the
interval: each look waits on the host for the run to finish (status_read.py).
"""
from __future__ import annotations

POLLS_PER_RUN = 20
MAX_INTERVAL_S = 30.0
# mlperf.conf's min_duration for every llama3.1-8b scenario (docs/contract/README.md).
OFFICIAL_MIN_DURATION_S = 600.0


def expected_run_s(profile: str, mode: str, loadgen_settings: dict | None) -> float:
    """Seconds LoadGen will measure at least; 0 when nothing says (quick runs, accuracy runs)."""
    settings = loadgen_settings or {}
    if "min_duration" in settings:
        try:
            return max(0.0, float(settings["min_duration"]) / 1000.0)
        except (TypeError, ValueError):
            return 0.0
    if profile == "official" and mode == "performance":
        return OFFICIAL_MIN_DURATION_S
    return 0.0


def poll_interval_s(floor_s: float, expected_s: float, elapsed_s: float) -> float:
    """Seconds until the next look at a run that has gone for `elapsed_s`."""
    floor_s = max(1.0, float(floor_s))
    spread = max(expected_s, elapsed_s) / POLLS_PER_RUN
    return min(max(floor_s, MAX_INTERVAL_S), max(floor_s, spread))
