# Copyright: fleetbench developers
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Drive one harness run from the controller: start, poll with progress lines, stop on timeout.

Polling from here (instead of async + async_status) lets every poll leave the last status and
log tails on the controller, and turns a host lost mid-run into a failed run with its cause
rather than a host silently dropped from the play.
"""
from __future__ import annotations

import time

from ansible.errors import AnsibleConnectionFailure
from ansible.plugins.action import ActionBase
from ansible.utils.display import Display

from ansible_collections.fleetbench.llm.plugins.module_utils.run_outcome import (
    describe_failure,
    progress_key,
    progress_line,
    save_progress,
)

display = Display()

# A run that makes no visible progress still says it is alive this often.
QUIET_PROGRESS_S = 30


class ActionModule(ActionBase):
    _supports_check_mode = True
    _supports_async = False

    def run(self, tmp=None, task_vars=None):
        result = super().run(tmp, task_vars)
        args = dict(self._task.args)
        args.pop("step", None)
        try:
            if self._task.check_mode:
                return dict(result, **self._step(args, "start", task_vars))
            return dict(result, **self._drive(args, task_vars))
        finally:
            self._remove_tmp_path(self._connection._shell.tmpdir)

    def _drive(self, args: dict, task_vars: dict) -> dict:
        host = task_vars.get("inventory_hostname", "?")
        label = args.get("label") or f"{args.get('scenario')}/{args.get('mode', 'performance')}"
        timeout = int(args.get("timeout", 3600))
        interval = max(1, int(args.get("poll_interval", 5)))
        began = time.monotonic()
        started = self._step(args, "start", task_vars)
        if started.get("failed"):
            return self._outcome(args, "failed", None, {}, began, cause=started.get("msg"))
        last: dict = {}
        shown = None
        shown_at = 0.0
        while True:
            remaining = timeout - (time.monotonic() - began)
            if remaining <= 0:
                self._stop(args, task_vars)
                try:
                    last = self._step(args, "poll", task_vars)
                except AnsibleConnectionFailure:
                    pass
                self._save(args, last)
                return self._outcome(args, "timeout", last, started, began)
            try:
                polled = self._step(args, "poll", task_vars, wait=min(interval, remaining))
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
                return self._outcome(args, outcome, last, started, began)

    def _step(self, args: dict, step: str, task_vars: dict, wait: float = 0) -> dict:
        module_args = dict(args, step=step, wait=wait)
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

    def _outcome(self, args, outcome, polled, started, began, cause=None) -> dict:
        polled = polled or {}
        timeout = int(args.get("timeout", 3600))
        if outcome != "done" and cause is None:
            cause = describe_failure(outcome, polled, timeout)
        elif outcome == "lost":
            cause = f"host lost mid-run: {cause}"
        return {
            "changed": True,
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
            "elapsed_s": round(time.monotonic() - began, 3),
        }
