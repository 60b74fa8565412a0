// `malipo status`: the operator console's health figures in a terminal, from a running server
// (GET /ops/api/summary with the admin token). Exit code 0 when healthy, 1 when something needs
// attention (a shard down, dead letters, payments held for review, server errors), 2 when the
// server cannot be reached, so a script or a cron job can act on it.

import { parseArgs } from 'node:util';
import type { OpsSnapshot } from '../ops/summary.ts';
import { adminGet, adminTarget } from './admin-client.ts';

export async function runStatusCommand(args: string[]): Promise<number> {
  const { values } = parseArgs({
    args,
    options: { url: { type: 'string' }, data: { type: 'string' }, json: { type: 'boolean' } },
  });
  const target = adminTarget(values);
  let answer: { status: number; body: OpsSnapshot };
  try {
    answer = await adminGet<OpsSnapshot>(target, '/ops/api/summary');
  } catch (error) {
    console.error(`malipo status: cannot reach ${target.url}: ${(error as Error).message}`);
    return 2;
  }
  if (answer.status !== 200) {
    console.error(`malipo status: ${target.url} answered ${answer.status}`);
    return 2;
  }
  if (values.json) console.log(JSON.stringify(answer.body, null, 2));
  else console.log(formatStatus(answer.body, target.url));
  return attentionOf(answer.body).length === 0 ? 0 : 1;
}

/** What needs an operator, in words; empty when all is well. */
export function attentionOf(s: OpsSnapshot): string[] {
  const notes: string[] = [];
  for (const shard of s.shards) if (!shard.up) notes.push(`shard ${shard.shard} is down`);
  for (const o of s.outbox) if (o.dead > 0) notes.push(`${o.dead} dead letters in ${o.stream}`);
  if (s.reviews.held > 0) notes.push(`${s.reviews.held} payments held for review`);
  const serverErrors = s.errors.filter((e) => e.status.startsWith('5'));
  if (serverErrors.length > 0)
    notes.push(`${serverErrors.length} kinds of server error in the window`);
  if (s.forecast !== null && s.capacityTps !== null && s.forecast.capacityNeeded > s.capacityTps)
    notes.push('the forecast needs more capacity than is provisioned');
  return notes;
}

const fixed = (x: number | null, digits = 2) => (x === null ? '–' : x.toFixed(digits));
const millis = (seconds: number) => `${(seconds * 1000).toFixed(1)} ms`;
const age = (seconds: number) =>
  seconds < 120 ? `${Math.round(seconds)} s` : `${(seconds / 60).toFixed(0)} min`;

export function formatStatus(s: OpsSnapshot, url: string): string {
  const lines = [`Malipo at ${url}  (${new Date(s.atMs).toISOString()})`];
  if (!s.metrics) lines.push('  metrics are off (MALIPO_METRICS=off): no rates or latencies');
  const band =
    s.forecast === null
      ? 'no forecast yet'
      : `forecast ${fixed(s.forecast.expected)} (band ${fixed(s.forecast.lower)}–${fixed(s.forecast.upper)}, needs ${fixed(s.forecast.capacityNeeded)})`;
  const capacity = s.capacityTps === null ? '' : `, provisioned ${fixed(s.capacityTps)}`;
  lines.push(
    `  throughput   ${fixed(s.tps)} tx/s committed, ${fixed(s.requestsPerSecond)} requests/s; ${band}${capacity}`,
  );
  const l = s.latencySeconds;
  lines.push(
    l === null
      ? '  latency      –'
      : `  latency      p50 ${millis(l.p50)}  p95 ${millis(l.p95)}  p99 ${millis(l.p99)}  (last ${Math.round(s.windowSeconds)} s)`,
  );
  const errors = s.errors.slice(0, 5).map((e) => `${e.status} ${e.code} ×${e.count} (${e.api})`);
  lines.push(`  errors       ${errors.length === 0 ? 'none' : errors.join('; ')}`);
  for (const shard of s.shards)
    lines.push(
      `  shard ${shard.shard}      ${shard.up ? 'up' : `DOWN ${shard.error ?? ''}`}, ${shard.journal}, ${shard.accounts} accounts, ${shard.transfers} transfers, ${shard.openPendings} pending`,
    );
  for (const o of s.outbox)
    lines.push(
      `  outbox ${o.stream.padEnd(9)} ${o.pending} pending, ${o.delivering} delivering, ${o.dead} dead${o.pending + o.delivering > 0 ? `, oldest ${age(o.oldestAgeSeconds)}` : ''}`,
    );
  lines.push(
    `  reviews      ${s.reviews.held} held${s.reviews.held > 0 ? `, oldest ${age(s.reviews.oldestAgeSeconds)}` : ''}`,
  );
  const attention = attentionOf(s);
  lines.push(attention.length === 0 ? 'healthy' : `needs attention: ${attention.join('; ')}`);
  return lines.join('\n');
}
