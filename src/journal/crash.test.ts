// The crash test: a child process holds the writer (src/journal/testing/crash-child.ts) and runs
// concurrent random work; we kill it with SIGKILL at random moments, restart it on the same
// journal, and after the last kill open the journal ourselves and check that
// - every acknowledged transfer is stored with identical fields, timestamp and amount;
// - no submission (hence no linked chain) is stored in part, acknowledged or not; a chain
//   acknowledged as failed left none of its ids behind; no id is stored twice;
// - a pending transfer is resolved (posted, voided or expired) at most once;
// - the invariants hold and every account's counters equal a recomputation from the rows.
// Only the child is ever killed, never the PostgreSQL server.

import assert from 'node:assert/strict';
import { type ChildProcess, spawn } from 'node:child_process';
import { randomInt } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, type TestContext, test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { isDeepStrictEqual } from 'node:util';
import { checkInvariants } from '../ledger/invariants.ts';
import { isSuccess, type Transfer, TransferFlags, type TransferInput } from '../ledger/model.ts';
import type { Journal, StoredExpiry } from './journal.ts';
import { PostgresJournal } from './postgres/journal.ts';
import { freshDatabaseUrl, stopTestPostgres } from './postgres/testing.ts';
import { recomputeBalances } from './recompute.ts';
import { SqliteJournal } from './sqlite/journal.ts';
import type { AckLine, ChildLine } from './testing/crash-child.ts';
import { Writer } from './writer.ts';

const REPO_ROOT = fileURLToPath(new URL('../..', import.meta.url));
const CHILD_SCRIPT = fileURLToPath(new URL('./testing/crash-child.ts', import.meta.url));
const READY_TIMEOUT_MS = 20_000;
const FIRST_ACK_TIMEOUT_MS = 10_000;
const EXIT_TIMEOUT_MS = 10_000;
const POLL_MS = 5;
/** Kill 100–700 ms after the first acknowledgement. */
const KILL_DELAY_MS = [100, 700] as const;
/**
 * Every QUIET_EVERY-th life starts with a quiet spell (only the writer's ticks commit: expiries
 * of earlier lives' pendings, checkpoints) and is killed during it or just as the load begins.
 */
const QUIET_EVERY = 4;
const QUIET_MS = 150;
const QUIET_KILL_DELAY_MS = [60, 200] as const;
const REPLAY_POOL_MAX = 40;
const STDERR_KEPT_MAX = 20_000;
const SCAN_PAGE_ROWS = 5_000;
const SCAN_PAGES_MAX = 10_000;
const LOOKUP_CHUNK = 2_000;
const EXAMPLES_PER_KIND = 3;
const RESOLVING = TransferFlags.postPending | TransferFlags.voidPending;
const BALANCING = TransferFlags.balancingDebit | TransferFlags.balancingCredit;

/** Every child ever started, so none outlives a failed test. */
const live = new Set<ChildProcess>();
after(async () => {
  for (const child of live) child.kill('SIGKILL');
  await stopTestPostgres();
});

interface CrashRun {
  kind: 'sqlite' | 'postgres';
  /** The journal's file path or database URL. */
  target: string;
  kills: number;
  seed: number;
  replayPath: string;
  acks: AckLine[];
}

interface Child {
  process: ChildProcess;
  ready: boolean;
  acks: AckLine[];
  stderr: string;
  closed: boolean;
  exit: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
}

function spawnChild(run: CrashRun, incarnation: number, quietMs: number): Child {
  const args = [CHILD_SCRIPT, run.kind, run.target, String(incarnation)];
  args.push(String(run.seed + incarnation), run.replayPath, String(quietMs));
  const process_ = spawn(process.execPath, ['--import', 'tsx', ...args], {
    cwd: REPO_ROOT,
    stdio: ['pipe', 'pipe', 'pipe'],
  });
  live.add(process_);
  const child: Child = {
    process: process_,
    ready: false,
    acks: [],
    stderr: '',
    closed: false,
    // 'close' waits for stdout to drain, so every line the child wrote has been seen.
    exit: new Promise((resolve) =>
      process_.once('close', (code, signal) => {
        child.closed = true;
        live.delete(process_);
        resolve({ code, signal });
      }),
    ),
  };
  let partial = '';
  process_.stdout!.setEncoding('utf8').on('data', (chunk: string) => {
    const lines = (partial + chunk).split('\n');
    // The last piece has no newline yet: it is not acknowledged until the rest arrives, and if
    // the child dies first it is a torn line and never counts.
    partial = lines.pop()!;
    for (const text of lines) receive(child, JSON.parse(text) as ChildLine);
  });
  process_.stderr!.setEncoding('utf8').on('data', (chunk: string) => {
    if (child.stderr.length < STDERR_KEPT_MAX) child.stderr += chunk;
  });
  return child;
}

