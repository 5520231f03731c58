import { mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, test } from 'vitest';
import { ModuleArgsError } from '../errors.js';
import { raw } from '../shell/sh.js';
import { parseFileCheckOutput } from './file.js';
import { renderResource } from './index.js';
import { runWithFakes } from './testing.js';

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
    expect(r.check.text).toMatchInlineSnapshot(`
      "fleet_file_check() {
        if [ -L /etc/netns/vpn/resolv.conf ] || { [ -e /etc/netns/vpn/resolv.conf ] && [ ! -f /etc/netns/vpn/resolv.conf ]; }; then
          echo 'fleet: /etc/netns/vpn/resolv.conf exists and is not a regular file' >&2; return 2
        fi
        if [ ! -e /etc/netns/vpn/resolv.conf ]; then echo '@@fleet-file absent'; return 1; fi
        fleet_sum=$(sha256sum < /etc/netns/vpn/resolv.conf) || return 2
        fleet_sum=\${fleet_sum%% *}
        fleet_meta=$(stat -c '%a %U %G' /etc/netns/vpn/resolv.conf) || return 2
        set -f; set -- $fleet_meta
        if [ "$fleet_sum" = be102039b1dc4747490c6994ca8dc17d12d32219561f8ba23e8c0b865ac223ed ] && [ "$1" = 644 ] && [ "$2" = root ]; then return 0; fi
        if [ "$fleet_sum" = be102039b1dc4747490c6994ca8dc17d12d32219561f8ba23e8c0b865ac223ed ]; then fleet_same=same; else fleet_same=differs; fi
        printf '@@fleet-file present mode=%04d owner=%s group=%s content=%s\\n' "$1" "$2" "$3" "$fleet_same"
        if [ $fleet_same = differs ]; then cat /etc/netns/vpn/resolv.conf || return 2; fi
        return 1
      }
      fleet_file_check"
    `);
    expect(r.apply.text).toMatchInlineSnapshot(`
      "fleet_file_apply() {
        umask 077
        if [ -e /etc/netns/vpn/resolv.conf ]; then
          cp -p /etc/netns/vpn/resolv.conf "$FLEET_STATE/file.backup" && echo present > "$FLEET_STATE/file.was" || return
        else
          echo absent > "$FLEET_STATE/file.was" || return
        fi
        if [ ! -d /etc ]; then mkdir -m 0755 /etc && printf '%s\\n' /etc >> "$FLEET_STATE/file.dirs" || return; fi
        if [ ! -d /etc/netns ]; then mkdir -m 0755 /etc/netns && printf '%s\\n' /etc/netns >> "$FLEET_STATE/file.dirs" || return; fi
        if [ ! -d /etc/netns/vpn ]; then mkdir -m 0755 /etc/netns/vpn && printf '%s\\n' /etc/netns/vpn >> "$FLEET_STATE/file.dirs" || return; fi
        fleet_tmp=$(mktemp /etc/netns/vpn/.fleet-XXXXXX) || return
        if printf %s bmFtZXNlcnZlciA4LjguOC44Cg== | base64 -d > "$fleet_tmp" &&
          chmod 0644 "$fleet_tmp" &&
          chown root "$fleet_tmp" &&
          mv -f "$fleet_tmp" /etc/netns/vpn/resolv.conf; then return 0; fi
        rm -f "$fleet_tmp"; return 1
      }
      fleet_file_apply"
    `);
    expect(r.revert.text).toMatchInlineSnapshot(`
      "fleet_file_revert() {
        [ -f "$FLEET_STATE/file.was" ] || return 0
        if [ "$(cat "$FLEET_STATE/file.was")" = present ]; then
          fleet_tmp=$(umask 077; mktemp /etc/netns/vpn/.fleet-XXXXXX) || return
          cp -p "$FLEET_STATE/file.backup" "$fleet_tmp" && mv -f "$fleet_tmp" /etc/netns/vpn/resolv.conf && return 0
          rm -f "$fleet_tmp"; return 1
        else
          rm -f /etc/netns/vpn/resolv.conf || return
          if grep -qxF /etc/netns/vpn "$FLEET_STATE/file.dirs" 2>/dev/null; then rmdir /etc/netns/vpn 2>/dev/null || true; fi
          if grep -qxF /etc/netns "$FLEET_STATE/file.dirs" 2>/dev/null; then rmdir /etc/netns 2>/dev/null || true; fi
          if grep -qxF /etc "$FLEET_STATE/file.dirs" 2>/dev/null; then rmdir /etc 2>/dev/null || true; fi
        fi
      }
      fleet_file_revert"
    `);
    expect(r.undo.text).toMatchInlineSnapshot(
      `
      "if [ -e /etc/netns/vpn/resolv.conf ] || [ -L /etc/netns/vpn/resolv.conf ]; then rm -f /etc/netns/vpn/resolv.conf; fi
      fleet_d=/etc/netns/vpn; while [ "$fleet_d" != / ] && rmdir "$fleet_d" 2>/dev/null; do fleet_d=$(dirname "$fleet_d"); done; true"
    `,
    );
  });

  test('a secret: masked fragments hide the content, its base64 and its hash; no diff content', () => {
    const content = 'client\nauth-user-pass\n<key>\nPRIVATE-KEY-MATERIAL\n</key>\n';
    const r = renderResource('file', { path: '/etc/openvpn/fleet-provider.conf', content, mode: '0600', owner: 'root', secret: true });
    const b64 = Buffer.from(content).toString('base64');
    expect(r.secret).toBe(true);
    expect(r.desiredContent).toBeUndefined();
    expect(r.title).toBe('file /etc/openvpn/fleet-provider.conf (0600 root, secret)');
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
    expect(r.check.text).not.toContain('cat /etc/openvpn/fleet-provider.conf');
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
