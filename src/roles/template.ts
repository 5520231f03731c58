/**
 * Jinja-style templating for role data, as Ansible users know it ({{ var }}, filters, loops in
 * templates). A value that is exactly one `{{ expression }}` keeps its native type (a list stays a
 * list, a number a number), as in Ansible; anything else renders to a string. Undefined variables
 * are errors, never empty strings.
 */
import nunjucks from 'nunjucks';
import { networkOf, parseCidr } from '../types/net.js';

function cidrOrThrow(value: unknown, filter: string): { address: string; prefix: number } {
  const c = typeof value === 'string' ? parseCidr(value) : undefined;
  if (!c) throw new Error(`filter ${filter}: expected address/prefix, got ${JSON.stringify(value)}`);
  return c;
}

export function createEnv(searchPaths: string[] = []): nunjucks.Environment {
  const env = new nunjucks.Environment(new nunjucks.FileSystemLoader(searchPaths, { noCache: true }), {
    autoescape: false,
    throwOnUndefined: true,
    trimBlocks: true,
    lstripBlocks: true,
  });
  /** 10.4.0.1/24 -> 10.4.0.1 */
  env.addFilter('addr', (v: unknown) => cidrOrThrow(v, 'addr').address);
  /** 10.200.1.1/24 -> 10.200.1.0/24 */
  env.addFilter('network', (v: unknown) => {
    const c = cidrOrThrow(v, 'network');
    return `${networkOf(c)}/${c.prefix}`;
  });
  /** 10.4.0.1/24 -> 24 */
  env.addFilter('prefix', (v: unknown) => cidrOrThrow(v, 'prefix').prefix);
  /** inventory peers (name, public_key, allowed_ips) -> wireguard-interface peers */
  env.addFilter('wgpeers', (peers: unknown) =>
    (peers as { public_key: string; allowed_ips: string[] }[]).map((p) => ({ publicKey: p.public_key, allowedIps: p.allowed_ips })),
  );
  return env;
}

const SINGLE_EXPR = /^\s*\{\{([^]*?)\}\}\s*$/;

export function renderValue(env: nunjucks.Environment, value: unknown, ctx: Record<string, unknown>): unknown {
  if (typeof value === 'string') {
    const m = SINGLE_EXPR.exec(value);
    if (m && !m[1]!.includes('{{') && !m[1]!.includes('}}')) {
      const json = env.renderString(`{{ (${m[1]}) | dump | safe }}`, ctx);
      return json === '' ? undefined : JSON.parse(json);
    }
    return value.includes('{{') || value.includes('{%') ? env.renderString(value, ctx) : value;
  }
  if (Array.isArray(value)) return value.map((v) => renderValue(env, v, ctx));
  if (value && typeof value === 'object') {
    return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, renderValue(env, v, ctx)]));
  }
  return value;
}
