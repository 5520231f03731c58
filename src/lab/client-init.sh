#!/bin/sh
# fleet lab WireGuard client init (src/lab/clients.ts writes it to the state dir and runs it as
# `unshare --mount --uts --pid --fork --kill-child --mount-proc sh init.sh <dir> <name>
# <underlay-ip> <default-gw> <wg-address> <echo-ip> <wg-address6> <echo-ip6>` inside the client's netns).
# PID 1 of its pid namespace.
set -eu
D=$1 NAME=$2 UNDERLAY=$3 DEFGW=$4 ADDR=$5 ECHO=$6 ADDR6=$7 ECHO6=$8
export PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin
hostname "$NAME"
ip link set lo up
ip addr replace "$UNDERLAY/24" dev eth0
ip link set eth0 up
ip route replace default via "$DEFGW"
umount -l /run/netns 2>/dev/null || true
mount -t tmpfs -o mode=0755,nosuid,nodev,size=16m tmpfs /run
mkdir -p /run/wireguard
# wireguard-go creates the tun device and the UAPI socket before it detaches, so wg can follow.
LOG_LEVEL=error wireguard-go wg0 >/dev/null
wg set wg0 private-key "$D/private.key"
ip addr add "$ADDR/32" dev wg0
ip -6 addr add "$ADDR6/128" dev wg0 nodad
ip link set wg0 up
# The gateway's subnet (its DNS is 10.4.0.1) and the echo service go through the tunnel.
ip route replace 10.4.0.0/24 dev wg0
ip route replace "$ECHO/32" dev wg0
ip -6 route replace fd00:10:4::/64 dev wg0
ip -6 route replace "$ECHO6/128" dev wg0
touch "$D/ready"
exec sleep infinity
