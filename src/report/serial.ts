/** The recap's lines for a rolling deploy (--serial): each batch, its gate, and where it stopped. */
import type { SerialJson } from './json.js';
import { color } from './format.js';

export function serialRecap(serial: SerialJson): string {
  const lines = [`\nrolling deploy --serial ${serial.spec}: ${serial.batches.length} batch(es) run`];
  for (const b of serial.batches) {
    const hosts = b.hosts.length > 4 ? `${b.hosts.slice(0, 4).join(', ')}, ... (${b.hosts.length})` : b.hosts.join(', ');
    const gate = b.gate === 'passed' ? color('green', 'gate passed') : b.gate === 'failed' ? color('red', 'gate FAILED') : 'no gate';
    lines.push(`  batch ${b.batch}: ${hosts}: ${gate}`);
  }
  if (serial.stopped) lines.push(color('red', `  stopped after batch ${serial.stopped.batch}: ${serial.stopped.reason}; later batches were not started`));
  return lines.join('\n');
}
