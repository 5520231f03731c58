# shellcheck shell=sh
# fleet status: where systemd runs the metrics timer (roles/metrics), its ActiveState, when it
# last started the writer (seconds since the epoch) and how the writer's last run ended. Read-only.
if [ -d /run/systemd/system ] && [ -f /etc/systemd/system/fleet-metrics.timer ]; then
  fleet_mt_state=$(systemctl show -P ActiveState fleet-metrics.timer 2>/dev/null)
  fleet_mt_last=$(systemctl show -P LastTriggerUSec --timestamp=unix fleet-metrics.timer 2>/dev/null)
  fleet_mt_last=${fleet_mt_last#@}
  fleet_mt_result=$(systemctl show -P Result fleet-metrics.service 2>/dev/null)
  fleet_mark metricstimer "${fleet_mt_state:--}" "${fleet_mt_last:--}" "${fleet_mt_result:--}"
fi
