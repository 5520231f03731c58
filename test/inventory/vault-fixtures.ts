/**
 * Vault fixtures made at test time by the real `ansible-vault` (Debian's ansible, installed by
 * src/lab/install-deps.sh), in a temporary directory, with the passwords beside them. Without
 * ansible-vault the tests skip, except with CI=true, where they fail.
 */
import { spawnSync } from 'node:child_process';
import { chmodSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';

const probe = spawnSync('ansible-vault', ['--version'], { encoding: 'utf8' });
export const vaultToolAvailable = probe.status === 0;
/** For `describe.skipIf`: skip without ansible-vault, unless CI must fail instead. */
export const skipWithoutVaultTool = !vaultToolAvailable && process.env.CI !== 'true';

export const PASSWORDS = { default: 'correct horse battery', lab: 'lab-pass-2', other: 'not-the-one' } as const;

export interface VaultLab {
  dir: string;
  /** A password file for each name in PASSWORDS (with a trailing newline, as editors write them). */
  passFile: Record<keyof typeof PASSWORDS, string>;
  /** `ansible-vault encrypt_string`: the vault text of `plain` (1.2 with `id`, else 1.1). */
  encryptString(plain: string, id?: 'lab'): string;
  /** `ansible-vault encrypt` of a file holding `text` (1.2 with `id`, else 1.1); returns its path. */
  encryptFile(name: string, text: string, id?: 'lab'): string;
  /** A `!vault |` YAML value of `plain`, indented by `indent` spaces under its key. */
  vaultYaml(plain: string, indent: number, id?: 'lab'): string;
  cleanup(): void;
}

function ansibleVault(args: string[], cwd: string, input?: string): string {
  const { ANSIBLE_VAULT_PASSWORD_FILE: _unused, ...env } = process.env;
  void _unused;
  const r = spawnSync('ansible-vault', args, { cwd, encoding: 'utf8', input, env: { ...env, HOME: cwd, ANSIBLE_NOCOLOR: '1' } });
  if (r.status !== 0) throw new Error(`ansible-vault ${args.join(' ')} failed (${r.status}): ${r.stderr}`);
  return r.stdout;
}

export function makeVaultLab(): VaultLab {
  const dir = mkdtempSync(path.join(tmpdir(), 'fleet-vault-'));
  const passFile = {} as Record<keyof typeof PASSWORDS, string>;
  for (const [name, pw] of Object.entries(PASSWORDS)) {
    const f = path.join(dir, `${name}.pass`);
    writeFileSync(f, `${pw}\n`, { mode: 0o600 });
    chmodSync(f, 0o600);
    passFile[name as keyof typeof PASSWORDS] = f;
  }
  const idArgs = (id?: 'lab') => (id ? ['--vault-id', `${id}@${passFile[id]}`] : ['--vault-password-file', passFile.default]);
  const encryptString = (plain: string, id?: 'lab') => {
    // From stdin, so the plaintext is never on a command line.
    const out = ansibleVault(['encrypt_string', ...idArgs(id), '--stdin-name', 'x'], dir, plain);
    const lines = out.split('\n').slice(1).map((l) => l.trim()).filter(Boolean);
    return `${lines.join('\n')}\n`;
  };
  return {
    dir,
    passFile,
    encryptString,
    encryptFile(name, text, id) {
      const f = path.join(dir, name);
      writeFileSync(f, text);
      ansibleVault(['encrypt', ...idArgs(id), f], dir);
      return f;
    },
    vaultYaml(plain, indent, id) {
      const pad = ' '.repeat(indent + 2);
      return `!vault |\n${encryptString(plain, id).trimEnd().split('\n').map((l) => pad + l).join('\n')}\n`;
    },
    cleanup: () => rmSync(dir, { recursive: true, force: true }),
  };
}

export function read(file: string): string {
  return readFileSync(file, 'utf8');
}
