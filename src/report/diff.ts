/** --diff: unified diffs for files, and one line per other change. Secrets never appear. */
import { createTwoFilesPatch } from 'diff';
import type { PlanItem } from '../engine/plan.js';

export function itemDiff(item: PlanItem): string {
  const r = item.desired.resource;
  if (r.secret) return `  ~ ${r.id}: (secret content differs; not shown)`;
  if (r.desiredContent !== undefined) {
    const patch = createTwoFilesPatch(`${r.id} (on host)`, `${r.id} (desired)`, item.current, r.desiredContent, '', '', { context: 2 });
    return patch
      .split('\n')
      .slice(2)
      .map((l) => `    ${l}`)
      .join('\n')
      .trimEnd();
  }
  return item.current ? `  ~ ${r.id}\n      now: ${item.current.split('\n').join('\n           ')}` : `  + ${r.id}`;
}
