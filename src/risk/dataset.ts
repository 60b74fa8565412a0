// Training and evaluation rows, built by replaying a labelled stream through the SAME feature
// store the server uses: each transaction's features are computed before it is applied (as
// `assess` sees them), then the transaction is observed, as the committed stream would be.
// Labels ride next to the rows and never reach the store.

import { createFeatureStore, type FeatureStoreOptions } from './features.ts';
import type { OperatorEvent, PartyRef, RiskTransaction } from './model.ts';
import { FEATURE_COUNT } from './schema.ts';

/** A fraud label as the simulator writes it; the risk domain needs only these fields. */
export interface RowLabel {
  readonly typology: string;
  readonly role: string;
}

/**
 * Rows labelled with these roles are observed (they shape the features) but give no row: a
 * fraudster moving his own money into place is neither a fraud loss nor legitimate behaviour.
 */
export const UNSCORED_ROLES: ReadonlySet<string> = new Set(['setup']);

export type StreamItem =
  | { readonly kind: 'txn'; readonly txn: RiskTransaction; readonly label?: RowLabel }
  | { readonly kind: 'event'; readonly event: OperatorEvent };

export interface Dataset {
  /** One view per row into a single buffer. */
  readonly rows: Float64Array[];
  readonly labels: Uint8Array;
  readonly amountsCents: Float64Array;
  readonly timestampsMs: Float64Array;
  readonly types: readonly string[];
  /** The label of each row, null for a legitimate one. */
  readonly rowLabels: readonly (RowLabel | null)[];
}

export interface BuildDatasetOptions {
  readonly openedAtMs?: (party: PartyRef) => number | undefined;
  readonly commissionBands?: FeatureStoreOptions['commissionBands'];
  /** Transactions before this only warm the features; they produce no row. */
  readonly rowsFromMs?: number;
  /** A cap on rows, so a mistaken input cannot exhaust memory. */
  readonly rowsMax: number;
}

export function buildDataset(items: Iterable<StreamItem>, options: BuildDatasetOptions): Dataset {
  const store = createFeatureStore({
    accountOpenedAtMs: options.openedAtMs,
    commissionBands: options.commissionBands,
  });
  const from = options.rowsFromMs ?? Number.NEGATIVE_INFINITY;
  let buffer: Float64Array = new Float64Array(FEATURE_COUNT * 4_096);
  const meta = { labels: [] as number[], amounts: [] as number[], times: [] as number[] };
  const types: string[] = [];
  const rowLabels: (RowLabel | null)[] = [];
  for (const item of items) {
    if (item.kind === 'event') {
      store.recordEvent(item.event);
      continue;
    }
    const { txn } = item;
    const scored = item.label === undefined || !UNSCORED_ROLES.has(item.label.role);
    if (txn.timestampMs >= from && scored) {
      if (types.length >= options.rowsMax)
        throw new RangeError(`more than ${options.rowsMax} rows`);
      if ((types.length + 1) * FEATURE_COUNT > buffer.length) buffer = grow(buffer);
      store.vector(
        txn,
        buffer.subarray(types.length * FEATURE_COUNT, (types.length + 1) * FEATURE_COUNT),
      );
      meta.labels.push(item.label === undefined ? 0 : 1);
      meta.amounts.push(txn.amountCents);
      meta.times.push(txn.timestampMs);
      types.push(txn.type);
      rowLabels.push(item.label ?? null);
    }
    store.observe(txn);
  }
  return {
    rows: types.map((_, i) => buffer.subarray(i * FEATURE_COUNT, (i + 1) * FEATURE_COUNT)),
    labels: Uint8Array.from(meta.labels),
    amountsCents: Float64Array.from(meta.amounts),
    timestampsMs: Float64Array.from(meta.times),
    types,
    rowLabels,
  };
}

function grow(buffer: Float64Array): Float64Array {
  const next = new Float64Array(buffer.length * 2);
  next.set(buffer);
  return next;
}

/** Rows whose timestamp falls in [fromMs, toMs). */
export function sliceByTime(data: Dataset, fromMs: number, toMs: number): Dataset {
  const keep: number[] = [];
  for (let i = 0; i < data.rows.length; i++) {
    if (data.timestampsMs[i] >= fromMs && data.timestampsMs[i] < toMs) keep.push(i);
  }
  return selectRows(data, keep);
}

/** The rows at these indices, every column kept in step. */
export function selectRows(data: Dataset, keep: readonly number[]): Dataset {
  return {
    rows: keep.map((i) => data.rows[i]),
    labels: Uint8Array.from(keep, (i) => data.labels[i]),
    amountsCents: Float64Array.from(keep, (i) => data.amountsCents[i]),
    timestampsMs: Float64Array.from(keep, (i) => data.timestampsMs[i]),
    types: keep.map((i) => data.types[i]),
    rowLabels: keep.map((i) => data.rowLabels[i]),
  };
}
