# shellcheck shell=sh
# `rollback --last/--previous`: reverts the newest run when its status is one of WANTED (the
# lock is held). Inputs: J, WANTED (space-separated statuses).
# shellcheck disable=SC2154
fleet_latest; r=$fleet_r
if [ -z "$r" ]; then fleet_mark norun; exit 0; fi
RUN="$J/runs/$r"; st=$(cat "$RUN/status" 2>/dev/null)
if ! fleet_status_in "$st" "$WANTED"; then fleet_mark notapplicable "$r" "${st:--}"; exit 0; fi
fleet_mark reverting "$r" "${st:--}"
fleet_disarm "$r"
if fleet_revert_run "$RUN"; then echo rolled-back > "$RUN/status"; fleet_purge_secrets "$RUN"; fleet_mark rolledback ok
else echo rollback-failed > "$RUN/status"; fleet_mark rolledback failed; fi
