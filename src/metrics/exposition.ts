/**
 * The Prometheus text exposition format (version 0.0.4): each metric family once, with its HELP
 * and TYPE lines before its samples, label values escaped. Families keep the order they were
 * first declared in, so the output is stable from run to run.
 */

export type MetricType = 'gauge' | 'counter';

export type Labels = Readonly<Record<string, string>>;

interface Family {
  help: string;
  type: MetricType;
  samples: { labels: Labels; value: number }[];
}

const NAME = /^[a-zA-Z_:][a-zA-Z0-9_:]*$/;
const LABEL = /^[a-zA-Z_][a-zA-Z0-9_]*$/;

function escapeLabelValue(v: string): string {
  return v.replace(/\\/g, '\\\\').replace(/\n/g, '\\n').replace(/"/g, '\\"');
}

function escapeHelp(v: string): string {
  return v.replace(/\\/g, '\\\\').replace(/\n/g, '\\n');
}

function formatValue(v: number): string {
  if (Number.isNaN(v)) return 'NaN';
  if (v === Infinity) return '+Inf';
  if (v === -Infinity) return '-Inf';
  return String(v);
}

export class Exposition {
  private readonly families = new Map<string, Family>();

  /** Declares a family (idempotent for the same help and type). */
  family(name: string, type: MetricType, help: string): this {
    if (!NAME.test(name)) throw new Error(`not a metric name: ${name}`);
    const known = this.families.get(name);
    if (known && (known.type !== type || known.help !== help)) throw new Error(`metric ${name} declared twice with different type or help`);
    if (!known) this.families.set(name, { help, type, samples: [] });
    return this;
  }

  sample(name: string, labels: Labels, value: number | boolean): this {
    const f = this.families.get(name);
    if (!f) throw new Error(`metric ${name} has no family: declare it first`);
    for (const k of Object.keys(labels)) if (!LABEL.test(k) || k.startsWith('__')) throw new Error(`not a label name: ${k}`);
    f.samples.push({ labels, value: typeof value === 'boolean' ? Number(value) : value });
    return this;
  }

  text(): string {
    const out: string[] = [];
    for (const [name, f] of this.families) {
      if (f.samples.length === 0) continue;
      out.push(`# HELP ${name} ${escapeHelp(f.help)}`, `# TYPE ${name} ${f.type}`);
      for (const s of f.samples) {
        const labels = Object.entries(s.labels).map(([k, v]) => `${k}="${escapeLabelValue(v)}"`);
        out.push(`${name}${labels.length ? `{${labels.join(',')}}` : ''} ${formatValue(s.value)}`);
      }
    }
    return out.length ? `${out.join('\n')}\n` : '';
  }
}
