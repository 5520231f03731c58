# shellcheck shell=sh
# fleet status: where systemd runs the metrics timer (roles/metrics), its ActiveState, when it
# last started the writer (seconds since the epoch) and how the writer's last run ended. Read-only.
if [ -d /run/systemd/system ] && [ -f /etc/systemd/system/fleet-metrics.timer ]; then
  fleet_mt_state=$(systemctl show -P ActiveState fleet-metrics.timer 2>/dev/null)
  # "Thu 2026-12-03 11:48:01 UTC" (or "n/a" before the first run): GNU date reads the former.
  fleet_mt_last=$(date -d "$(systemctl show -P LastTriggerUSec fleet-metrics.timer 2>/dev/null)" +%s 2>/dev/null)
  fleet_mt_result=$(systemctl show -P Result fleet-metrics.service 2>/dev/null)
  fleet_mark metricstimer "${fleet_mt_state:--}" "${fleet_mt_last:--}" "${fleet_mt_result:--}"
fi
