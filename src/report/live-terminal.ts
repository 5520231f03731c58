/** The live view on a terminal: a frame repainted in place (see live.ts for when it is used). */
import type { FleetEvent } from '../engine/fleet.js';
import { failureLine, renderFrame } from './live-frame.js';
import { LiveState, type LiveEvent } from './live-state.js';
import { REPAINT_MS, type Progress } from './live.js';
import { FramePainter, RESTORE_CURSOR, type TerminalStream } from './terminal.js';

/** The frame on `out`, repainted every REPAINT_MS and on resize; exported for tests. */
export function terminalProgress(out: TerminalStream, hosts: string[], verb: string, check = false): Progress {
  const state = new LiveState(hosts, verb, check);
  const painter = new FramePainter(out);
  let listed = 0;
  const paint = () => {
    // laid out at the size the terminal has now, not the one Node last heard of
    const frame = renderFrame(state, { ...painter.measure(), now: performance.now() });
    // Failures stay on screen above the summary; with a line per host, the host's line says it.
    const above = frame.layout === 'summary' ? state.failures.slice(listed).map(failureLine) : [];
    if (frame.layout === 'summary') listed = state.failures.length;
    painter.paint(frame.lines, above);
  };
  const restore = () => out.write(RESTORE_CURSOR);
  process.once('exit', restore);
  painter.onResize(paint);
  paint();
  const timer = setInterval(paint, REPAINT_MS);
  timer.unref();
  return {
    onEvent: (e: LiveEvent | FleetEvent) => state.onEvent(e),
    async finish() {
      clearInterval(timer);
      paint();
      painter.stop();
      process.off('exit', restore);
    },
  };
}
