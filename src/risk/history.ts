// A timestamped transaction history read for replay through the risk engine (`malipo risk
// replay`): JSON lines or CSV, with the PaySim CSV layout recognised by its header. Every line
// becomes the transaction record the platform would commit (or an operator event), with its fraud
// label kept beside it when the file has one. Lines are read one at a time, so a PaySim file of
// millions of rows replays in constant memory.

import { createReadStream } from 'node:fs';
import { createInterface } from 'node:readline';
import type { RowLabel, StreamItem } from './dataset.ts';
import { OPERATOR_EVENT_TYPES, type OperatorEventType, type PartyRef } from './model.ts';

const HOUR_MS = 3_600_000;

/** The PaySim header (Lopez-Rojas et al. 2016; Kaggle paysim1). */
export const PAYSIM_COLUMNS = [
  'step',
  'type',
  'amount',
  'nameOrig',
  'oldbalanceOrg',
  'newbalanceOrig',
  'nameDest',
  'oldbalanceDest',
  'newbalanceDest',
  'isFraud',
  'isFlaggedFraud',
] as const;

export interface HistoryOptions {
  /** Instant of PaySim's step 0 (its steps are hours). */
  readonly paysimStartMs: number;
}

export type HistoryLine =
  | { readonly kind: 'item'; readonly item: StreamItem }
  /** When an account opened (the labelled-stream files of `malipo simulate --offline`). */
  | { readonly kind: 'opened'; readonly party: string; readonly atMs: number }
  | { readonly kind: 'skipped'; readonly line: number; readonly problem: string };

const FRAUD_LABEL: RowLabel = { typology: 'labelled', role: 'loss' };

/** `kind:id`, or a bare id taken as a customer. */
function party(value: unknown): PartyRef | null {
  if (typeof value === 'object' && value !== null) {
    const { kind, id } = value as { kind?: unknown; id?: unknown };
    return typeof kind === 'string' && typeof id === 'string' ? { kind, id } : null;
  }
  if (typeof value !== 'string' || value === '') return null;
  const colon = value.indexOf(':');
  return colon > 0
    ? { kind: value.slice(0, colon), id: value.slice(colon + 1) }
    : { kind: 'customer', id: value };
}

function instant(value: unknown): number {
  if (typeof value === 'number') return value;
  if (typeof value !== 'string') return Number.NaN;
  return /^\d+$/.test(value) ? Number(value) : Date.parse(value);
}

/** Cents from `amountCents`, or from `amount` in whole currency units (KES). */
function cents(
  record: Record<string, unknown>,
  centsKey: string,
  unitsKey: string,
): number | undefined {
  const c = record[centsKey];
  if (c !== undefined && c !== '') return Number(c);
  const units = record[unitsKey];
  return units === undefined || units === '' ? undefined : Math.round(Number(units) * 100);
}

function fraudFlag(value: unknown): boolean {
  return value === true || value === 1 || value === '1' || value === 'true';
}

/** One flat record (a JSON object or a CSV row by header) as a transaction or operator event. */
export function recordToItem(record: Record<string, unknown>): StreamItem | string {
  const atMs = instant(record.timestampMs ?? record.timestamp ?? record.time ?? record.atMs);
  if (!Number.isFinite(atMs)) return 'no timestamp (timestampMs, timestamp or time)';
  const type = String(record.type ?? record.event ?? '');
  if ((OPERATOR_EVENT_TYPES as readonly string[]).includes(type)) {
    if (typeof record.msisdn !== 'string') return 'an operator event needs an msisdn';
    return {
      kind: 'event',
      event: { msisdn: record.msisdn, type: type as OperatorEventType, atMs },
    };
  }
  const from = party(record.from);
  const to = party(record.to);
  const amountCents = cents(record, 'amountCents', 'amount');
  if (type === '' || from === null || to === null) return 'needs type, from and to';
  if (amountCents === undefined || !(Number.isSafeInteger(amountCents) && amountCents > 0))
    return 'needs a positive amount (amountCents, or amount in KES)';
  const balance = cents(record, 'fromBalanceCents', 'fromBalance');
  const txn = {
    ...(typeof record.receipt === 'string' ? { receipt: record.receipt } : {}),
    type,
    from,
    to,
    amountCents,
    timestampMs: atMs,
    ...(balance === undefined || !Number.isFinite(balance) ? {} : { fromBalanceCents: balance }),
  };
  const fraud = fraudFlag(record.isFraud ?? record.fraud);
  return fraud ? { kind: 'txn', txn, label: FRAUD_LABEL } : { kind: 'txn', txn };
}

/** PaySim's types as this platform's: transfers are sends, cash-outs and debits withdrawals. */
const PAYSIM_TYPES: Readonly<Record<string, string>> = {
  PAYMENT: 'buy_goods',
  TRANSFER: 'send_money',
  CASH_OUT: 'agent_withdrawal',
  DEBIT: 'agent_withdrawal',
  CASH_IN: 'agent_deposit',
};

