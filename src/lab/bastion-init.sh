#!/bin/sh
# fleet lab bastion init (src/lab/bastion.ts runs it as `unshare --mount --pid --fork --kill-child
# --mount-proc sh bastion-init.sh <bastiondir> <address> <prefix> <controller> <labdir>` inside the
# bastion's netns). Two legs: eth0 on the lab switch, and ops0, the other end of the controller's
# veth, holding the same address with a host route to the controller only. The controller's veth
# ends here instead of on the switch, so the gateways' sshd is out of its reach.
set -eu
S=$1 ADDR=$2 PREFIX=$3 CTL=$4 LAB=$5
export PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin

ip link set lo up
ip addr replace "$ADDR/$PREFIX" dev eth0
ip link set eth0 up
ip addr replace "$ADDR/32" dev ops0
ip link set ops0 up
ip route replace "$CTL/32" dev ops0

# A private /run (sshd's privilege separation dir, its config and keys): the machine's stays untouched.
umount -l /run/netns 2>/dev/null || true
mount -t tmpfs -o mode=0755,nosuid,nodev,size=16m tmpfs /run
mkdir -p /run/sshd /run/lab-bastion
chmod 0755 /run/sshd /run/lab-bastion
for f in host_key sshd_config authorized_keys; do install -m 0600 "$S/$f" "/run/lab-bastion/$f"; done
mount -t tmpfs -o mode=1777,nosuid,nodev tmpfs /tmp
# Hide the lab's state dir (the gateways' files, the lab's private key) from the bastion.
if [ -d "$LAB" ]; then mount -t tmpfs -o ro,size=4k,mode=0755 tmpfs "$LAB"; fi

exec /usr/sbin/sshd -D -e -f /run/lab-bastion/sshd_config
