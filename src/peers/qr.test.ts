/**
 * The QR code `fleet peer add` prints decodes, with a real decoder (zbarimg), to the client
 * config byte for byte: what the WireGuard app imports is exactly the config.
 */
import { describe, expect, it } from 'vitest';
import { findProgram } from '../lab/preflight.js';
import { decodePrintedQr } from '../lab/qr-decode.js';
import { qrCode, renderClientConfig } from './config.js';

const haveZbar = !!findProgram('zbarimg');
// CI installs zbar-tools (src/lab/install-deps.sh): there, a missing decoder fails the test.
const maybe = haveZbar || process.env.CI === 'true' ? describe : describe.skip;

maybe('the printed QR code', () => {
  const config = renderClientConfig({
    privateKey: 'eFNxQ4KjX7q1y0ztJmUGgYgJ0dGm3d1a7mUO2yCM4Wk=',
    address: '10.4.0.200',
    dns: '10.4.0.1',
    serverPublicKey: 'kkF9mcIbAkIS8yuU9op2masQSd/wQPLAN4RskuUG2Ho=',
    endpoint: '198.51.100.11:51821',
    allowedIps: ['0.0.0.0/0'],
    comment: 'laptop on gw1 (vpn half): made by fleet peer add',
  });

  it('decodes to the config text byte for byte', async () => {
    const decoded = await decodePrintedQr(`\n${qrCode(config)}\n`);
    expect(decoded.equals(Buffer.from(config, 'utf8')), JSON.stringify(decoded.toString('utf8'))).toBe(true);
  });

  it('a different config gives a different payload (the decoder reads, it does not echo)', async () => {
    const other = config.replace('10.4.0.200', '10.4.0.201');
    const decoded = await decodePrintedQr(qrCode(other));
    expect(decoded.toString('utf8')).toBe(other);
    expect(decoded.toString('utf8')).not.toBe(config);
  });
});
