// npm run bench:products — mixed product transactions per second through the payments service
// on the embedded journal (SQLite), next to the ledger's own durable rate for the same number of
// transfers, measured in the same run on the same disk (absolute numbers drift on shared
// machines; the ratio is what we track). Not a test: it prints a table and writes
// bench/results/products.json. Target: product transactions/s × transfers per transaction ≥ 50 %
// of the ledger's rate.
//
//   node --import tsx bench/products.ts [--seconds 20] [--warmup 4] [--concurrency 128]
//                                       [--customers 1000] [--seed 1]
//
// Traffic is the randomized test's driver (src/payments/testing/simulation.ts) with its
// real-traffic weights, every command pre-authorized (no PIN hashing) and no simulated days.
// For a CPU profile of the product side add --cpu-prof --cpu-prof-dir=bench/results/prof after
// `node`; the writer thread's profile lands there too.

import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { parseArgs } from 'node:util';
import { LedgerClient } from '../src/journal/client.ts';
import type { JournalRecord } from '../src/journal/journal.ts';
import type { WriterStats } from '../src/journal/writer.ts';
import { TransferFlags, type TransferInput } from '../src/ledger/model.ts';
import { type OpResult, Simulation, seededRandom } from '../src/payments/testing/simulation.ts';
import { openWorld, type World } from '../src/payments/testing/world.ts';

const { values: args } = parseArgs({
  options: {
    seconds: { type: 'string', default: '20' },
    warmup: { type: 'string', default: '4' },
    concurrency: { type: 'string', default: '128' },
    customers: { type: 'string', default: '1000' },
    seed: { type: 'string', default: '1' },
  },
});
const SECONDS = Number(args.seconds);
const WARMUP_SECONDS = Number(args.warmup);
const CONCURRENCY = Number(args.concurrency);
const CUSTOMERS = Number(args.customers);
const SEED = Number(args.seed);
const TARGET_RATIO = 0.5;
const LEDGER = 404;
/** Accounts every chain's later legs credit in the baseline, as fees and excise are in products. */
const HOT_ACCOUNTS = 3;
const READ_PAGE_ROWS = 10_000;
const CHAIN_LEAD_US = 1_000;
/** Records sampled from the product run to size the baseline's records like the product's. */
const RECORD_SAMPLE_ROWS = 2_000;

function percentile(sorted: readonly number[], p: number): number {
  if (sorted.length === 0) return Number.NaN;
  return sorted[Math.min(sorted.length - 1, Math.floor(sorted.length * p))];
}

const round = (value: number, digits = 2) => Math.round(value * 10 ** digits) / 10 ** digits;

// ---- Where the product service's time goes ---------------------------------------------------

type Bucket = 'lockWait' | 'read' | 'submit' | 'records';

class Timers {
  readonly ms: Record<Bucket, number> = { lockWait: 0, read: 0, submit: 0, records: 0 };
  readonly calls: Record<Bucket, number> = { lockWait: 0, read: 0, submit: 0, records: 0 };
  on = false;

  add(bucket: Bucket, ms: number): void {
    if (!this.on) return;
    this.ms[bucket] += ms;
    this.calls[bucket]++;
  }
}

const LEDGER_BUCKETS: Readonly<Record<string, Bucket>> = {
  lookupAccounts: 'read',
  lookupTransfers: 'read',
  getAccountTransfers: 'read',
  latestRecords: 'read',
  createTransfers: 'submit',
  createAccounts: 'submit',
  appendRecords: 'records',
};

/**
 * Times the ledger calls and lock waits of the service by wrapping them on these instances
 * (not in the code under test): cheap enough not to move the figure it explains.
 */
