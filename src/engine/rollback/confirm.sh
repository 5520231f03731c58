# shellcheck shell=sh
# Confirm over a new connection: win the rename, then stop the watchdog; the run is complete and
# confirmed, so its secret backups go. Inputs: WD, RUN.
# shellcheck disable=SC2154
if fleet_watchdog_stop "$WD" confirmed; then fleet_purge_secrets "$RUN"; fleet_mark confirmed
elif [ -e "$WD/fired" ]; then fleet_mark fired
else fleet_mark nowatchdog; fi
