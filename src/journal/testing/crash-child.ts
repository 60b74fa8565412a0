// The process the crash test (src/journal/crash.test.ts) kills with SIGKILL. It opens a ledger
// client on the journal named by its arguments, creates a fixed set of accounts (idempotently, so
// restarts see `exists`), then runs many concurrent submitters until it is killed, each submitting
// random work: single transfers, linked chains (some failing on purpose), pending transfers with
// short timeouts and their posts and voids, balancing sweeps, and replays of earlier submissions.
//
// For every acknowledgement it receives it writes one JSON line to stdout. The parent counts a
// submission as acknowledged only once its line has fully arrived.
//
// Usage: node --import tsx crash-child.ts <sqlite|postgres> <path|url> <incarnation> <seed>
//          <replay.json> [quietMs]
// quietMs: how long to stay idle after `ready` before the load starts. Restarts are often
// followed by a quiet spell in which only the writer's ticks commit (expiries, checkpoints).
//
// Transfer ids are `<incarnation>.<submitter>.<seq>.<k>.<n>`: event k of a submission of n events.
// They are unique per incarnation, and they let the parent check from the stored rows alone that
// no submission (hence no linked chain) was ever stored in part, acknowledged or not.

import { readFileSync } from 'node:fs';
import {
  AccountFlags,
  type AccountInput,
  isSuccess,
  TransferFlags,
  type TransferInput,
  type TransferResult,
  type TransferResultCode,
} from '../../ledger/model.ts';
import { LedgerClient } from '../client.ts';
import type { JournalConfig } from '../protocol.ts';

const KES = 404;
const WALLETS = 8;
const SUBMITTERS = 24;
/** Never lives longer than this even if nobody kills it: an orphan must not run forever. */
const LIFETIME_MS_MAX = 60_000;
/** Each submitter's step bound; far beyond what one incarnation reaches before its SIGKILL. */
const STEPS_MAX = 1_000_000;
/** More than any wallet ever holds: a chain member with this amount fails on purpose. */
const HUGE_AMOUNT = 1_000_000_000_000;
const KEPT_MAX = 64;

/** One acknowledgement: the submitted events and, per event, [code, timestamp, amount]. */
export interface AckLine {
  t: 'ack';
  inc: number;
  kind: WorkKind;
  events: TransferInput[];
  results: [TransferResultCode, number, number][];
}

export type ChildLine = { t: 'ready'; inc: number } | AckLine;

export type WorkKind =
  | 'single'
  | 'topup'
  | 'sweep'
  | 'chain'
  | 'pending'
  | 'resolve'
  | 'double-resolve'
  | 'replay';

interface Work {
  kind: WorkKind;
  events: TransferInput[];
  /** For resolutions: the pending transfer they resolve (put back if the chain failed). */
  pending?: OpenPending;
}

interface OpenPending {
  id: string;
  amount: number;
}

interface Submitter {
  inc: number;
  index: number;
  seq: number;
  random: () => number;
  /** Pending transfers this submitter created and may still resolve. */
  open: OpenPending[];
  /** Pending transfers it resolved: targets for double resolutions, which must fail. */
  resolved: OpenPending[];
  /** Submissions acknowledged entirely ok: replayed later, each must come back `exists`. */
  done: TransferInput[][];
  /** Acknowledged submissions of earlier incarnations, handed over by the parent. */
  pool: TransferInput[][];
}

function accountInputs(): AccountInput[] {
  const accounts: AccountInput[] = [
    // The bank is an asset account: its debits carry the float that funds the wallets.
    { id: 'bank', ledger: KES, code: 9, flags: AccountFlags.creditsMustNotExceedDebits },
    { id: 'fees', ledger: KES, code: 2 },
  ];
  for (let i = 0; i < WALLETS; i++) {
    accounts.push({
      id: `w${i}`,
      ledger: KES,
      code: 1,
      flags: AccountFlags.debitsMustNotExceedCredits,
      ownerId: `2547000000${i}`,
    });
  }
  return accounts;
}