function receive(child: Child, line: ChildLine): void {
  if (line.t === 'ready') child.ready = true;
  else child.acks.push(line);
}

async function waitFor(child: Child, condition: () => boolean, timeoutMs: number, what: string) {
  const deadline = Date.now() + timeoutMs;
  while (!condition()) {
    if (child.closed) assert.fail(`child exited before ${what}: ${child.stderr}`);
    if (Date.now() > deadline) assert.fail(`no ${what} within ${timeoutMs} ms: ${child.stderr}`);
    await sleep(POLL_MS);
  }
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

function within(bounds: readonly [number, number]): number {
  return randomInt(bounds[0], bounds[1] + 1);
}

/** One life of the child: start, wait until it works, kill it at a random moment. */
async function liveAndKill(run: CrashRun, incarnation: number): Promise<AckLine[]> {
  writeReplayPool(run);
  const quiet = incarnation % QUIET_EVERY === QUIET_EVERY - 1;
  const child = spawnChild(run, incarnation, quiet ? QUIET_MS : 0);
  try {
    await waitFor(child, () => child.ready, READY_TIMEOUT_MS, 'ready');
    if (!quiet) {
      await waitFor(child, () => child.acks.length > 0, FIRST_ACK_TIMEOUT_MS, 'first ack');
    }
    await sleep(within(quiet ? QUIET_KILL_DELAY_MS : KILL_DELAY_MS));
    assert.ok(!child.closed, `child ${incarnation} exited by itself: ${child.stderr}`);
    child.process.kill('SIGKILL');
    const exit = await Promise.race([child.exit, sleep(EXIT_TIMEOUT_MS).then(() => null)]);
    assert.ok(exit !== null, `child ${incarnation} did not exit after SIGKILL`);
    assert.equal(exit.signal, 'SIGKILL', `child ${incarnation} ended otherwise: ${child.stderr}`);
    return child.acks;
  } finally {
    child.process.kill('SIGKILL');
  }
}

/** Acknowledged, successful submissions of earlier lives, for the next child to replay. */
function writeReplayPool(run: CrashRun): void {
  const candidates = run.acks.filter((ack) => ack.results.every(([code]) => isSuccess(code)));
  const pool: TransferInput[][] = [];
  for (let i = 0; i < REPLAY_POOL_MAX && candidates.length > 0; i++) {
    pool.push(candidates[randomInt(candidates.length)].events);
  }
  writeFileSync(run.replayPath, JSON.stringify(pool));
}

async function crashRun(t: TestContext, run: CrashRun): Promise<void> {
  const startedMs = Date.now();
  for (let incarnation = 0; incarnation < run.kills; incarnation++) {
    for (const ack of await liveAndKill(run, incarnation)) run.acks.push(ack);
  }
  const killedMs = Date.now();
  const journal: Journal =
    run.kind === 'sqlite'
      ? new SqliteJournal({ path: run.target })
      : new PostgresJournal({ url: run.target });
  try {
    // Opening a writer is the restart: it recovers and asserts the invariants on what it read.
    const writer = await Writer.open({ journal });
    const summary = await verify(run, journal, writer);
    t.diagnostic(
      `${run.kind}: seed ${run.seed}, ${run.kills} kills, ${run.acks.length} acknowledged ` +
        `submissions, ${summary.ackedTransfers} acknowledged ok transfers, ` +
        `${summary.failedChains} acknowledged failed chains, ${summary.replays} replays, ` +
        `${summary.stored} stored transfers, ${summary.expiries} expiries; ` +
        `${killedMs - startedMs} ms killing, ${Date.now() - killedMs} ms checking`,
    );
    assert.ok(summary.ackedTransfers > run.kills * 10, 'too little acknowledged work to judge');
    assert.ok(summary.failedChains > 0 && summary.replays > 0, 'the workload lost its variety');
  } finally {
    await journal.close();
  }
}

interface Stored {
  transfers: Map<string, Transfer>;
  expiries: StoredExpiry[];
}

/** Collects problems instead of stopping at the first, so a failure shows its whole shape. */
class Violations {
  readonly counts = new Map<string, number>();
  readonly examples: string[] = [];
  check(ok: boolean, kind: string, detail: () => string): void {
    if (ok) return;
    const count = (this.counts.get(kind) ?? 0) + 1;
    this.counts.set(kind, count);
    if (count <= EXAMPLES_PER_KIND) this.examples.push(`${kind}: ${detail()}`);
  }
  get summary(): string {
    return [...this.counts].map(([kind, count]) => `${count} × ${kind}`).join(', ');
  }
}

async function verify(run: CrashRun, journal: Journal, writer: Writer) {
  const v = new Violations();
  const stored = await readStored(journal, v);
  checkWholeSubmissions(stored, v);
  const acked = checkAcks(run.acks, stored, v);
  await checkLookups(writer, stored, run.acks, v);
  checkPendings(run.acks, stored, v);
  await checkBalances(journal, writer, v);
  assert.deepEqual(v.examples, [], v.summary);
  return { ...acked, stored: stored.transfers.size, expiries: stored.expiries.length };
}

/** Every stored row, read directly: no id may appear twice. */
async function readStored(journal: Journal, v: Violations): Promise<Stored> {
  const transfers = new Map<string, Transfer>();
  let after = 0;
  for (let page = 0; page < SCAN_PAGES_MAX; page++) {
    const { rows, nextTimestamp } = await journal.scanTransfers(after, SCAN_PAGE_ROWS);
    for (const row of rows) {
      v.check(
        !transfers.has(row.id),
        'id stored twice',
        () => `transfer id ${row.id} stored twice`,
      );
      if (!transfers.has(row.id)) transfers.set(row.id, row);
    }
    if (rows.length < SCAN_PAGE_ROWS) break;
    after = nextTimestamp;
  }
  const expiries: StoredExpiry[] = [];
  after = 0;
  for (let page = 0; page < SCAN_PAGES_MAX; page++) {
    const { rows, nextTimestamp } = await journal.scanExpiries(after, SCAN_PAGE_ROWS);
    expiries.push(...rows);
    if (rows.length < SCAN_PAGE_ROWS) break;
    after = nextTimestamp;
  }
  return { transfers, expiries };
}

/**
 * Ids are `<incarnation>.<submitter>.<seq>.<k>.<n>`: from the rows alone, every submission that
 * is stored at all must be stored whole, acknowledged or not (its ack may have died with the
 * child, but a torn chain never may).
 */
function checkWholeSubmissions(stored: Stored, v: Violations): void {
  const seen = new Map<string, { n: number; ks: Set<number> }>();
  for (const id of stored.transfers.keys()) {
    const parts = id.split('.');
    v.check(parts.length === 5, 'unexpected id', () => `unexpected transfer id ${id}`);
    const prefix = parts.slice(0, 3).join('.');
    const entry = seen.get(prefix) ?? { n: Number(parts[4]), ks: new Set<number>() };
    entry.ks.add(Number(parts[3]));
    seen.set(prefix, entry);
  }
  for (const [prefix, { n, ks }] of seen) {
    v.check(
      ks.size === n,
      'submission stored in part',
      () => `submission ${prefix} stored in part: ${ks.size} of ${n} events`,
    );
  }
}

function checkAcks(acks: readonly AckLine[], stored: Stored, v: Violations) {
  let ackedTransfers = 0;
  let failedChains = 0;
  let replays = 0;
  for (const ack of acks) {
    const label = () => `${ack.kind} ack ${ack.events[0].id}`;
    v.check(
      ack.results.length === ack.events.length,
      'result count',
      () => `${label()}: result count`,
    );
    checkExpectedCodes(ack, v);
    if (ack.kind === 'replay') replays++;
    const successes = ack.results.filter(([code]) => isSuccess(code)).length;
    if (successes === ack.events.length) {
      for (let i = 0; i < ack.events.length; i++) {
        checkStoredAsAcked(ack.events[i], ack.results[i], stored, v);
      }
      ackedTransfers += ack.results.filter(([code]) => code === 'ok').length;
    } else if (successes === 0) {
      if (ack.events.length > 1) failedChains++;
      for (const event of ack.events) {
        v.check(
          !stored.transfers.has(event.id),
          'failed chain stored',
          () => `${label()}: failed but ${event.id} stored`,
        );
      }
    } else {
      v.check(
        false,
        'chain acknowledged in part',
        () => `${label()}: chain acknowledged in part: ${JSON.stringify(ack.results)}`,
      );
    }
  }
  return { ackedTransfers, failedChains, replays };
}

/** Outcomes known in advance: a replay of a success is `exists`, a second resolution fails. */
function checkExpectedCodes(ack: AckLine, v: Violations): void {
  const codes = ack.results.map(([code]) => code);
  if (ack.kind === 'replay') {
    v.check(
      codes.every((c) => c === 'exists'),
      'replay not exists',
      () => `replay of ${ack.events[0].id} answered ${codes}`,
    );
  }
  if (ack.kind === 'double-resolve') {
    v.check(
      codes[0] === 'pending_transfer_already_posted' ||
        codes[0] === 'pending_transfer_already_voided',
      'second resolution not refused',
      () => `second resolution ${ack.events[0].id} answered ${codes}`,
    );
  }
}

/** The stored transfer must be exactly what was submitted, with the acknowledged outcome. */
function checkStoredAsAcked(
  event: TransferInput,
  [code, timestamp, amount]: AckLine['results'][number],
  stored: Stored,
  v: Violations,
): void {
  const found = stored.transfers.get(event.id);
  if (found === undefined) {
    v.check(
      false,
      'acknowledged transfer missing',
      () => `acknowledged ${code} transfer ${event.id} is missing`,
    );
    return;
  }
  const flags = event.flags ?? 0;
  const pending = flags & RESOLVING ? stored.transfers.get(event.pendingId!) : undefined;
  if (flags & RESOLVING && pending === undefined) {
    v.check(
      false,
      'resolved pending missing',
      () => `resolution ${event.id}: pending ${event.pendingId} is missing`,
    );
    return;
  }
  const expected: Transfer = {
    id: event.id,
    debitAccountId: pending?.debitAccountId ?? event.debitAccountId!,
    creditAccountId: pending?.creditAccountId ?? event.creditAccountId!,
    amount,
    pendingId: event.pendingId ?? '',
    ledger: pending?.ledger ?? event.ledger!,
    code: event.code || (pending?.code ?? 0),
    flags,
    timeoutSeconds: event.timeoutSeconds ?? 0,
    userRef: event.userRef ?? '',
    userData: event.userData ?? 0,
    timestamp,
  };
  v.check(
    isDeepStrictEqual(found, expected),
    'stored unlike acknowledged',
    () => `${event.id}: stored ${JSON.stringify(found)}, acknowledged ${JSON.stringify(expected)}`,
  );
  const requested = event.amount;
  const amountOk =
    flags & BALANCING
      ? amount <= requested
      : flags & RESOLVING && requested === 0
        ? true
        : amount === requested;
  v.check(
    amountOk,
    'amount unlike request',
    () => `${event.id}: acknowledged amount ${amount} for ${requested}`,
  );
}

/** The writer's own lookups (id index, then the row) agree with the rows for every acked id. */
async function checkLookups(
  writer: Writer,
  stored: Stored,
  acks: readonly AckLine[],
  v: Violations,
): Promise<void> {
  const ids = [...new Set(acks.flatMap((ack) => ack.events.map((event) => event.id)))];
  for (let start = 0; start < ids.length; start += LOOKUP_CHUNK) {
    const chunk = ids.slice(start, start + LOOKUP_CHUNK);
    const found = new Map((await writer.lookupTransfers(chunk)).map((t) => [t.id, t]));
    for (const id of chunk) {
      const row = stored.transfers.get(id);
      const hit = found.get(id);
      v.check(
        row === undefined ? hit === undefined : isDeepStrictEqual(hit, row),
        'lookup unlike row',
        () => `lookupTransfers(${id}) gave ${JSON.stringify(hit)}, stored ${JSON.stringify(row)}`,
      );
    }
  }
}

/** Each pending transfer is resolved at most once: by one post or void, or by its expiry. */
function checkPendings(acks: readonly AckLine[], stored: Stored, v: Violations): void {
  const resolvedBy = new Map<string, string[]>();
  for (const t of stored.transfers.values()) {
    if ((t.flags & RESOLVING) === 0) continue;
    const pending = stored.transfers.get(t.pendingId);
    v.check(
      pending !== undefined && (pending.flags & TransferFlags.pending) !== 0,
      'resolves a non-pending',
      () => `${t.id} resolves ${t.pendingId}, which is not a stored pending transfer`,
    );
    resolvedBy.set(t.pendingId, [...(resolvedBy.get(t.pendingId) ?? []), t.id]);
  }
  for (const [pendingId, ids] of resolvedBy) {
    v.check(
      ids.length === 1,
      'pending resolved twice',
      () => `pending ${pendingId} resolved ${ids.length} times: ${ids}`,
    );
  }
  const expired = new Set<string>();
  for (const e of stored.expiries) {
    const pending = stored.transfers.get(e.pendingId);
    v.check(
      !expired.has(e.pendingId),
      'pending expired twice',
      () => `pending ${e.pendingId} expired twice`,
    );
    v.check(
      !resolvedBy.has(e.pendingId),
      'pending resolved and expired',
      () => `pending ${e.pendingId} resolved and expired`,
    );
    v.check(
      pending !== undefined &&
        e.timestamp >= pending.timestamp + pending.timeoutSeconds * 1_000_000 &&
        pending.timeoutSeconds > 0,
      'expiry before timeout',
      () => `expiry of ${e.pendingId} at ${e.timestamp} before its timeout`,
    );
    expired.add(e.pendingId);
  }
  for (const ack of acks) {
    if (ack.kind !== 'resolve' || !ack.results.every(([code]) => code === 'ok')) continue;
    const resolution = ack.events[0];
    const by = resolvedBy.get(resolution.pendingId!) ?? [];
    v.check(
      by.length === 1 && by[0] === resolution.id,
      'acknowledged resolution not stored',
      () => `acknowledged ${resolution.id} of ${resolution.pendingId}, stored resolutions ${by}`,
    );
  }
}

/** Invariants on the recovered counters, which must equal a recomputation from the rows. */
async function checkBalances(journal: Journal, writer: Writer, v: Violations): Promise<void> {
  const ids = (await journal.storedAccounts()).map((a) => a.id);
  v.check(ids.length === 10, 'account count', () => `expected 10 accounts, found ${ids.length}`);
  const accounts = await writer.lookupAccounts(ids);
  const report = checkInvariants(accounts);
  v.check(report.ok, 'invariants', () => `invariants: ${report.violations.join('; ')}`);
  const recomputed = await recomputeBalances(journal);
  for (const a of accounts) {
    const counters = [a.debitsPending, a.debitsPosted, a.creditsPending, a.creditsPosted];
    v.check(
      isDeepStrictEqual(recomputed.get(a.id), counters),
      'recomputed balance differs',
      () => `${a.id}: recovered ${counters}, recomputed ${recomputed.get(a.id)}`,
    );
  }
}

function seed(): number {
  const given = Number(process.env.MALIPO_CRASH_SEED);
  return Number.isSafeInteger(given) && given > 0 ? given : randomInt(2 ** 31);
}

describe('journal crash recovery: SIGKILL under concurrent load', () => {
  test('sqlite: at least 20 kills, then every acknowledgement holds', {
    timeout: 120_000,
  }, async (t) => {
    const dir = mkdtempSync(join(tmpdir(), 'malipo-crash-'));
    try {
      await crashRun(t, {
        kind: 'sqlite',
        target: join(dir, 'journal.db'),
        kills: 21,
        seed: seed(),
        replayPath: join(dir, 'replay.json'),
        acks: [],
      });
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  test('postgres: kills of the writer process, the server lives on', {
    timeout: 90_000,
  }, async (t) => {
    const dir = mkdtempSync(join(tmpdir(), 'malipo-crash-'));
    try {
      await crashRun(t, {
        kind: 'postgres',
        target: await freshDatabaseUrl(),
        kills: 6,
        seed: seed(),
        replayPath: join(dir, 'replay.json'),
        acks: [],
      });
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
