// Single-transaction scoring latency, for the fraud evaluation's report (not a test: no timing
// assertions anywhere). Each call is timed on its own with hrtime, as a decision is made one
// transaction at a time. Absolute numbers on shared machines drift, so two baselines are measured
// in the same run: the timer's own cost, and a plain branching tree walk over the same tables (the
// textbook evaluator of reference doc B3), which shows what the branch-free walk in gbt.ts buys.

import { explainMargin, type GbtModel, scoreProbability, sigmoid } from './gbt.ts';
import { BENCH_ITERATIONS_MAX } from './limits.ts';

export interface ScoreLatency {
  readonly iterations: number;
  readonly p50Us: number;
  readonly p99Us: number;
  readonly maxUs: number;
  readonly meanUs: number;
  /** p50 / p99 of scoring plus Saabas contributions (explainMargin), the "reasons" path. */
  readonly explainP50Us: number;
  readonly explainP99Us: number;
  /** p50 / p99 of the plain branching walk over the same model and rows. */
  readonly baselineP50Us: number;
  readonly baselineP99Us: number;
  /** p50 of an empty timed region: included in every figure above. */
  readonly timerOverheadP50Us: number;
  /** Sum of the scores, so the work cannot be optimised away; also a cheap determinism check. */
  readonly checksum: number;
}

export interface ScoreLatencyOptions {
  /** Timed calls. Default 10,000. */
  readonly iterations?: number;
  /** Untimed calls first, so the optimising compiler has settled. Default 2,000. */
  readonly warmupIterations?: number;
}

/** The textbook walk: one branch per node. Baseline only; must agree with scoreProbability. */
function branchingProbability(model: GbtModel, features: ArrayLike<number>): number {
  const { roots, split, left, threshold, leafValue } = model;
  let margin = model.baseMargin;
  for (let t = 0; t < model.treeCount; t++) {
    let node = roots[t];
    while (left[node] !== node) {
      const packed = split[node];
      const x = features[packed >> 1];
      const goLeft = Number.isNaN(x) ? (packed & 1) === 1 : Math.fround(x) < threshold[node];
      node = goLeft ? left[node] : left[node] + 1;
    }
    margin = Math.fround(margin + leafValue[node]);
  }
  return sigmoid(margin);
}

function percentileUs(sortedNs: Float64Array, fraction: number): number {
  const index = Math.min(sortedNs.length - 1, Math.floor(fraction * sortedNs.length));
  return sortedNs[index] / 1000;
}

function timeCalls(
  iterations: number,
  call: (i: number) => number,
): { durationsNs: Float64Array; sum: number } {
  const durationsNs = new Float64Array(iterations);
  let sum = 0;
  for (let i = 0; i < iterations; i++) {
    const start = process.hrtime.bigint();
    sum += call(i);
    durationsNs[i] = Number(process.hrtime.bigint() - start);
  }
  durationsNs.sort();
  return { durationsNs, sum };
}

/** p50/p99 microseconds per scoreProbability call, cycling through `rows`. */
export function measureScoreLatency(
  model: GbtModel,
  rows: readonly ArrayLike<number>[],
  options: ScoreLatencyOptions = {},
): ScoreLatency {
  const iterations = Math.min(
    BENCH_ITERATIONS_MAX,
    Math.max(1, Math.floor(options.iterations ?? 10_000)),
  );
  const warmup = Math.min(
    BENCH_ITERATIONS_MAX,
    Math.max(0, Math.floor(options.warmupIterations ?? 2_000)),
  );
  if (rows.length === 0) throw new RangeError('measureScoreLatency needs at least one row');
  const contributions = new Float64Array(model.featureCount);
  const score = (i: number) => scoreProbability(model, rows[i % rows.length]);
  const explain = (i: number) => explainMargin(model, rows[i % rows.length], contributions);
  const baseline = (i: number) => branchingProbability(model, rows[i % rows.length]);
  for (const call of [score, explain, baseline]) timeCalls(warmup, call);
  const scored = timeCalls(iterations, score);
  const explained = timeCalls(iterations, explain);
  const branching = timeCalls(iterations, baseline);
  const empty = timeCalls(iterations, () => 0);
  // Same model, same rows, same float32 sums: any difference is a bug in one of the two walks.
  if (branching.sum !== scored.sum)
    throw new Error(`scorers disagree: ${scored.sum} vs ${branching.sum}`);
  let totalNs = 0;
  for (const ns of scored.durationsNs) totalNs += ns;
  return {
    iterations,
    p50Us: percentileUs(scored.durationsNs, 0.5),
    p99Us: percentileUs(scored.durationsNs, 0.99),
    maxUs: scored.durationsNs[iterations - 1] / 1000,
    meanUs: totalNs / iterations / 1000,
    explainP50Us: percentileUs(explained.durationsNs, 0.5),
    explainP99Us: percentileUs(explained.durationsNs, 0.99),
    baselineP50Us: percentileUs(branching.durationsNs, 0.5),
    baselineP99Us: percentileUs(branching.durationsNs, 0.99),
    timerOverheadP50Us: percentileUs(empty.durationsNs, 0.5),
    checksum: scored.sum,
  };
}
