# shellcheck shell=sh
# The host lock: the directory $J/lock (mkdir is the atomic test-and-set), its owner's run, pid,
# user, controller and start in $J/lock/owner. Deploys, rollbacks, teardowns and the watchdog's
# revert all take it here.
# Input: J, the state directory.
# shellcheck disable=SC2154

# The recorded owner's pid (empty while the owner file is still being written).
fleet_lock_pid() { sed -n 's/^pid=//p' "$J/lock/owner" 2>/dev/null; }

# A lock marker (live or stale) when the host is locked.
fleet_lock_info() {
  if [ -d "$J/lock" ]; then
    pid=$(fleet_lock_pid)
    state=live
    if [ -z "$pid" ] || ! kill -0 "$pid" 2>/dev/null; then state=stale; fi
    fleet_mark lock "$state" "$(cat "$J/lock/owner" 2>/dev/null | fleet_field)"
  fi
}

# fleet_lock_owner RUN USER CONTROLLER: records this shell as the lock's owner.
fleet_lock_owner() {
  printf 'run=%s\npid=%s\nuser=%s\ncontroller=%s\nsince=%s\n' "$1" "$$" "$2" "$3" "$(fleet_now)" > "$J/lock/owner"
}

# fleet_lock RUN: takes the lock for a script (FLEET_USER, FLEET_CONTROLLER, FLEET_BREAK_LOCK set)
# or exits 4 with a lock marker; the lock goes when the script exits.
fleet_lock() {
  [ "${FLEET_BREAK_LOCK:-0}" = 1 ] && rm -rf "$J/lock"
  mkdir -p "$J" && chmod 700 "$J" || { fleet_mark error "$(printf 'cannot create %s' "$J" | fleet_field)"; exit 3; }
  if ! mkdir "$J/lock" 2>/dev/null; then fleet_lock_info; exit 4; fi
  fleet_lock_owner "$1" "$FLEET_USER" "$FLEET_CONTROLLER"
  trap 'rm -rf "$J/lock"' EXIT
  trap 'fleet_interrupted; exit 130' HUP INT TERM PIPE
}

# fleet_lock_wait WHILE_FILE: waits for the lock as long as WHILE_FILE exists (1 once it is gone),
# taking over a lock whose recorded owner is dead.
fleet_lock_wait() {
  while ! mkdir "$J/lock" 2>/dev/null; do
    p=$(fleet_lock_pid)
    if [ -n "$p" ] && ! kill -0 "$p" 2>/dev/null; then rm -rf "$J/lock"; fi
    [ -e "$1" ] || return 1
    sleep 1
  done
}
