#!/bin/sh
# {% raw %} (the provider-failover role renders this file as a template; nothing in it is one)
# fleet's provider failover on the gateway (roles/provider-failover, docs/gateway.md):
#   sh provider-failover.sh loop CONF        check every INTERVAL_S seconds (supervised by fleet;
#                                            TERM takes the tunnel down)
#   sh provider-failover.sh check CONF       one check (fleet-provider-health.timer)
#   sh provider-failover.sh use CONF NAME    switch to endpoint NAME now (`fleet provider use`)
#   sh provider-failover.sh down CONF        take the tunnel down (teardown)
#   sh provider-failover.sh status CONF      the active endpoint, then the last switches
# The active endpoint's tunnel is always the interface IFACE in the namespace NS, whatever its
# protocol: the kill switch and the NAT name IFACE, so while no tunnel is up (during a switch) the
# VPN half goes nowhere. The active endpoint is the gateway's state (STATE_DIR/active): a deploy
# does not move it back. A dead endpoint hands over to the next in the list (after the last, the
# first); one that comes back is not switched back to (no flapping).
set -u
export LC_ALL=C PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin
MODE=${1:?usage: provider-failover.sh loop|check|use|down|status CONF [NAME]}
CONF=${2:?usage: provider-failover.sh loop|check|use|down|status CONF [NAME]}
# shellcheck disable=SC1090
. "$CONF"
: "${NS:?}" "${IFACE:?}" "${ENDPOINTS:?}" "${CONFIG_DIR:?}" "${DEAD_AFTER_S:?}" "${INTERVAL_S:?}" "${PROBE:?}" "${STATE_DIR:?}" "${RUN_DIR:?}"
OVPN_PID=$RUN_DIR/openvpn.pid
LAST_OK=$RUN_DIR/last-ok
SWITCHES=$STATE_DIR/switches.log
# WireGuard rejects a session older than this (REJECT_AFTER_TIME): past it, no fresh handshake.
HANDSHAKE_FRESH_S=180

now() { date +%s; }

# The endpoint's line: name protocol route addresses mtu.
endpoint() { awk -v n="$1" '$1 == n { print; found = 1; exit } END { exit !found }' "$ENDPOINTS"; }
first_endpoint() { awk 'NF { print $1; exit }' "$ENDPOINTS"; }
# The one after NAME in the list, the first after the last.
next_endpoint() {
  awk -v n="$1" 'NF { names[++k] = $1; if ($1 == n) at = k } END { if (k) print names[at % k + 1] }' "$ENDPOINTS"
}

active() {
  a=$(cat "$STATE_DIR/active" 2>/dev/null) || a=
  if [ -z "$a" ] || ! endpoint "$a" >/dev/null; then a=$(first_endpoint); fi
  printf '%s\n' "$a"
}

set_active() {
  mkdir -p "$STATE_DIR" && printf '%s\n' "$1" > "$STATE_DIR/active.tmp" && mv -f "$STATE_DIR/active.tmp" "$STATE_DIR/active"
}

tunnel_exists() { ip -n "$NS" link show dev "$IFACE" >/dev/null 2>&1; }

# Our OpenVPN client's pid, only when the pidfile names a live openvpn in the namespace.
openvpn_pid() {
  p=$(cat "$OVPN_PID" 2>/dev/null) || return 1
  case $p in '' | *[!0-9]*) return 1 ;; esac
  [ "$(cat "/proc/$p/comm" 2>/dev/null)" = openvpn ] || return 1
  [ "$(stat -L -c %i "/proc/$p/ns/net" 2>/dev/null)" = "$(stat -L -c %i "/run/netns/$NS" 2>/dev/null)" ] || return 1
  echo "$p"
}

tunnel_down() {
  if p=$(openvpn_pid); then
    kill -TERM "$p" 2>/dev/null
    i=0
    while [ $i -lt 50 ] && openvpn_pid >/dev/null; do sleep 0.1; i=$((i + 1)); done
    openvpn_pid >/dev/null && kill -KILL "$p" 2>/dev/null
  fi
  rm -f "$OVPN_PID"
  # A WireGuard tunnel (kernel or wireguard-go, which exits with its TUN) goes with its link.
  ip -n "$NS" link del dev "$IFACE" 2>/dev/null
  return 0
}

# Where systemd runs, the check is fleet-provider-health.service, a oneshot: systemd kills what is
# left in its cgroup when it ends. A tunnel daemon (openvpn, wireguard-go) runs in a scope of its
# own instead, so it outlives the check that started it (and `down` still stops it by its pid).
own_scope() {
  if [ -d /run/systemd/system ] && command -v systemd-run >/dev/null 2>&1; then
    systemd-run --scope --quiet --collect --description "fleet provider failover: the provider tunnel's daemon" "$@"
  else
    "$@"
  fi
}

