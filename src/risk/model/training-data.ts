// Writes training and prediction rows as CSV files for scripts/train-xgboost.py.
//
// CSV rather than libsvm: every column is written explicitly, so a missing value is the literal
// `nan` (XGBoost's missing) and can never be confused with an omitted zero, which is what libsvm's
// sparse rows would mean. Numbers are written with JavaScript's shortest round-trip form, which
// numpy parses back to the identical float64, so the file is an exact frozen copy of the data.

import { createHash, type Hash } from 'node:crypto';
import { open } from 'node:fs/promises';
import { TRAINING_ROWS_MAX } from './limits.ts';

export type FeatureRows = readonly (Float64Array | readonly number[])[];
export type Labels = Uint8Array | readonly number[];
export type Weights = Float64Array | readonly number[];

export interface LabelledRows {
  readonly rows: FeatureRows;
  readonly labels: Labels;
  /** Per-row sample weight, e.g. larger for high-value fraud. Defaults to 1. */
  readonly weights?: Weights;
}

/** Rows per write: bounds the string built in memory while keeping writes large. */
const CSV_CHUNK_ROWS = 2_048;

function cell(value: number): string {
  return Number.isNaN(value) ? 'nan' : String(value);
}

/** Throws RangeError: malformed training data is the caller's bug, not an expected outcome. */
export function checkFeatureRows(rows: FeatureRows, featureCount: number, what: string): void {
  if (rows.length === 0 || rows.length > TRAINING_ROWS_MAX) {
    throw new RangeError(`${what}: ${rows.length} rows, expected 1..${TRAINING_ROWS_MAX}`);
  }
  for (let i = 0; i < rows.length; i++) {
    const row = rows[i];
    if (row.length !== featureCount)
      throw new RangeError(`${what}: row ${i} has ${row.length} values, expected ${featureCount}`);
    for (let j = 0; j < featureCount; j++) {
      const v = row[j];
      // XGBoost rejects infinities; NaN is the only missing marker.
      if (typeof v !== 'number' || v === Infinity || v === -Infinity) {
        throw new RangeError(`${what}: row ${i} feature ${j} is ${String(v)}; use NaN for missing`);
      }
    }
  }
}

export function checkLabelled(data: LabelledRows, featureCount: number, what: string): number {
  checkFeatureRows(data.rows, featureCount, what);
  if (data.labels.length !== data.rows.length)
    throw new RangeError(`${what}: ${data.labels.length} labels for ${data.rows.length} rows`);
  if (data.weights !== undefined && data.weights.length !== data.rows.length) {
    throw new RangeError(`${what}: ${data.weights.length} weights for ${data.rows.length} rows`);
  }
  let positives = 0;
  for (let i = 0; i < data.rows.length; i++) {
    const label = data.labels[i];
    if (label !== 0 && label !== 1)
      throw new RangeError(`${what}: label ${i} is ${label}, expected 0 or 1`);
    positives += label;
    const weight = data.weights === undefined ? 1 : data.weights[i];
    if (!(Number.isFinite(weight) && weight >= 0))
      throw new RangeError(`${what}: weight ${i} is ${weight}`);
  }
  return positives;
}

async function writeChunks(
  path: string,
  rowCount: number,
  line: (i: number) => string,
  hash: Hash,
): Promise<void> {
  const handle = await open(path, 'w');
  try {
    for (let start = 0; start < rowCount; start += CSV_CHUNK_ROWS) {
      const end = Math.min(rowCount, start + CSV_CHUNK_ROWS);
      const lines: string[] = [];
      for (let i = start; i < end; i++) lines.push(line(i));
      const chunk = `${lines.join('\n')}\n`;
      hash.update(chunk);
      await handle.write(chunk);
    }
  } finally {
    await handle.close();
  }
}

/** `label,weight,f0,...` per row. Feeds `hash` with exactly the bytes written. */
export async function writeLabelledCsv(
  path: string,
  data: LabelledRows,
  hash: Hash,
): Promise<void> {
  const { rows, labels, weights } = data;
  await writeChunks(
    path,
    rows.length,
    (i) =>
      `${labels[i]},${weights === undefined ? 1 : weights[i]},${Array.from(rows[i], cell).join(',')}`,
    hash,
  );
}

/** `f0,...` per row, for prediction. */
export async function writeFeatureCsv(path: string, rows: FeatureRows): Promise<void> {
  await writeChunks(
    path,
    rows.length,
    (i) => Array.from(rows[i], cell).join(','),
    createHash('sha256'),
  );
}
