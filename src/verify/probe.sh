#!/bin/sh
# fleet verify on one gateway, in one round trip (src/verify/script.ts sends it on stdin after the
# settings it needs). For each half it makes a throwaway probe client: a WireGuard interface (the
# kernel's, or wireguard-go where the kernel has none) with a key pair made here, peered with the
# gateway's interface over loopback through a temporary peer (`wg set ... peer`), then moved into
# a network namespace of its own with the half's reserved probe address. From there it fetches the
# echo URL and resolves the names through the gateway's DNS, as a client would. Around that, it
# reads the packet counter of the DNS mark rules (dnsmasq's upstream queries) and counts, with a
# temporary rule, dnsmasq's packets to port 53 that leave by the WAN interface.
#
# Settings (shell variables set before this text): T ID WG WG_PORT WG_MTU WAN_IF DNS_SERVER
# DNSMASQ_USER ECHO_URL NAMES UPSTREAM_NAME_SUFFIX PROBES ("h address" pairs) TIMEOUT_S J
# HTTP_TIMEOUT_S ENV_B64 CLEANUP_B64 FLEET_USER FLEET_CONTROLLER, and PAUSE_S (tests only); and the
# engine's host lock functions (src/engine/journal/lock.sh: fleet_lock_held, fleet_lock_owner).
#
# Cleanup is on the gateway: a reaper started with setsid removes everything after TIMEOUT_S even
# when this script or its SSH connection dies; a normal end removes it at once (cleanup.sh).
set -u
export LC_ALL=C PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin
umask 077

mark() { printf '%s %s\n' "$T" "$*"; }
field() { v=$(base64 -w 0); if [ -n "$v" ]; then printf '%s' "$v"; else printf -; fi; }
fail() { mark error "$(printf '%s' "$1" | field)"; exit 3; }

for tool in ip wg iptables iptables-save curl dig base64 setsid; do
  command -v "$tool" >/dev/null 2>&1 || fail "$tool is not installed on the gateway (fleet verify runs curl and dig there: Debian packages curl and dnsutils)"
done
ip link show dev "$WG" >/dev/null 2>&1 || fail "$WG does not exist: nothing to verify (deploy the gateway first)"
GW_PUB=$(wg show "$WG" public-key 2>/dev/null) || fail "cannot read the public key of $WG"

D=/run/fleet-verify/$ID
{ [ -d /run/fleet-verify ] || mkdir -m 0700 /run/fleet-verify; } && mkdir -m 0700 "$D" || fail "cannot create $D"
echo $$ > "$D/main.pid"
printf '%s' "$ENV_B64" | base64 -d > "$D/env" && printf '%s' "$CLEANUP_B64" | base64 -d > "$D/cleanup.sh" || { rm -rf "$D"; fail "cannot write $D"; }
: > "$D/armed"
trap 'sh "$D/cleanup.sh" now "$D" >/dev/null 2>&1' EXIT
trap 'exit 129' HUP
trap 'exit 130' INT
trap 'exit 143' TERM
trap 'exit 141' PIPE
setsid sh "$D/cleanup.sh" reap "$D" </dev/null >/dev/null 2>&1 &
i=0; while [ ! -s "$D/reaper.pid" ] && [ $i -lt 50 ]; do sleep 0.1; i=$((i+1)); done
[ -s "$D/reaper.pid" ] || fail "the cleanup reaper did not start"
mark armed "$TIMEOUT_S"

# The host lock, as a deploy takes it: a deploy would re-sync wg0's peers under the probe.
if [ -d "$J" ]; then
  if ! mkdir "$J/lock" 2>/dev/null; then
    state=live
    fleet_lock_held || state=stale
    mark locked "$state" "$(fleet_lock_record)"
    exit 4
  fi
  fleet_lock_owner "verify-$ID" "$FLEET_USER" "$FLEET_CONTROLLER"
fi

# An address wg0 already routes to a peer would be taken from that peer by `wg set`.
taken_by_peer() {
  wg show "$WG" allowed-ips | awk -v a="$1" '
    function n(ip,  p) { split(ip, p, "."); return ((p[1] * 256 + p[2]) * 256 + p[3]) * 256 + p[4] }
    { for (i = 2; i <= NF; i++) { split($i, c, "/"); if (c[2] == "" || $i !~ /^[0-9.]+\/[0-9]+$/) continue
        size = 2 ^ (32 - c[2]); if (int(n(a) / size) == int(n(c[1]) / size)) { print $1; exit } } }'
}

