// The shipped Grafana dashboards and Prometheus rules: the dashboards validate against the schema
// the project ships (ops/grafana/dashboard.schema.json, with ajv), their panels tile the grid, the
// rules and provisioning files are well formed, and every metric a panel or a rule uses is one a
// running Malipo exports at /metrics (a renamed metric would leave a panel silently empty and an
// alert that can never fire).
import assert from 'node:assert/strict';
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import { Ajv } from 'ajv';
import { parse as parseYaml } from 'yaml';
import { startServer } from '../server/app.ts';
import { loadConfig } from '../server/config.ts';
import { parsePrometheusText } from './testing/prom-text.ts';

const OPS_DIR = fileURLToPath(new URL('../../ops/', import.meta.url));
const DASHBOARDS_DIR = join(OPS_DIR, 'grafana/dashboards');
/** Series Prometheus makes itself for every scrape target: not ours to export. */
const SYNTHESIZED = new Set(['up']);
const GRID_COLUMNS = 24;

interface Panel {
  id: number;
  type: string;
  title: string;
  gridPos: { x: number; y: number; w: number; h: number };
  targets?: { refId: string; expr: string }[];
}

const readJson = (path: string) =>
  JSON.parse(readFileSync(path, 'utf8')) as Record<string, unknown>;
const dashboards = () =>
  readdirSync(DASHBOARDS_DIR)
    .filter((name) => name.endsWith('.json'))
    .map((name) => ({ name, dashboard: readJson(join(DASHBOARDS_DIR, name)) }));

interface Rule {
  alert: string;
  expr: string;
  for?: string;
  labels: { severity: string };
  annotations: { summary: string };
}
const rules = () => {
  const file = parseYaml(readFileSync(join(OPS_DIR, 'prometheus/alerts.yml'), 'utf8')) as {
    groups: { name: string; rules: Rule[] }[];
  };
  return file.groups.flatMap((g) => g.rules);
};

