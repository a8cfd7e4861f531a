# Copyright: fleetbench developers
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Start, watch and stop one `fleetbench-harness run` on a host, detached from Ansible.

The run lives in its own session (process group) so Ansible's connection can come and go
while it runs and a timeout can stop the whole tree (vLLM spawns engine processes). Next to
the output folder a control folder keeps what the collection needs to find the run again:
the process group id, the exit code, and the harness's own stdout/stderr.
"""
from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess
import time

STATUS_FILE = "fleetbench_status.json"
HARNESS_LOG = "harness.log"
PGID_FILE = "pgid"
EXIT_FILE = "exit_code"
STDERR_FILE = "stderr.log"
STDOUT_FILE = "stdout.log"
TAIL_BYTES = 16384

# The exit code is written by the shell that started the harness, so a harness killed by a
# signal still leaves 128+N behind, and a vanished shell (whole group killed) leaves nothing.
_WRAPPER = '"$@"; echo $? > "$FLEETBENCH_EXIT_FILE"'


class HarnessProcessError(Exception):
    """One-line cause of a failure to start, read or stop a run."""


def control_dir_for(output_dir: str) -> str:
    return output_dir.rstrip("/") + ".control"


def refuse_unsafe_output(output_dir: str) -> None:
    """The start empties `output_dir`: refuse a path that is relative, climbs with `..` or is a
    top-level folder, whatever run id or variable built it."""
    parts = [part for part in output_dir.split("/") if part not in ("", ".")]
    if not output_dir.startswith("/") or ".." in parts or len(parts) < 2:
        raise HarnessProcessError(f"refusing to empty {output_dir!r}: the run folder must be an absolute path "
                                  "of two or more plain folder names (check fleetbench_run_id and fleetbench_runs_dir)")


def start(command: list[str], output_dir: str, env: dict[str, str] | None = None) -> dict:
    """Start `command` in a new session; returns the process group id. Refuses to start over a
    run that is still alive, and clears what an earlier attempt in the same folder left."""
    refuse_unsafe_output(output_dir)
    control = control_dir_for(output_dir)
    alive = _read_pgid(control)
    if alive is not None and _group_alive(alive):
        raise HarnessProcessError(f"a run is still going in {output_dir} (process group {alive})")
    try:
        for folder in (output_dir, control):
            shutil.rmtree(folder, ignore_errors=True)
            os.makedirs(folder)
        stdout = open(os.path.join(control, STDOUT_FILE), "wb")
        stderr = open(os.path.join(control, STDERR_FILE), "wb")
    except OSError as exc:
        raise HarnessProcessError(f"cannot prepare {output_dir}: {exc.strerror}") from exc
    child_env = dict(os.environ, **(env or {}))
    child_env["FLEETBENCH_EXIT_FILE"] = os.path.join(control, EXIT_FILE)
    with stdout, stderr:
        try:
            process = subprocess.Popen(
                ["/bin/sh", "-c", _WRAPPER, "fleetbench-run"] + command,
                stdin=subprocess.DEVNULL, stdout=stdout, stderr=stderr,
                cwd=output_dir, env=child_env, start_new_session=True,
            )
        except OSError as exc:
            raise HarnessProcessError(f"cannot start {command[0]}: {exc.strerror}") from exc
    try:
        _write_text(os.path.join(control, PGID_FILE), str(process.pid))
    except OSError as exc:
        _kill_group(process.pid, 0)
        raise HarnessProcessError(f"cannot write to {control}: {exc.strerror}") from exc
    return {"pgid": process.pid, "control_dir": control}


def poll(output_dir: str, wait_s: float = 0.0) -> dict:
    """The run's state now, waiting up to `wait_s` for it to finish first."""
    control = control_dir_for(output_dir)
    pgid = _read_pgid(control)
    if pgid is None:
        raise HarnessProcessError(f"no run was started in {output_dir}")
    deadline = time.monotonic() + wait_s
    while True:
        exit_code = _read_exit_code(control)
        alive = _group_alive(pgid)
        finished = exit_code is not None or not alive
        if finished or time.monotonic() >= deadline:
            break
        time.sleep(0.5)
    if finished and alive:
        # The harness returned but left engine processes behind: they hold memory the next run needs.
        _kill_group(pgid, 5.0)
    return {
        "finished": finished,
        "exit_code": exit_code,
        "pgid": pgid,
        "status": read_status(output_dir),
        "stderr_tail": _tail(os.path.join(control, STDERR_FILE)),
        "log_tail": _tail(os.path.join(output_dir, HARNESS_LOG)),
        "files": sorted(_files(output_dir)),
    }


