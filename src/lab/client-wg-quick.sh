#!/bin/sh
# Brings up a lab client's tunnel from a wg-quick config, as the WireGuard tools do on a laptop
# (src/lab/clients.ts runs it inside the client: sh -c "$(cat client-wg-quick.sh)" sh <dir> <conf>).
# The kernel may lack WireGuard: wg-quick then starts wireguard-go itself.
set -eu
D=$1 CONF=$2
export PATH="$D/bin:/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"
export WG_QUICK_USERSPACE_IMPLEMENTATION=wireguard-go LOG_LEVEL=error
# wireguard-go stays behind as a daemon: it must not hold our caller's stdout and stderr open.
if ! wg-quick up "$CONF" </dev/null >"$D/wg-quick.log" 2>&1; then
  cat "$D/wg-quick.log" >&2
  exit 1
fi
