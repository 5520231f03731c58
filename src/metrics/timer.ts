/**
 * The metrics timer in `fleet status` (systemd gateways with metrics_textfile): whether
 * fleet-metrics.timer is active, how long ago it last started the writer, and how that run ended.
 */
import { markersOf, type Marker } from '../engine/protocol/markers.js';
import { shellAsset } from '../shell/asset.js';
import { Shell } from '../shell/sh.js';

export interface MetricsTimerStatus {
  /** The timer's ActiveState: active while it waits for its next run. */
  state: string;
  /** Seconds since it last started fleet-metrics.service; undefined before the first run. */
  lastRunAgeS?: number;
  /** The service's Result: success, or why its last run failed (exit-code, timeout, ...). */
  lastResult?: string;
}

/** Prints a `metricstimer` marker where systemd runs the timer; nothing elsewhere. */
export function metricsTimerProbe(): Shell {
  return Shell.raw(shellAsset(import.meta.url, 'timer-probe.sh'));
}

export function parseMetricsTimer(markers: Marker[], nowS = Date.now() / 1000): MetricsTimerStatus | undefined {
  const m = markersOf(markers, 'metricstimer')[0];
  if (!m) return undefined;
  const out: MetricsTimerStatus = { state: m.state || 'unknown' };
  if (m.last !== undefined && m.last > 0) out.lastRunAgeS = Math.max(0, Math.round(nowS - m.last));
  if (m.result) out.lastResult = m.result;
  return out;
}
