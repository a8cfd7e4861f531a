"""Run one target: damaged inputs through its parser, counting escapes and slow inputs."""
from __future__ import annotations

import collections
import contextlib
import dataclasses
import random
import signal
import time
import traceback

from benchmarks.fuzzing.targets import Target

SLOW_S = 1.0
# An input still parsing after this long is stopped and counted as a hang: one quadratic
# pattern on a 300,000-character line would otherwise stop the whole campaign for hours.
HANG_S = 20.0


class Hang(Exception):
    """Raised inside a parse that ran past HANG_S."""


@contextlib.contextmanager
def _stopped_after(seconds: float):
    def stop(_signum, _frame):
        raise Hang(f"still parsing after {seconds:g} s")
    previous = signal.signal(signal.SIGALRM, stop)
    signal.setitimer(signal.ITIMER_REAL, seconds)
    try:
        yield
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, previous)


@dataclasses.dataclass
class Tally:
    """What one target did with its inputs. `uncaught` maps 'Type at file:line' to one example."""

    target: str
    inputs: int = 0
    refused: int = 0
    uncaught: dict[str, str] = dataclasses.field(default_factory=dict)
    uncaught_count: int = 0
    slow: int = 0
    hangs: int = 0
    slowest_s: float = 0.0
    slowest: str = ""
    wall_s: float = 0.0


def _where(error: BaseException) -> str:
    frames = traceback.extract_tb(error.__traceback__)
    inside = [f for f in frames if "/plugins/" in f.filename] or frames
    last = inside[-1] if inside else None
    return f"{type(error).__name__} at {last.filename.rsplit('/', 1)[-1]}:{last.lineno}" if last else type(error).__name__


def run(target: Target, inputs: int, seed: int = 0, hang_s: float = HANG_S) -> Tally:
    """`inputs` damaged inputs through `target`; random.Random(seed) makes the run repeatable."""
    rng = random.Random(f"{target.name}:{seed}")
    tally = Tally(target.name)
    started = time.monotonic()
    for number in range(inputs):
        label, seed_input = rng.choice(target.seeds)
        applied: list = []
        clock = time.monotonic()
        try:
            with _stopped_after(hang_s):
                seconds = target.feed(seed_input, rng, applied)
        except target.refusal:
            tally.refused += 1
            seconds = time.monotonic() - clock
        except Hang:
            tally.hangs += 1
            seconds = time.monotonic() - clock
        except (Exception, RecursionError, MemoryError) as error:  # noqa: BLE001 - counting what escapes is the point
            seconds = time.monotonic() - clock
            tally.uncaught_count += 1
            where = _where(error)
            tally.uncaught.setdefault(where, f"input {number} ({label}: {', '.join(applied)}): {str(error)[:200]}")
        tally.inputs += 1
        if seconds > SLOW_S:
            tally.slow += 1
        if seconds > tally.slowest_s:
            tally.slowest_s = seconds
            tally.slowest = f"{label}: {', '.join(applied)}"
    tally.wall_s = time.monotonic() - started
    return tally


def summary_counts(tallies: list[Tally]) -> collections.Counter:
    return collections.Counter({"uncaught": sum(t.uncaught_count for t in tallies), "slow": sum(t.slow for t in tallies),
                                "hangs": sum(t.hangs for t in tallies)})