function instrument(world: World, timers: Timers): void {
  const ledger = world.ledger as unknown as Record<string, (...a: unknown[]) => Promise<unknown>>;
  for (const [name, bucket] of Object.entries(LEDGER_BUCKETS)) {
    const original = ledger[name].bind(ledger);
    ledger[name] = async (...a: unknown[]) => {
      const started = performance.now();
      try {
        return await original(...a);
      } finally {
        timers.add(bucket, performance.now() - started);
      }
    };
  }
  const locks = world.payments.context.locks;
  const withLocks = locks.with.bind(locks);
  locks.with = <T>(keys: readonly string[], work: () => Promise<T>): Promise<T> => {
    const asked = performance.now();
    return withLocks(keys, () => {
      timers.add('lockWait', performance.now() - asked);
      return work();
    });
  };
}

// ---- The product service ---------------------------------------------------------------------

interface RecordShape {
  txnBytes: number;
  smsBytes: number;
  smsPerTxn: number;
}

interface ProductRun {
  seconds: number;
  ops: number;
  committed: number;
  refused: number;
  refusals: Record<string, number>;
  transfers: number;
  latenciesMs: number[];
  committedLatenciesMs: number[];
  /** Lengths of the chains committed while measuring, in commit order. */
  chainLengths: number[];
  accounts: number;
  records: RecordShape;
  timers: Timers;
  writer: { applyShare: number; commitShare: number; averageBatch: number };
  mainThreadUtilization: number;
}

async function measureProducts(dir: string): Promise<ProductRun> {
  const journal = { kind: 'sqlite' as const, path: join(dir, 'products.db') };
  const world = await openWorld({ journal, checkInvariants: false });
  const timers = new Timers();
  instrument(world, timers);
  const measured: OpResult[] = [];
  const sim = new Simulation(world, {
    seed: SEED,
    cast: { customers: CUSTOMERS, forgetfulShare: 0 },
    mix: { pinShare: 0, wrongPinShare: 0, dayEveryOps: 0 },
    onResult: (r) => {
      if (timers.on) measured.push(r);
    },
  });
  try {
    await sim.populate();
    await sim.run({ durationMs: WARMUP_SECONDS * 1000, concurrency: CONCURRENCY });
    const before = await world.ledger.stats();
    const elu = performance.eventLoopUtilization();
    timers.on = true;
    const started = performance.now();
    await sim.run({ durationMs: SECONDS * 1000, concurrency: CONCURRENCY });
    const elapsedMs = performance.now() - started;
    timers.on = false;
    const after = await world.ledger.stats();
    const mainThreadUtilization = performance.eventLoopUtilization(elu).utilization;
    const chainLengths = await chainLengthsSince(world, measured);
    const records = await recordShape(world);
    return summarize(measured, before, after, elapsedMs, {
      chainLengths,
      timers,
      mainThreadUtilization,
      records,
    });
  } finally {
    await world.close();
  }
}

function summarize(
  measured: OpResult[],
  before: WriterStats,
  after: WriterStats,
  elapsedMs: number,
  extra: Pick<ProductRun, 'chainLengths' | 'timers' | 'mainThreadUtilization' | 'records'>,
): ProductRun {
  const refusals: Record<string, number> = {};
  for (const r of measured)
    if (!r.ok) refusals[r.error ?? '?'] = (refusals[r.error ?? '?'] ?? 0) + 1;
  const committed = measured.filter((r) => r.receipt !== undefined);
  const batches = Math.max(1, after.batches - before.batches);
  return {
    seconds: elapsedMs / 1000,
    ops: measured.length,
    committed: committed.length,
    refused: measured.length - measured.filter((r) => r.ok).length,
    refusals,
    transfers: after.transfers - before.transfers,
    latenciesMs: measured.map((r) => r.latencyMs).sort((a, b) => a - b),
    committedLatenciesMs: committed.map((r) => r.latencyMs).sort((a, b) => a - b),
    accounts: after.accounts,
    writer: {
      applyShare: (after.applyMs - before.applyMs) / elapsedMs,
      commitShare: (after.commitMs - before.commitMs) / elapsedMs,
      averageBatch: (after.transfers - before.transfers) / batches,
    },
    ...extra,
  };
}

