/**
 * docs/modules.md, made from the modules themselves: each module's summary (the first paragraph of
 * its file's header comment) and, per argument, the type, default and `.describe()` text of its
 * zod schema. reference.test.ts regenerates it and fails when the file is not current.
 */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { z } from 'zod';
import { MODULES } from './index.js';

interface JsonSchema {
  type?: string | string[];
  const?: unknown;
  enum?: unknown[];
  anyOf?: JsonSchema[];
  items?: JsonSchema;
  properties?: Record<string, JsonSchema>;
  required?: string[];
  default?: unknown;
  description?: string;
  minimum?: number;
  maximum?: number;
}

/** A compact type: `string`, `'up'`, `integer 1-32765`, `string[]`, `{ publicKey, allowedIps }[]`. */
function typeOf(s: JsonSchema): string {
  if (s.const !== undefined) return JSON.stringify(s.const).replace(/"/g, "'");
  if (s.enum) return s.enum.map((v) => JSON.stringify(v).replace(/"/g, "'")).join(' | ');
  if (s.anyOf) return [...new Set(s.anyOf.map(typeOf))].join(' | ');
  if (s.type === 'array') {
    const item = s.items ? typeOf(s.items) : 'any';
    return item.includes(' | ') ? `(${item})[]` : `${item}[]`;
  }
  if (s.type === 'object' && s.properties) return `{ ${Object.keys(s.properties).join(', ')} }`;
  const t = Array.isArray(s.type) ? s.type.join(' | ') : (s.type ?? 'bytes');
  if (s.minimum !== undefined && s.maximum !== undefined) return `${t} ${s.minimum}-${s.maximum}`;
  return t;
}

/** The first paragraph of the module file's header comment, as one line. */
function summary(file: string): string {
  const text = readFileSync(file, 'utf8');
  const head = /^\/\*\*\n([\s\S]*?)\n \*\//.exec(text)?.[1] ?? '';
  const lines = head.split('\n').map((l) => l.replace(/^ \* ?/, ''));
  const end = lines.findIndex((l) => l.trim() === '');
  return (end === -1 ? lines : lines.slice(0, end)).join(' ').trim();
}

function cell(text: string): string {
  return text.replace(/\|/g, '\\|').replace(/\n/g, ' ');
}

export function moduleReference(srcDir = path.dirname(fileURLToPath(import.meta.url))): string {
  const out = [
    '# Modules',
    '',
    'What a task in `roles/<role>/tasks.yaml` can name as `module:`, and the arguments each takes.',
    'Generated from the modules (src/modules/reference.ts): do not edit by hand;',
    '`FLEET_WRITE_DOCS=1 npx vitest run src/modules/reference.test.ts` rewrites it.',
    '',
  ];
  for (const [name, mod] of Object.entries(MODULES)) {
    const schema = z.toJSONSchema(mod.schema, { io: 'input', unrepresentable: 'any' }) as JsonSchema;
    out.push(`## ${name}`, '', summary(path.join(srcDir, `${name}.ts`)).replace(`${name}: `, ''), '', '| argument | type | default | what it is |', '|---|---|---|---|');
    const required = new Set(schema.required ?? []);
    for (const [arg, s] of Object.entries(schema.properties ?? {})) {
      const dflt = s.default !== undefined ? `\`${JSON.stringify(s.default)}\`` : required.has(arg) ? 'required' : '';
      out.push(`| \`${arg}\` | ${cell(typeOf(s))} | ${dflt} | ${cell(s.description ?? '')} |`);
    }
    out.push('');
  }
  return out.join('\n');
}
