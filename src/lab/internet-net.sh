#!/bin/sh
# The lab internet host's network, inside fl-inet (src/lab/internet.ts):
#   sh internet-net.sh <address/prefix> <clients-gateway/prefix> <address6/prefix>
# It routes between the lab's two ranges (ip_forward inside fl-inet only) on one interface, so
# it sends no ICMP redirects.
set -eu
ADDR=$1 CLIENT_GW=$2 ADDR6=$3
ip link set lo up
ip addr replace "$ADDR" dev eth0
ip addr replace "$CLIENT_GW" dev eth0
# The lab internet's IPv6 (the gateways' WAN and the provider are on the same link; no forwarding).
ip -6 addr replace "$ADDR6" dev eth0 nodad
ip link set eth0 up
sysctl -q -w net.ipv4.ip_forward=1 net.ipv4.conf.all.send_redirects=0 net.ipv4.conf.default.send_redirects=0 net.ipv4.conf.eth0.send_redirects=0