/** Sizes of the product's records, and SMS per transaction over the time the SMS sample spans. */
async function recordShape(world: World): Promise<RecordShape> {
  const txns = await world.ledger.latestRecords('txn', RECORD_SAMPLE_ROWS);
  const sms = await world.ledger.latestRecords('sms', RECORD_SAMPLE_ROWS);
  const mean = (rows: { body: string }[]) =>
    rows.reduce((sum, r) => sum + r.body.length, 0) / Math.max(1, rows.length);
  const since = Math.min(...sms.map((r) => r.timestamp));
  const txnsSince = txns.filter((r) => r.timestamp >= since).length;
  return {
    txnBytes: Math.round(mean(txns)),
    smsBytes: Math.round(mean(sms)),
    smsPerTxn: round(sms.length / Math.max(1, txnsSince), 3),
  };
}

/** The chain length of every transaction committed while measuring, read back from the ledger. */
async function chainLengthsSince(world: World, measured: OpResult[]): Promise<number[]> {
  const receipts = new Set(measured.flatMap((r) => (r.receipt ? [r.receipt.receipt] : [])));
  // A loop, not Math.min(...all): a long run measures more transactions than the stack holds
  // arguments.
  let first = Number.POSITIVE_INFINITY;
  for (const r of measured)
    if (r.receipt && r.receipt.ledgerTimestamp < first) first = r.receipt.ledgerTimestamp;
  const lengths = new Map<string, number>();
  // A chain's draw legs come just before its principal: start a little earlier, filter by receipt.
  let after = Number.isFinite(first) ? first - CHAIN_LEAD_US : 0;
  for (;;) {
    const page = await world.ledger.scanTransfers(after, READ_PAGE_ROWS);
    for (const t of page.rows)
      if (receipts.has(t.userRef)) lengths.set(t.userRef, (lengths.get(t.userRef) ?? 0) + 1);
    if (page.rows.length < READ_PAGE_ROWS) break;
    after = page.nextTimestamp;
  }
  return [...lengths.values()];
}

// ---- The ledger alone, same transfers --------------------------------------------------------

interface LedgerRun {
  transfersPerSecond: number;
  seconds: number;
  failed: number;
  averageBatch: number;
}

/**
 * The same number of transfers, in linked chains of the same lengths (in the same order), from
 * the same number of concurrent callers, through LedgerClient on a fresh SQLite journal with as
 * many accounts. With `records`, each chain also commits a transaction record and two SMS, as the
 * product service does: the difference between the two rows is the records' cost.
 */
async function measureLedger(
  dir: string,
  name: string,
  product: ProductRun,
  records: boolean,
): Promise<LedgerRun> {
  const client = await LedgerClient.open({
    journal: { kind: 'sqlite', path: join(dir, `${name}.db`) },
  });
  try {
    await createAccounts(client, product.accounts);
    const random = seededRandom(SEED);
    const lengths = product.chainLengths;
    let next = 0;
    let failed = 0;
    const before = await client.stats();
    const started = performance.now();
    const caller = async () => {
      while (next < lengths.length) {
        const index = next++;
        const chain = makeChain(random, `${name}-${index}`, lengths[index], product.accounts);
        const options = records ? { records: recordsFor(chain, index, product.records) } : {};
        const results = await client.createTransfers(chain, options);
        if (results.some((r) => r.result !== 'ok')) failed++;
      }
    };
    await Promise.all(Array.from({ length: CONCURRENCY }, caller));
    const seconds = (performance.now() - started) / 1000;
    const after = await client.stats();
    const transfers = after.transfers - before.transfers;
    return {
      transfersPerSecond: transfers / seconds,
      seconds,
      failed,
      averageBatch: transfers / Math.max(1, after.batches - before.batches),
    };
  } finally {
    await client.close();
  }
}

async function createAccounts(client: LedgerClient, count: number): Promise<void> {
  const chunk = 8000;
  for (let i = 0; i < count; i += chunk) {
    const inputs = [];
    for (let j = i; j < Math.min(count, i + chunk); j++)
      inputs.push({ id: `acct-${j}`, ledger: LEDGER, code: 1 });
    await client.createAccounts(inputs);
  }
}

