/**
 * The bundled CLI (dist/bundle/, built by `npm test`'s pretest): each command line loads only what
 * it needs, and a bundled module still finds its own files (shell assets, roles/) through
 * `import.meta.url`. Start-up time itself is measured by the benchmark, never here.
 */
import { mkdtempSync, readFileSync, rmSync, writeFileSync, mkdirSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { build, type Metafile } from 'esbuild';
import { afterAll, describe, expect, it } from 'vitest';
import { moduleUrlPlugin, zodEnglishOnlyPlugin } from '../src/build/bundle.js';
import { fleetCli } from './lab/cli.js';

const meta = JSON.parse(readFileSync('dist/bundle/meta.json', 'utf8')) as Metafile;

/** Output file of the module `input` (a path under dist/src/) when it is an entry or a dynamic import's chunk. */
function outputOf(input: string): string {
  const found = Object.entries(meta.outputs).find(([, o]) => o.entryPoint === input);
  expect(found, `no chunk for ${input}`).toBeDefined();
  return found![0];
}

/** The packages (and our source directories) a chunk loads before it runs: its static imports, transitively. */
function loadedBy(output: string): Set<string> {
  const seen = new Set<string>();
  const todo = [output];
  const what = new Set<string>();
  while (todo.length) {
    const o = todo.pop()!;
    if (seen.has(o)) continue;
    seen.add(o);
    for (const input of Object.keys(meta.outputs[o]!.inputs)) {
      const m = /node_modules\/((?:@[^/]+\/)?[^/]+)/.exec(input);
      what.add(m ? m[1]! : input.replace(/^dist\/src\/([^/]+)\/.*$/, 'src/$1'));
    }
    for (const imp of meta.outputs[o]!.imports) {
      if (imp.kind === 'dynamic-import') continue;
      if (imp.external) what.add(imp.path);
      else todo.push(imp.path);
    }
  }
  return what;
}

describe('what a command line loads', () => {
  const HEAVY = ['zod', 'yaml', 'nunjucks', 'node-ssh', 'ssh2', 'diff', 'string-width', 'cli-truncate', 'uqr', 'p-limit'];

  it('fleet --version: commander and main, none of the heavy packages', () => {
    const loaded = loadedBy(outputOf('dist/src/cli/main.js'));
    expect(loaded).toContain('commander');
    for (const p of HEAVY) expect(loaded, p).not.toContain(p);
    expect([...loaded].filter((x) => x.startsWith('src/'))).toEqual(expect.arrayContaining(['src/cli']));
    expect(loaded).not.toContain('src/inventory');
  });

  it('fleet inventory: the inventory (yaml, zod), no SSH, templates, diffs or live view', () => {
    const loaded = loadedBy(outputOf('dist/src/cli/inventory.js'));
    expect(loaded).toContain('yaml');
    expect(loaded).toContain('zod');
    for (const p of ['nunjucks', 'node-ssh', 'ssh2', 'diff', 'string-width', 'cli-truncate', 'uqr', 'src/transport', 'src/engine', 'src/lab']) expect(loaded, p).not.toContain(p);
  });

  it('fleet deploy: SSH and templates, but the live view and jsdiff only when used, and nothing of the lab or peers', () => {
    const loaded = loadedBy(outputOf('dist/src/cli/deploy.js'));
    for (const p of ['node-ssh', 'ssh2', 'nunjucks', 'zod', 'yaml']) expect(loaded, p).toContain(p);
    for (const p of ['diff', 'string-width', 'cli-truncate', 'uqr', 'src/lab', 'src/peers']) expect(loaded, p).not.toContain(p);
    // ... and they are there, one dynamic import away.
    expect(outputOf('dist/src/report/live-terminal.js')).toBeTruthy();
    expect(outputOf('dist/src/report/diff.js')).toBeTruthy();
  });
});

describe('the bundled CLI runs as the modules do', () => {
  it('fleet lab status loads the lab (its shell assets are read when its modules load) and answers', async () => {
    const dir = mkdtempSync(path.join(os.tmpdir(), 'fleet-bundle-'));
    try {
      const r = await fleetCli(['lab', 'status', '--json'], { env: { FLEET_LAB_DIR: dir } });
      expect(r.stderr).not.toMatch(/ENOENT|internal error/);
      expect(r.json?.up).toBe(false);
      expect(r.code).toBe(2);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('fleet inventory renders role defaults (found under roles/ from the bundle) as the modules do', async () => {
    const r = await fleetCli(['inventory', '-i', 'examples/single-gateway.yaml', '--list', '--resolved']);
    expect(r.code).toBe(0);
    const vars = Object.values(JSON.parse(r.stdout)._meta.hostvars)[0] as Record<string, unknown>;
    expect(vars.wg_port).toBeDefined();
  });
});

describe('moduleUrlPlugin', () => {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'fleet-module-url-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('import.meta.url in a bundled module names its own source file, from a chunk in another directory', async () => {
    const src = path.join(dir, 'src');
    mkdirSync(path.join(src, 'deep'), { recursive: true });
    writeFileSync(path.join(src, 'deep', 'where.js'), 'export const where = () => import.meta.url;\nexport const asset = new URL("x.sh", import.meta.url).href;\n');
    writeFileSync(path.join(src, 'entry.js'), 'export { where, asset } from "./deep/where.js";\nexport const self = import.meta.url;\n');
    const out = path.join(dir, 'out');
    await build({ entryPoints: [path.join(src, 'entry.js')], outdir: out, bundle: true, format: 'esm', platform: 'node', plugins: [moduleUrlPlugin(src, out)], logLevel: 'silent' });
    const m = (await import(pathToFileURL(path.join(out, 'entry.js')).href)) as { where(): string; asset: string; self: string };
    expect(m.where()).toBe(pathToFileURL(path.join(src, 'deep', 'where.js')).href);
    expect(m.asset).toBe(pathToFileURL(path.join(src, 'deep', 'x.sh')).href);
    expect(m.self).toBe(pathToFileURL(path.join(src, 'entry.js')).href);
  });
});

describe('zodEnglishOnlyPlugin', () => {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'fleet-zod-en-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));
  const bundle = (name: string, source: string) => {
    const src = path.join(dir, 'src');
    mkdirSync(src, { recursive: true });
    writeFileSync(path.join(src, `${name}.js`), source);
    return build({ entryPoints: [path.join(src, `${name}.js`)], outdir: path.join(dir, 'out'), bundle: true, format: 'esm', platform: 'node', nodePaths: [path.resolve('node_modules')], plugins: [zodEnglishOnlyPlugin(src)], logLevel: 'silent' });
  };

  it("zod in the bundle has English only, and still says what is wrong in English", async () => {
    await bundle('uses-zod', "import { z } from 'zod';\nexport { z };\nexport const message = z.string().safeParse(1).error.issues[0].message;\n");
    const m = (await import(pathToFileURL(path.join(dir, 'out', 'uses-zod.js')).href)) as { z: { locales: object }; message: string };
    expect(Object.keys(m.z.locales)).toEqual(['en']);
    expect(m.message).toMatch(/expected string, received number/);
  });

  it('a module of ours that uses a locale fails the build', async () => {
    await expect(bundle('wants-german', "import { z } from 'zod';\nz.config(z.locales.de());\n")).rejects.toThrow(/uses zod's locales/);
  });
});
