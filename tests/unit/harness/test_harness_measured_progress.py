"""The progress timeline counts from the measured start, in order, ending at the test's end."""
from __future__ import annotations

import time

from fleetbench_harness.measured_progress import ProgressTimeline
from fleetbench_harness.status import Progress


def test_points_count_only_what_completed_while_measuring_and_end_at_the_end():
    progress = Progress()
    progress.issued(2)
    progress.completed(100)  # warm-up: before the measured start
    with ProgressTimeline(progress, interval_s=0.05) as timeline:
        progress.issued(3)
        for _ in range(3):
            progress.completed(10)
            time.sleep(0.06)
    points = timeline.points
    assert points[0] == [0.0, 0, 0]
    assert points[-1][1:] == [3, 30]
    assert len(points) >= 4
    assert [p[0] for p in points] == sorted(p[0] for p in points)
    assert all(a[1] <= b[1] and a[2] <= b[2] for a, b in zip(points, points[1:]))
