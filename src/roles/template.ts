/**
 * Jinja-style templating for role data, as Ansible users know it ({{ var }}, filters, loops in
 * templates). A value that is exactly one `{{ expression }}` keeps its native type (a list stays a
 * list, a number a number), as in Ansible; anything else renders to a string. Undefined variables
 * are errors, never empty strings.
 */
import nunjucks from 'nunjucks';
import { networkText, parseAnyCidr } from '../types/net.js';

function cidrOrThrow(value: unknown, filter: string): { address: string; prefix: number } {
  const c = typeof value === 'string' ? parseAnyCidr(value) : undefined;
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
  /** 10.200.1.1/24 -> 10.200.1.0/24 (IPv6 alike: fd00:10:4::1/64 -> fd00:10:4::/64) */
  env.addFilter('network', (v: unknown) => {
    cidrOrThrow(v, 'network');
    return networkText(v as string);
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

/**
 * Compiled templates, per environment and source. `env.renderString` parses and compiles its
 * source on every call, and role data renders the same few hundred strings for every host: compile
 * each once per run. A nunjucks Template keeps no state between renders (each render gets its own
 * context and frame), so rendering a cached one is exactly `renderString`. Bounded, for a
 * long-lived process fed ever-new strings.
 */
const compiledStrings = new WeakMap<nunjucks.Environment, Map<string, nunjucks.Template>>();
const MAX_COMPILED = 10_000;

function compiled(env: nunjucks.Environment, src: string, path?: string): nunjucks.Template {
  let cache = compiledStrings.get(env);
  if (!cache) compiledStrings.set(env, (cache = new Map()));
  const key = path === undefined ? src : `${path}\0${src}`;
  let tmpl = cache.get(key);
  if (!tmpl) {
    if (cache.size >= MAX_COMPILED) cache.clear();
    tmpl = new nunjucks.Template(src, env, path);
    cache.set(key, tmpl);
  }
  return tmpl;
}

/** `env.renderString(src, ctx)`, compiling `src` once per environment. */
export function renderString(env: nunjucks.Environment, src: string, ctx: Record<string, unknown>): string {
  return compiled(env, src).render(ctx);
}

/**
 * `env.render(name, ctx)` for an environment made by createEnv, compiling each template file once
 * per content: the file is still read on every render (the loader does not cache), so an edited
 * template is seen, but unchanged content is not parsed and compiled again.
 */
export function renderFile(env: nunjucks.Environment, name: string, ctx: Record<string, unknown>): string {
  const loader = (env as unknown as { loaders: nunjucks.ILoader[] }).loaders;
  const info = loader.length === 1 && loader[0] instanceof nunjucks.FileSystemLoader ? loader[0].getSource(name) : null;
  // Not found (or not a plain file loader): nunjucks itself says why, with its own message.
  if (!info) return env.render(name, ctx);
  return compiled(env, info.src, info.path).render(ctx);
}

export function renderValue(env: nunjucks.Environment, value: unknown, ctx: Record<string, unknown>): unknown {
  if (typeof value === 'string') {
    const m = SINGLE_EXPR.exec(value);
    if (m && !m[1]!.includes('{{') && !m[1]!.includes('}}')) {
      const json = renderString(env, `{{ (${m[1]}) | dump | safe }}`, ctx);
      // `dump` of undefined prints nothing: a misspelt variable, or a missing attribute. Left as
      // undefined it would silently drop an optional argument (an MTU, a peer's endpoint).
      if (json === '') throw new Error(`{{${m[1]}}} is undefined (a misspelt variable, or a missing attribute?)`);
      return JSON.parse(json);
    }
    return value.includes('{{') || value.includes('{%') ? renderString(env, value, ctx) : value;
  }
  if (Array.isArray(value)) return value.map((v) => renderValue(env, v, ctx));
  if (value && typeof value === 'object') {
    return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, renderValue(env, v, ctx)]));
  }
  return value;
}
