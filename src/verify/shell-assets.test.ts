/** verify's gateway programs are real files: each parses with `sh -n` and passes `shellcheck -S warning`. */
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe } from 'vitest';
import { checkShellFiles } from '../../test/support/shell-files.js';

const dir = path.dirname(fileURLToPath(import.meta.url));
const scripts = ['probe.sh', 'cleanup.sh'];

describe('the verify shell programs', () => {
  checkShellFiles(dir, scripts);
});
