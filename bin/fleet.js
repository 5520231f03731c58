#!/usr/bin/env node
// Thin launcher: `npm ci` builds dist/ (and the bundle in dist/bundle/) through the prepare script.
import module from 'node:module';

// Node 22.8+ keeps the compiled code of the modules on disk between runs (in $NODE_COMPILE_CACHE,
// else the system's temp directory; NODE_DISABLE_COMPILE_CACHE=1 turns it off). Node 20 has no
// such cache and starts as before.
module.enableCompileCache?.();

import('../dist/bundle/main.js').then((m) => m.main(process.argv)).catch((err) => {
  console.error(err);
  process.exit(70);
});
