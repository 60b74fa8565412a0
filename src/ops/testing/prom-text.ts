// A strict parser of the Prometheus text exposition format (version 0.0.4), for tests: it refuses
// what Prometheus would refuse (bad names, bad escapes, samples of an undeclared family, duplicate
// series, histograms whose buckets go down or whose +Inf bucket differs from _count), so a test
// that parses /metrics with it proves the scrape would succeed.

export interface Sample {
  name: string;
  labels: Record<string, string>;
  value: number;
}

export interface Family {
  name: string;
  type: 'counter' | 'gauge' | 'histogram' | 'summary' | 'untyped';
  help: string;
  samples: Sample[];
}

const METRIC_NAME = /^[a-zA-Z_:][a-zA-Z0-9_:]*$/;
const LABEL_NAME = /^[a-zA-Z_][a-zA-Z0-9_]*$/;
const TYPES = new Set(['counter', 'gauge', 'histogram', 'summary', 'untyped']);

export function parsePrometheusText(text: string): Map<string, Family> {
  const families = new Map<string, Family>();
  const seen = new Set<string>();
  const lines = text.split('\n');
  lines.forEach((line, index) => {
    const where = `line ${index + 1}: ${line}`;
    if (line === '') return;
    if (line.startsWith('# HELP ') || line.startsWith('# TYPE ')) {
      const [, kind, name, ...rest] = line.split(' ');
      if (!METRIC_NAME.test(name)) throw new Error(`bad metric name, ${where}`);
      const family = families.get(name) ?? { name, type: 'untyped', help: '', samples: [] };
      if (kind === 'HELP') family.help = rest.join(' ');
      else {
        if (!TYPES.has(rest[0]) || rest.length !== 1) throw new Error(`bad type, ${where}`);
        if (family.samples.length > 0) throw new Error(`TYPE after samples, ${where}`);
        family.type = rest[0] as Family['type'];
      }
      families.set(name, family);
      return;
    }
    if (line.startsWith('#')) return;
    const sample = parseSample(line, where);
    const family = families.get(familyOf(sample.name, families));
    if (family === undefined) throw new Error(`sample of an undeclared family, ${where}`);
    const key = `${sample.name}${JSON.stringify(Object.entries(sample.labels).sort())}`;
    if (seen.has(key)) throw new Error(`duplicate series, ${where}`);
    seen.add(key);
    family.samples.push(sample);
  });
  for (const family of families.values()) checkFamily(family);
  return families;
}

function familyOf(sampleName: string, families: Map<string, Family>): string {
  for (const suffix of ['_bucket', '_sum', '_count']) {
    if (!sampleName.endsWith(suffix)) continue;
    const base = sampleName.slice(0, -suffix.length);
    const type = families.get(base)?.type;
    if (type === 'histogram' || type === 'summary') return base;
  }
  return sampleName;
}

function parseSample(line: string, where: string): Sample {
  const match = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(\{(.*)\})? (\S+)( -?\d+)?$/.exec(line);
  if (match === null) throw new Error(`bad sample, ${where}`);
  const value = parseValue(match[4], where);
  return { name: match[1], labels: parseLabels(match[3] ?? '', where), value };
}

/** Prometheus reads values with Go's ParseFloat: NaN and Inf in any case (prom-client writes 'Nan'). */
function parseValue(raw: string, where: string): number {
  const lower = raw.toLowerCase();
  if (lower === '+inf' || lower === 'inf') return Number.POSITIVE_INFINITY;
  if (lower === '-inf') return Number.NEGATIVE_INFINITY;
  if (lower === 'nan') return Number.NaN;
  const value = Number(raw);
  if (raw === '' || Number.isNaN(value)) throw new Error(`bad value, ${where}`);
  return value;
}

/** `a="x",b="y\"z"`: names by the label grammar, values with only \\, \" and \n escapes. */
function parseLabels(raw: string, where: string): Record<string, string> {
  const labels: Record<string, string> = {};
  let i = 0;
  while (i < raw.length) {
    const eq = raw.indexOf('=', i);
    const name = raw.slice(i, eq);
    if (eq < 0 || !LABEL_NAME.test(name)) throw new Error(`bad label name, ${where}`);
    if (name in labels) throw new Error(`repeated label ${name}, ${where}`);
    if (raw[eq + 1] !== '"') throw new Error(`unquoted label value, ${where}`);
    let value = '';
    let j = eq + 2;
    for (; j < raw.length && raw[j] !== '"'; j++) {
      if (raw[j] !== '\\') {
        value += raw[j];
        continue;
      }
      const next = raw[++j];
      if (next === 'n') value += '\n';
      else if (next === '\\' || next === '"') value += next;
      else throw new Error(`bad escape in label value, ${where}`);
    }
    if (j >= raw.length) throw new Error(`unterminated label value, ${where}`);
    labels[name] = value;
    i = j + 1;
    if (i < raw.length && raw[i++] !== ',')
      throw new Error(`expected ',' between labels, ${where}`);
  }
  return labels;
}

/** Histograms: per series, buckets never go down and +Inf equals _count. */
function checkFamily(family: Family): void {
  if (family.type === 'counter' && !family.name.endsWith('_total'))
    throw new Error(`counter ${family.name} does not end in _total`);
  if (family.type !== 'histogram') return;
  const series = new Map<string, { buckets: [number, number][]; count?: number }>();
  for (const s of family.samples) {
    const { le, ...rest } = s.labels;
    const key = JSON.stringify(Object.entries(rest).sort());
    const entry = series.get(key) ?? { buckets: [] };
    if (s.name.endsWith('_bucket')) entry.buckets.push([parseValue(le, family.name), s.value]);
    else if (s.name.endsWith('_count')) entry.count = s.value;
    series.set(key, entry);
  }
  for (const [key, { buckets, count }] of series) {
    buckets.sort((a, b) => a[0] - b[0]);
    for (let i = 1; i < buckets.length; i++)
      if (buckets[i][1] < buckets[i - 1][1])
        throw new Error(`${family.name}${key}: buckets go down`);
    const inf = buckets.at(-1);
    if (inf === undefined || inf[0] !== Number.POSITIVE_INFINITY || inf[1] !== count)
      throw new Error(`${family.name}${key}: +Inf bucket differs from _count`);
  }
}

/** The value of one series: the family's sample whose labels include `labels`, summed over the rest. */
export function seriesValue(
  families: Map<string, Family>,
  name: string,
  labels: Record<string, string> = {},
): number {
  const family = families.get(name) ?? families.get(name.replace(/_(count|sum|bucket)$/, ''));
  let total = 0;
  for (const s of family?.samples ?? [])
    if (s.name === name && Object.entries(labels).every(([k, v]) => s.labels[k] === v))
      total += s.value;
  return total;
}
