#!/bin/sh
# One boot of a systemd lab gateway (started by nspawn-supervise.sh as
# `unshare --mount --propagation slave sh nspawn-boot.sh`): joins the gateway's cgroups, mounts its
# disk (the image's layers under its own upper dir) in this private mount namespace, and execs
# systemd-nspawn. Everything mounted here disappears when nspawn exits, also when it is killed.
#
# Environment (set by src/lab/systemd-gateway.ts): GW, NETNS, GWDIR, LOWER, CGROUP_ROOTS.
set -eu

# Each gateway its own cgroup: nspawn (--keep-unit) makes its supervisor and payload cgroups
# below the one it starts in, and two containers in one cgroup would share one init.scope.
for r in $CGROUP_ROOTS; do
  mkdir -p "$r/$GW"
  echo $$ >"$r/$GW/cgroup.procs"
done

# nspawn joins the namespace through this descriptor: the tmpfs below hides /run/netns.
exec 3<"/run/netns/$NETNS"
# nspawn keeps its runtime files in /run/systemd/nspawn: in this mount namespace's own /run, so
# nothing is left in the machine's /run, and two gateways never share them.
mount -t tmpfs -o mode=0755,nosuid,nodev,size=4m tmpfs /run

# The previous boot's overlay may take a moment to be released after its namespace went away.
i=0
until mount -t overlay overlay -o "lowerdir=$LOWER,upperdir=$GWDIR/upper,workdir=$GWDIR/work" "$GWDIR/root" 2>"$GWDIR/mount.err"; do
  i=$((i + 1))
  if [ "$i" -ge 50 ]; then
    cat "$GWDIR/mount.err" >&2
    exit 1
  fi
  sleep 0.1
done
rm -f "$GWDIR/mount.err"

# CAP_NET_ADMIN: the gateway configures its own network (without it lo stays down and iptables,
# tun and wg-quick fail). /proc/sys/net writable: its sysctls are its own namespace's.
# --register=no --keep-unit: the machine has no systemd-machined nor a system bus to ask.
SYSTEMD_NSPAWN_API_VFS_WRITABLE=network
export SYSTEMD_NSPAWN_API_VFS_WRITABLE
exec systemd-nspawn --quiet --directory="$GWDIR/root" --boot --machine="$GW" \
  --register=no --keep-unit --console=pipe --settings=no \
  --link-journal=no --resolv-conf=off --timezone=off \
  --network-namespace-path=/proc/self/fd/3 --capability=CAP_NET_ADMIN </dev/null
