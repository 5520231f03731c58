/**
 * The last line of defence for decrypted vault values: once one is decrypted, everything this
 * process writes to stdout and stderr (the live view, --json, --diff, messages) has every such
 * value replaced by ***, as such and JSON-escaped. Inventory outputs mask by value already
 * (mask.ts); this catches a vaulted variable rendered into a config file's diff, a plan line or
 * an error. Values shorter than MIN_REDACTED are left alone: replacing every `on` or `22` in the
 * output would garble it and hide nothing.
 */
import { MASK, revealedTexts } from './mask.js';

export const MIN_REDACTED = 4;

/** `text` with every decrypted value of this run replaced by ***. */
export function redactRevealed(text: string): string {
  let out = text;
  for (const secret of revealedTexts()) {
    if (secret.length < MIN_REDACTED) continue;
    out = out.replaceAll(secret, MASK);
    const escaped = JSON.stringify(secret).slice(1, -1);
    if (escaped !== secret) out = out.replaceAll(escaped, MASK);
  }
  return out;
}

const guarded = new WeakSet<NodeJS.WritableStream>();

function guard(stream: NodeJS.WriteStream): void {
  if (guarded.has(stream)) return;
  guarded.add(stream);
  const write = stream.write.bind(stream) as (chunk: unknown, ...rest: unknown[]) => boolean;
  stream.write = ((chunk: unknown, ...rest: unknown[]) => {
    if (typeof chunk === 'string') return write(redactRevealed(chunk), ...rest);
    if (chunk instanceof Uint8Array) {
      const text = Buffer.from(chunk).toString('utf8');
      const clean = redactRevealed(text);
      return write(clean === text ? chunk : clean, ...rest.filter((r) => typeof r === 'function'));
    }
    return write(chunk, ...rest);
  }) as typeof stream.write;
}

/** Guard this process's stdout and stderr (once; called when the first value is decrypted). */
export function guardOutput(): void {
  guard(process.stdout);
  guard(process.stderr);
}
