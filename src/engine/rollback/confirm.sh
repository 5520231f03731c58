# shellcheck shell=sh
# Confirm over a new connection: win the rename, then stop the watchdog. Input: WD.
# shellcheck disable=SC2154
if fleet_watchdog_stop "$WD" confirmed; then fleet_mark confirmed
elif [ -e "$WD/fired" ]; then fleet_mark fired
else fleet_mark nowatchdog; fi