def stop(output_dir: str, grace_s: float = 10.0) -> dict:
    """Stop the whole process group: SIGTERM, then SIGKILL after `grace_s`."""
    pgid = _read_pgid(control_dir_for(output_dir))
    if pgid is None or not _group_alive(pgid):
        return {"stopped": False, "pgid": pgid}
    return {"stopped": True, "pgid": pgid, "killed": _kill_group(pgid, grace_s)}


def read_status(output_dir: str) -> dict | None:
    """The harness's status file, or None while it is absent or unreadable."""
    try:
        with open(os.path.join(output_dir, STATUS_FILE), encoding="utf-8") as handle:
            data = json.load(handle)
    except (OSError, ValueError):
        return None
    return data if isinstance(data, dict) else None


def _files(output_dir: str) -> list[str]:
    try:
        names = os.listdir(output_dir)
    except OSError:
        return []
    return [n for n in names if not n.startswith(".") and os.path.isfile(os.path.join(output_dir, n))]


def _kill_group(pgid: int, grace_s: float) -> bool:
    """True when SIGKILL was needed."""
    _signal_group(pgid, signal.SIGTERM)
    deadline = time.monotonic() + grace_s
    while time.monotonic() < deadline:
        if not _group_alive(pgid):
            return False
        time.sleep(0.2)
    _signal_group(pgid, signal.SIGKILL)
    return True


def _signal_group(pgid: int, signum: int) -> None:
    try:
        os.killpg(pgid, signum)
    except ProcessLookupError:
        pass


def _group_alive(pgid: int) -> bool:
    try:
        os.killpg(pgid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return not _only_zombies(pgid)


def _only_zombies(pgid: int) -> bool:
    """The session leader was started by a module process that has exited, so nobody reaps
    it: a zombie leader alone is a finished group."""
    try:
        with open(f"/proc/{pgid}/stat", encoding="ascii") as handle:
            state = handle.read().rsplit(")", 1)[1].split()[0]
    except (OSError, IndexError):
        return False
    if state != "Z":
        return False
    for entry in os.listdir("/proc"):
        if entry.isdigit() and entry != str(pgid) and _pgid_of(entry) == pgid:
            return False
    return True


def _pgid_of(pid: str) -> int | None:
    try:
        with open(f"/proc/{pid}/stat", encoding="ascii") as handle:
            return int(handle.read().rsplit(")", 1)[1].split()[2])
    except (OSError, IndexError, ValueError):
        return None


def _read_pgid(control: str) -> int | None:
    try:
        with open(os.path.join(control, PGID_FILE), encoding="ascii") as handle:
            return int(handle.read().strip())
    except (OSError, ValueError):
        return None


def _read_exit_code(control: str) -> int | None:
    try:
        with open(os.path.join(control, EXIT_FILE), encoding="ascii") as handle:
            return int(handle.read().strip())
    except (OSError, ValueError):
        return None


def _tail(path: str, limit: int = TAIL_BYTES) -> str:
    try:
        with open(path, "rb") as handle:
            handle.seek(0, os.SEEK_END)
            handle.seek(max(0, handle.tell() - limit))
            return handle.read().decode("utf-8", errors="replace")
    except OSError:
        return ""


def _write_text(path: str, text: str) -> None:
    with open(path, "w", encoding="ascii") as handle:
        handle.write(text)