/** Metric names in a PromQL expression: identifiers followed by a selector, range or bracket. */
function metricsIn(expr: string): string[] {
  const withoutStrings = expr.replace(/"[^"]*"/g, '""');
  const names = new Set<string>();
  for (const match of withoutStrings.matchAll(/\b(malipo_[a-z0-9_]+)/g)) names.add(match[1]);
  for (const match of withoutStrings.matchAll(/\b([a-z_:][a-z0-9_:]*)\{/g)) names.add(match[1]);
  return [...names];
}

describe('Grafana dashboards and Prometheus rules', { timeout: 120_000 }, () => {
  it('validate against the shipped schema and tile the grid', () => {
    const ajv = new Ajv({ allErrors: true, strict: true });
    const validate = ajv.compile(readJson(join(OPS_DIR, 'grafana/dashboard.schema.json')));
    const found = dashboards();
    assert.ok(found.length >= 1);
    for (const { name, dashboard } of found) {
      assert.ok(validate(dashboard), `${name}: ${ajv.errorsText(validate.errors)}`);
      const panels = dashboard.panels as Panel[];
      assert.equal(
        new Set(panels.map((p) => p.id)).size,
        panels.length,
        `${name}: panel ids repeat`,
      );
      for (const p of panels) {
        assert.ok(
          p.gridPos.x + p.gridPos.w <= GRID_COLUMNS,
          `${name}: ${p.title} overflows the grid`,
        );
        const refIds = (p.targets ?? []).map((t) => t.refId);
        assert.equal(new Set(refIds).size, refIds.length, `${name}: ${p.title} repeats a refId`);
      }
      assertNoOverlap(name, panels);
    }
  });

  it('the schema refuses what Grafana would not show', () => {
    const ajv = new Ajv({ allErrors: true, strict: true });
    const validate = ajv.compile(readJson(join(OPS_DIR, 'grafana/dashboard.schema.json')));
    const good = dashboards()[0].dashboard;
    const panels = good.panels as Panel[];
    const typo = { ...good, panels: [{ ...panels[1], gridpos: panels[1].gridPos }] };
    assert.equal(validate(typo), false);
    const noTargets = { ...good, panels: [{ ...panels[1], targets: [] }] };
    assert.equal(validate(noTargets), false);
  });

  it('alert rules and provisioning are well formed', () => {
    const all = rules();
    assert.ok(all.length >= 5);
    for (const rule of all) {
      assert.match(rule.alert, /^Malipo[A-Za-z]+$/);
      assert.ok(rule.expr.trim().length > 0 && metricsIn(rule.expr).length > 0, rule.alert);
      assert.ok(['page', 'ticket'].includes(rule.labels.severity), rule.alert);
      assert.ok(rule.annotations.summary.length > 0, rule.alert);
    }
    const names = all.map((r) => r.alert);
    for (const wanted of [
      'MalipoCallbackLag',
      'MalipoErrorRate',
      'MalipoForecastAboveCapacity',
      'MalipoReviewQueueAgeing',
    ])
      assert.ok(names.includes(wanted), wanted);
    const datasources = parseYaml(
      readFileSync(join(OPS_DIR, 'grafana/provisioning/datasources/malipo.yaml'), 'utf8'),
    ) as { datasources: { type: string }[] };
    assert.equal(datasources.datasources[0].type, 'prometheus');
    const providers = parseYaml(
      readFileSync(join(OPS_DIR, 'grafana/provisioning/dashboards/malipo.yaml'), 'utf8'),
    ) as { providers: { type: string; options: { path: string } }[] };
    assert.equal(providers.providers[0].type, 'file');
  });

  it('use only metrics that /metrics exports', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'malipo-grafana-'));
    const token = 'grafana-test-token';
    const server = await startServer(
      loadConfig(
        { dataDir: dir, host: '127.0.0.1', port: 0 },
        { MALIPO_METRICS_TOKEN: token, MALIPO_CAPACITY_TPS: '100' },
      ),
    );
    let text: string;
    try {
      const response = await fetch(`${server.url}/metrics`, {
        headers: { authorization: `Bearer ${token}` },
      });
      text = await response.text();
    } finally {
      await server.close();
      rmSync(dir, { recursive: true, force: true });
    }
    const families = parsePrometheusText(text);
    const exported = (name: string) => {
      if (families.has(name)) return true;
      const base = name.replace(/_(bucket|sum|count)$/, '');
      return base !== name && families.get(base)?.type === 'histogram';
    };
    const used = new Map<string, string>();
    for (const { name, dashboard } of dashboards())
      for (const p of dashboard.panels as Panel[])
        for (const t of p.targets ?? [])
          for (const metric of metricsIn(t.expr)) used.set(metric, `${name}: ${p.title}`);
    for (const rule of rules())
      for (const metric of metricsIn(rule.expr)) used.set(metric, rule.alert);
    assert.ok(used.size >= 15);
    for (const expr of allExpressions()) assertBalanced(expr);
    for (const [metric, where] of used)
      assert.ok(
        SYNTHESIZED.has(metric) || exported(metric),
        `${where} uses ${metric}, which /metrics does not export`,
      );
  });
});

function allExpressions(): string[] {
  const panels = dashboards().flatMap(({ dashboard }) => dashboard.panels as Panel[]);
  return [
    ...panels.flatMap((p) => (p.targets ?? []).map((t) => t.expr)),
    ...rules().map((r) => r.expr),
  ];
}

/** Without promtool here, at least: brackets pair up and quotes close (a typo Grafana shows as an error). */
function assertBalanced(expr: string): void {
  const pairs: Record<string, string> = { ')': '(', ']': '[', '}': '{' };
  const open: string[] = [];
  const withoutStrings = expr.replace(/"[^"]*"/g, '""');
  assert.equal((withoutStrings.match(/"/g) ?? []).length % 2, 0, `unclosed quote: ${expr}`);
  for (const c of withoutStrings) {
    if (c === '(' || c === '[' || c === '{') open.push(c);
    else if (c in pairs) assert.equal(open.pop(), pairs[c], `unbalanced '${c}': ${expr}`);
  }
  assert.deepEqual(open, [], `unclosed bracket: ${expr}`);
}

/** Panels must not cover each other (Grafana would push them around and hide the layout's intent). */
function assertNoOverlap(name: string, panels: Panel[]): void {
  for (let i = 0; i < panels.length; i++)
    for (let j = i + 1; j < panels.length; j++) {
      const a = panels[i].gridPos;
      const b = panels[j].gridPos;
      const apart = a.x + a.w <= b.x || b.x + b.w <= a.x || a.y + a.h <= b.y || b.y + b.h <= a.y;
      assert.ok(apart, `${name}: '${panels[i].title}' and '${panels[j].title}' overlap`);
    }
}
