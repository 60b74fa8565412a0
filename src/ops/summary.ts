// The operator's live figures (console and `malipo status`): throughput against the forecast
// band, latency percentiles and errors over the last few seconds, outbox backlogs, the review
// queue and the shards. Rates and percentiles come from the same prom-client instruments that
// /metrics exports, sampled every SAMPLE_INTERVAL_MS and differenced over a short window, so the
// console and Prometheus never disagree about what was counted.

import type { MetricValue, Registry } from 'prom-client';
import { METRICS_PREFIX } from './metrics.ts';
import {
  type ForecastFigures,
  forecastNow,
  type OpsSources,
  type OutboxFigures,
  outboxFigures,
  reviewFigures,
  type ShardFigures,
  shardFigures,
} from './sources.ts';

export const SAMPLE_INTERVAL_MS = 2_000;
/** Samples kept: the window rates and percentiles are computed over (about 20 s). */
const WINDOW_SAMPLES = 10;

export interface ErrorFigure {
  api: string;
  status: string;
  code: string;
  count: number;
}

export interface OpsSnapshot {
  atMs: number;
  metrics: boolean;
  windowSeconds: number;
  /** Committed transactions per second over the window (null with metrics off). */
  tps: number | null;
  /** Requests answered per second, and their latency, leaving out the console's and /metrics. */
  requestsPerSecond: number | null;
  latencySeconds: { p50: number; p95: number; p99: number } | null;
  /** Errors counted in the window, most frequent first. */
  errors: ErrorFigure[];
  forecast: ForecastFigures | null;
  capacityTps: number | null;
  outbox: OutboxFigures[];
  reviews: { held: number; oldestAgeSeconds: number };
  shards: ShardFigures[];
}

interface Sample {
  atMs: number;
  committed: number;
  requests: number;
  /** Request-duration bucket counts by upper bound, summed over every API. */
  buckets: Map<number, number>;
  errors: Map<string, number>;
}

export interface Summary {
  snapshot(): Promise<OpsSnapshot>;
  close(): void;
}

export function createSummary(registry: Registry | null, sources: OpsSources): Summary {
  const samples: Sample[] = [];
  const take = async () => {
    if (registry === null) return;
    samples.push(await sampleOf(registry, sources.clock.nowMs()));
    if (samples.length > WINDOW_SAMPLES) samples.shift();
  };
  const timer = registry === null ? null : setInterval(() => void take(), SAMPLE_INTERVAL_MS);
  timer?.unref();
  void take();
  return {
    async snapshot() {
      const [outbox, shards] = await Promise.all([outboxFigures(sources), shardFigures(sources)]);
      const now = registry === null ? null : await sampleOf(registry, sources.clock.nowMs());
      return {
        atMs: sources.clock.nowMs(),
        metrics: registry !== null,
        ...windowFigures(samples[0], now),
        forecast: forecastNow(sources),
        capacityTps: sources.capacityTps,
        outbox,
        reviews: reviewFigures(sources),
        shards,
      };
    },
    close() {
      if (timer !== null) clearInterval(timer);
    },
  };
}

/** The console's own polling and Prometheus's scrapes are not the traffic the operator watches. */
function watching(value: MetricValue<string>): boolean {
  const api = String(value.labels.api ?? '');
  return api === '/metrics' || api.startsWith('/ops');
}

async function valuesOf(registry: Registry, name: string): Promise<MetricValue<string>[]> {
  const metric = registry.getSingleMetric(`${METRICS_PREFIX}${name}`);
  return metric === undefined ? [] : (await metric.get()).values;
}

async function sampleOf(registry: Registry, atMs: number): Promise<Sample> {
  const [committed, requests, durations, errors] = await Promise.all([
    valuesOf(registry, 'transactions_committed_total'),
    valuesOf(registry, 'http_requests_total'),
    valuesOf(registry, 'http_request_duration_seconds'),
    valuesOf(registry, 'http_errors_total'),
  ]);
  const buckets = new Map<number, number>();
  for (const v of durations) {
    if (watching(v)) continue;
    // Histogram values carry their sample name (…_bucket, _sum, _count) beside the labels.
    const sampleName = (v as MetricValue<string> & { metricName?: string }).metricName;
    if (sampleName?.endsWith('_bucket') !== true) continue;
    const le = v.labels.le === '+Inf' ? Number.POSITIVE_INFINITY : Number(v.labels.le);
    buckets.set(le, (buckets.get(le) ?? 0) + v.value);
  }
  const errorCounts = new Map<string, number>();
  for (const v of errors) {
    const key = JSON.stringify([v.labels.api, String(v.labels.status), v.labels.code]);
    errorCounts.set(key, (errorCounts.get(key) ?? 0) + v.value);
  }
  const sum = (values: MetricValue<string>[]) => values.reduce((total, v) => total + v.value, 0);
  const served = requests.filter((v) => !watching(v));
  return { atMs, committed: sum(committed), requests: sum(served), buckets, errors: errorCounts };
}

type WindowFigures = Pick<
  OpsSnapshot,
  'windowSeconds' | 'tps' | 'requestsPerSecond' | 'latencySeconds' | 'errors'
>;

function windowFigures(from: Sample | undefined, to: Sample | null): WindowFigures {
  if (from === undefined || to === null || to.atMs <= from.atMs)
    return {
      windowSeconds: 0,
      tps: null,
      requestsPerSecond: null,
      latencySeconds: null,
      errors: [],
    };
  const seconds = (to.atMs - from.atMs) / 1000;
  const buckets = [...to.buckets].map(([le, n]) => [le, n - (from.buckets.get(le) ?? 0)] as const);
  buckets.sort((a, b) => a[0] - b[0]);
  const errors: ErrorFigure[] = [];
  for (const [key, n] of to.errors) {
    const count = n - (from.errors.get(key) ?? 0);
    if (count <= 0) continue;
    const [api, status, code] = JSON.parse(key) as [string, string, string];
    errors.push({ api, status, code, count });
  }
  errors.sort((a, b) => b.count - a.count);
  return {
    windowSeconds: seconds,
    tps: (to.committed - from.committed) / seconds,
    requestsPerSecond: (to.requests - from.requests) / seconds,
    latencySeconds: percentiles(buckets),
    errors,
  };
}

/** Quantiles from cumulative bucket counts, interpolated inside a bucket as Prometheus does. */
export function percentiles(
  buckets: readonly (readonly [number, number])[],
): { p50: number; p95: number; p99: number } | null {
  const total = buckets.at(-1)?.[1] ?? 0;
  if (total <= 0) return null;
  const quantile = (q: number) => {
    const rank = q * total;
    let lowerBound = 0;
    let lowerCount = 0;
    for (const [le, count] of buckets) {
      if (count >= rank) {
        // Past the last finite bucket: the best Prometheus can say is that bucket's bound.
        if (le === Number.POSITIVE_INFINITY) return lowerBound;
        const share = count === lowerCount ? 0 : (rank - lowerCount) / (count - lowerCount);
        return lowerBound + (le - lowerBound) * share;
      }
      lowerBound = le;
      lowerCount = count;
    }
    return lowerBound;
  };
  return { p50: quantile(0.5), p95: quantile(0.95), p99: quantile(0.99) };
}
