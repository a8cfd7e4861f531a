# Copyright: fleetbench developers
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Look at a running harness with one shell command over the connection already held: no module.

The command waits on the host (up to the poll interval) for the run's exit code file, so the end
of a run is seen within a second, then prints the exit code, whether the process group is still
there (a process of its group that is not a zombie, read from /proc), the status file and the
log tails, each after a marker line that carries a fresh random token (no log line can fake
one). It needs only a POSIX shell, cat, tail, sleep and /proc on the host. When a look says the
run ended, or cannot tell (no exit code yet the group is gone), one run of the harness_run
module's own poll settles it and cleans up.
"""
from __future__ import annotations

import json
import secrets
import shlex

# Bytes of each log tail kept on the controller, as the module's poll keeps (module_utils/harness/process.py).
TAIL_BYTES = 16384
PARTS = ("exit", "group", "status", "log", "stderr")


def read_command(output_dir: str, wait_s: float, token: str, tail_bytes: int = TAIL_BYTES) -> str:
    """The shell command that waits up to `wait_s` for the run to end, then prints its state."""
    out = output_dir.rstrip("/")
    control = out + ".control"
    q_out, q_ctl = shlex.quote(out), shlex.quote(control)
    mark = f"printf '\\n%s\\n' {shlex.quote(token)}"
    return " ".join([
        f"w={int(max(0, wait_s))}; i=0; p=$(cat {q_ctl}/pgid 2>/dev/null);",
        f'while [ "$i" -lt "$w" ] && [ ! -s {q_ctl}/exit_code ] && [ -n "$p" ] && kill -0 "-$p" 2>/dev/null;',
        'do sleep 1; i=$((i+1)); done;',
        f"{mark}' exit'; cat {q_ctl}/exit_code 2>/dev/null;",
        f"{mark}' group';",
        # Alive: some process of the group that is not a zombie (nobody may reap a detached leader).
        'if [ -z "$p" ]; then echo unstarted; else for s in /proc/[0-9]*/stat; do',
        'read -r l < "$s" 2>/dev/null || continue; set -- ${l##*") "};',
        'if [ "$3" = "$p" ] && [ "$1" != Z ]; then echo alive; break; fi; done; fi;',
        f"{mark}' status'; cat {q_out}/fleetbench_status.json 2>/dev/null;",
        f"{mark}' log'; tail -c {int(tail_bytes)} {q_out}/harness.log 2>/dev/null;",
        f"{mark}' stderr'; tail -c {int(tail_bytes)} {q_ctl}/stderr.log 2>/dev/null;",
        f"{mark}' end'; true",
    ])


def new_token() -> str:
    return "fleetbench-" + secrets.token_hex(12)


def parse_read(stdout: str, token: str) -> dict | None:
    """The run's state from the command's output; None when the output is not the command's."""
    chunks: dict[str, str] = {}
    if "\r\n" + token in stdout:
        stdout = stdout.replace("\r\n", "\n")  # read through a pty
    pieces = stdout.split("\n" + token + " ")
    if len(pieces) != len(PARTS) + 2:
        return None
    for piece in pieces[1:]:
        name, _sep, body = piece.partition("\n")
        chunks[name.strip()] = body
    if set(chunks) != set(PARTS) | {"end"}:
        return None
    exit_text = chunks["exit"].strip()
    group = chunks["group"].split()
    return {
        "exit_code": int(exit_text) if exit_text.lstrip("-").isdigit() else None,
        "alive": "alive" in group,
        "unstarted": "unstarted" in group,
        "status": _status(chunks["status"]),
        "log_tail": chunks["log"],
        "stderr_tail": chunks["stderr"],
    }


def needs_module_poll(state: dict) -> bool:
    """The cheap look cannot settle it: the run ended or may have (the module's poll decides)."""
    return state["exit_code"] is not None or not state["alive"] or state["unstarted"]


def _status(text: str) -> dict | None:
    try:
        data = json.loads(text)
    except ValueError:
        return None
    return data if isinstance(data, dict) else None
