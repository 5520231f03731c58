#!/usr/bin/env node
// Thin launcher: `npm ci` builds dist/ through the prepare script.
import('../dist/src/cli/main.js').then((m) => m.main(process.argv)).catch((err) => {
  console.error(err);
  process.exit(70);
});
