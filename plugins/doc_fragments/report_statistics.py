# Copyright: fleetbench developers
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The statistics options every judge of hosts shares: the results callback, fleet_report and
compare_runs read them the same way, so they are described once."""
from __future__ import annotations


class ModuleDocFragment:

    DOCUMENTATION = r"""
options:
  tolerance_pct:
    description:
      - Regression tolerance in percent, used with O(baseline).
      - A host regressed only when it got worse beyond both the noise band and this tolerance.
    type: float
  confidence:
    description:
      - Confidence level of every noise band and interval, from 0.5 to below 1.
      - Hosts are judged together (Holm's correction over the hosts compared), so the chance
        that any unchanged host is flagged stays at or below 1 minus this, however many hosts
        are compared. 0.99 suits a gate that must not raise false alarms (driver-upgrade days).
    type: float
    default: 0.95
"""

    # Only the filters judge runs without repeats; the callback compares against a baseline alone.
    NOISE = r"""
options:
  default_noise_pct:
    description: Noise band in percent assumed when no host has repeated runs.
    type: float
    default: 5.0
"""
