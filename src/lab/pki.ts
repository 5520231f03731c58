/**
 * The OpenVPN provider's PKI, made with openssl at `lab up`: a CA, a server certificate
 * (serverAuth, so clients can insist on `remote-cert-tls server`) and one client certificate that
 * every gateway uses (the server allows `duplicate-cn`). EC P-256 keys: quick to make, and with
 * `dh none` OpenVPN uses ECDHE. Keys are written 0600.
 */
import { chmodSync, existsSync, mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { runOk } from './run.js';

export interface Pki {
  dir: string;
  caCert: string;
  serverCert: string;
  serverKey: string;
  clientCert: string;
  clientKey: string;
}

export function pkiPaths(dir: string): Pki {
  return {
    dir,
    caCert: path.join(dir, 'ca.crt'),
    serverCert: path.join(dir, 'server.crt'),
    serverKey: path.join(dir, 'server.key'),
    clientCert: path.join(dir, 'client.crt'),
    clientKey: path.join(dir, 'client.key'),
  };
}

const EC = ['-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes'];
const DAYS = '3650';

/** Makes the PKI in `dir` unless it is already there. */
export async function ensurePki(dir: string): Promise<Pki> {
  const p = pkiPaths(dir);
  if ([p.caCert, p.serverCert, p.serverKey, p.clientCert, p.clientKey].every((f) => existsSync(f))) return p;
  mkdirSync(dir, { recursive: true, mode: 0o700 });
  const caKey = path.join(dir, 'ca.key');
  await runOk(
    ['openssl', 'req', '-x509', ...EC, '-keyout', caKey, '-out', p.caCert, '-days', DAYS, '-subj', '/CN=fleet-lab-ca',
      '-addext', 'basicConstraints=critical,CA:TRUE', '-addext', 'keyUsage=critical,keyCertSign,cRLSign'],
    { what: 'openssl (lab CA)' },
  );
  const leaf = async (name: string, cn: string, eku: string, cert: string, key: string) => {
    const csr = path.join(dir, `${name}.csr`);
    const ext = path.join(dir, `${name}.ext`);
    writeFileSync(ext, `basicConstraints=CA:FALSE\nkeyUsage=critical,digitalSignature,keyAgreement\nextendedKeyUsage=${eku}\n`);
    await runOk(['openssl', 'req', ...EC, '-keyout', key, '-out', csr, '-subj', `/CN=${cn}`], { what: `openssl (${name} key)` });
    await runOk(
      ['openssl', 'x509', '-req', '-in', csr, '-CA', p.caCert, '-CAkey', caKey, '-set_serial', `0x${name === 'server' ? '01' : '02'}`,
        '-days', DAYS, '-extfile', ext, '-out', cert],
      { what: `openssl (${name} certificate)` },
    );
  };
  await Promise.all([
    leaf('server', 'fleet-lab-provider', 'serverAuth', p.serverCert, p.serverKey),
    leaf('client', 'fleet-lab-gateway', 'clientAuth', p.clientCert, p.clientKey),
  ]);
  for (const k of [caKey, p.serverKey, p.clientKey]) chmodSync(k, 0o600);
  return p;
}