/** A principal between two random accounts, then legs to a few hot accounts (fees, excise). */
function makeChain(
  random: ReturnType<typeof seededRandom>,
  id: string,
  length: number,
  accounts: number,
): TransferInput[] {
  const chain: TransferInput[] = [];
  for (let leg = 0; leg < length; leg++) {
    const debit = HOT_ACCOUNTS + random.int(0, accounts - HOT_ACCOUNTS - 1);
    let credit =
      leg === 0 ? HOT_ACCOUNTS + random.int(0, accounts - HOT_ACCOUNTS - 1) : leg % HOT_ACCOUNTS;
    if (credit === debit) credit = (credit + 1) % accounts;
    chain.push({
      id: `${id}:${leg}`,
      debitAccountId: `acct-${debit}`,
      creditAccountId: `acct-${credit}`,
      amount: 1 + random.int(0, 9_999),
      ledger: LEDGER,
      code: 1,
      flags: leg < length - 1 ? TransferFlags.linked : 0,
      userRef: id,
    });
  }
  return chain;
}

/** A transaction record and the product's share of SMS, of the product's sizes, with balances. */
function recordsFor(chain: TransferInput[], index: number, shape: RecordShape): JournalRecord[] {
  const key = chain[0].userRef ?? '';
  const accounts = [chain[0].debitAccountId ?? '', chain[0].creditAccountId ?? ''];
  const body = (bytes: number) => JSON.stringify({ key, pad: 'x'.repeat(bytes) });
  const sms = Math.floor((index + 1) * shape.smsPerTxn) - Math.floor(index * shape.smsPerTxn);
  return [
    { stream: 'txn', key, body: body(shape.txnBytes), balancesOf: accounts },
    ...Array.from({ length: sms }, (_, i) => ({
      stream: 'sms',
      key,
      body: body(shape.smsBytes),
      balancesOf: [accounts[i % 2]],
    })),
  ];
}

// ---- Report ----------------------------------------------------------------------------------

function timeShares(product: ProductRun): Record<string, number> {
  const total = product.latenciesMs.reduce((a, b) => a + b, 0);
  const { ms } = product.timers;
  const known = ms.lockWait + ms.read + ms.submit + ms.records;
  return {
    lockWait: round(ms.lockWait / total, 3),
    ledgerReads: round(ms.read / total, 3),
    ledgerSubmit: round(ms.submit / total, 3),
    recordsOnly: round(ms.records / total, 3),
    serviceAndQueueing: round((total - known) / total, 3),
  };
}

