# Copyright: fleetbench developers
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Refuse files of a result folder that are links to somewhere outside it.

A result folder comes from a host, and a link in it (mlperf_log_detail.txt -> /etc/passwd)
would make the controller read, and the report quote, a file of its own choosing.
"""
from __future__ import annotations

import os


def link_outside(folder: str, name: str) -> str | None:
    """Where `folder/name` leads when it is a symbolic link out of `folder` (else None)."""
    path = os.path.join(folder, name)
    if not os.path.islink(path):
        return None
    root = os.path.realpath(folder)
    target = os.path.realpath(path)
    if os.path.commonpath([root, target]) == root:
        return None
    return target
