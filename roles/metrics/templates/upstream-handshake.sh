# upstream-handshake.sh: fleet status's probe runs it; metrics-textfile.sh has it rendered in.
# shellcheck shell=sh
# fleet_upstream_handshake LOG UNIT: when the OpenVPN client last completed a TLS handshake with
# the provider, in seconds since the epoch; nothing when that is unknown. OpenVPN logs each one
# as "Peer Connection Initiated": in LOG after a local "YYYY-MM-DD HH:MM:SS" (its --log file), or,
# where there is no such file and systemd runs UNIT, in UNIT's journal (short-unix: epoch first).
fleet_upstream_handshake() {
  if [ -f "$1" ]; then
    fleet_uh=$(sed -n 's/^\([0-9][0-9-]* [0-9:]*\) .*Peer Connection Initiated.*/\1/p' "$1" 2>/dev/null | tail -n 1)
    [ -n "$fleet_uh" ] && date -d "$fleet_uh" +%s 2>/dev/null
  elif [ -n "$2" ] && [ -d /run/systemd/system ]; then
    journalctl -u "$2" -b -q --no-pager -o short-unix -n 5000 2>/dev/null |
      sed -n 's/^\([0-9][0-9]*\)[.0-9]* .*Peer Connection Initiated.*/\1/p' | tail -n 1
  fi
  return 0
}
