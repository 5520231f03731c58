#!/bin/sh
# fleet lab gateway init (src/lab/gateway.ts writes it to the state dir and runs it as
# `unshare --mount --uts --pid --fork --kill-child --mount-proc sh init.sh <gwdir> <name>
# <wan-address/prefix> <wan-interface> <labdir> <default-gw> [<neighbour-ip> <neighbour-mac>
# [<wan-address6/prefix> <default-gw6>]]` inside the gateway's netns; the neighbour, in a benchmark
# lab, is the controller; either may be empty).
# PID 1 of the gateway's pid namespace. `set -e`: a failed step ends the gateway (and `up`
# reports its log).
set -eu
S=$1 NAME=$2 WAN=$3 IFACE=$4 LAB=$5 DEFGW=$6 NEIGH_IP=${7:-} NEIGH_MAC=${8:-} WAN6=${9:-} DEFGW6=${10:-}
export PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin

hostname "$NAME"

# The network, as cloud-init would set it up on a VM. 'replace' keeps a re-run harmless.
ip link set lo up
ip addr replace "$WAN" dev "$IFACE"
ip link set "$IFACE" up
ip route replace default via "$DEFGW"
if [ -n "$NEIGH_IP" ]; then ip neigh replace "$NEIGH_IP" lladdr "$NEIGH_MAC" dev "$IFACE" nud permanent; fi
# The WAN's IPv6, static as a cloud's is (nodad: usable at once; no router advertisements here).
if [ -n "$WAN6" ]; then
  ip -6 addr replace "$WAN6" dev "$IFACE" nodad
  ip -6 route replace default via "$DEFGW6" dev "$IFACE"
fi

# Our copy of the root's /run/netns holds a reference to every namespace that existed when we
# were made; drop it (lazily, with its children) before a private /run hides it.
umount -l /run/netns 2>/dev/null || true
mount -t tmpfs -o mode=0755,nosuid,nodev,size=64m tmpfs /run
mkdir -p /run/sshd /run/netns /run/lock /run/lab-sshd /run/.lab /run/.stage
chmod 0755 /run/sshd

# Everything below comes from the gateway's own state dir, bound here first: later mounts may hide
# its original path (a state dir under /root, /home or /tmp).
mount --bind "$S" /run/.lab
L=/run/.lab
install -m 0600 "$L/host_key" /run/lab-sshd/host_key
install -m 0600 "$L/sshd_config" /run/lab-sshd/sshd_config
first=no
[ -e "$L/initialized" ] || first=yes
mkdir -p "$L/etc.upper" "$L/etc.work" "$L/var.upper" "$L/var.work" "$L/usr.upper" "$L/usr.work" "$L/root" "$L/home"

# /etc: an overlay over the machine's /etc. It is prepared at a staging point, so that nothing
# below can ever touch the machine's own /etc, then moved into place.
mount -t overlay overlay -o "lowerdir=/etc,upperdir=$L/etc.upper,workdir=$L/etc.work" /run/.stage
if [ "$first" = yes ]; then
  # What a fresh VM has: the packages' empty directories, none of this machine's files.
  rm -rf /run/.stage/wireguard /run/.stage/netns /run/.stage/openvpn /run/.stage/dnsmasq.d
  mkdir -m 0700 /run/.stage/wireguard
  mkdir -m 0755 /run/.stage/openvpn /run/.stage/openvpn/client /run/.stage/openvpn/server /run/.stage/dnsmasq.d
fi
mount --move /run/.stage /etc

mkdir -p /run/.stage
mount -t overlay overlay -o "lowerdir=/var,upperdir=$L/var.upper,workdir=$L/var.work" /run/.stage
if [ "$first" = yes ]; then
  rm -rf /run/.stage/lib/fleet
fi
mount --move /run/.stage /var
# /usr too: a package a role installs inside a gateway lands in the gateway, never on this machine.
mount -t overlay overlay -o "lowerdir=/usr,upperdir=$L/usr.upper,workdir=$L/usr.work" /usr
rmdir /run/.stage

# A clean home: this machine's root dotfiles must not run in gateway sessions.
mount --bind "$L/root" /root
mount --bind "$L/home" /home
# (/root/.ssh, the become user, /etc/hostname and friends were written into the upper dirs
# by prepareGateway before this ran: no useradd here, it costs more than the rest of init.)
if [ "$first" = yes ]; then touch "$L/initialized"; fi
umount /run/.lab
rmdir /run/.lab

mount -t tmpfs -o mode=1777,nosuid,nodev tmpfs /tmp
# Hide the lab's state dir (other gateways' files, the lab's private key) from this gateway.
if [ -d "$LAB" ]; then mount -t tmpfs -o ro,size=4k,mode=0755 tmpfs "$LAB"; fi

exec /usr/sbin/sshd -D -e -f /run/lab-sshd/sshd_config
