/**
 * examples/ci/: the GitHub Actions matrix and the Kubernetes Indexed Job run fleet commands that
 * parse, cover every shard of their N exactly once, and merge the records they produce.
 */
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { buildProgram } from '../src/cli/main.js';
import { shardFromOptions } from '../src/cli/shard.js';

/** Unknown options of `fleet <argv>` as commander sees them (nothing is run). */
async function unknownOptions(argv: string[]): Promise<string[]> {
  const [name, ...rest] = argv;
  const cmd = (await buildProgram()).commands.find((c) => c.name() === name)!;
  expect(cmd, name).toBeDefined();
  return cmd.parseOptions(rest).unknown;
}

describe('examples/ci/github-actions.yml', () => {
  const wf = parse(readFileSync('examples/ci/github-actions.yml', 'utf8'));
  const deploySteps: { run?: string }[] = wf.jobs.deploy.steps;
  const run = deploySteps.map((s) => s.run ?? '').find((r) => r.includes('fleet deploy'))!;

  it('one job per shard: K/N with K the matrix value, 1-based, every shard once', () => {
    const shards: number[] = wf.jobs.deploy.strategy.matrix.shard;
    const n = Number(/--shard \$\{\{ matrix\.shard \}\}\/(\d+)/.exec(run)![1]);
    expect(shards.length).toBe(n);
    expect(shards.map((k) => shardFromOptions({ shard: `${k}/${n}` }, {})!.index).sort()).toEqual(Array.from({ length: n }, (_, i) => i));
    expect(wf.jobs.deploy.strategy['fail-fast']).toBe(false);
  });

  it('runs a deploy and a merge that parse', async () => {
    const argv = run.replaceAll('${{ matrix.shard }}', '1').replace('$HOME', '/home/runner').split(/\s+/).filter(Boolean);
    expect(argv.slice(0, 3)).toEqual(['npx', 'fleet', 'deploy']);
    const end = argv.indexOf('>');
    expect(await unknownOptions(argv.slice(2, end))).toEqual([]);
    expect(argv.slice(end + 1)).toEqual(['deploy-1.json']);
    const recap: string[] = wf.jobs.recap.steps.map((s: { run?: string }) => s.run ?? '');
    expect(recap).toContain('npx fleet report merge deploy-*.json');
    expect(wf.jobs.recap.needs).toBe('deploy');
  });
});

describe('examples/ci/kubernetes-indexed-job.yaml', () => {
  const job = parse(readFileSync('examples/ci/kubernetes-indexed-job.yaml', 'utf8'));
  const args: string[] = job.spec.template.spec.containers[0].args;

  it('an Indexed Job of N pods, pod I running shard I of N from JOB_COMPLETION_INDEX', () => {
    expect(job.spec.completionMode).toBe('Indexed');
    const n = Number(args[args.indexOf('--shard-count') + 1]);
    expect(job.spec.completions).toBe(n);
    expect(job.spec.parallelism).toBe(n);
    expect(args).not.toContain('--shard');
    for (let i = 0; i < n; i++) expect(shardFromOptions({ shardCount: String(n) }, { JOB_COMPLETION_INDEX: String(i) })).toEqual({ index: i, count: n });
  });

  it('runs a deploy that parses and writes its record as JSON', async () => {
    expect(args[0]).toBe('deploy');
    expect(await unknownOptions(args)).toEqual([]);
    expect(args).toContain('--json');
    const mounts = job.spec.template.spec.containers[0].volumeMounts.map((m: { mountPath: string }) => m.mountPath);
    for (const file of args.filter((a) => a.startsWith('/') || a.includes('=/'))) {
      const p = file.includes('=') ? file.split('=')[1]! : file;
      expect(mounts.some((m: string) => p.startsWith(`${m}/`)), p).toBe(true);
    }
  });
});