tunnel_up() {
  line=$(endpoint "$1") || { echo "provider-failover: no endpoint $1" >&2; return 1; }
  set -f
  # shellcheck disable=SC2086
  set -- $line
  set +f
  name=$1 proto=$2 addrs=$4 mtu=$5
  mkdir -p "$RUN_DIR"
  if [ "$proto" = openvpn ]; then
    # The provider config was linted on the controller; its routes (redirect-gateway def1) come up with it.
    own_scope ip netns exec "$NS" openvpn --config "$CONFIG_DIR/$name.conf" --dev "$IFACE" --dev-type tun \
      --daemon fleet-provider-failover --writepid "$OVPN_PID" --log "$RUN_DIR/openvpn.log" </dev/null 9>&- || return 1
    return 0
  fi
  if ! ip -n "$NS" link add dev "$IFACE" type wireguard 2>/dev/null; then
    own_scope ip netns exec "$NS" wireguard-go "$IFACE" </dev/null >>"$RUN_DIR/wireguard-go.log" 2>&1 9>&- || return 1
  fi
  ip netns exec "$NS" wg setconf "$IFACE" "$CONFIG_DIR/$name.conf" || return 1
  if [ "$addrs" != - ]; then
    for a in $(printf '%s' "$addrs" | tr ',' ' '); do ip -n "$NS" addr replace "$a" dev "$IFACE" || return 1; done
  fi
  [ "$mtu" = - ] || ip -n "$NS" link set dev "$IFACE" mtu "$mtu" || return 1
  ip -n "$NS" link set dev "$IFACE" up || return 1
  ip -n "$NS" route replace 0.0.0.0/1 dev "$IFACE" && ip -n "$NS" route replace 128.0.0.0/1 dev "$IFACE" || return 1
  # An IPv6 Address: the VPN half's IPv6 through the tunnel too (else the namespace refuses it).
  case $addrs in
    *:*) ip -n "$NS" -6 route replace ::/1 dev "$IFACE" && ip -n "$NS" -6 route replace 8000::/1 dev "$IFACE" ;;
  esac
}

# Alive: the tunnel is there, (WireGuard) has a fresh handshake, and PROBE answers through it.
# Otherwise prints why not.
alive() {
  tunnel_exists || { echo "no tunnel interface $IFACE"; return 1; }
  if [ "$2" = wireguard ]; then
    hs=$(ip netns exec "$NS" wg show "$IFACE" latest-handshakes 2>/dev/null | awk '{ print $2; exit }')
    case ${hs:-0} in 0 | *[!0-9]*) echo "no WireGuard handshake"; return 1 ;; esac
    [ $(($(now) - hs)) -le $HANDSHAKE_FRESH_S ] || { echo "no fresh WireGuard handshake"; return 1; }
  fi
  ip netns exec "$NS" ping -n -q -c 1 -W 2 -I "$IFACE" "$PROBE" >/dev/null 2>&1 || { echo "no answer from $PROBE through the tunnel"; return 1; }
}

# Switch FROM -> TO for REASON: the old tunnel down first (the VPN half is dark, never on the WAN),
# the choice recorded, the new tunnel up. The new endpoint gets DEAD_AFTER_S to show life.
switch_to() {
  tunnel_down
  set_active "$2"
  mkdir -p "$STATE_DIR"
  printf '%s %s %s %s\n' "$(now)" "$1" "$2" "$3" >> "$SWITCHES"
  # Only the last 50 switches are kept.
  if [ "$(wc -l < "$SWITCHES")" -gt 50 ]; then tail -n 50 "$SWITCHES" > "$SWITCHES.tmp" && mv -f "$SWITCHES.tmp" "$SWITCHES"; fi
  now > "$LAST_OK"
  tunnel_up "$2" || echo "provider-failover: endpoint $2 did not come up" >&2
}

check() {
  [ -e "/run/netns/$NS" ] || return 0
  a=$(active)
  [ -n "$a" ] || return 0
  proto=$(endpoint "$a" | awk '{ print $2 }')
  mkdir -p "$RUN_DIR"
  if ! tunnel_exists && ! openvpn_pid >/dev/null; then
    # At boot, after a crash or the first time: the active endpoint comes up, with a full DEAD_AFTER_S to show life.
    set_active "$a"
    now > "$LAST_OK"
    tunnel_up "$a" || tunnel_down
    return 0
  fi
  if why=$(alive "$a" "$proto"); then
    now > "$LAST_OK"
    return 0
  fi
  last=$(cat "$LAST_OK" 2>/dev/null) || last=
  case $last in '' | *[!0-9]*) now > "$LAST_OK"; return 0 ;; esac
  dead=$(($(now) - last))
  [ "$dead" -ge "$DEAD_AFTER_S" ] || return 0
  to=$(next_endpoint "$a")
  [ -n "$to" ] && [ "$to" != "$a" ] || { now > "$LAST_OK"; tunnel_down; tunnel_up "$a"; return 0; }
  switch_to "$a" "$to" "$why for ${dead}s"
}

use() {
  a=$(active)
  if [ "$a" = "$1" ] && tunnel_exists; then echo "already on $1"; return 0; fi
  switch_to "$a" "$1" "fleet provider use"
  echo "switched from $a to $1"
}

# One change at a time: the health check, `use` and `down` take the lock (flock, util-linux). The
# tunnel's daemons (openvpn, wireguard-go) start without its descriptor: they would hold it forever.
locked() {
  mkdir -p "$RUN_DIR"
  (
    flock 9 || exit 1
    "$@"
  ) 9>"$RUN_DIR/lock"
}

case $MODE in
  check) locked check ;;
  loop)
    trap 'locked tunnel_down; exit 0' TERM INT
    while :; do
      locked check
      sleep "$INTERVAL_S" &
      wait $! || true
    done
    ;;
  use)
    to=${3:?usage: provider-failover.sh use CONF NAME}
    endpoint "$to" >/dev/null || { echo "provider-failover: no endpoint $to (endpoints: $(awk 'NF { printf "%s ", $1 }' "$ENDPOINTS"))" >&2; exit 4; }
    locked use "$to"
    ;;
  down) locked tunnel_down ;;
  status)
    echo "active $(active)"
    tail -n 10 "$SWITCHES" 2>/dev/null
    ;;
  *) echo "usage: provider-failover.sh loop|check|use|down|status CONF [NAME]" >&2; exit 2 ;;
esac
# {% endraw %}
