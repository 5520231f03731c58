#!/bin/sh
# Installs the Debian packages the lab (fleet lab up) and the lab tests need. Idempotent: when
# everything is present it prints one line and changes nothing. Run as root (CI runs it as root).
#
# Packages are installed without recommends. None of them may leave a daemon running in the root
# namespace: this machine has no systemd, and policy-rc.d below tells package scripts not to start
# services while we install (the lab starts its own sshd, dnsmasq and openvpn inside namespaces).
set -eu

# ansible: the inventory tests check fleet's inventory against ansible-inventory.
# iputils-ping, nftables, tcpdump, dnsutils, curl: what the lab tests run inside lab namespaces.
# systemd-container, mmdebstrap: the systemd lab (`fleet lab up --systemd`) builds its Debian image
# with mmdebstrap and boots its gateways with systemd-nspawn.
# tmux: the live-view test watches fleet deploy on a terminal of a fixed size.
# The tests check every shell program in the source tree with shellcheck.
# prometheus: its promtool checks the metrics fleet prints (status --format prometheus, the textfile).
# zbar-tools: the peer test decodes the QR code fleet prints with zbarimg.
PKGS="openssh-server openssh-client wireguard-tools wireguard-go iptables iproute2 openvpn dnsmasq
openssl procps tcpdump dnsutils curl sudo ansible util-linux iputils-ping nftables
systemd-container mmdebstrap shellcheck tmux prometheus zbar-tools"

missing=""
for p in $PKGS; do
  if ! dpkg-query -W -f='${db:Status-Status}' "$p" 2>/dev/null | grep -qx installed; then
    missing="$missing $p"
  fi
done

if [ -z "$missing" ]; then
  echo "lab dependencies: all present"
  exit 0
fi

if [ "$(id -u)" != 0 ]; then
  echo "install-deps: missing:$missing; run this script as root" >&2
  exit 1
fi

echo "lab dependencies: installing$missing"
export DEBIAN_FRONTEND=noninteractive
# A policy-rc.d that answers 101 ("action not allowed") keeps invoke-rc.d from starting the
# daemons these packages ship (sshd, dnsmasq, openvpn). Only add one when none exists, and remove
# only the one we added.
policy=/usr/sbin/policy-rc.d
added_policy=no
if [ ! -e "$policy" ]; then
  printf '#!/bin/sh\nexit 101\n' >"$policy"
  chmod 0755 "$policy"
  added_policy=yes
fi
cleanup() { [ "$added_policy" = yes ] && rm -f "$policy"; return 0; }
trap cleanup EXIT INT TERM

apt-get update -qq
# shellcheck disable=SC2086
apt-get install -y -qq --no-install-recommends $missing >/dev/null
echo "lab dependencies: installed$missing"
