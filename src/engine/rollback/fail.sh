# shellcheck shell=sh
# A failed step in the apply script: record it, disarm the run's watchdog, revert every started
# step, and end the script (exit 0: the markers say what happened).
# Input: RUN, the run's journal directory.
# shellcheck disable=SC2154

# fleet_fail K PHASE CODE OUTPUT_FILE
fleet_fail() {
  echo "fail $1" >> "$RUN/log"
  fleet_mark fail "$1" "$2" "$3" "$(tail -c 4000 "$4" 2>/dev/null | fleet_field)"
  fleet_disarm "${RUN##*/}"
  if fleet_revert_run "$RUN"; then echo failed-rolled-back > "$RUN/status"; fleet_purge_secrets "$RUN"; fleet_mark rolledback ok
  else echo rollback-failed > "$RUN/status"; fleet_mark rolledback failed; fi
  exit 0
}