/** mulberry32: a tiny seeded generator, so a failing run can be replayed with its seed. */
function generator(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

function between(s: Submitter, low: number, high: number): number {
  return low + Math.floor(s.random() * (high - low + 1));
}

function wallet(s: Submitter, except?: string): string {
  for (;;) {
    const id = `w${between(s, 0, WALLETS - 1)}`;
    if (id !== except) return id;
  }
}

/** Stamps ids `<inc>.<submitter>.<seq>.<k>.<n>` and links every event but the last. */
function submission(s: Submitter, events: Omit<TransferInput, 'id'>[]): TransferInput[] {
  const seq = s.seq++;
  return events.map((event, k) => {
    const linked = k < events.length - 1 ? TransferFlags.linked : 0;
    return {
      ...event,
      id: `${s.inc}.${s.index}.${seq}.${k}.${events.length}`,
      flags: (event.flags ?? 0) | linked,
    };
  });
}

function payment(s: Submitter, amount: number, code = 1): Omit<TransferInput, 'id'> {
  const from = wallet(s);
  const event: Omit<TransferInput, 'id'> = {
    debitAccountId: from,
    creditAccountId: code === 2 ? 'fees' : wallet(s, from),
    amount,
    ledger: KES,
    code,
  };
  // Optional fields on some events only, so both the default and the given value round-trip.
  if (s.random() < 0.5) event.userRef = `R${s.inc}X${s.seq}`;
  if (s.random() < 0.5) event.userData = between(s, 1, 1_000_000);
  return event;
}

function chain(s: Submitter): Work {
  const n = between(s, 2, 4);
  const events: Omit<TransferInput, 'id'>[] = [];
  for (let k = 0; k < n; k++) {
    events.push(
      s.random() < 0.3 ? payment(s, between(s, 1, 20), 2) : payment(s, between(s, 1, 300)),
    );
  }
  // About a third of the chains carry an impossible amount somewhere: the whole chain rolls back.
  if (s.random() < 0.35) events[between(s, 0, n - 1)].amount = HUGE_AMOUNT;
  return { kind: 'chain', events: submission(s, events) };
}

function pending(s: Submitter): Work {
  const hold: Omit<TransferInput, 'id'> = {
    ...payment(s, between(s, 10, 300)),
    flags: TransferFlags.pending,
    timeoutSeconds: between(s, 1, 2),
  };
  const events = s.random() < 0.3 ? [hold, payment(s, between(s, 1, 20), 2)] : [hold];
  return { kind: 'pending', events: submission(s, events) };
}

/** Posts (fully or in part) or voids one of this submitter's pending transfers. */
function resolve(s: Submitter, target: OpenPending, kind: WorkKind): Work {
  const post = s.random() < 0.6;
  const event: Omit<TransferInput, 'id'> = {
    pendingId: target.id,
    amount: post && s.random() < 0.4 ? between(s, 1, target.amount) : 0,
    flags: post ? TransferFlags.postPending : TransferFlags.voidPending,
  };
  if (s.random() < 0.3) event.userRef = `P${s.inc}X${s.seq}`;
  const events: Omit<TransferInput, 'id'>[] = [event];
  if (s.random() < 0.3) {
    const fee = payment(s, s.random() < 0.3 ? HUGE_AMOUNT : between(s, 1, 20), 2);
    events.push(fee);
  }
  return { kind, events: submission(s, events), pending: target };
}

function replay(s: Submitter): Work | null {
  const from = s.pool.length > 0 && s.random() < 0.5 ? s.pool : s.done;
  if (from.length === 0) return null;
  return { kind: 'replay', events: from[between(s, 0, from.length - 1)] };
}

function nextWork(s: Submitter): Work {
  const roll = s.random();
  if (roll < 0.1) return { kind: 'topup', events: submission(s, [topup(s)]) };
  if (roll < 0.15) {
    const sweep = { ...payment(s, between(s, 1, 200), 2), flags: TransferFlags.balancingDebit };
    return { kind: 'sweep', events: submission(s, [sweep]) };
  }
  if (roll < 0.4) return chain(s);
  if (roll < 0.55) return pending(s);
  if (roll < 0.67 && s.open.length > 0) return resolve(s, s.open.shift()!, 'resolve');
  if (roll < 0.7 && s.resolved.length > 0) {
    return resolve(s, s.resolved[between(s, 0, s.resolved.length - 1)], 'double-resolve');
  }
  if (roll < 0.78) {
    const again = replay(s);
    if (again !== null) return again;
  }
  return { kind: 'single', events: submission(s, [payment(s, between(s, 1, 400))]) };
}

function topup(s: Submitter): Omit<TransferInput, 'id'> {
  return {
    debitAccountId: 'bank',
    creditAccountId: wallet(s),
    amount: between(s, 500, 3_000),
    ledger: KES,
    code: 3,
  };
}

/** Keeps what later steps build on: open pendings, resolved ones, submissions to replay. */
function remember(s: Submitter, work: Work, results: TransferResult[]): void {
  const ok = results.every((r) => isSuccess(r.result));
  if (work.kind === 'resolve') {
    if (ok) keep(s.resolved, work.pending!);
    else if (results[0].result !== 'pending_transfer_expired') keep(s.open, work.pending!);
  }
  if (!ok || work.kind === 'replay' || work.kind === 'double-resolve') return;
  keep(s.done, work.events);
  if (work.kind === 'pending') keep(s.open, { id: work.events[0].id, amount: results[0].amount });
}

function keep<T>(list: T[], item: T): void {
  list.push(item);
  if (list.length > KEPT_MAX) list.shift();
}

function write(line: ChildLine): void {
  process.stdout.write(`${JSON.stringify(line)}\n`);
}

async function runSubmitter(client: LedgerClient, s: Submitter): Promise<void> {
  for (let step = 0; step < STEPS_MAX; step++) {
    const work = nextWork(s);
    const results = await client.createTransfers(work.events);
    write({
      t: 'ack',
      inc: s.inc,
      kind: work.kind,
      events: work.events,
      results: results.map((r) => [r.result, r.timestamp, r.amount]),
    });
    remember(s, work, results);
  }
}

function fail(message: string): never {
  process.stderr.write(`crash-child: ${message}\n`);
  process.exit(2);
}

function journalConfig(kind: string, target: string): JournalConfig {
  if (kind === 'sqlite') return { kind: 'sqlite', path: target };
  if (kind === 'postgres') return { kind: 'postgres', url: target };
  return fail(`unknown journal kind ${kind}`);
}

async function main(): Promise<void> {
  const [kind, target, incText, seedText, replayPath, quietText] = process.argv.slice(2);
  const inc = Number(incText);
  const seed = Number(seedText);
  const quietMs = Number(quietText ?? 0);
  if (![inc, seed, quietMs].every(Number.isSafeInteger) || !replayPath) {
    fail('usage: crash-child <kind> <path|url> <incarnation> <seed> <replay.json> [quietMs]');
  }
  setTimeout(() => fail('lived too long: nobody killed it'), LIFETIME_MS_MAX).unref();
  // The parent holds our stdin open; if it dies, stdin ends and we must not linger.
  process.stdin.on('end', () => fail('parent went away'));
  process.stdin.resume();
  const client = await LedgerClient.open({
    journal: journalConfig(kind, target),
    // A tiny checkpoint per batch makes recovery replay rows, not just read the accounts table.
    checkpointAccountsPerBatch: 2,
    checkInvariantsEveryBatch: true,
    tickIntervalMs: 50,
  });
  client.on('fatal', (error: Error) => fail(`writer stopped: ${error.message}`));
  const created = await client.createAccounts(accountInputs());
  if (!created.every((r) => isSuccess(r.result))) fail(`accounts: ${JSON.stringify(created)}`);
  const pool = JSON.parse(readFileSync(replayPath, 'utf8')) as TransferInput[][];
  write({ t: 'ready', inc });
  if (quietMs > 0) await new Promise((resolve) => setTimeout(resolve, quietMs));
  const submitters = Array.from({ length: SUBMITTERS }, (_, index) => ({
    inc,
    index,
    seq: 0,
    random: generator(seed * 1_000 + index),
    open: [],
    resolved: [],
    done: [],
    pool,
  }));
  await Promise.all(submitters.map((s) => runSubmitter(client, s)));
  fail('submitters finished: the step bound is too small');
}

main().catch((error: Error) => fail(error.stack ?? error.message));