function printTable(product: ProductRun, ledger: LedgerRun, withRecords: LedgerRun, ratio: number) {
  const perTxn = product.transfers / product.committed;
  const rows: [string, string][] = [
    ['product transactions committed/s', (product.committed / product.seconds).toFixed(0)],
    ['product commands attempted/s', (product.ops / product.seconds).toFixed(0)],
    ['transfers per transaction', perTxn.toFixed(2)],
    ['product transfers/s', (product.transfers / product.seconds).toFixed(0)],
    ['ledger transfers/s (same chains)', ledger.transfersPerSecond.toFixed(0)],
    ['ledger + records transfers/s', withRecords.transfersPerSecond.toFixed(0)],
    [`ratio (target ≥ ${TARGET_RATIO})`, ratio.toFixed(3)],
    [
      'latency p50 / p99 ms (all)',
      `${percentile(product.latenciesMs, 0.5).toFixed(1)} / ${percentile(product.latenciesMs, 0.99).toFixed(1)}`,
    ],
    [
      'latency p50 / p99 ms (committed)',
      `${percentile(product.committedLatenciesMs, 0.5).toFixed(1)} / ${percentile(product.committedLatenciesMs, 0.99).toFixed(1)}`,
    ],
    ['refused', `${product.refused} (${((100 * product.refused) / product.ops).toFixed(1)} %)`],
    [
      'average batch, products / ledger',
      `${product.writer.averageBatch.toFixed(0)} / ${ledger.averageBatch.toFixed(0)}`,
    ],
    [
      'writer apply / commit share',
      `${product.writer.applyShare.toFixed(2)} / ${product.writer.commitShare.toFixed(2)}`,
    ],
    ['main thread busy', product.mainThreadUtilization.toFixed(2)],
  ];
  console.log(
    `\n${CONCURRENCY} callers, ${SECONDS} s measured after ${WARMUP_SECONDS} s warm-up, ${CUSTOMERS} customers`,
  );
  for (const [name, value] of rows) console.log(`${name.padEnd(36)}${value.padStart(16)}`);
  const per = (bucket: Bucket) => (product.timers.calls[bucket] / product.ops).toFixed(2);
  console.log('\nwhere a product command spends its time (share of Σ latency; calls per command)');
  for (const [name, share] of Object.entries(timeShares(product)))
    console.log(`  ${name.padEnd(34)}${share.toFixed(3).padStart(8)}`);
  console.log(
    `  reads ${per('read')}, submissions ${per('submit')}, records-only ${per('records')}, lock waits ${per('lockWait')} per command`,
  );
  const codes = Object.entries(product.refusals).sort((a, b) => b[1] - a[1]);
  console.log(`\nrefusals: ${codes.map(([c, n]) => `${c} ${n}`).join(', ')}`);
}

async function main(): Promise<void> {
  const dir = mkdtempSync(join(tmpdir(), 'malipo-bench-products-'));
  try {
    const product = await measureProducts(dir);
    if (product.committed === 0) throw new Error('no product transaction committed');
    const ledger = await measureLedger(dir, 'ledger', product, false);
    const withRecords = await measureLedger(dir, 'ledger-records', product, true);
    if (ledger.failed + withRecords.failed > 0) throw new Error('baseline transfers failed');
    const productTransactionsPerSecond = product.committed / product.seconds;
    const transfersPerTransaction = product.transfers / product.committed;
    const ratio =
      (productTransactionsPerSecond * transfersPerTransaction) / ledger.transfersPerSecond;
    printTable(product, ledger, withRecords, ratio);
    const result = {
      productTransactionsPerSecond: round(productTransactionsPerSecond, 1),
      transfersPerTransaction: round(transfersPerTransaction, 3),
      ledgerTransfersPerSecond: round(ledger.transfersPerSecond, 1),
      ratio: round(ratio, 3),
      targetRatio: TARGET_RATIO,
      productCommandsPerSecond: round(product.ops / product.seconds, 1),
      ledgerWithRecordsTransfersPerSecond: round(withRecords.transfersPerSecond, 1),
      latencyP50Ms: round(percentile(product.latenciesMs, 0.5)),
      latencyP99Ms: round(percentile(product.latenciesMs, 0.99)),
      committedLatencyP50Ms: round(percentile(product.committedLatenciesMs, 0.5)),
      committedLatencyP99Ms: round(percentile(product.committedLatenciesMs, 0.99)),
      refused: product.refused,
      refusals: product.refusals,
      timeShares: timeShares(product),
      writer: {
        applyShare: round(product.writer.applyShare, 3),
        commitShare: round(product.writer.commitShare, 3),
        averageBatch: round(product.writer.averageBatch, 1),
      },
      mainThreadUtilization: round(product.mainThreadUtilization, 3),
      records: product.records,
      concurrency: CONCURRENCY,
      customers: CUSTOMERS,
      seconds: round(product.seconds, 1),
      warmupSeconds: WARMUP_SECONDS,
      seed: SEED,
      node: process.version,
    };
    mkdirSync('bench/results', { recursive: true });
    writeFileSync('bench/results/products.json', `${JSON.stringify(result, null, 2)}\n`);
    console.log('\nwrote bench/results/products.json');
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

main().catch((error) => {
  console.error(error);
  process.exit(1);
});
