# shellcheck shell=sh
# Revert: undoing a run from its journal, and stopping a confirmed deploy's watchdog. The failed
# step's in-script rollback, `rollback --last/--previous`, teardown and the watchdog's own fire all
# revert and disarm through these functions.
# Input: J, the state directory.
# shellcheck disable=SC2154

# fleet_revert_run DIR: undoes the run's started steps in reverse, each once (the log records
# "reverted K"), then its deferred work; 1 when any revert failed. A step whose secret backup was
# purged (journal.sh) stays as deployed: a kept marker says so.
fleet_revert_run() {
  d=$1; rf=0
  # in reverse of the order the steps started (a removal's index is not its place in the run)
  for k in $(sed -n 's/^start //p' "$d/log" | sed -n '1!G;h;$p'); do
    grep -qx "reverted $k" "$d/log" && continue
    # a step whose check held at apply time changed nothing (its revert could undo what was there)
    grep -qx "skip $k" "$d/log" && continue
    if grep -qx "purged $k" "$d/log"; then fleet_mark kept "$k"; continue; fi
    # shellcheck disable=SC1090,SC1091
    if ( export FLEET_STATE="$d/steps/$k/state" FLEET_DEFER="$d/defer"; . "$d/steps/$k/revert.sh" ) >"$d/steps/$k/revert.out" 2>&1; then
      echo "reverted $k" >> "$d/log"; fleet_mark reverted "$k"
    else
      rf=1; fleet_mark revertfail "$k" "$(tail -c 2000 "$d/steps/$k/revert.out" | fleet_field)"
    fi
  done
  if [ -f "$d/defer" ]; then
    # shellcheck disable=SC1090,SC1091
    if ( . "$d/defer" ) >"$d/defer.out" 2>&1; then rm -f "$d/defer"; else rf=1; fleet_mark revertfail defer "$(tail -c 2000 "$d/defer.out" | fleet_field)"; fi
  fi
  # what fleet applied, as it was before the run (journal/applied.sh)
  fleet_applied_restore "$d" || { rf=1; fleet_mark revertfail applied -; }
  return $rf
}

# fleet_watchdog_stop WD TO: wins the rename of WD/armed to WD/TO (1 when the watchdog fired or
# was stopped already), then ends the watchdog's process group and removes WD.
fleet_watchdog_stop() {
  mv "$1/armed" "$1/$2" 2>/dev/null || return 1
  p=$(cat "$1/pid" 2>/dev/null); s=$(cat "$1/start" 2>/dev/null)
  # only the watchdog itself: its pid may have been reused (a reboot, a long wait)
  if fleet_alive "$p" "$s"; then kill -TERM "-$p" 2>/dev/null || kill -TERM "$p" 2>/dev/null
    i=0; while fleet_alive "$p" "$s" && [ $i -lt 50 ]; do sleep 0.1; i=$((i+1)); done; fi
  rm -rf "$1"
}

# fleet_disarm [RUN]: stops RUN's armed watchdog (every one without RUN).
fleet_disarm() {
  for w in "$J"/watchdog/${1:-*}; do
    [ -d "$w" ] || continue
    if fleet_watchdog_stop "$w" disarmed; then fleet_mark disarmed "${w##*/}"; fi
  done
}
