/** docs/errors.md, generated from the catalogue (a test regenerates it and compares). */
import { CATALOGUE, EXIT } from './catalogue.js';

export function errorsMarkdown(): string {
  const out = [
    '# Errors',
    '',
    '<!-- Generated from src/errors/catalogue.ts by `node dist/src/errors/write-docs.js`; do not edit. -->',
    '',
    'Every error fleet reports carries one of these codes (`--json`: `error.code`). A command that',
    'stops on an error exits with the code shown; a deploy, rollback or status over many hosts exits',
    `${EXIT.HOSTS_FAILED} when any host failed and ${EXIT.HOSTS_UNREACHABLE} when some were unreachable and none failed.`,
    '',
  ];
  for (const [code, e] of Object.entries(CATALOGUE)) {
    out.push(`## ${code}: ${e.title}`, '', `- **What happened:** ${e.what}`, `- **Why:** ${e.why}`, `- **What to do:** ${e.todo}`, `- **Exit code:** ${EXIT[e.exit]}`, '');
  }
  return out.join('\n');
}
