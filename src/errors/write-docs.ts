/** Writes docs/errors.md from the catalogue: `npm run build && node dist/src/errors/write-docs.js`. */
import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { errorsMarkdown } from './docs.js';

// dist/src/errors/write-docs.js: the repository is three levels up.
const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..', '..');
writeFileSync(path.join(root, 'docs', 'errors.md'), errorsMarkdown());
