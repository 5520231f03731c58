# shellcheck shell=sh
# The remote protocol's emitters. Every marker is one stdout line: "<token> <kind> <fields...>",
# payload fields base64 ('-' when empty). The token is random per script, so nothing a fragment
# prints can pass for a marker.
# Input: T, the script's token.
# shellcheck disable=SC2154
export LC_ALL=C
umask 022
fleet_b64() { base64 -w 0; }
fleet_field() { v=$(fleet_b64); [ -n "$v" ] && printf '%s' "$v" || printf -; }
fleet_mark() { printf '%s %s\n' "$T" "$*"; }
fleet_now() { date -u +%Y-%m-%dT%H:%M:%SZ; }
