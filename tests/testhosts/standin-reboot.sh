#!/bin/sh
# fleetbench-standin-reboot: "reboot" a namespaced test host, which is not a machine.
#
# What a reboot means to the code under test, and nothing else: every process of the host ends
# (the SSH session that asked for it too), the boot hooks in /usr/lib/fleetbench-standin/boot.d
# run (the stand-in driver package "loads" its kernel module there), /var/lib/fleetbench-standin/
# boot_id changes, and sshd comes back. Use it with
#   ansible.builtin.reboot: reboot_command=/usr/local/sbin/fleetbench-standin-reboot
#                           boot_time_command="cat /var/lib/fleetbench-standin/boot_id"
set -eu

STANDIN=/var/lib/fleetbench-standin
HOOKS=/usr/lib/fleetbench-standin/boot.d

if [ "${1:-}" != "--now" ]; then
    # Detached, so that ending the caller's session does not end the reboot. The SIGHUP of a
    # closing terminal can arrive before the child's setsid: it must ignore it from birth.
    trap '' HUP
    setsid "$0" --now </dev/null >>"$STANDIN/reboot.log" 2>&1 &
    exit 0
fi

sleep 1
echo "$(date -u +%FT%TZ) reboot"
# Without a PID namespace, /proc lists the whole machine: the network namespace tells this
# host's processes from everybody else's.
own_netns=$(readlink /proc/self/ns/net)
host_pids() {
    for proc in /proc/[0-9]*; do
        pid=${proc#/proc/}
        [ "$pid" = "$$" ] && continue
        [ "$(readlink "$proc/ns/net" 2>/dev/null)" = "$own_netns" ] && echo "$pid"
    done
    return 0
}
for signal in TERM KILL; do
    for pid in $(host_pids); do kill "-$signal" "$pid" 2>/dev/null || true; done
    sleep 0.5
done

rm -f /run/sshd.pid
find /tmp -mindepth 1 -delete 2>/dev/null || true
if [ -d "$HOOKS" ]; then
    for hook in "$HOOKS"/*; do
        [ -x "$hook" ] && "$hook"
    done
fi
cat /proc/sys/kernel/random/uuid >"$STANDIN/boot_id"
exec /usr/sbin/sshd
