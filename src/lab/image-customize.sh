#!/bin/sh
# mmdebstrap --customize-hook for the systemd lab's base image (src/lab/image.ts).
#   sh image-customize.sh ROOTFS LAYERS
# Makes ROOTFS what a fresh Debian 12 cloud image is before its first boot, and writes the
# variants' layers under LAYERS (each an overlay lower dir above ROOTFS):
#   resolved      systemd-resolved enabled, /etc/resolv.conf -> its stub (127.0.0.53)
#   default-deny  a hardened image's own firewall: INPUT policy DROP, SSH allowed
#   ufw           ufw enabled, allowing SSH
set -eu
root=$1
layers=$2

# Each instance makes its own identity at first boot: no host keys, an empty machine-id.
rm -f "$root"/etc/ssh/ssh_host_*
: >"$root/etc/machine-id"
if [ -f "$root/var/lib/dbus/machine-id" ] && [ ! -L "$root/var/lib/dbus/machine-id" ]; then
  rm -f "$root/var/lib/dbus/machine-id"
fi

# Copies paths (relative to the rootfs, symlinks as symlinks) into a layer.
to_layer() {
  layer=$1
  shift
  mkdir -p "$layers/$layer"
  (cd "$root" && tar -cf - "$@") | tar -C "$layers/$layer" -xf -
}

# systemd-resolved: the package enables itself, takes /etc/resolv.conf and provides resolvconf
# (which dnsmasq's unit calls to make itself the gateway's own resolver). The base keeps none of
# it (Debian's default, without resolved); the resolved layer gets exactly what the package did.
resolved_links=$(cd "$root" && find etc/systemd/system -lname '*/systemd-resolved.service')
# shellcheck disable=SC2086 # the list is find's output: paths without spaces
to_layer resolved etc/resolv.conf usr/sbin/resolvconf $resolved_links
systemctl --root="$root" --quiet disable systemd-resolved.service
rm -f "$root/etc/resolv.conf" "$root/usr/sbin/resolvconf"
printf '# the lab writes each gateway its own resolver\n' >"$root/etc/resolv.conf"

# ufw: installed and inactive, as Ubuntu ships it; its unit disabled, as on a Debian without ufw.
# The ufw layer is what `ufw allow 22/tcp && ufw enable` leaves on disk.
ufw_links=$(cd "$root" && find etc/systemd/system -lname '*/ufw.service')
saved=$(mktemp -d)
cp -a "$root/etc/ufw/." "$saved/"
# ufw only writes its rules files while it is inactive; in a network namespace of its own it
# could not touch this machine's firewall even if it tried.
unshare --net chroot "$root" ufw allow 22/tcp >/dev/null
sed -i 's/^ENABLED=.*/ENABLED=yes/' "$root/etc/ufw/ufw.conf"
# shellcheck disable=SC2086
to_layer ufw etc/ufw/ufw.conf etc/ufw/user.rules etc/ufw/user6.rules $ufw_links
rm -rf "$root/etc/ufw"
mkdir "$root/etc/ufw"
cp -a "$saved/." "$root/etc/ufw/"
rm -rf "$saved"
systemctl --root="$root" --quiet disable ufw.service

# default-deny: the firewall a hardened image loads before the network comes up.
deny=$layers/default-deny
mkdir -p "$deny/etc/iptables" "$deny/etc/systemd/system/multi-user.target.wants"
cat >"$deny/etc/iptables/rules.v4" <<'EOF'
# Hardened image: nothing comes in but replies, loopback and SSH.
*filter
:INPUT DROP [0:0]
:FORWARD ACCEPT [0:0]
:OUTPUT ACCEPT [0:0]
-A INPUT -i lo -j ACCEPT
-A INPUT -m conntrack --ctstate RELATED,ESTABLISHED -j ACCEPT
-A INPUT -p tcp -m tcp --dport 22 -j ACCEPT
COMMIT
EOF
cat >"$deny/etc/iptables/rules.v6" <<'EOF'
# Hardened image: nothing comes in but replies, loopback, neighbour discovery and SSH.
*filter
:INPUT DROP [0:0]
:FORWARD ACCEPT [0:0]
:OUTPUT ACCEPT [0:0]
-A INPUT -i lo -j ACCEPT
-A INPUT -m conntrack --ctstate RELATED,ESTABLISHED -j ACCEPT
-A INPUT -p ipv6-icmp -j ACCEPT
-A INPUT -p tcp -m tcp --dport 22 -j ACCEPT
COMMIT
EOF
cat >"$deny/etc/systemd/system/hardened-firewall.service" <<'EOF'
[Unit]
Description=Default-deny firewall of a hardened image
DefaultDependencies=no
Before=network-pre.target
Wants=network-pre.target
After=local-fs.target

[Service]
Type=oneshot
RemainAfterExit=yes
ExecStart=/usr/sbin/iptables-restore /etc/iptables/rules.v4
ExecStart=/usr/sbin/ip6tables-restore /etc/iptables/rules.v6

[Install]
WantedBy=multi-user.target
EOF
ln -s /etc/systemd/system/hardened-firewall.service "$deny/etc/systemd/system/multi-user.target.wants/hardened-firewall.service"

# The lab has no internet: apt's daily timers could only fail (and leave the system degraded).
systemctl --root="$root" --quiet disable apt-daily.timer apt-daily-upgrade.timer