probe_up() {
  h=$1 addr=$2 ns="fleet-verify-$ID-$1" dev="fv$1$ID"
  who=$(taken_by_peer "$addr")
  [ -z "$who" ] || { echo "the probe address $addr is a peer's ($who)"; return 1; }
  wg genkey > "$D/$h.key" && wg pubkey < "$D/$h.key" > "$D/$h.pub" || { echo "cannot make a key pair"; return 1; }
  if ! ip link add "$dev" type wireguard 2>/dev/null; then
    WG_PROCESS_FOREGROUND=1 wireguard-go -f "$dev" </dev/null >/dev/null 2>&1 &
    echo $! > "$D/$h.wgpid"
    i=0; while ! wg show "$dev" >/dev/null 2>&1 && [ $i -lt 50 ]; do sleep 0.1; i=$((i+1)); done
  fi
  wg set "$dev" private-key "$D/$h.key" peer "$GW_PUB" endpoint "127.0.0.1:$WG_PORT" allowed-ips 0.0.0.0/0 || { echo "cannot make the probe interface $dev"; return 1; }
  wg set "$WG" peer "$(cat "$D/$h.pub")" allowed-ips "$addr/32" || { echo "cannot add the probe peer to $WG"; return 1; }
  { ip netns add "$ns" && ip link set "$dev" netns "$ns" && ip -n "$ns" link set lo up &&
    ip -n "$ns" addr add "$addr/32" dev "$dev" && ip -n "$ns" link set "$dev" mtu "$WG_MTU" up &&
    ip -n "$ns" route add default dev "$dev"; } 2>&1 || { echo "cannot set up the probe namespace $ns"; return 1; }
}

# shellcheck disable=SC2086
set -- $PROBES
while [ $# -ge 2 ]; do
  out=$(probe_up "$1" "$2") || fail "probe client of the $1 half: $out"
  shift 2
done

for proto in udp tcp; do
  iptables -w -t mangle -I POSTROUTING 1 -o "$WAN_IF" -p "$proto" --dport 53 -m owner --uid-owner "$DNSMASQ_USER" -m comment --comment "fleet-verify-$ID" ||
    fail "cannot insert the rule counting DNS queries that leave by $WAN_IF"
done
mark ready

# Test hook: hold the probe here (one second at a time, so nothing outlives a killed script long).
i=0; while [ $i -lt "${PAUSE_S:-0}" ]; do sleep 1; i=$((i+1)); done

dns_marked() {
  iptables-save -c -t mangle | awk '/^\[[0-9]+:[0-9]+\] -A OUTPUT / && / -m owner / && / --dport 53 / && / -j MARK / {
    split(substr($1, 2), c, ":"); n += c[1] } END { print n + 0 }'
}
wan_dns() {
  iptables-save -c -t mangle | awk -v tag="fleet-verify-$ID" '$0 ~ tag && /^\[[0-9]+:[0-9]+\] -A POSTROUTING / {
    split(substr($1, 2), c, ":"); n += c[1] } END { print n + 0 }'
}

before=$(dns_marked)
# shellcheck disable=SC2086
set -- $PROBES
while [ $# -ge 2 ]; do
  h=$1 ns="fleet-verify-$ID-$1"
  body=$(ip netns exec "$ns" curl -sS -m "$HTTP_TIMEOUT_S" -o - "$ECHO_URL" 2>"$D/curl.err"); rc=$?
  mark echo "$h" "$rc" "$(printf '%s' "$body" | head -c 200 | field)" "$(head -c 500 "$D/curl.err" | field)"
  for name in $NAMES; do
    a=$(ip netns exec "$ns" dig +short +time=2 +tries=2 "@$DNS_SERVER" "$name" A 2>&1 | head -n 5)
    mark dns "$h" "$name" "$(printf '%s' "$a" | field)"
  done
  a=$(ip netns exec "$ns" dig +short +time=2 +tries=1 "@$DNS_SERVER" "fleet-verify-$ID-$h.$UPSTREAM_NAME_SUFFIX" A 2>&1 | head -n 5)
  mark upstream "$h" "$(printf '%s' "$a" | field)"
  shift 2
done
mark dnscount "$before" "$(dns_marked)" "$(wan_dns)"

trap - EXIT
sh "$D/cleanup.sh" now "$D" >/dev/null 2>&1
left=$(ip netns list 2>/dev/null | grep -c "^fleet-verify-$ID-")
mark cleaned "$left"
mark end
