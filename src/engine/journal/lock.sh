# shellcheck shell=sh
# The host lock: the directory $J/lock (mkdir is the atomic test-and-set), its owner's run, pid,
# process start time, user, controller and since in $J/lock/owner. Deploys, rollbacks, teardowns
# and the watchdog's revert all take it here.
# Input: J, the state directory.
# shellcheck disable=SC2154

# fleet_starttime PID: the process's start time (/proc/PID/stat field 22, clock ticks since boot).
# A pid alone can be reused after its process died; the pid and its start time name one process.
fleet_starttime() {
  fleet_st=
  { read -r fleet_st < "/proc/$1/stat"; } 2>/dev/null || return 1
  # past "PID (COMMAND) ": the command may hold spaces and parentheses; field 3 comes next
  fleet_st=${fleet_st##*) }
  # shellcheck disable=SC2086
  set -- $fleet_st
  [ $# -ge 20 ] || return 1
  shift 19
  printf '%s\n' "$1"
}

# fleet_alive PID [START]: that process runs (with START: the same process, not a reused pid).
fleet_alive() {
  [ -n "$1" ] && kill -0 "$1" 2>/dev/null || return 1
  [ -z "${2:-}" ] || [ "$(fleet_starttime "$1")" = "$2" ]
}

# fleet_lock_held: the lock's owner still runs. A lock whose owner is not recorded yet is held
# while it is fresh (its taker is writing the owner) and dead after a minute.
fleet_lock_held() {
  fleet_lpid=; fleet_lstart=
  if [ -f "$J/lock/owner" ]; then
    while IFS='=' read -r fleet_k fleet_v; do
      case $fleet_k in pid) fleet_lpid=$fleet_v ;; start) fleet_lstart=$fleet_v ;; esac
    done < "$J/lock/owner"
  fi
  if [ -z "$fleet_lpid" ]; then [ -z "$(find "$J/lock" -maxdepth 0 -mmin +1 2>/dev/null)" ]; return; fi
  fleet_alive "$fleet_lpid" "$fleet_lstart"
}

fleet_lock_record() { cat "$J/lock/owner" 2>/dev/null | fleet_field; }

# A lock marker (live or stale) when the host is locked.
fleet_lock_info() {
  if [ -d "$J/lock" ]; then
    state=live
    fleet_lock_held || state=stale
    fleet_mark lock "$state" "$(fleet_lock_record)"
  fi
}

# fleet_lock_owner RUN USER CONTROLLER: records this shell as the lock's owner.
fleet_lock_owner() {
  printf 'run=%s\npid=%s\nstart=%s\nuser=%s\ncontroller=%s\nsince=%s\n' "$1" "$$" "$(fleet_starttime $$)" "$2" "$3" "$(fleet_now)" > "$J/lock/owner"
}

# fleet_lock RUN: takes the lock for a script (FLEET_USER, FLEET_CONTROLLER, FLEET_BREAK_LOCK set)
# or exits 4 with a lock marker; the lock goes when the script exits. FLEET_BREAK_LOCK=1 breaks a
# lock whose owner is dead (a brokelock marker says whose), never a live one.
fleet_lock() {
  mkdir -p "$J" && chmod 700 "$J" || { fleet_mark error "$(printf 'cannot create %s' "$J" | fleet_field)"; exit 3; }
  if [ "${FLEET_BREAK_LOCK:-0}" = 1 ] && [ -d "$J/lock" ] && ! fleet_lock_held; then
    fleet_mark brokelock "$(fleet_lock_record)"
    rm -rf "$J/lock"
  fi
  if ! mkdir "$J/lock" 2>/dev/null; then fleet_lock_info; exit 4; fi
  fleet_lock_owner "$1" "$FLEET_USER" "$FLEET_CONTROLLER"
  trap 'rm -rf "$J/lock"' EXIT
  trap 'fleet_interrupted; exit 130' HUP INT TERM PIPE
}

# fleet_lock_wait WHILE_FILE: waits for the lock as long as WHILE_FILE exists (1 once it is gone),
# taking over a lock whose owner is dead.
fleet_lock_wait() {
  while ! mkdir "$J/lock" 2>/dev/null; do
    fleet_lock_held || rm -rf "$J/lock"
    [ -e "$1" ] || return 1
    sleep 1
  done
}
