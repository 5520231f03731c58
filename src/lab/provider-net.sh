#!/bin/sh
# The OpenVPN provider's network, inside fl-prov (src/lab/provider.ts):
#   sh provider-net.sh <address/prefix> <default-gw> <client-net/prefix> <address6/prefix> <default-gw6>
# This namespace's own sysctl and iptables: the root namespace's stay untouched.
set -eu
ADDR=$1 DEFGW=$2 CLIENTS=$3 ADDR6=$4 DEFGW6=$5
ip link set lo up
ip addr replace "$ADDR" dev eth0
ip link set eth0 up
ip route replace default via "$DEFGW"
# The provider's own IPv6 on the lab internet (its tunnels carry IPv4 only).
ip -6 addr replace "$ADDR6" dev eth0 nodad
ip -6 route replace default via "$DEFGW6" dev eth0
sysctl -q -w net.ipv4.ip_forward=1
iptables -t nat -C POSTROUTING -s "$CLIENTS" -o eth0 -j MASQUERADE 2>/dev/null ||
  iptables -t nat -A POSTROUTING -s "$CLIENTS" -o eth0 -j MASQUERADE
