#!/bin/sh
# First boot hook of a test host's stand-in reboot: a reboot starts with no kernel module
# loaded; the hooks of installed module packages (50-*) load theirs after this.
rm -f /etc/fleetbench-standin/loaded-module
