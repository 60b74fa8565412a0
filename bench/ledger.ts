// npm run bench:ledger — the ledger's throughput and commit latency, next to baselines measured
// in the same run on the same disk. Not a test: it prints a table and writes
// bench/results/ledger.json. Options: --seconds N (per durable run), --accounts N, --skip-postgres.

import {
  closeSync,
  fsyncSync,
  mkdirSync,
  mkdtempSync,
  openSync,
  rmSync,
  writeFileSync,
  writeSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import Database from 'better-sqlite3';
import { LedgerClient } from '../src/journal/client.ts';
import { startEmbeddedPostgres } from '../src/journal/postgres/embedded-server.ts';
import type { JournalConfig } from '../src/journal/protocol.ts';
import { TRANSFER_COLUMNS } from '../src/journal/rows.ts';
import { SCHEMA_SQL } from '../src/journal/sqlite/schema.ts';
import type { TransferInput } from '../src/ledger/model.ts';
import { LedgerState, outcomeSink } from '../src/ledger/state.ts';
import { seededRandom } from '../src/risk/model/synthetic-data.ts';

interface Row {
  name: string;
  transfersPerSecond: number;
  commitP50Ms: number | null;
  commitP99Ms: number | null;
  note?: string;
  [extra: string]: unknown;
}

const { values: args } = parseArgs({
  options: {
    seconds: { type: 'string', default: '12' },
    accounts: { type: 'string', default: '100000' },
    submitters: { type: 'string', default: '2048' },
    'skip-postgres': { type: 'boolean', default: false },
  },
});
const SECONDS = Number(args.seconds);
const ACCOUNTS = Number(args.accounts);
const SUBMITTERS = Number(args.submitters);
const LEDGER = 404;
const HOT_SHARE = 0.8;

function makeTransfer(random: () => number, id: string, hot: boolean): TransferInput {
  const debit = 1 + Math.floor(random() * (ACCOUNTS - 1));
  let credit = hot && random() < HOT_SHARE ? 0 : Math.floor(random() * ACCOUNTS);
  if (credit === debit) credit = (credit + 1) % ACCOUNTS;
  return {
    id,
    debitAccountId: `acct-${debit}`,
    creditAccountId: `acct-${credit}`,
    amount: 1 + Math.floor(random() * 10_000),
    ledger: LEDGER,
    code: 1,
  };
}

function percentile(sorted: Float64Array | number[], p: number): number {
  if (sorted.length === 0) return Number.NaN;
  return sorted[Math.min(sorted.length - 1, Math.floor(sorted.length * p))];
}

function round(value: number, digits = 2): number {
  const f = 10 ** digits;
  return Math.round(value * f) / f;
}

// ---- apply-memory ---------------------------------------------------------------------------------

function applyMemory(): Row {
  const state = new LedgerState();
  const accounts = Array.from({ length: ACCOUNTS }, (_, i) => ({
    id: `acct-${i}`,
    ledger: LEDGER,
    code: 1,
  }));
  state.createAccounts(accounts, 1);
  state.takeChanges();
  const random = seededRandom(1);
  const batchSize = 8190;
  const batches = 120;
  const prepared: TransferInput[][] = [];
  for (let b = 0; b < batches; b++) {
    prepared.push(
      Array.from({ length: batchSize }, (_, i) => makeTransfer(random, `m-${b}-${i}`, false)),
    );
  }
  const times: number[] = [];
  let now = 2_000_000;
  for (const events of prepared) {
    const started = performance.now();
    state.missing(events);
    state.applyTransfers(events, (now += 1000), outcomeSink(events.length), 0);
    state.takeChanges();
    state.takeCheckpoint(256);
    times.push(performance.now() - started);
  }
  const measured = times.slice(20); // the first batches warm up the JIT and grow the id index
  const totalMs = measured.reduce((a, b) => a + b, 0);
  measured.sort((a, b) => a - b);
  return {
    name: 'apply-memory',
    transfersPerSecond: Math.round((measured.length * batchSize) / (totalMs / 1000)),
    commitP50Ms: round(percentile(measured, 0.5)),
    commitP99Ms: round(percentile(measured, 0.99)),
    note: `in-memory apply of ${batchSize}-event batches over ${ACCOUNTS} accounts; latency = per-batch apply time`,
  };
}

// ---- durable through the client --------------------------------------------------------------------

async function durable(name: string, journal: JournalConfig, hot: boolean): Promise<Row> {
  const client = await LedgerClient.open({ journal });
  for (let i = 0; i < ACCOUNTS; i += 8000) {
    const chunk = [];
    for (let j = i; j < Math.min(ACCOUNTS, i + 8000); j++)
      chunk.push({ id: `acct-${j}`, ledger: LEDGER, code: 1 });
    await client.createAccounts(chunk);
  }
  const random = seededRandom(hot ? 3 : 2);
  const latencies = new Float64Array(50_000_000 / 10);
  let acked = 0;
  let failed = 0;
  let sequence = 0;
  const before = await client.stats();
  const started = performance.now();
  const deadline = started + SECONDS * 1000;
  const submitter = async () => {
    while (performance.now() < deadline) {
      const transfer = makeTransfer(random, `${name}-${sequence++}`, hot);
      const sent = performance.now();
      const [result] = await client.createTransfers([transfer]);
      if (result.result !== 'ok') failed++;
      if (acked < latencies.length) latencies[acked] = performance.now() - sent;
      acked++;
    }
  };
  await Promise.all(Array.from({ length: SUBMITTERS }, submitter));
  const elapsedS = (performance.now() - started) / 1000;
  const after = await client.stats();
  await client.close();
  const sorted = latencies.subarray(0, Math.min(acked, latencies.length)).sort();
  const batches = after.batches - before.batches;
  return {
    name,
    transfersPerSecond: Math.round(acked / elapsedS),
    commitP50Ms: round(percentile(sorted, 0.5)),
    commitP99Ms: round(percentile(sorted, 0.99)),
    failed,
    averageBatch: Math.round((after.transfers - before.transfers) / Math.max(1, batches)),
    writerApplyShare: round((after.applyMs - before.applyMs) / (elapsedS * 1000), 3),
    writerCommitShare: round((after.commitMs - before.commitMs) / (elapsedS * 1000), 3),
    note: `${SUBMITTERS} concurrent submitters, ${ACCOUNTS} accounts${hot ? `, ${HOT_SHARE * 100}% credit one account` : ''}; latency = submit to durable ack`,
  };
}

// ---- baselines -------------------------------------------------------------------------------------

/** Prepared inserts of the same rows and two balance UPDATEs per transfer, one transaction a batch. */
function baselineSqliteRaw(dir: string, batchSize: number): Row {
  const db = new Database(join(dir, 'raw.db'));
  db.pragma('journal_mode = WAL');
  db.pragma('synchronous = FULL');
  db.pragma('cache_size = -65536');
  db.exec(SCHEMA_SQL);
  const insertAccount = db.prepare('INSERT INTO accounts VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?)');
  db.transaction(() => {
    for (let i = 0; i < ACCOUNTS; i++)
      insertAccount.run(`acct-${i}`, LEDGER, 1, 0, '', 0, i + 1, 0, 0, 0, 0, 0, 0);
  })();
  const tuple = `(${TRANSFER_COLUMNS.map(() => '?').join(',')})`;
  const insert = db.prepare(
    `INSERT INTO transfers (${TRANSFER_COLUMNS.join(',')}) VALUES ${tuple}`,
  );
  const debit = db.prepare('UPDATE accounts SET debits_posted = debits_posted + ? WHERE id = ?');
  const credit = db.prepare('UPDATE accounts SET credits_posted = credits_posted + ? WHERE id = ?');
  const random = seededRandom(4);
  const times: number[] = [];
  let ts = 10_000_000;
  let done = 0;
  const deadline = performance.now() + SECONDS * 1000;
  const started = performance.now();
  while (performance.now() < deadline) {
    const rows = Array.from({ length: batchSize }, (_, i) =>
      makeTransfer(random, `raw-${done + i}`, false),
    );
    const t0 = performance.now();
    db.transaction(() => {
      for (const t of rows) {
        ts++;
        insert.run(
          ts,
          t.id,
          t.debitAccountId,
          t.creditAccountId,
          t.amount,
          null,
          t.ledger,
          t.code,
          0,
          0,
          '',
          0,
          0,
          t.amount,
          0,
          0,
          0,
          0,
          0,
          t.amount,
          1,
          ts - 1,
          1,
          ts - 1,
        );
        debit.run(t.amount, t.debitAccountId);
        credit.run(t.amount, t.creditAccountId);
      }
    })();
    times.push(performance.now() - t0);
    done += batchSize;
  }
  const elapsedS = (performance.now() - started) / 1000;
  db.close();
  times.sort((a, b) => a - b);
  return {
    name: 'baseline-sqlite-raw',
    transfersPerSecond: Math.round(done / elapsedS),
    commitP50Ms: round(percentile(times, 0.5)),
    commitP99Ms: round(percentile(times, 0.99)),
    note: `bare prepared INSERT of the same row + 2 UPDATEs per transfer, transactions of ${batchSize}; latency = per transaction`,
  };
}

/** Append + fsync of same-sized records, in groups of the same batch size. */
function baselineFsyncRaw(dir: string, batchSize: number, recordBytes: number): Row {
  const fd = openSync(join(dir, 'append.log'), 'a');
  const buffer = Buffer.alloc(recordBytes * batchSize, 0x61);
  const times: number[] = [];
  let done = 0;
  const deadline = performance.now() + Math.min(SECONDS, 5) * 1000;
  const started = performance.now();
  while (performance.now() < deadline) {
    const t0 = performance.now();
    writeSync(fd, buffer);
    fsyncSync(fd);
    times.push(performance.now() - t0);
    done += batchSize;
  }
  const elapsedS = (performance.now() - started) / 1000;
  closeSync(fd);
  times.sort((a, b) => a - b);
  return {
    name: 'baseline-fsync-raw',
    transfersPerSecond: Math.round(done / elapsedS),
    commitP50Ms: round(percentile(times, 0.5)),
    commitP99Ms: round(percentile(times, 0.99)),
    note: `append ${batchSize} records of ${recordBytes} bytes + fsync; latency = per group`,
  };
}

// ---- main ------------------------------------------------------------------------------------------

function printTable(rows: Row[]): void {
  console.log('\nname                  transfers/s   commit p50 ms   commit p99 ms');
  for (const r of rows) {
    const fmt = (v: number | null) => (v === null ? '-' : v.toFixed(2)).padStart(15);
    console.log(
      `${r.name.padEnd(20)} ${String(r.transfersPerSecond).padStart(12)} ${fmt(r.commitP50Ms)} ${fmt(r.commitP99Ms)}`,
    );
  }
}

async function main(): Promise<void> {
  const dir = mkdtempSync(join(tmpdir(), 'malipo-bench-'));
  const rows: Row[] = [];
  try {
    rows.push(applyMemory());
    rows.push(
      await durable('sqlite-uniform', { kind: 'sqlite', path: join(dir, 'uniform.db') }, false),
    );
    rows.push(await durable('sqlite-hot', { kind: 'sqlite', path: join(dir, 'hot.db') }, true));
    if (!args['skip-postgres']) {
      const server = await startEmbeddedPostgres();
      try {
        rows.push(
          await durable(
            'postgres-uniform',
            { kind: 'postgres', url: await createDatabase(server.url, 'uniform') },
            false,
          ),
        );
        rows.push(
          await durable(
            'postgres-hot',
            { kind: 'postgres', url: await createDatabase(server.url, 'hot') },
            true,
          ),
        );
      } finally {
        await server.stop();
      }
    }
    const batch = Number(rows[1].averageBatch) || 4096;
    rows.push(baselineSqliteRaw(dir, batch));
    rows.push(baselineFsyncRaw(dir, batch, 200));
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
  printTable(rows);
  const find = (name: string) =>
    rows.find((r) => r.name === name)?.transfersPerSecond ?? Number.NaN;
  console.log(
    `\nsqlite-uniform / baseline-sqlite-raw = ${round(find('sqlite-uniform') / find('baseline-sqlite-raw'), 3)}`,
  );
  console.log(
    `sqlite-hot / sqlite-uniform = ${round(find('sqlite-hot') / find('sqlite-uniform'), 3)}`,
  );
  if (!args['skip-postgres'])
    console.log(
      `postgres-hot / postgres-uniform = ${round(find('postgres-hot') / find('postgres-uniform'), 3)}`,
    );
  mkdirSync('bench/results', { recursive: true });
  writeFileSync('bench/results/ledger.json', `${JSON.stringify(rows, null, 2)}\n`);
  console.log('wrote bench/results/ledger.json');
}

async function createDatabase(serverUrl: string, name: string): Promise<string> {
  const pg = (await import('pg')).default;
  const client = new pg.Client({ connectionString: serverUrl });
  await client.connect();
  await client.query(`CREATE DATABASE bench_${name}`);
  await client.end();
  const url = new URL(serverUrl);
  url.pathname = `/bench_${name}`;
  return url.toString();
}

main().catch((error) => {
  console.error(error);
  process.exit(1);
});
