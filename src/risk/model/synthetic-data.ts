// A deterministic synthetic fraud data set for tests and benchmarks of the model layer.
//
// Shaped like the mobile-money features of the reference doc (B0) so the trees look like real ones:
// 20 features of mixed scale, integers and indicators, NaN where a value genuinely does not exist
// (no SIM swap ever, no agent involved), and a nonlinear label rule (SIM swap × new device × drain,
// mule fan-in, night-time pushes) with label noise. Not a model of real fraud rates.

import type { FeatureSpec } from './model-file.ts';

export const SYNTHETIC_FEATURES: readonly FeatureSpec[] = [
  { name: 'amount_log', type: 'float' },
  { name: 'amount_z', type: 'float' },
  { name: 'tx_count_1h', type: 'int' },
  { name: 'tx_count_24h', type: 'int' },
  { name: 'new_recipient', type: 'bool' },
  { name: 'sim_swap_age_log', type: 'float' },
  { name: 'new_device', type: 'bool' },
  { name: 'hour_of_day', type: 'int' },
  { name: 'recipient_fan_in_24h', type: 'int' },
  { name: 'drain_ratio', type: 'float' },
  { name: 'tx_type', type: 'int' },
  { name: 'account_age_log', type: 'float' },
  { name: 'balance_log', type: 'float' },
  { name: 'recipient_account_age_log', type: 'float' },
  { name: 'failed_pin_24h', type: 'int' },
  { name: 'distinct_recipients_7d', type: 'int' },
  { name: 'agent_distance_km_log', type: 'float' },
  { name: 'device_count_30d', type: 'int' },
  { name: 'night', type: 'bool' },
  { name: 'amount_1h_log', type: 'float' },
];

export interface SyntheticData {
  readonly rows: Float64Array[];
  readonly labels: Uint8Array;
  /** Fraud weighted by value (1 + log10 of the amount), legitimate rows 1. */
  readonly weights: Float64Array;
}

/** mulberry32: tiny, fast, and good enough for test data; the same seed gives the same data. */
export function seededRandom(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

function gaussian(random: () => number): number {
  // Box–Muller; 1 - u keeps the logarithm finite.
  return Math.sqrt(-2 * Math.log(1 - random())) * Math.cos(2 * Math.PI * random());
}

function poisson(random: () => number, mean: number): number {
  let count = 0;
  for (let p = random(); p > Math.exp(-mean) && count < 200; p *= random()) count++;
  return count;
}

function syntheticRow(random: () => number): Float64Array {
  const amountLog = 6 + 1.5 * gaussian(random);
  const hour = Math.floor(random() * 24);
  const swapped = random() < 0.25;
  const agent = random() < 0.6;
  return Float64Array.from([
    amountLog,
    gaussian(random),
    poisson(random, 1.2),
    poisson(random, 6),
    random() < 0.3 ? 1 : 0,
    swapped ? Math.log1p(random() * 90) : Number.NaN,
    random() < 0.1 ? 1 : 0,
    hour,
    poisson(random, 2),
    random() ** 2,
    Math.floor(random() * 5),
    Math.log1p(random() * 3000),
    amountLog + 1 + gaussian(random),
    random() < 0.1 ? Number.NaN : Math.log1p(random() * 3000),
    poisson(random, 0.3),
    poisson(random, 4),
    agent ? Math.log1p(random() * 50) : Number.NaN,
    1 + poisson(random, 0.5),
    hour < 5 ? 1 : 0,
    amountLog + 0.5 * gaussian(random),
  ]);
}

/** The true log-odds of fraud: interactions a linear model cannot express, missing-aware. */
export function syntheticFraudLogit(x: Float64Array): number {
  const recentSwap = x[5] < 2.5 ? 1 : 0; // NaN (never swapped) compares false
  const drain = x[9];
  let logit = -6;
  logit += 2.0 * recentSwap + 1.5 * x[6] + 3.0 * recentSwap * x[6] * drain;
  logit += 5.0 * drain * drain * (x[1] > 0.5 ? 1 : 0);
  logit += x[8] > 3 && x[11] < 5 ? 3.5 : 0;
  logit += 2.0 * x[18] * x[4] + 0.8 * Math.sin(x[7] / 3.8);
  logit += x[14] >= 1 ? 1.5 : 0;
  logit += 0.8 * Math.max(0, x[0] - 7);
  logit += Number.isNaN(x[16]) ? 0 : 0.6 * (x[16] > 3 ? 1 : 0);
  return logit;
}

/** `rowCount` rows from `seed`; about 5% positive, 1% of labels flipped as noise. */
export function syntheticFraudData(rowCount: number, seed: number): SyntheticData {
  const random = seededRandom(seed);
  const rows: Float64Array[] = [];
  const labels = new Uint8Array(rowCount);
  const weights = new Float64Array(rowCount);
  for (let i = 0; i < rowCount; i++) {
    const row = syntheticRow(random);
    let label = random() < 1 / (1 + Math.exp(-syntheticFraudLogit(row))) ? 1 : 0;
    if (random() < 0.01) label = 1 - label;
    rows.push(row);
    labels[i] = label;
    weights[i] = label === 1 ? 1 + Math.log10(Math.exp(row[0])) : 1;
  }
  return { rows, labels, weights };
}
