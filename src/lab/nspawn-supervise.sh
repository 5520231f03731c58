#!/bin/sh
# The power switch of one systemd lab gateway (src/lab/systemd-gateway.ts starts it detached):
# boots the gateway (nspawn-boot.sh under systemd-nspawn) and, when the gateway reboots itself
# (`systemctl reboot`: nspawn exits 133), takes away what a real reboot takes away before booting
# it again: its network namespace is deleted and made anew (links, addresses, routes, rules,
# iptables, sysctls and the namespaces nested in it are gone; the WAN port keeps its MAC), and
# its cgroups are emptied. Its disk (the overlay's upper dir) stays. Any other exit (poweroff,
# halt, killed) ends the supervisor: the gateway is off.
#
# Writes GWDIR/nspawn.pid ("<boot number> <pid>") for each boot, so the lab can find the current
# nspawn and, below it, the gateway's PID 1.
#
# Every process of the lab's systemd gateways lives in a cgroup below CGROUP_ROOTS (one per
# cgroup hierarchy nspawn uses): the supervisors in `supervisors`, each gateway in its own.
#
# Environment: GW NETNS GWDIR LOWER CGROUP_ROOTS BOOT_SCRIPT SWITCH_NS PORT MAC WAN_IFACE BRIDGE.
set -u

for r in $CGROUP_ROOTS; do
  mkdir -p "$r/supervisors" && echo $$ >"$r/supervisors/cgroup.procs" || exit 1
done

# Empty cgroups of the previous boot are removed, deepest first; busy ones stay.
clean_cgroups() {
  for r in $CGROUP_ROOTS; do
    [ -d "$r/$GW" ] && find "$r/$GW" -mindepth 1 -depth -type d -exec rmdir {} + 2>/dev/null
  done
  return 0
}

new_netns() {
  ip -n "$SWITCH_NS" link del "$PORT" 2>/dev/null
  ip netns del "$NETNS" &&
    ip netns add "$NETNS" &&
    ip link add "$PORT" netns "$SWITCH_NS" type veth peer name "$WAN_IFACE" address "$MAC" netns "$NETNS" &&
    ip -n "$SWITCH_NS" link set "$PORT" master "$BRIDGE" &&
    ip -n "$SWITCH_NS" link set "$PORT" up
}

boot=0
while :; do
  boot=$((boot + 1))
  clean_cgroups
  unshare --mount --propagation slave sh "$BOOT_SCRIPT" &
  pid=$!
  echo "$boot $pid" >"$GWDIR/nspawn.pid.tmp" && mv "$GWDIR/nspawn.pid.tmp" "$GWDIR/nspawn.pid"
  wait "$pid"
  rc=$?
  echo "supervisor: boot $boot of $GW ended with exit $rc"
  [ "$rc" -eq 133 ] || break
  if ! new_netns; then
    echo "supervisor: cannot make $NETNS anew: $GW stays off"
    rc=1
    break
  fi
done
rm -f "$GWDIR/nspawn.pid"
clean_cgroups
exit "$rc"
