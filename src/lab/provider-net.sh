#!/bin/sh
# A provider's network, inside its namespace (src/lab/provider.ts):
#   sh provider-net.sh <address/prefix> <default-gw> <client-net/prefix> <address6/prefix> <default-gw6> <client-net6/prefix> [<exit-address/prefix>]
# Without an exit address the OpenVPN clients leave from the provider's own address (provider A),
# with one from that address (provider B); their IPv6 leaves from the provider's IPv6 address. Run again by `lab provider start` (idempotent).
# This namespace's own sysctl and iptables: the root namespace's stay untouched.
set -eu
ADDR=$1 DEFGW=$2 CLIENTS=$3 ADDR6=$4 DEFGW6=$5 CLIENTS6=$6 EXIT=${7:-}
ip link set lo up
ip addr replace "$ADDR" dev eth0
ip link set eth0 up
ip route replace default via "$DEFGW"
# The provider's own IPv6 on the lab internet, where its tunnels' IPv6 exits.
ip -6 addr replace "$ADDR6" dev eth0 nodad
ip -6 route replace default via "$DEFGW6" dev eth0
sysctl -q -w net.ipv4.ip_forward=1
sysctl -q -w net.ipv6.conf.all.forwarding=1
ip6tables -t nat -C POSTROUTING -s "$CLIENTS6" -o eth0 -j SNAT --to-source "${ADDR6%/*}" 2>/dev/null ||
  ip6tables -t nat -A POSTROUTING -s "$CLIENTS6" -o eth0 -j SNAT --to-source "${ADDR6%/*}"
if [ -n "$EXIT" ]; then
  ip addr replace "$EXIT" dev eth0
  set -- -s "$CLIENTS" -o eth0 -j SNAT --to-source "${EXIT%/*}"
else
  set -- -s "$CLIENTS" -o eth0 -j MASQUERADE
fi
iptables -t nat -C POSTROUTING "$@" 2>/dev/null || iptables -t nat -A POSTROUTING "$@"
