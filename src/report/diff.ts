/** --diff: unified diffs where a module shows content, and one line per other change. Secrets never appear. */
import { createTwoFilesPatch } from 'diff';
import type { PlanItem } from '../engine/plan.js';
import { changeView } from '../modules/index.js';

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
  if (item.desired.removal !== undefined) return `  - ${r.id}${why}`;
  const view = changeView(r, item.current);
  if (view) {
    const below = [...(view.lines ?? []).map((l) => `      ${l}`), ...(view.content ? [unified(r.id, view.content.before, view.content.after)] : [])];
    return [`  ${view.sign} ${r.id}${view.head}`, ...below].join('\n');
  }
  if (r.secret) return `  ~ ${r.id}${why}`;
  const now = item.current.trim();
  return now ? `  ~ ${r.id}${why}\n      now: ${now.split('\n').join('\n           ')}` : `  + ${r.id}${why}`;
}