/** PaySim parties: `M…` merchants are tills; a cash-out or cash-in's other side is an agent. */
function paysimParty(name: string, role: 'customer' | 'counter', type: string): PartyRef {
  if (role === 'customer') return { kind: 'customer', id: name };
  if (name.startsWith('M')) return { kind: 'till', id: name };
  if (type === 'agent_withdrawal' || type === 'agent_deposit') return { kind: 'agent', id: name };
  return { kind: 'customer', id: name };
}

/**
 * A PaySim row. Steps are hours; rows of one step keep their file order 100 ms apart (the layout
 * has no finer time). CASH_IN credits nameOrig, so the agent (nameDest) is the payer.
 */
export function paysimToItem(
  cells: readonly string[],
  startMs: number,
  rankInStep: number,
): StreamItem | string {
  const [step, rawType, amount, orig, oldOrig, , dest, , , isFraud] = cells;
  const type = PAYSIM_TYPES[rawType];
  if (type === undefined) return `unknown PaySim type ${rawType}`;
  const amountCents = Math.round(Number(amount) * 100);
  if (!(amountCents > 0) || !/^\d+$/.test(step)) return 'bad step or amount';
  const atMs = startMs + Number(step) * HOUR_MS + Math.min(rankInStep * 100, HOUR_MS - 1);
  const customer = paysimParty(orig, 'customer', type);
  const counter = paysimParty(dest, 'counter', type);
  const incoming = type === 'agent_deposit';
  const txn = {
    type,
    from: incoming ? counter : customer,
    to: incoming ? customer : counter,
    amountCents,
    timestampMs: atMs,
    ...(incoming ? {} : { fromBalanceCents: Math.round(Number(oldOrig) * 100) }),
  };
  return isFraud === '1' ? { kind: 'txn', txn, label: FRAUD_LABEL } : { kind: 'txn', txn };
}

/** Splits a CSV line; quoted cells may hold commas and doubled quotes. */
export function csvCells(line: string): string[] {
  const cells: string[] = [];
  let cell = '';
  let quoted = false;
  for (let k = 0; k < line.length; k++) {
    const ch = line[k];
    if (quoted) {
      if (ch === '"' && line[k + 1] === '"') {
        cell += '"';
        k += 1;
      } else if (ch === '"') quoted = false;
      else cell += ch;
    } else if (ch === '"') quoted = true;
    else if (ch === ',') {
      cells.push(cell);
      cell = '';
    } else cell += ch;
  }
  cells.push(cell.trim());
  return cells.map((c) => c.trim());
}

type Format = 'jsonl' | 'csv' | 'paysim';

function formatOf(firstLine: string): Format {
  if (firstLine.trimStart().startsWith('{')) return 'jsonl';
  const header = csvCells(firstLine);
  return PAYSIM_COLUMNS.every((name, k) => header[k] === name) ? 'paysim' : 'csv';
}

/** One JSON line: a labelled-stream line ({period}, {party}, {item}) or a flat record. */
function jsonLine(text: string, line: number): HistoryLine | null {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    return { kind: 'skipped', line, problem: 'not JSON' };
  }
  if (typeof value !== 'object' || value === null)
    return { kind: 'skipped', line, problem: 'not an object' };
  const record = value as Record<string, unknown>;
  if ('period' in record) return null;
  if (typeof record.party === 'string' && typeof record.openedAtMs === 'number')
    return { kind: 'opened', party: record.party, atMs: record.openedAtMs };
  if (typeof record.item === 'object' && record.item !== null)
    return { kind: 'item', item: record.item as StreamItem };
  const item = recordToItem(record);
  return typeof item === 'string'
    ? { kind: 'skipped', line, problem: item }
    : { kind: 'item', item };
}

/** Reads a history file line by line, in file order (which must be time order). */
export async function* readHistory(
  path: string,
  options: HistoryOptions,
): AsyncGenerator<HistoryLine> {
  const lines = createInterface({
    input: createReadStream(path, { encoding: 'utf8' }),
    crlfDelay: Infinity,
  });
  let format: Format | null = null;
  let header: string[] = [];
  let line = 0;
  let step = '';
  let rank = 0;
  for await (const text of lines) {
    line += 1;
    if (text.trim() === '') continue;
    if (format === null) {
      format = formatOf(text);
      if (format !== 'jsonl') {
        header = csvCells(text);
        continue;
      }
    }
    if (format === 'jsonl') {
      const parsed = jsonLine(text, line);
      if (parsed !== null) yield parsed;
      continue;
    }
    const cells = csvCells(text);
    let item: StreamItem | string;
    if (format === 'paysim') {
      rank = cells[0] === step ? rank + 1 : 0;
      step = cells[0];
      item = paysimToItem(cells, options.paysimStartMs, rank);
    } else {
      item = recordToItem(Object.fromEntries(header.map((name, k) => [name, cells[k] ?? ''])));
    }
    yield typeof item === 'string'
      ? { kind: 'skipped', line, problem: item }
      : { kind: 'item', item };
  }
}
