#!/bin/sh
# A lab client as a laptop is before its VPN: an underlay address on the lab switch, a default
# route, and nothing of WireGuard (src/lab/clients.ts runs it as `unshare --mount --uts --pid
# --fork --kill-child --mount-proc sh client-underlay.sh <dir> <name> <underlay-ip> <default-gw>`
# inside the client's netns; PID 1 of its pid namespace). The tunnel comes later from a wg-quick
# config (client-wg-quick.sh), exactly as an operator's client brings it up.
set -eu
D=$1 NAME=$2 UNDERLAY=$3 DEFGW=$4
export PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin
hostname "$NAME"
ip link set lo up
ip addr replace "$UNDERLAY/24" dev eth0
ip link set eth0 up
ip route replace default via "$DEFGW"
umount -l /run/netns 2>/dev/null || true
# A private /run (wireguard-go's UAPI sockets) and a private resolv.conf: wg-quick's DNS line
# rewrites this one, never the machine's (the mount namespace is private).
mount -t tmpfs -o mode=0755,nosuid,nodev,size=16m tmpfs /run
: >/run/resolv.conf
mount --bind /run/resolv.conf /etc/resolv.conf
touch "$D/ready"
exec sleep infinity
