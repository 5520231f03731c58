# shellcheck shell=sh
# The commit-confirmed watchdog (watchdog.ts), a standalone script started with setsid by the
# apply script. $1, $2: the apply script's pid and start time. Inputs: J, R (the run), RUN, WD, TIMEOUT,
# ARMED_WHILE (the run statuses a revert may still need).
# shellcheck disable=SC2154
APPLY_PID=$1; APPLY_START=${2:-}; LOCKED=0
fleet_starttime $$ > "$WD/start"
echo $$ > "$WD/pid"
trap '[ "$LOCKED" = 1 ] && rm -rf "$J/lock"' EXIT
trap 'exit 0' TERM HUP INT
# 1. The timeout counts from the end of the apply (which holds the host lock while it runs).
while fleet_alive "$APPLY_PID" "$APPLY_START"; do sleep 1; done
# Anything but ARMED_WHILE (layout.ts WATCHED_STATUSES): failed and rolled back already.
if ! fleet_status_in "$(cat "$RUN/status" 2>/dev/null)" "$ARMED_WHILE"; then mv "$WD/armed" "$WD/disarmed" 2>/dev/null; exit 0; fi
echo $(( $(date +%s) + TIMEOUT )) > "$WD/deadline"
sleep "$TIMEOUT" &
wait $!
[ -e "$WD/armed" ] || exit 0
# 2. The host lock: a deploy or rollback in progress finishes first; a dead holder's lock is taken over.
fleet_lock_wait "$WD/armed" || exit 0
LOCKED=1
fleet_lock_owner "$R" watchdog "$(hostname)"
# 3. Decide: exactly one of confirm (armed -> confirmed) and fire (armed -> fired) wins the rename.
mv "$WD/armed" "$WD/fired" 2>/dev/null || exit 0
trap '' TERM HUP INT
if fleet_revert_run "$RUN" > "$WD/fire.out" 2>&1; then echo rolled-back > "$RUN/status"; fleet_purge_secrets "$RUN"; else echo rollback-failed > "$RUN/status"; fi
if grep -qx "run=$R" "$J/last-success" 2>/dev/null; then rm -f "$J/last-success"; fi
fleet_now >> "$WD/fired"
