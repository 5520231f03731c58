/** --diff: unified diffs for files, and one line per other change. Secrets never appear. */
import { createTwoFilesPatch } from 'diff';
import type { PlanItem } from '../engine/plan.js';
import { parseFileCheckOutput } from '../modules/file.js';

function unified(name: string, before: string, after: string): string {
  return createTwoFilesPatch(`${name} (on host)`, `${name} (desired)`, before, after, '', '', { context: 2 })
    .split('\n')
    .slice(2)
    .map((l) => `    ${l}`)
    .join('\n')
    .trimEnd();
}

export function itemDiff(item: PlanItem): string {
  const r = item.desired.resource;
  const why = item.because ? ` (${item.because})` : '';
  if (r.module === 'file') {
    const now = parseFileCheckOutput(item.current);
    if (r.secret) return `  ~ ${r.id}: secret content${now?.state === 'absent' ? ' (new file)' : ''}; not shown`;
    if (!now || now.state === 'absent') return `  + ${r.id} (new file)\n${unified(r.id, '', r.desiredContent ?? '')}`;
    const meta = `mode ${now.mode} owner ${now.owner}:${now.group}`;
    if (now.contentMatches) return `  ~ ${r.id}: content same; now ${meta}`;
    return `  ~ ${r.id}\n${unified(r.id, now.content ?? '', r.desiredContent ?? '')}`;
  }
  if (r.secret) return `  ~ ${r.id}${why}`;
  const now = item.current.trim();
  return now ? `  ~ ${r.id}${why}\n      now: ${now.split('\n').join('\n           ')}` : `  + ${r.id}${why}`;
}
