/**
 * Reads a QR code back the way a phone would: the text `fleet peer add` printed (uqr's compact
 * Unicode rendering) is turned back into modules, drawn as a PBM image and decoded by zbarimg
 * (Debian's zbar-tools), a decoder that shares no code with the encoder.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { LabError } from './errors.js';
import { run } from './run.js';

/**
 * The terminal rendering is drawn for a dark background: a full block is two light modules, a
 * space two dark ones, the half blocks one of each (upper half light: ▀). Rows of modules: dark = true.
 */
export function modulesOfPrinted(printed: string): boolean[][] {
  const lines = printed.split('\n').filter((l) => /^[█▀▄ ]+$/u.test(l) && /[█▀▄]/u.test(l));
  if (lines.length === 0) throw new LabError('no QR code in the text');
  const rows: boolean[][] = [];
  for (const line of lines) {
    const cells = [...line];
    rows.push(cells.map((c) => c === ' ' || c === '▄'));
    rows.push(cells.map((c) => c === ' ' || c === '▀'));
  }
  return rows;
}

/** A plain (P1) PBM of the modules, `scale` pixels each, inside a light quiet zone of 4 modules. */
export function pbmOf(modules: boolean[][], scale = 4): string {
  const width = Math.max(...modules.map((r) => r.length));
  const quiet = 4;
  const side = (n: number) => (n + 2 * quiet) * scale;
  const out: string[] = [`P1`, `${side(width)} ${side(modules.length)}`];
  const light = Array.from({ length: side(width) }, () => '0').join(' ');
  for (let i = 0; i < quiet * scale; i++) out.push(light);
  for (const row of modules) {
    const px: string[] = [];
    for (let x = -quiet; x < width + quiet; x++) for (let s = 0; s < scale; s++) px.push(row[x] ? '1' : '0');
    for (let s = 0; s < scale; s++) out.push(px.join(' '));
  }
  for (let i = 0; i < quiet * scale; i++) out.push(light);
  return `${out.join('\n')}\n`;
}

/** Decodes the QR code in `printed` with zbarimg; resolves with its payload's exact bytes. */
export async function decodePrintedQr(printed: string): Promise<Buffer> {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'fleet-qr-'));
  try {
    const file = path.join(dir, 'qr.pbm');
    writeFileSync(file, pbmOf(modulesOfPrinted(printed)));
    // -Sbinary: the payload's bytes as they are, no character set guessing; --raw: no "QR-Code:" prefix.
    const r = await run(['zbarimg', '--quiet', '--raw', '-Sbinary', file]);
    if (r.code !== 0) throw new LabError(`zbarimg could not decode the QR code (exit ${r.code}): ${r.stderr.trim()}`);
    return Buffer.from(r.stdout, 'utf8');
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
