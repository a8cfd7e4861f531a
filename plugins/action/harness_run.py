# Copyright: fleetbench developers
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Drive one harness run from the controller: start, watch with progress lines, stop on timeout,
bring the run's files back as one checked archive.

Polling from here (instead of async + async_status) lets every look leave the last status and
log tails on the controller, and turns a host lost mid-run into a failed run with its cause
rather than a host silently dropped from the play. A look is one shell command over the
connection this action already holds (plugin_utils/status_read.py), not a module run; the
module's own poll runs only when a look says the run ended or cannot tell.
"""
from __future__ import annotations

import os
import shlex
import tempfile
import time

from ansible.errors import AnsibleConnectionFailure, AnsibleError
from ansible.module_utils.parsing.convert_bool import boolean
from ansible.plugins.action import ActionBase
from ansible.utils.display import Display

from ansible_collections.fleetbench.llm.plugins.module_utils.atomic_file import write_json_atomically
from ansible_collections.fleetbench.llm.plugins.module_utils.harness.process import HarnessProcessError, refuse_unsafe_output
from ansible_collections.fleetbench.llm.plugins.plugin_utils.run_outcome import (
    COST_FILE,
    describe_failure,
    measured_before,
    progress_key,
    progress_line,
    save_progress,
)
from ansible_collections.fleetbench.llm.plugins.plugin_utils.controller_cost import StageClock
from ansible_collections.fleetbench.llm.plugins.plugin_utils.poll_schedule import expected_run_s, poll_interval_s
from ansible_collections.fleetbench.llm.plugins.plugin_utils.run_unpack import RunUnpackError, unpack_verified
from ansible_collections.fleetbench.llm.plugins.plugin_utils.status_read import (
    needs_module_poll,
    new_token,
    parse_read,
    read_command,
)

display = Display()

# A run that makes no visible progress still says it is alive this often.
QUIET_PROGRESS_S = 30
# whole: start, watch and collect in one task; start and finish: the same split over two tasks,
# so a host holds a fork only while it is started, not for the whole run.
PHASES = ("whole", "start", "finish")


class ActionModule(ActionBase):
    _supports_check_mode = True
    _supports_async = False

    def run(self, tmp=None, task_vars=None):
        result = super().run(tmp, task_vars)
        args = dict(self._task.args)
        for internal in ("step", "wait"):
            args.pop(internal, None)
        phase = args.pop("phase", None) or "whole"
        started = args.pop("started", None)
        remeasure = args.pop("remeasure", False)
        try:
            if phase not in PHASES:
                return dict(result, failed=True, msg=f"phase must be one of {', '.join(PHASES)}, got {phase!r}")
            if phase != "finish" and not boolean(remeasure, strict=False):
                recorded = measured_before(args.get("progress_dir"))
                if recorded is not None:
                    return dict(result, **self._already_measured(args, recorded))
            if self._task.check_mode:
                return dict(result, **self._step(args, "start", task_vars))
            if phase == "finish":
                return dict(result, **self._resume(args, task_vars, started))
            return dict(result, **self._drive(args, task_vars, watch=phase == "whole"))
        finally:
            self._remove_tmp_path(self._connection._shell.tmpdir)

    def _already_measured(self, args: dict, recorded: dict) -> dict:
        """A run of this run id measured and brought back before: its files are read again, the
        host is left alone, and the task is unchanged (what makes a second playbook run idempotent)."""
        result = self._outcome(args, "done", {"exit_code": 0}, {"started_at": recorded.get("started_at")}, time.monotonic())
        result.update(changed=False, already_measured=True, elapsed_s=recorded.get("elapsed_s"),
                      msg=f"already measured, files in {args['progress_dir']}: not run again (remeasure runs it again)",
                      collected=[], controller_cpu_s={}, looks={})
        return result

    def _drive(self, args: dict, task_vars: dict, watch: bool = True) -> dict:
        clock = StageClock()
        began = time.monotonic()
        started_at = time.time()
        started = self._step(args, "start", task_vars)
        clock.mark("start")
        if started.get("failed"):
            return self._outcome(args, "failed", None, {}, began, cause=started.get("msg"))
        started["started_at"] = started_at
        if not watch:
            # Handing the fork back here lets every host start before the first one is watched.
            return {"changed": True, "failed": False, "outcome": "started", "msg": "run started",
                    "pgid": started.get("pgid"), "command": started.get("command"),
                    "started_at": started_at, "controller_cpu_s": clock.stages}
        return self._watch_guarded(args, task_vars, started, began, clock)

    def _resume(self, args: dict, task_vars: dict, started) -> dict:
        """Watch and collect a run that an earlier task started (phase=start)."""
        if isinstance(started, dict) and started.get("outcome") not in (None, "started"):
            # A phase=whole task already ran it to the end: one playbook serves both ways.
            return started
        if not isinstance(started, dict) or "started_at" not in started:
            return {"failed": True, "outcome": "failed",
                    "msg": "phase=finish needs started: the registered result of this run's phase=start task"}
        clock = StageClock()
        clock.stages.update(started.get("controller_cpu_s") or {})
        # The run's clock began when it was started, not when this task reached the host.
        began = time.monotonic() - max(0.0, time.time() - float(started["started_at"]))
        return self._watch_guarded(args, task_vars, started, began, clock)

    def _watch_guarded(self, args, task_vars, started, began, clock) -> dict:
        host = task_vars.get("inventory_hostname", "?")
        label = args.get("label") or f"{args.get('scenario')}/{args.get('mode', 'performance')}"
        looks = {"reads": 0, "module_polls": 0}
        try:
            return self._watch(args, task_vars, host, label, started, began, clock, looks)
        except Exception:
            # Whatever broke here, the run must not outlive its task and hold the next run's memory.
            self._stop(args, task_vars)
            raise

    def _watch(self, args, task_vars, host, label, started, began, clock, looks) -> dict:
        timeout = int(args.get("timeout", 3600))
        floor = max(1, int(args.get("poll_interval", 5)))
        expected = expected_run_s(args.get("profile", "official"), args.get("mode", "performance"), args.get("loadgen_settings"))
        last: dict = {}
        shown = None
        shown_at = 0.0
        while True:
            elapsed = time.monotonic() - began
            remaining = timeout - elapsed
            if remaining <= 0:
                self._stop(args, task_vars)
                try:
                    last = self._step(args, "poll", task_vars)
                    looks["module_polls"] += 1
                except AnsibleConnectionFailure:
                    pass
                self._save(args, last)
                return self._finish(args, task_vars, host, "timeout", last, started, began, clock, looks)
            wait = min(poll_interval_s(floor, expected, elapsed), remaining)
            try:
                polled = self._look(args, task_vars, wait, looks)
            except AnsibleConnectionFailure as exc:
                return self._outcome(args, "lost", last, started, began, cause=" ".join(str(exc).split()))
            if polled.get("failed") or polled.get("unreachable"):
                return self._outcome(args, "lost", last, started, began, cause=polled.get("msg"))
            last = polled
            self._save(args, last)
            moved = progress_key(last.get("status"))
            if moved != shown or time.monotonic() - shown_at >= QUIET_PROGRESS_S:
                display.display(f"fleetbench [{host}] {label}: {progress_line(last.get('status'))}")
                shown, shown_at = moved, time.monotonic()
            if last.get("finished"):
                outcome = "done" if last.get("exit_code") == 0 else "failed"
                return self._finish(args, task_vars, host, outcome, last, started, began, clock, looks)

    def _look(self, args: dict, task_vars: dict, wait: float, looks: dict) -> dict:
        """The run's state: one shell command, waiting on the host up to `wait` seconds for the
        run to end; the module's poll only when that cannot settle it."""
        token = new_token()
        # The script goes on stdin, as with pipelining: no pty (stdout stays apart from stderr), and
        # it runs under become like the module would.
        answer = self._low_level_execute_command("/bin/sh", in_data=read_command(args["output"], wait, token).encode())
        looks["reads"] += 1
        state = parse_read(answer.get("stdout", ""), token) if answer.get("rc") == 0 else None
        if state is None or needs_module_poll(state):
            looks["module_polls"] += 1
            return self._step(args, "poll", task_vars)
        return {"finished": False, "exit_code": None, "status": state["status"],
                "log_tail": state["log_tail"], "stderr_tail": state["stderr_tail"]}

    def _step(self, args: dict, step: str, task_vars: dict, wait: float = 0, **extra) -> dict:
        module_args = dict(args, step=step, wait=wait, **extra)
        return self._execute_module(
            module_name="fleetbench.llm.harness_run", module_args=module_args, task_vars=task_vars
        )

    def _stop(self, args: dict, task_vars: dict) -> None:
        try:
            self._step(args, "stop", task_vars)
        except AnsibleConnectionFailure:
            pass

    def _save(self, args: dict, polled: dict) -> None:
        if args.get("progress_dir") and polled:
            save_progress(args["progress_dir"], polled)

    def _finish(self, args, task_vars, host, outcome, polled, started, began, clock, looks) -> dict:
        """Bring the files back, then say how the run ended and what the controller paid."""
        clock.mark("watch")
        collected, problem = [], None
        if args.get("progress_dir"):
            where = f"{host}: {args['output']}"
            try:
                collected = self._collect(args, task_vars, host)
            except AnsibleConnectionFailure as exc:
                problem = f"{where}: connection lost while bringing the files back: {' '.join(str(exc).split())}"
            except OSError as exc:
                problem = f"{where}: {exc.strerror or exc}" + (f": {exc.filename}" if exc.filename else "")
            except (AnsibleError, HarnessProcessError, RunUnpackError) as exc:
                problem = " ".join(str(exc).split())
                if not problem.startswith(f"{host}: "):
                    problem = f"{where}: {problem}"
        clock.mark("collect")
        cause = None
        if problem and outcome == "done":
            outcome, cause = "uncollected", f"files not brought back, still on the host: {problem}"
        elif problem:
            cause = (f"{describe_failure(outcome, polled or {}, int(args.get('timeout', 3600)))}; "
                     f"files not brought back, still on the host: {problem}")
        result = self._outcome(args, outcome, polled, started, began, cause=cause)
        result.update(collected=collected, collect_problem=problem, controller_cpu_s=clock.stages, looks=looks)
        if args.get("progress_dir"):
            cost = {"controller_cpu_s": clock.stages, "looks": looks, "elapsed_s": result["elapsed_s"],
                    "outcome": result["outcome"], "started_at": result["started_at"]}
            try:
                write_json_atomically(os.path.join(args["progress_dir"], COST_FILE), cost)
            except OSError as exc:
                display.warning(f"{host}: cannot write {COST_FILE} in {args['progress_dir']}: {exc.strerror or exc}")
        return result

    def _collect(self, args: dict, task_vars: dict, host: str) -> list[str]:
        """Pack on the host, fetch one archive, check and unpack it; only then remove the host's copies."""
        where = f"{host}: {args['output']}"
        packed = self._step(args, "collect", task_vars)
        if packed.get("failed") or packed.get("unreachable"):
            # The module's message starts with the run folder.
            raise AnsibleError(f"{host}: cannot pack the run: {' '.join(str(packed.get('msg', where)).split())}")
        archive = packed["archive"]
        dest = args["progress_dir"]
        local = None
        try:
            os.makedirs(dest, exist_ok=True)
            handle, local = tempfile.mkstemp(prefix=".fleetbench-archive-", suffix=".tar.gz", dir=dest)
            os.close(handle)
            self._connection.fetch_file(archive, local)
            names = unpack_verified(local, packed["archive_sha256"], packed["members"], dest, where=where)
        finally:
            if local:
                os.unlink(local)
            # The archive is only a copy: it goes whatever happened; the run folder stays.
            self._low_level_execute_command(f"rm -f -- {shlex.quote(archive)}")
        if args.get("remove_host_copy"):
            refuse_unsafe_output(args["output"])
            out = args["output"].rstrip("/")
            removed = self._low_level_execute_command(f"rm -rf -- {shlex.quote(out)} {shlex.quote(out + '.control')}")
            if removed.get("rc") != 0:
                display.warning(f"{where}: files came back, but the host's copy could not be removed: "
                                f"{' '.join(str(removed.get('stderr', '')).split()) or 'rc ' + str(removed.get('rc'))}")
        return names

    def _outcome(self, args, outcome, polled, started, began, cause=None) -> dict:
        polled = polled or {}
        timeout = int(args.get("timeout", 3600))
        if outcome != "done" and cause is None:
            cause = describe_failure(outcome, polled, timeout)
        elif outcome == "lost":
            cause = f"host lost mid-run: {cause}"
        return {
            "changed": True,
            "already_measured": False,
            "failed": outcome != "done",
            "msg": cause or "run finished",
            "outcome": outcome,
            "cause": cause,
            "exit_code": polled.get("exit_code"),
            "status": polled.get("status") or {},
            "files": polled.get("files", []),
            "output": args.get("output"),
            "pgid": (started or {}).get("pgid"),
            "command": (started or {}).get("command"),
            "started_at": (started or {}).get("started_at"),
            "elapsed_s": round(time.monotonic() - began, 3),
        }
