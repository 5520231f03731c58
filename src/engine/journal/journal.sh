# shellcheck shell=sh
# The on-host journal: $J/runs/<run>/{meta,status,log,steps/K/...} (layout.ts), $J/last-success.
# Inputs: J, the state directory; RUN, the current run's directory once it exists.
# shellcheck disable=SC2154

fleet_interrupted() { [ -n "${RUN:-}" ] && [ "$(cat "$RUN/status" 2>/dev/null)" = running ] && echo interrupted > "$RUN/status"; }

# The newest run, in fleet_r: run ids sort by time, and so does the glob (byte order under LC_ALL=C).
fleet_latest() { fleet_r=; for fleet_d in "$J"/runs/*; do [ -d "$fleet_d" ] && fleet_r=${fleet_d##*/}; done; }

fleet_watchdog_facts() {
  for w in "$J"/watchdog/*; do
    [ -d "$w" ] || continue
    if [ -e "$w/armed" ]; then a=gone; fleet_watchdog_alive "$w" && a=live
      to=$(cat "$w/timeout" 2>/dev/null); dl=$(cat "$w/deadline" 2>/dev/null)
      fleet_mark watchdog "${w##*/}" armed "$a" "${to:--}" "${dl:--}"
    elif [ -e "$w/fired" ]; then at=$(tail -n 1 "$w/fired" 2>/dev/null | tr -d ' '); fleet_mark watchdog "${w##*/}" fired - - "${at:--}"; fi
  done
}

# fleet_watchdog_alive WD: the watchdog's process (its pid and start time) still runs.
fleet_watchdog_alive() { fleet_alive "$(cat "$1/pid" 2>/dev/null)" "$(cat "$1/start" 2>/dev/null)"; }

# What every script reports first: the lock, the watchdogs, the runs kept, the newest run, the
# last success.
fleet_journal_facts() {
  fleet_lock_info
  fleet_watchdog_facts
  n=0; for d in "$J"/runs/*; do [ -d "$d" ] && n=$((n+1)); done
  fleet_mark runs "$n"
  fleet_latest; r=$fleet_r
  if [ -n "$r" ]; then
    st=unknown; [ -f "$J/runs/$r/status" ] && read -r st < "$J/runs/$r/status"
    if [ -f "$J/runs/$r/meta" ]; then m=$(fleet_b64 < "$J/runs/$r/meta"); else m=-; fi
    fleet_mark journal "$r" "${st:-unknown}" "${m:--}"
  fi
  if [ -f "$J/last-success" ]; then fleet_mark lastsuccess "$(fleet_field < "$J/last-success")"; fi
}

# fleet_status_in STATUS LIST: STATUS is one of the space-separated LIST.
fleet_status_in() { for fleet_s in $2; do [ "$1" = "$fleet_s" ] && return 0; done; return 1; }

# fleet_refuse_unfinished LIST: exits 5 with an unfinished marker when the newest run's status is
# in LIST (it must be rolled back or finished before anything else touches the host).
fleet_refuse_unfinished() {
  fleet_latest; r=$fleet_r
  [ -n "$r" ] || return 0
  st=$(cat "$J/runs/$r/status" 2>/dev/null)
  if fleet_status_in "$st" "$1"; then fleet_mark unfinished "$r" "$st"; exit 5; fi
}

# fleet_purge_secrets DIR: removes the backups (with a revert that holds a vaulted value) and the
# outputs of the run's secret steps (steps/K/secret marks one) once no revert can need them; a
# later revert leaves those steps as deployed ("purged K").
fleet_purge_secrets() {
  for fleet_p in "$1"/steps/*/secret; do
    [ -f "$fleet_p" ] || continue
    fleet_p=${fleet_p%/secret}
    rm -rf "$fleet_p/state" "$fleet_p/out" "$fleet_p/check.err" "$fleet_p/verify.out" "$fleet_p/revert.out" && rm -f "$fleet_p/secret" && echo "purged ${fleet_p##*/}" >> "$1/log"
  done
}

# fleet_settle_runs KEEP: before a new run: the secret backups of every earlier run go (its
# watchdog, if any, can no longer fire), and only the newest KEEP runs' journals stay.
fleet_settle_runs() {
  n=0
  for d in "$J"/runs/*; do
    [ -d "$d" ] || continue
    n=$((n+1))
    [ -e "$J/watchdog/${d##*/}/armed" ] || fleet_purge_secrets "$d"
  done
  for d in "$J"/runs/*; do
    [ "$n" -gt "$1" ] || break
    [ -d "$d" ] && [ ! -e "$J/watchdog/${d##*/}/armed" ] || continue
    rm -rf "$d" "$J/watchdog/${d##*/}"; n=$((n-1))
  done
}

# After a clean teardown: the host keeps no run state but this run's record (no backups, no
# watchdogs). Input: RUN.
fleet_forget_runs() {
  for d in "$J"/runs/*; do [ -d "$d" ] && [ "$d" != "$RUN" ] && rm -rf "$d"; done
  rm -rf "$J/watchdog"
}
