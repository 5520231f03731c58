import { mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, test } from 'vitest';
import { ModuleArgsError } from '../errors.js';
import { raw } from '../shell/sh.js';
import { parseFileCheckOutput } from './file.js';
import { renderResource } from './index.js';
import { runWithFakes, expectValidSh } from './testing.js';

describe('file rendering', () => {
  test('a plain file with owner, parents made', () => {
    const r = renderResource('file', {
      path: '/etc/netns/vpn/resolv.conf',
      content: 'nameserver 8.8.8.8\n',
      mode: '0644',
      owner: 'root',
      makeParents: true,
    });
    expect(r.id).toBe('file:/etc/netns/vpn/resolv.conf');
    expect(r.title).toBe('file /etc/netns/vpn/resolv.conf (0644 root)');
    expect(r.desiredContent).toBe('nameserver 8.8.8.8\n');
    expect(r.secret).toBeUndefined();
    expectValidSh(r.check);
    expectValidSh(r.apply);
    expectValidSh(r.revert);
    expect(r.undo.text).toMatchInlineSnapshot(
      `
      "if [ -e /etc/netns/vpn/resolv.conf ] || [ -L /etc/netns/vpn/resolv.conf ]; then rm -f /etc/netns/vpn/resolv.conf; fi
      fleet_d=/etc/netns/vpn; while [ "$fleet_d" != / ] && rmdir "$fleet_d" 2>/dev/null; do fleet_d=$(dirname "$fleet_d"); done; true"
    `,
    );
  });

  test('a secret: masked fragments hide the content, its base64 and its hash; no diff content', () => {
    const content = 'client\nauth-user-pass\n<key>\nPRIVATE-KEY-MATERIAL\n</key>\n';
    const r = renderResource('file', { path: '/etc/openvpn/client/fleet-provider.conf', content, mode: '0600', owner: 'root', secret: true });
    const b64 = Buffer.from(content).toString('base64');
    expect(r.secret).toBe(true);
    expect(r.desiredContent).toBeUndefined();
    expect(r.title).toBe('file /etc/openvpn/client/fleet-provider.conf (0600 root, secret)');
    expect(r.apply.text).toContain(b64);
    for (const f of [r.check, r.apply, r.revert, r.undo]) {
      expect(f.masked).not.toContain('PRIVATE-KEY-MATERIAL');
      expect(f.masked).not.toContain(b64);
      expect(f.masked).not.toMatch(/[0-9a-f]{64}/);
      expect(String(f)).toBe(f.masked);
    }
    expect(r.apply.masked).toContain(`printf %s '***' | base64 -d > "$fleet_tmp"`);
    expect(r.check.masked).toContain(`[ "$fleet_sum" = '***' ]`);
    // a secret check prints no content, only the marker line
    expect(r.check.text).not.toContain('cat /etc/openvpn/client/fleet-provider.conf');
    expect(r.check.text).toContain('content=%s secret');
  });
});

describe('file arguments', () => {
  test.each([
    [{ path: 'etc/x', content: '', mode: '0644' }, /field path: expected an absolute path/],
    [{ path: '/etc/../x', content: '', mode: '0644' }, /field path: a path must not contain \.\./],
    [{ path: '/etc/x/', content: '', mode: '0644' }, /field path: expected a file path, not a directory/],
    [{ path: '/etc/x', content: '', mode: 644 }, /field mode: /],
    [{ path: '/etc/x', content: '', mode: '0844' }, /field mode: expected an octal mode in quotes/],
    [{ path: '/etc/x', content: '', mode: '0644', owner: 'Root User' }, /field owner: expected a Unix user name/],
    [{ path: '/etc/x', mode: '0644' }, /field content: /],
    [{ path: '/etc/x', content: '', mode: '0644', secret: 'yes' }, /field secret: /],
  ])('%j is rejected', (args, message) => {
    expect(() => renderResource('file', args)).toThrow(ModuleArgsError);
    expect(() => renderResource('file', args)).toThrow(message);
  });
});

describe('parseFileCheckOutput', () => {
  test('the marker line, then the content when it differs', () => {
    expect(parseFileCheckOutput('@@fleet-file absent\n')).toEqual({ state: 'absent' });
    expect(parseFileCheckOutput('@@fleet-file present mode=0644 owner=root group=root content=differs\nold\nlines\n')).toEqual({
      state: 'present',
      mode: '0644',
      owner: 'root',
      group: 'root',
      contentMatches: false,
      content: 'old\nlines\n',
    });
    expect(parseFileCheckOutput('@@fleet-file present mode=0600 owner=root group=root content=same\n')).toEqual({
      state: 'present',
      mode: '0600',
      owner: 'root',
      group: 'root',
      contentMatches: true,
    });
    expect(parseFileCheckOutput('@@fleet-file present mode=0600 owner=root group=root content=differs secret\n')).toEqual({
      state: 'present',
      mode: '0600',
      owner: 'root',
      group: 'root',
      contentMatches: false,
    });
    expect(parseFileCheckOutput('something else\n')).toBeUndefined();
  });
});

// These run the fragments on a temp directory: no root, nothing outside it touched.
describe('file fragments on a temp directory', () => {
  const dir = mkdtempSync(path.join(tmpdir(), 'fleet-file-test-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  test('any bytes survive: quotes, dollars, backslashes, no trailing newline', () => {
    const p = path.join(dir, 'odd.txt');
    const content = `it's "$HOME" \\n \`id\` ${'$'}(reboot)\n\ttab, ünïcödé, no newline at end`;
    const r = renderResource('file', { path: p, content, mode: '0640' });
    expect(runWithFakes(r.check, {}).stdout).toBe('@@fleet-file absent\n');
    const a = runWithFakes(r.apply, {});
    expect(a.code, a.stderr).toBe(0);
    expect(readFileSync(p, 'utf8')).toBe(content);
    expect(statSync(p).mode & 0o7777).toBe(0o640);
    expect(runWithFakes(r.check, {}).code).toBe(0);
  });

  test('check output for a diff: marker line with mode, owner, group, then the old content', () => {
    const p = path.join(dir, 'diff.txt');
    writeFileSync(p, 'old\n', { mode: 0o600 });
    const r = renderResource('file', { path: p, content: 'new\n', mode: '0644' });
    const run = runWithFakes(r.check, {});
    expect(run.code).toBe(1);
    const parsed = parseFileCheckOutput(run.stdout);
    expect(parsed).toMatchObject({ state: 'present', mode: '0600', contentMatches: false, content: 'old\n' });
  });

  test('apply then revert inside one state directory restores the old file', () => {
    const p = path.join(dir, 'rev.txt');
    writeFileSync(p, 'before\n', { mode: 0o604 });
    const r = renderResource('file', { path: p, content: 'after\n', mode: '0600' });
    const run = runWithFakes(raw(`( ${r.apply.text}\n) && cat ${p} && ( ${r.revert.text}\n) && cat ${p}`), {});
    expect(run.code, run.stderr).toBe(0);
    expect(run.stdout).toBe('after\nbefore\n');
    expect(statSync(p).mode & 0o777).toBe(0o604);
  });

  test('no parents and makeParents false: apply fails and leaves no temp file', () => {
    const p = path.join(dir, 'missing', 'x.conf');
    const r = renderResource('file', { path: p, content: 'x', mode: '0644' });
    const run = runWithFakes(r.apply, {});
    expect(run.code).not.toBe(0);
    expect(readFileSync(path.join(dir, 'odd.txt'), 'utf8')).toContain('tab');
  });
});
