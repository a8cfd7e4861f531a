# Copyright: fleetbench developers
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""What the loadgen_result module does, apart from talking to Ansible."""
from __future__ import annotations

import dataclasses
import typing as t

from ansible_collections.fleetbench.llm.plugins.module_utils.loadgen.parser import (
    LoadGenDirError,
    parse_result_dir,
    problem_lines,
)

TOP_LEVEL_KEYS = ("valid", "scenario", "mode", "samples_per_second", "tokens_per_second", "status", "is_final")


@dataclasses.dataclass
class RunIdentity:
    """What names one run of the matrix; the parser cannot read it from the logs.

    None leaves the parser's value: `scenario_label` defaults to the one in fleetbench_run.json.
    """

    host: str | None = None
    run_id: str | None = None
    repeat: int | None = None
    scenario_label: str | None = None
    fleet_mode: str | None = None


@dataclasses.dataclass
class TaskOutcome:
    """Module result keys, warnings to show, and the failure message (None: success)."""

    result: dict[str, t.Any]
    warnings: list[str] = dataclasses.field(default_factory=list)
    failure: str | None = None


def run_loadgen_result(
    path: str,
    benchmark: str | None,
    stale_after: int,
    require_complete: bool,
    identity: RunIdentity | None = None,
) -> TaskOutcome:
    try:
        record = parse_result_dir(path, benchmark, stale_after_s=stale_after or None)
    except LoadGenDirError as exc:
        return TaskOutcome(result={"changed": False}, failure=str(exc))
    except Exception as exc:  # noqa: BLE001 - the parser's own bug still gets one line, never a traceback
        return TaskOutcome(result={"changed": False},
                           failure=f"{path}: cannot read this LoadGen folder ({type(exc).__name__}: {exc}); please report it as a fleetbench bug")
    for name, value in dataclasses.asdict(identity or RunIdentity()).items():
        if value is not None:
            setattr(record, name, value)
    data = record.to_dict()
    result = {
        "changed": False,
        "loadgen": data,
        **{key: data[key] for key in TOP_LEVEL_KEYS},
        "not_final_reason": record.not_final_reason,
        "run_failure": record.run_failure,
    }
    outcome = TaskOutcome(result=result, warnings=problem_lines(record))
    if require_complete and not record.is_final:
        first = f": {outcome.warnings[0]}" if outcome.warnings else ""
        outcome.failure = f"{path}: LoadGen result is not final ({record.not_final_reason}){first}"
    return outcome
