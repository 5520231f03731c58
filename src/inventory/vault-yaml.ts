/**
 * Ansible Vault inside YAML, as Ansible's loader reads it: a `!vault |` scalar holds one encrypted
 * string, and a file that starts with `$ANSIBLE_VAULT;` is encrypted as a whole (its plaintext is
 * the YAML). Both are decrypted on the controller while the file is read, and every decrypted
 * value is recorded as secret (mask.ts), and this process's output redacted (vault-redact.ts).
 */
import { isPair, isScalar, visit } from 'yaml';
import { revealVaultValue } from './mask.js';
import { decryptVault } from './vault-keyring.js';
import { guardOutput } from './vault-redact.js';
import { isVaultText } from './vault.js';
import type { YamlSource } from './yaml.js';

/** The file's YAML text: decrypted when the file is vault-encrypted as a whole. */
export function openVaultFile(text: string, file: string): { text: string; encrypted: boolean } {
  if (!isVaultText(text)) return { text, encrypted: false };
  guardOutput();
  return { text: decryptVault(text, 'the file', { file, line: 1 }).toString('utf8'), encrypted: true };
}

/** Replace each `!vault` scalar's text with its plaintext, in place. @throws the vault errors */
export function revealVaultScalars({ file, doc, lineCounter }: YamlSource): void {
  visit(doc, {
    Scalar(_key, node, path) {
      if (node.tag !== '!vault') return;
      const parent = path.at(-1);
      const name = isPair(parent) && parent.value === node && isScalar(parent.key) ? `the value of ${String(parent.key.value)}` : 'a !vault value';
      // The line only: the node starts at its `|`, not at the tag.
      const { line } = lineCounter.linePos(node.range?.[0] ?? 0);
      const text = String(node.value);
      guardOutput();
      const plain = decryptVault(text, name, { file, line }).toString('utf8');
      revealVaultValue(plain, text);
      node.value = plain;
    },
  });
}
