/**
 * The Debian mirror this machine's own apt uses, read at run time from its apt sources
 * (/etc/apt/sources.list.d/*.sources in deb822 form, /etc/apt/sources.list and *.list in the
 * one-line form). The systemd lab builds its image from it; no mirror's name is written anywhere
 * in fleet. $FLEET_LAB_DEBIAN_MIRROR (a URL) overrides it.
 */
import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { LabError } from './errors.js';

export interface AptSource {
  types: string[];
  uris: string[];
  suites: string[];
  components: string[];
  /** A keyring path (an inline key block is not kept: mmdebstrap takes only a path). */
  signedBy?: string;
  enabled: boolean;
  file: string;
}

/** Parses deb822 stanzas (`Types:`, `URIs:`, `Suites:`, ...). Comments and unknown fields are ignored. */
export function parseDeb822(text: string, file: string): AptSource[] {
  const out: AptSource[] = [];
  for (const stanza of text.split(/\n\s*\n/)) {
    const fields = new Map<string, string>();
    let last = '';
    for (const line of stanza.split('\n')) {
      if (line.startsWith('#') || !line.trim()) continue;
      if (/^\s/.test(line) && last) {
        fields.set(last, `${fields.get(last)}\n${line.trim()}`);
        continue;
      }
      const m = /^([A-Za-z-]+):\s*(.*)$/.exec(line);
      if (!m) continue;
      last = m[1]!.toLowerCase();
      fields.set(last, m[2]!.trim());
    }
    const list = (k: string) => (fields.get(k) ?? '').split(/\s+/).filter(Boolean);
    if (!fields.has('uris')) continue;
    const signed = fields.get('signed-by');
    out.push({
      types: list('types'),
      uris: list('uris'),
      suites: list('suites'),
      components: list('components'),
      signedBy: signed && !signed.includes('\n') && signed.startsWith('/') ? signed : undefined,
      enabled: (fields.get('enabled') ?? 'yes').toLowerCase() !== 'no',
      file,
    });
  }
  return out;
}

/** Parses one-line sources (`deb [signed-by=/k.gpg] URI SUITE COMPONENT...`). */
export function parseOneLine(text: string, file: string): AptSource[] {
  const out: AptSource[] = [];
  for (const raw of text.split('\n')) {
    const line = raw.replace(/#.*$/, '').trim();
    const m = /^(deb|deb-src)\s+(?:\[([^\]]*)\]\s+)?(\S+)\s+(\S+)\s*(.*)$/.exec(line);
    if (!m) continue;
    const opts = new Map((m[2] ?? '').trim().split(/\s+/).filter(Boolean).map((o) => o.split('=') as [string, string]));
    const signed = opts.get('signed-by');
    out.push({
      types: [m[1]!],
      uris: [m[3]!],
      suites: [m[4]!],
      components: (m[5] ?? '').split(/\s+/).filter(Boolean),
      signedBy: signed?.startsWith('/') ? signed : undefined,
      enabled: true,
      file,
    });
  }
  return out;
}

/** Every apt source this machine has configured. */
export function machineAptSources(etcApt = '/etc/apt'): AptSource[] {
  const out: AptSource[] = [];
  const read = (f: string) => {
    try {
      return readFileSync(f, 'utf8');
    } catch {
      return undefined;
    }
  };
  const main = read(path.join(etcApt, 'sources.list'));
  if (main !== undefined) out.push(...parseOneLine(main, path.join(etcApt, 'sources.list')));
  let entries: string[] = [];
  try {
    entries = readdirSync(path.join(etcApt, 'sources.list.d')).sort();
  } catch {
    /* none */
  }
  for (const e of entries) {
    const f = path.join(etcApt, 'sources.list.d', e);
    const text = read(f);
    if (text === undefined) continue;
    if (e.endsWith('.sources')) out.push(...parseDeb822(text, f));
    else if (e.endsWith('.list')) out.push(...parseOneLine(text, f));
  }
  return out;
}

/**
 * mmdebstrap mirror lines for `suite` (bookworm, bookworm-updates, bookworm-security): taken from
 * the sources of the machine's own release (`hostCodename`), main only, no backports.
 */
export function mirrorLines(sources: AptSource[], hostCodename: string, suite: string): string[] {
  const lines = new Set<string>();
  for (const s of sources) {
    if (!s.enabled || !s.types.includes('deb') || !s.components.includes('main')) continue;
    for (const hostSuite of s.suites) {
      if (hostSuite !== hostCodename && !hostSuite.startsWith(`${hostCodename}-`)) continue;
      const suffix = hostSuite.slice(hostCodename.length);
      if (suffix !== '' && suffix !== '-updates' && suffix !== '-security') continue;
      for (const uri of s.uris) lines.add(`deb ${s.signedBy ? `[signed-by=${s.signedBy}] ` : ''}${uri} ${suite}${suffix} main`);
    }
  }
  return [...lines];
}

function osRelease(file = '/etc/os-release'): Record<string, string> {
  const out: Record<string, string> = {};
  try {
    for (const l of readFileSync(file, 'utf8').split('\n')) {
      const m = /^([A-Z_]+)=("?)(.*)\2$/.exec(l.trim());
      if (m) out[m[1]!] = m[3]!;
    }
  } catch {
    /* none */
  }
  return out;
}

/** The mirror lines the image is built from, or a LabError saying why there are none. */
export function debianMirrorLines(suite: string): string[] {
  const override = process.env.FLEET_LAB_DEBIAN_MIRROR?.trim();
  if (override) {
    if (!/^https?:\/\/[^\s'"]+$/.test(override)) throw new LabError(`FLEET_LAB_DEBIAN_MIRROR must be an http(s) URL, got ${JSON.stringify(override)}`);
    return [`deb ${override} ${suite} main`, `deb ${override} ${suite}-updates main`];
  }
  const os = osRelease();
  const codename = os.VERSION_CODENAME ?? '';
  if (os.ID !== 'debian' || !codename) {
    throw new LabError(`the systemd lab builds a Debian image from this machine's Debian mirror, but this machine is ${os.PRETTY_NAME ?? 'not Debian'}`, {
      hint: 'set FLEET_LAB_DEBIAN_MIRROR to a Debian mirror URL',
    });
  }
  const lines = mirrorLines(machineAptSources(), codename, suite);
  if (!lines.length) {
    throw new LabError(`no Debian mirror for ${codename} (main) in /etc/apt/sources.list or /etc/apt/sources.list.d/`, {
      hint: 'set FLEET_LAB_DEBIAN_MIRROR to a Debian mirror URL',
    });
  }
  return lines;
}
