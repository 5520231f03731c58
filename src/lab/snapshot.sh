#!/bin/sh
# Everything a deploy may change on a lab gateway, in sections (src/lab/exec.ts parses them):
#   sh -c "$(cat snapshot.sh)" sh <dir>...
# The dirs are those whose files' content, mode and owner are recorded. Where systemd is PID 1
# (systemd lab gateways) it also records the services' states, the enabled units, the files in
# /etc/systemd/system, and which processes belong to login sessions (user.slice: not daemons).
export LC_ALL=C
echo "@@self $$"
for t in filter nat mangle raw security; do
  echo "@@iptables $t"
  iptables-save -t "$t" 2>&1
done
for t in filter nat mangle raw security; do
  echo "@@ip6tables $t"
  ip6tables-save -t "$t" 2>&1
done
echo "@@sysctl"
sysctl net.ipv4.ip_forward net.ipv6.conf.all.forwarding 2>&1
for f in /proc/sys/net/ipv6/conf/*/accept_ra; do
  [ -e "$f" ] && echo "$f $(cat "$f")"
done
echo "@@rule"
ip -4 rule show 2>&1
echo "@@rule6"
ip -6 rule show 2>&1
echo "@@route"
ip -4 route show table all 2>&1
echo "@@route6"
ip -6 route show table all 2>&1
echo "@@addr6"
ip -6 -o addr show scope global 2>&1
echo "@@link"
ip -d -o link show 2>&1
echo "@@addr"
ip -4 -o addr show 2>&1
echo "@@netns"
ip netns list 2>&1
# Each file below the given dirs: its kind, mode, owner and content's hash (a link: its target).
list_files() {
  for d in "$@"; do
    [ -e "$d" ] || continue
    find "$d" | sort | while IFS= read -r f; do
      if [ -L "$f" ]; then echo "$f link $(stat -c '%a %U:%G' "$f") -> $(readlink "$f")"
      elif [ -d "$f" ]; then echo "$f dir $(stat -c '%a %U:%G' "$f")"
      elif [ -f "$f" ]; then echo "$f file $(stat -c '%a %U:%G' "$f") $(sha256sum <"$f" | cut -d' ' -f1)"
      else echo "$f other $(stat -c '%a %U:%G %F' "$f")"
      fi
    done
  done
}
echo "@@files"
list_files "$@"
echo "@@ps"
ps -e -ww -o pid=,ppid=,comm=,args=
[ -d /run/systemd/system ] || exit 0
echo "@@units"
systemctl list-units --all --type=service --no-legend --plain --no-pager 2>&1
echo "@@enabled"
for f in /etc/systemd/system/*.wants/*; do [ -e "$f" ] && echo "${f##*/}"; done | sort -u
# The local unit files, drop-ins and enablement links (fleet's OpenVPN drop-in, its timers).
echo "@@unitfiles"
list_files /etc/systemd/system
echo "@@usercg"
# Logins' processes: their sessions and user managers (user.slice), and the helper that removes a
# user's runtime dir once its last login has ended (user-runtime-dir@UID.service, in system.slice).
for p in /proc/[0-9]*; do
  if grep -qE ':/user.slice|/user-runtime-dir@' "$p/cgroup" 2>/dev/null; then echo "${p#/proc/}"; fi
done
