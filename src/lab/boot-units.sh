#!/bin/sh
# What a boot starts on a namespace lab gateway (src/lab/reboot.ts runs it inside the gateway):
#   sh -c "$(cat boot-units.sh)" sh <enabled-dir>
# Lab gateways have no systemd: fleet records an enabled unit as a marker file <enabled-dir>/<unit>.
# For wg-quick@IF this runs `wg-quick up IF` (whose PostUp is fleet's generated IF-up.sh).
# Prints "@@unit <unit>" for each marker, then what the boot did with it. Exit 1 when a unit failed.
export PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin
d=$1
[ -d "$d" ] || exit 0
rc=0
for f in "$d"/*; do
  [ -f "$f" ] || continue
  u=${f##*/}
  echo "@@unit $u"
  case $u in
    wg-quick@*)
      i=${u#wg-quick@}
      [ -d /run/fleet ] || mkdir -m 0700 /run/fleet
      log=/run/fleet/boot-wg-quick-$i.log
      if wg-quick up "$i" </dev/null >"$log" 2>&1; then
        echo "$u: wg-quick up $i: ok"
        # A step of the up script that failed (it goes on with the next) fails the boot.
        if grep -v '^\[#\]' "$log" | grep -E 'fleet:|: step [0-9]+ ' | sed "s|^|$u: |" | grep .; then rc=1; fi
      else
        rc=1
        echo "$u: wg-quick up $i failed:"
        tail -n 20 "$log"
      fi
      ;;
    *) echo "$u: no unit of its own without systemd (fleet's up script runs it)" ;;
  esac
done
exit $rc
