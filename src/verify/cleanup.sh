#!/bin/sh
# fleet verify's cleanup on the gateway. probe.sh writes it into the probe's state dir D with the
# probe's settings in D/env, and runs it two ways:
#   sh cleanup.sh reap D   the reaper (setsid, detached from the SSH session): after TIMEOUT_S it
#                          stops the probe if it still runs and removes what it made
#   sh cleanup.sh now D    the probe is done: stop the reaper, remove what the probe made
# Exactly one of them cleans: both rename D/armed and rename(2) is atomic (as the deploy watchdog's
# confirm and fire do). Everything the probe makes is named after its id, so the cleanup needs no
# record of how far the probe got and is safe to run at any point.
set -u
MODE=$1 D=$2
export LC_ALL=C PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin
# shellcheck disable=SC1091
. "$D/env" || exit 1
: "${ID:?}" "${WG:?}" "${WAN_IF:?}" "${DNSMASQ_USER:?}" "${J:?}" "${TIMEOUT_S:?}"

# Waits up to 5 s for a process to end.
gone() { i=0; while kill -0 "$1" 2>/dev/null && [ $i -lt 50 ]; do sleep 0.1; i=$((i+1)); done; }

# The probe's own children (its pid from D/main.pid): a killed shell does not take them along.
stop_probe() {
  p=$(cat "$D/main.pid" 2>/dev/null) || return 0
  [ -n "$p" ] || return 0
  kids=
  for s in /proc/[0-9]*/stat; do
    { read -r line < "$s"; } 2>/dev/null || continue
    # shellcheck disable=SC2086
    set -- ${line##*") "}
    if [ "${2:-}" = "$p" ]; then k=${s#/proc/}; kids="$kids ${k%/stat}"; fi
  done
  kill -TERM "$p" 2>/dev/null
  for k in $kids; do kill -TERM "$k" 2>/dev/null; done
  gone "$p"
  kill -KILL "$p" 2>/dev/null
}

clean() {
  for h in d v; do
    ns="fleet-verify-$ID-$h" dev="fv$h$ID"
    if [ -e "/run/netns/$ns" ]; then
      for p in $(ip netns pids "$ns" 2>/dev/null); do kill -KILL "$p" 2>/dev/null; done
      ip -n "$ns" link del "$dev" 2>/dev/null
      ip netns del "$ns" 2>/dev/null
    fi
    # Not moved into the namespace yet (or a kernel interface the namespace gave back).
    ip link del "$dev" 2>/dev/null
    if [ -s "$D/$h.wgpid" ]; then w=$(cat "$D/$h.wgpid"); kill -TERM "$w" 2>/dev/null; gone "$w"; fi
    if [ -s "$D/$h.pub" ]; then wg set "$WG" peer "$(cat "$D/$h.pub")" remove 2>/dev/null; fi
  done
  for proto in udp tcp; do
    while iptables -w -t mangle -D POSTROUTING -o "$WAN_IF" -p "$proto" --dport 53 -m owner --uid-owner "$DNSMASQ_USER" -m comment --comment "fleet-verify-$ID" 2>/dev/null; do :; done
  done
  if grep -qx "run=verify-$ID" "$J/lock/owner" 2>/dev/null; then rm -rf "$J/lock"; fi
  rm -rf "$D"
  rmdir /run/fleet-verify 2>/dev/null
  return 0
}

case "$MODE" in
  reap)
    echo $$ > "$D/reaper.pid"
    trap 'exit 0' TERM HUP INT
    sleep "$TIMEOUT_S" &
    wait $!
    mv "$D/armed" "$D/reaping" 2>/dev/null || exit 0
    trap '' TERM HUP INT
    stop_probe
    clean
    ;;
  now)
    mv "$D/armed" "$D/cleaning" 2>/dev/null || exit 0
    r=$(cat "$D/reaper.pid" 2>/dev/null)
    if [ -n "$r" ]; then kill -TERM "-$r" 2>/dev/null || kill -TERM "$r" 2>/dev/null; gone "$r"; fi
    clean
    ;;
  *) echo "cleanup.sh: unknown mode $MODE" >&2; exit 2 ;;
esac
