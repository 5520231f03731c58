#!/bin/sh
# {% raw %} (the metrics role renders this file as a template; nothing in it is one)
# fleet's gateway metrics for node_exporter's textfile collector (roles/metrics):
#   sh metrics-textfile.sh loop CONF    rewrite the file every INTERVAL_S seconds (supervised by fleet)
#   sh metrics-textfile.sh once CONF    rewrite it once
#   sh metrics-textfile.sh help         every family's HELP and TYPE lines
# Names, types and help are those of `fleet status --format prometheus` (src/metrics/
# gateway-metrics.ts; a test keeps them equal), without the host label: node_exporter adds its own.
set -u
export LC_ALL=C PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin
MODE=${1:-once}

help_of() {
  case "$1" in
    fleet_wireguard_up) echo "gauge Whether the WireGuard interface is up (1) or not (0)." ;;
    fleet_wireguard_peer_last_handshake_age_seconds) echo "gauge Seconds since the peer's latest WireGuard handshake (absent when it never had one)." ;;
    fleet_wireguard_peer_receive_bytes_total) echo "counter Bytes the gateway received from the peer." ;;
    fleet_wireguard_peer_transmit_bytes_total) echo "counter Bytes the gateway sent to the peer." ;;
    fleet_upstream_up) echo "gauge Whether the provider's tunnel is up (1) or not (0): the OpenVPN client runs and its tun has an address, or the WireGuard upstream has its address." ;;
    fleet_upstream_last_handshake_age_seconds) echo "gauge Seconds since the upstream's latest handshake with the provider." ;;
    fleet_dnsmasq_answering) echo "gauge Whether dnsmasq answers an internal name on the gateway (1) or not (0)." ;;
  esac
}
FAMILIES="fleet_wireguard_up fleet_wireguard_peer_last_handshake_age_seconds fleet_wireguard_peer_receive_bytes_total fleet_wireguard_peer_transmit_bytes_total fleet_upstream_up fleet_upstream_last_handshake_age_seconds fleet_dnsmasq_answering"

# A family's HELP and TYPE, then its samples (read from stdin); nothing at all without samples.
family() {
  samples=$(cat)
  [ -n "$samples" ] || return 0
  h=$(help_of "$1")
  printf '# HELP %s %s\n# TYPE %s %s\n%s\n' "$1" "${h#* }" "$1" "${h%% *}" "$samples"
}

if [ "$MODE" = help ]; then
  for f in $FAMILIES; do h=$(help_of "$f"); printf '# HELP %s %s\n# TYPE %s %s\n' "$f" "${h#* }" "$f" "${h%% *}"; done
  exit 0
fi

CONF=${2:?usage: metrics-textfile.sh loop|once CONF}
# shellcheck disable=SC1090
. "$CONF"

# A pid from a pidfile, only if that process lives and has the expected name.
pid_of() { p=; c=; { read -r p < "$1"; } 2>/dev/null; [ -n "$p" ] && kill -0 "$p" 2>/dev/null && { read -r c < "/proc/$p/comm"; } 2>/dev/null && [ "$c" = "$2" ] && echo "$p"; }

# Whether a daemon runs: by its pidfile (PIDFILE COMM), or where it has none and systemd runs, by
# its unit (UNIT), as the daemon module finds it (a packaged dnsmasq.service writes its own pidfile).
runs() {
  [ -n "$(pid_of "$1" "$2")" ] && return 0
  [ ! -e "$1" ] && [ -n "$3" ] && [ -d /run/systemd/system ] && systemctl is-active --quiet "$3" 2>/dev/null
}

# {% endraw %}{% include "upstream-handshake.sh" %}{% raw %}

name_of() { printf '%s\n' "$PEERS" | awk -v k="$1" '$1 == k { print $2; exit }'; }

peer_samples() {  # $1: metric, $2: wg show field, $3: which column holds the value
  now=$(date +%s)
  wg show "$WG" "$2" 2>/dev/null | while read -r key a b; do
    case "$3" in
      age) [ "${a:-0}" -gt 0 ] 2>/dev/null || continue; v=$((now - a)) ;;
      rx) v=$a ;;
      tx) v=$b ;;
    esac
    printf '%s{peer="%s",public_key="%s"} %s\n' "$1" "$(name_of "$key")" "$key" "$v"
  done
}

collect() {
  up=0; ip link show dev "$WG" >/dev/null 2>&1 && up=1
  echo "fleet_wireguard_up $up" | family fleet_wireguard_up
  if [ "$up" = 1 ]; then
    peer_samples fleet_wireguard_peer_last_handshake_age_seconds latest-handshakes age | family fleet_wireguard_peer_last_handshake_age_seconds
    peer_samples fleet_wireguard_peer_receive_bytes_total transfer rx | family fleet_wireguard_peer_receive_bytes_total
    peer_samples fleet_wireguard_peer_transmit_bytes_total transfer tx | family fleet_wireguard_peer_transmit_bytes_total
  fi
  ovpn=0
  if [ "${PROTOCOL:-openvpn}" = wireguard ]; then
    # No client process: the upstream is its interface with an address, its peer's handshake.
    [ -n "$(ip -n "$VPN_NS" -4 -o addr show dev "$PROVIDER_IF" 2>/dev/null)" ] && ovpn=1
    t=$(ip netns exec "$VPN_NS" wg show "$PROVIDER_IF" latest-handshakes 2>/dev/null | awk 'NR == 1 && $2 > 0 { print $2 }')
  else
    if runs "$OPENVPN_PIDFILE" openvpn "${OPENVPN_UNIT:-}" && [ -n "$(ip -n "$VPN_NS" -4 -o addr show dev "$TUN" 2>/dev/null)" ]; then ovpn=1; fi
    t=$(fleet_upstream_handshake "$OPENVPN_LOG" "${OPENVPN_UNIT:-}")
  fi
  echo "fleet_upstream_up $ovpn" | family fleet_upstream_up
  if [ "$ovpn" = 1 ] && [ -n "$t" ]; then
    echo "fleet_upstream_last_handshake_age_seconds $(( $(date +%s) - t ))" | family fleet_upstream_last_handshake_age_seconds
  fi
  if command -v dig >/dev/null 2>&1; then
    ans=0
    if runs "$DNSMASQ_PIDFILE" dnsmasq "${DNSMASQ_UNIT:-}" && [ -n "$(dig +short +time=1 +tries=1 @127.0.0.1 "$PROBE_NAME" A 2>/dev/null)" ]; then ans=1; fi
    echo "fleet_dnsmasq_answering $ans" | family fleet_dnsmasq_answering
  fi
}

# Written beside the target (same file system) and renamed over it: readers see the old or the new file.
write_once() {
  dir=${TEXTFILE%/*}
  mkdir -p "${dir:-/}" || return 1
  tmp=$(mktemp "$TEXTFILE.XXXXXX") || return 1
  if collect > "$tmp" && chmod 0644 "$tmp" && mv -f "$tmp" "$TEXTFILE"; then return 0; fi
  rm -f "$tmp"
  return 1
}

case "$MODE" in
  once) write_once ;;
  loop)
    s=
    trap 'if [ -n "$s" ]; then kill "$s" 2>/dev/null; fi; exit 0' TERM INT HUP
    while :; do
      write_once
      sleep "$INTERVAL_S" &
      s=$!
      wait "$s"
    done
    ;;
  *) echo "metrics-textfile.sh: unknown mode $MODE" >&2; exit 2 ;;
esac
# {% endraw %}
