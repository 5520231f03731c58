#!/bin/sh
# A provider's WireGuard server network, inside its namespace (src/lab/provider-wireguard.ts), once
# wireguard-go runs there:
#   sh provider-wg-net.sh <interface> <config> <server-address/prefix> <exit-address/prefix> <client-net/prefix> <server-address6/prefix> <client-net6/prefix> <exit-address6>
# Its clients leave from the exit address, not the OpenVPN server's; their IPv6 from the exit6
# address (the provider's IPv6, forwarding on: provider-net.sh). This namespace's own iptables: the
# root namespace's stay untouched.
set -eu
IF=$1 CONF=$2 SERVER=$3 EXIT=$4 CLIENTS=$5 SERVER6=$6 CLIENTS6=$7 EXIT6=$8
EXIT_IP=${EXIT%/*}
ip addr replace "$EXIT" dev eth0
wg setconf "$IF" "$CONF"
ip addr replace "$SERVER" dev "$IF"
ip -6 addr replace "$SERVER6" dev "$IF" nodad
ip link set "$IF" up
iptables -t nat -C POSTROUTING -s "$CLIENTS" -o eth0 -j SNAT --to-source "$EXIT_IP" 2>/dev/null ||
  iptables -t nat -A POSTROUTING -s "$CLIENTS" -o eth0 -j SNAT --to-source "$EXIT_IP"
set -- -s "$CLIENTS6" -o eth0 -j SNAT --to-source "$EXIT6"
ip6tables -t nat -C POSTROUTING "$@" 2>/dev/null || ip6tables -t nat -A POSTROUTING "$@"
