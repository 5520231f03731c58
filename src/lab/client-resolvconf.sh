#!/bin/sh
# resolvconf for a lab client (wg-quick calls `resolvconf -a <iface> -m 0 -x` with nameserver
# lines on stdin, and `resolvconf -d <iface> -f` on down). The client's /etc/resolv.conf is a
# private bind mount (client-underlay.sh), so this writes only the client's own.
set -eu
case "${1:-}" in
  -a) cat >/etc/resolv.conf ;;
  -d) : >/etc/resolv.conf ;;
  *) echo "resolvconf (lab client): unsupported arguments: $*" >&2; exit 2 ;;
esac
