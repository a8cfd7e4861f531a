#!/bin/sh
# First boot hook of a test host's stand-in reboot: a reboot starts with no kernel module
# loaded and no process on any GPU; the hooks of installed module packages (50-*) load
# theirs after this.
rm -f /etc/fleetbench-standin/loaded-module
state=/etc/fleetbench-standin/gpu.json
[ -f "$state" ] || exit 0
python3 - "$state" <<'PYTHON'
import json, os, sys
path = sys.argv[1]
with open(path, encoding="utf-8") as handle:
    state = json.load(handle)
for gpu in state.get("gpus", []):
    gpu.pop("processes", None)
with open(path + ".new", "w", encoding="utf-8") as handle:
    json.dump(state, handle, indent=2)
os.replace(path + ".new", path)
PYTHON
