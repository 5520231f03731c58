#!/bin/sh
# Points a lab client's wg0 at its gateway (src/lab/clients.ts, run inside the client):
#   sh -c "$(cat client-peer.sh)" sh <gateway-public-key> <endpoint> <allowed-ips> <keepalive>
# Any other peer goes: the gateway's key changes when it is redeployed from scratch.
set -eu
KEY=$1 ENDPOINT=$2 ALLOWED=$3 KEEPALIVE=$4
for p in $(wg show wg0 peers); do
  [ "$p" = "$KEY" ] || wg set wg0 peer "$p" remove
done
wg set wg0 peer "$KEY" endpoint "$ENDPOINT" allowed-ips "$ALLOWED" persistent-keepalive "$KEEPALIVE"
