# shellcheck shell=sh
# The apply script's arming fragment, after the lock and the run's journal exist: starts
# RUN/watchdog.sh (written just before) in its own session, its fds on /dev/null, so it survives
# the SSH session and the controller. Inputs: RUN, WD.
# shellcheck disable=SC2154
: > "$WD/armed"
setsid sh "$RUN/watchdog.sh" "$$" "$(fleet_starttime $$)" </dev/null >/dev/null 2>&1 &
i=0; while [ ! -s "$WD/pid" ] && [ $i -lt 50 ]; do sleep 0.1; i=$((i+1)); done
p=$(cat "$WD/pid" 2>/dev/null); fleet_mark armed "${p:--}"
