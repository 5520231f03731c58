/**
 * The lab's shell programs are real files: each parses with `sh -n` and passes
 * `shellcheck -S warning` (Debian's shellcheck; src/lab/install-deps.sh installs it).
 */
import { readdirSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { checkShellFiles } from '../../test/support/shell-files.js';

const dir = path.dirname(fileURLToPath(import.meta.url));
const scripts = readdirSync(dir).filter((f) => f.endsWith('.sh')).sort();

describe('the lab shell programs', () => {
  it('are there', () => {
    expect(scripts).toEqual(expect.arrayContaining(['gateway-init.sh', 'client-init.sh', 'nspawn-supervise.sh', 'nspawn-boot.sh', 'image-build.sh', 'image-customize.sh', 'snapshot.sh']));
  });

  checkShellFiles(dir, scripts);
});
