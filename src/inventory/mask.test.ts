import { expect, it } from 'vitest';
import { isSecretKey, maskSecrets } from './mask.js';

it.each([
  ['password', true],
  ['ansible_ssh_pass', true],
  ['ansible_become_password', true],
  ['db_passwd', true],
  ['api_token', true],
  ['client_secret', true],
  ['private_key', true],
  ['wg_private_key', true],
  ['ansible_ssh_private_key_file', false],
  ['key_file', false],
  ['secret_path', false],
  ['public_key', false],
  ['wg_port', false],
  ['compassion', false],
])('%s is secret: %s', (key, secret) => {
  expect(isSecretKey(key)).toBe(secret);
});

it('masks at any depth and leaves the rest, and the input, untouched', () => {
  const vars = {
    wg_port: 51821,
    ansible_become_pass: 'hunter2',
    key_file: '/keys/gw.pem',
    wg_peers: [{ name: 'a', public_key: 'PUB=', private_key: 'PRIV=' }],
    nested: { api: { token: 'T', url: 'https://x' } },
    empty_secret: null,
  };
  expect(maskSecrets(vars)).toEqual({
    wg_port: 51821,
    ansible_become_pass: '***',
    key_file: '/keys/gw.pem',
    wg_peers: [{ name: 'a', public_key: 'PUB=', private_key: '***' }],
    nested: { api: { token: '***', url: 'https://x' } },
    empty_secret: null,
  });
  expect(vars.ansible_become_pass).toBe('hunter2');
});
