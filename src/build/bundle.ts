/**
 * Build step after `tsc` and copy-assets: bundles the CLI (dist/src/cli/main.js and everything it
 * imports) into dist/bundle/, which bin/fleet.js runs. Node then resolves, reads and compiles a
 * handful of files instead of ~400. Each command's module, behind main's dynamic import, becomes
 * its own chunk, so a command still loads only what it runs.
 *
 * Two things keep behaving as they do unbundled:
 * - `import.meta.url` in our modules still names the module's own file under dist/src/ (rewritten
 *   relative to the chunk, which sits in dist/bundle/), so shellAsset, the lab's scripts and the
 *   roles/ lookup find what copy-assets put beside the compiled modules;
 * - ssh2 and cpu-features stay external (loaded from node_modules at run time): they load native
 *   addons by path. A bundled CommonJS module's require() of them goes to a real require.
 *
 * One thing is left out: zod's translations of its messages into ~40 languages (a fifth of the
 * code every command with an inventory compiles). fleet writes its own messages and never selects
 * a locale; the build fails if our code starts to use `locales`.
 */
import { rmSync, writeFileSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { build, type Plugin } from 'esbuild';

/** Packages left to Node's own loader (native addons). */
export const EXTERNAL = ['ssh2', 'cpu-features'];

/** An esbuild plugin: `import.meta.url` in a module under `srcDir` keeps naming that module's own file. */
export function moduleUrlPlugin(srcDir: string, outDir: string): Plugin {
  const prefix = srcDir.endsWith(path.sep) ? srcDir : srcDir + path.sep;
  return {
    name: 'fleet-module-url',
    setup(b) {
      b.onLoad({ filter: /\.js$/ }, async (args) => {
        if (!args.path.startsWith(prefix)) return undefined;
        const text = await readFile(args.path, 'utf8');
        if (!text.includes('import.meta.url')) return undefined;
        const rel = path.relative(outDir, args.path).split(path.sep).join('/');
        return { contents: text.replaceAll('import.meta.url', `new URL(${JSON.stringify(rel)}, import.meta.url).href`), loader: 'js', resolveDir: path.dirname(args.path) };
      });
    },
  };
}

/**
 * An esbuild plugin: zod's `locales` namespace holds English only (the default it configures itself
 * with). Fails the build when a module under `srcDir` mentions `locales`: then the plugin must go.
 */
export function zodEnglishOnlyPlugin(srcDir: string): Plugin {
  const prefix = srcDir.endsWith(path.sep) ? srcDir : srcDir + path.sep;
  return {
    name: 'fleet-zod-english-only',
    setup(b) {
      b.onLoad({ filter: /\.js$/ }, async (args) => {
        if (!args.path.startsWith(prefix)) return undefined;
        const text = await readFile(args.path, 'utf8');
        if (/\blocales\b/.test(text)) return { errors: [{ text: `${args.path} uses zod's locales, which the bundle leaves out (src/build/bundle.ts)` }] };
        return undefined;
      });
      b.onResolve({ filter: /\/locales\/index\.js$/ }, (args) => (/[\\/]node_modules[\\/]zod[\\/]/.test(args.importer) ? { path: path.resolve(args.resolveDir, args.path), namespace: 'zod-locales' } : undefined));
      b.onLoad({ filter: /.*/, namespace: 'zod-locales' }, (args) => ({ contents: 'export { default as en } from "./en.js";\n', resolveDir: path.dirname(args.path), loader: 'js' }));
    },
  };
}

export async function bundleCli(dist: string): Promise<void> {
  const srcDir = path.join(dist, 'src');
  const outDir = path.join(dist, 'bundle');
  // Chunk names carry a content hash: a stale chunk of an earlier build would stay forever.
  rmSync(outDir, { recursive: true, force: true });
  const result = await build({
    entryPoints: { main: path.join(srcDir, 'cli', 'main.js') },
    outdir: outDir,
    // Chunks beside the entry: the relative URLs of moduleUrlPlugin assume one directory.
    chunkNames: '[name]-[hash]',
    bundle: true,
    splitting: true,
    format: 'esm',
    platform: 'node',
    target: 'node20',
    external: EXTERNAL,
    banner: { js: "import { createRequire as __fleetCreateRequire } from 'node:module';\nconst require = __fleetCreateRequire(import.meta.url);" },
    plugins: [zodEnglishOnlyPlugin(srcDir), moduleUrlPlugin(srcDir, outDir)],
    sourcemap: 'linked',
    metafile: true,
    logLevel: 'warning',
  });
  // What each chunk holds, for `npx esbuild-visualizer`-style inspection and for the test that
  // keeps heavy packages out of the start-up path.
  writeFileSync(path.join(outDir, 'meta.json'), JSON.stringify(result.metafile));
}

// This file runs as dist/src/build/bundle.js.
if (process.argv[1] && path.resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  const dist = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');
  await bundleCli(dist);
}
