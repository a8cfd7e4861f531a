"""Bring up namespaced test hosts for a molecule run and print {"fleet": N, "inventory": path}.

The fleet number is the first free one from 10 up, as pytest sessions take theirs, so molecule
runs and test sessions side by side never share hosts. The fleet belongs to the molecule process
that runs this (found among this process's ancestors): a run killed before `destroy` leaves a
fleet the next claim clears, while one brought up by hand is never taken.
"""
from __future__ import annotations

import json
import pathlib
import sys

REPO = pathlib.Path(__file__).resolve().parents[3]
sys.path.insert(0, str(REPO))

from tests.standin.build_repo import build_repo  # noqa: E402
from tests.testhosts import testhosts as th  # noqa: E402


def molecule_ancestor() -> int | None:
    pid = int(pathlib.Path("/proc/self/stat").read_text().rsplit(")", 1)[1].split()[1])
    while pid > 1:
        proc = pathlib.Path(f"/proc/{pid}")
        argv = (proc / "cmdline").read_bytes().split(b"\0")
        if any(pathlib.Path(arg.decode(errors="replace")).name == "molecule" for arg in argv[:2]):
            return pid
        pid = int((proc / "stat").read_text().rsplit(")", 1)[1].split()[1])
    return None


def main() -> int:
    count = int(sys.argv[1])
    try:
        fleet = th.claim_free_fleet(build_repo(), count, owner=molecule_ancestor(), log=lambda _: None)
    except th.TestHostsError as error:
        print(f"testhosts: {error}", file=sys.stderr)
        return 1
    print(json.dumps({"fleet": fleet.number, "inventory": str(fleet.inventory)}))
    return 0


if __name__ == "__main__":
    sys.exit(main())
