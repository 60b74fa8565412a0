// The ledger client end to end: a real writer thread on a real journal (a SQLite file in a temp
// folder, and a fresh PostgreSQL database for the core cases). Covers auto-batching, per-caller
// results, linked chains that never cross a submission, records, backpressure, lookups and
// histories, restarts, and what callers see when the writer dies.

import assert from 'node:assert/strict';
import { mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, afterEach, describe, test } from 'node:test';
import type { Worker } from 'node:worker_threads';
import Database from 'better-sqlite3';
import pg from 'pg';
import {
  type Account,
  AccountFlags,
  type AccountInput,
  type Transfer,
  TransferFlags,
  type TransferInput,
  type TransferResult,
} from '../ledger/model.ts';
import {
  LedgerClient,
  type LedgerClientOptions,
  LedgerOverloadedError,
  LedgerStoppedError,
} from './client.ts';
import { freshDatabaseUrl, stopTestPostgres } from './postgres/testing.ts';
import type { JournalConfig } from './protocol.ts';

const KES = 404;
const TEST_TIMEOUT_MS = 30_000;
/** How long a call may take to settle once the writer is gone; far above any real answer. */
const SETTLE_TIMEOUT_MS = 3_000;
const { linked, pending, postPending, voidPending } = TransferFlags;

const ACCOUNTS: AccountInput[] = [
  // The bank is an asset account: its debits carry the float that funds the wallets.
  { id: 'bank', ledger: KES, code: 9, flags: AccountFlags.creditsMustNotExceedDebits },
  { id: 'alice', ledger: KES, code: 1, flags: AccountFlags.debitsMustNotExceedCredits },
  { id: 'bob', ledger: KES, code: 1, flags: AccountFlags.debitsMustNotExceedCredits },
  { id: 'carol', ledger: KES, code: 1, flags: AccountFlags.debitsMustNotExceedCredits },
  { id: 'fees', ledger: KES, code: 2 },
];

const temporaryDirs: string[] = [];
/** Every client a test opened: a failed test must not leave a writer thread keeping us alive. */
const opened = new Set<LedgerClient>();

afterEach(async () => {
  for (const client of opened) await threadOf(client).terminate();
  opened.clear();
});

after(async () => {
  for (const dir of temporaryDirs) rmSync(dir, { recursive: true, force: true });
  await stopTestPostgres();
});

interface Backend {
  name: string;
  /** A journal on fresh, empty storage. */
  journal(): Promise<JournalConfig>;
  /** Makes the storage itself refuse transfers above `amountMax`: the next such commit fails. */
  refuseAbove(journal: JournalConfig, amountMax: number): Promise<void>;
}

const sqlite: Backend = {
  name: 'sqlite',
  async journal() {
    const dir = mkdtempSync(join(tmpdir(), 'malipo-client-'));
    temporaryDirs.push(dir);
    return { kind: 'sqlite', path: join(dir, 'journal.db') };
  },
  async refuseAbove(journal, amountMax) {
    assert.ok(journal.kind === 'sqlite');
    const db = new Database(journal.path);
    try {
      db.exec(`CREATE TRIGGER refuse_large BEFORE INSERT ON transfers
        WHEN NEW.amount > ${amountMax} BEGIN SELECT RAISE(ABORT, 'refused by test'); END`);
    } finally {
      db.close();
    }
  },
};

const postgres: Backend = {
  name: 'postgres',
  async journal() {
    return { kind: 'postgres', url: await freshDatabaseUrl() };
  },
  async refuseAbove(journal, amountMax) {
    assert.ok(journal.kind === 'postgres');
    const db = new pg.Client({ connectionString: journal.url });
    await db.connect();
    try {
      await db.query(
        `ALTER TABLE transfers ADD CONSTRAINT refuse_large CHECK (amount <= ${amountMax})`,
      );
    } finally {
      await db.end();
    }
  },
};

async function open(
  journal: JournalConfig,
  options: Partial<LedgerClientOptions> = {},
): Promise<LedgerClient> {
  const client = await LedgerClient.open({
    journal,
    checkInvariantsEveryBatch: true,
    // No idle ticks: batch counts in these tests then come from submissions alone.
    tickIntervalMs: 60_000,
    ...options,
  });
  opened.add(client);
  return client;
}

/**
 * The client's writer thread. The client offers no way to kill it, and killing it is exactly
 * the failure (or the crash, for recovery) these tests simulate.
 */
function threadOf(client: LedgerClient): Worker {
  return (client as unknown as { worker: Worker }).worker;
}

/** A crash of the writer: no final checkpoint, nothing but what was committed survives. */
async function crash(client: LedgerClient): Promise<void> {
  await threadOf(client).terminate();
  opened.delete(client);
}

function t(
  id: string,
  from: string,
  to: string,
  amount: number,
  extra: Partial<TransferInput> = {},
): TransferInput {
  return { id, debitAccountId: from, creditAccountId: to, amount, ledger: KES, code: 1, ...extra };
}

function codes(results: readonly { result: string }[]): string[] {
  return results.map((r) => r.result);
}

function counters(account: Account): [number, number, number, number] {
  return [
    account.debitsPending,
    account.debitsPosted,
    account.creditsPending,
    account.creditsPosted,
  ];
}

async function account(client: LedgerClient, id: string): Promise<Account> {
  const [found] = await client.lookupAccounts([id]);
  assert.ok(found !== undefined, `account ${id} exists`);
  return found;
}

/** Accounts, alice funded with 10,000 and bob with 500. */
async function seed(client: LedgerClient): Promise<void> {
  assert.deepEqual(
    codes(await client.createAccounts(ACCOUNTS)),
    ACCOUNTS.map(() => 'ok'),
  );
  const funded = await client.createTransfers([
    t('fund-a', 'bank', 'alice', 10_000),
    t('fund-b', 'bank', 'bob', 500),
  ]);
  assert.deepEqual(codes(funded), ['ok', 'ok']);
}

type Settled<T> =
  | { settled: false }
  | { settled: true; ok: true; value: T }
  | { settled: true; ok: false; error: unknown };

/** Whether `promise` settles within `ms`, without leaving a timer behind either way. */
async function settleWithin<T>(promise: Promise<T>, ms: number): Promise<Settled<T>> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<Settled<T>>((resolve) => {
    timer = setTimeout(() => resolve({ settled: false }), ms);
  });
  const outcome = promise.then(
    (value): Settled<T> => ({ settled: true, ok: true, value }),
    (error: unknown): Settled<T> => ({ settled: true, ok: false, error }),
  );
  try {
    return await Promise.race([outcome, timeout]);
  } finally {
    clearTimeout(timer);
  }
}

function coreCases(backend: Backend): void {
  test('accounts and transfers round trip, one result per event', {
    timeout: TEST_TIMEOUT_MS,
  }, async () => {
    const client = await open(await backend.journal());
    const made = await client.createAccounts([
      ...ACCOUNTS,
      { id: 'bank', ledger: KES, code: 8 },
      { id: '', ledger: KES, code: 1 },
      { id: 'x', ledger: 0, code: 1 },
    ]);
    assert.deepEqual(codes(made), [
      ...ACCOUNTS.map(() => 'ok'),
      'exists_with_different_fields',
      'id_must_not_be_empty',
      'ledger_must_not_be_zero',
    ]);
    assert.deepEqual(
      codes(await client.createAccounts(ACCOUNTS)),
      ACCOUNTS.map(() => 'exists'),
    );
    const results = await client.createTransfers([
      t('fund-a', 'bank', 'alice', 10_000),
      t('zero', 'alice', 'bob', 0),
      t('too-much', 'alice', 'bob', 50_000),
      t('pay-1', 'alice', 'bob', 1_200, { userRef: 'RCP1', userData: 7 }),
      t('fund-a', 'bank', 'alice', 10_000),
    ]);
    assert.deepEqual(codes(results), [
      'ok',
      'amount_must_not_be_zero',
      'exceeds_credits',
      'ok',
      'exists',
    ]);
    const [fund, zero, tooMuch, pay, replay] = results;
    assert.ok(fund.timestamp > 0 && pay.timestamp > fund.timestamp);
    assert.deepEqual([fund.amount, pay.amount], [10_000, 1_200]);
    for (const failed of [zero, tooMuch])
      assert.deepEqual([failed.timestamp, failed.amount], [0, 0]);
    assert.deepEqual(replay, { result: 'exists', timestamp: fund.timestamp, amount: 10_000 });
    const accounts = await client.lookupAccounts(['alice', 'nobody', 'bob']);
    assert.deepEqual(
      accounts.map((a) => [a.id, ...counters(a)]),
      [
        ['alice', 0, 1_200, 0, 10_000],
        ['bob', 0, 0, 0, 1_200],
      ],
    );
    const expected: Transfer = {
      id: 'pay-1',
      debitAccountId: 'alice',
      creditAccountId: 'bob',
      amount: 1_200,
      pendingId: '',
      ledger: KES,
      code: 1,
      flags: 0,
      timeoutSeconds: 0,
      userRef: 'RCP1',
      userData: 7,
      timestamp: pay.timestamp,
    };
    assert.deepEqual(await client.lookupTransfers(['pay-1', 'zero', 'nobody']), [expected]);
    await client.close();
  });

  test('2,000 concurrent callers are auto-batched and each gets its own result', {
    timeout: TEST_TIMEOUT_MS,
  }, async (t_) => {
    const client = await open(await backend.journal());
    await seed(client);
    const before = await client.stats();
    const CALLERS = 2_000;
    // Callers i % 10 === 9 pay from an empty wallet (refused); i % 10 === 5 replay caller i - 5.
    const event = (i: number): TransferInput => {
      if (i % 10 === 9) return t(`c${i}`, 'carol', 'bob', 1);
      if (i % 10 === 5) return event(i - 5);
      return t(`c${i}`, 'bank', 'alice', i + 1);
    };
    const calls: Promise<TransferResult[]>[] = [];
    for (let i = 0; i < CALLERS; i++) {
      calls.push(client.createTransfers([event(i)]));
      // Arrive in waves, so later callers queue up while earlier batches are being committed.
      if (i % 250 === 249) await new Promise((resolve) => setImmediate(resolve));
    }
    const results = (await Promise.all(calls)).map((r) => {
      assert.equal(r.length, 1);
      return r[0];
    });
    let lastTimestamp = 0;
    let credited = 0;
    for (let i = 0; i < CALLERS; i++) {
      const r = results[i];
      if (i % 10 === 9) {
        assert.deepEqual(r, { result: 'exceeds_credits', timestamp: 0, amount: 0 }, `caller ${i}`);
      } else if (i % 10 === 5) {
        assert.deepEqual(r, { ...results[i - 5], result: 'exists' }, `caller ${i}`);
      } else {
        assert.equal(r.result, 'ok', `caller ${i}`);
        assert.equal(r.amount, i + 1, `caller ${i}`);
        // One writer, batches in arrival order: engine timestamps follow the callers' order.
        assert.ok(r.timestamp > lastTimestamp, `caller ${i} timestamp in order`);
        lastTimestamp = r.timestamp;
        credited += i + 1;
      }
    }
    const stats = await client.stats();
    const batches = stats.batches - before.batches;
    t_.diagnostic(`${backend.name}: ${CALLERS} submissions in ${batches} batches`);
    assert.ok(batches >= 1 && batches < CALLERS, `${batches} batches`);
    assert.equal(stats.transfers - before.transfers, CALLERS * 0.8);
    assert.equal((await account(client, 'alice')).creditsPosted, 10_000 + credited);
    const ids = results.flatMap((r, i) => (r.result === 'ok' ? [`c${i}`] : []));
    const stored = new Map((await client.lookupTransfers(ids)).map((x) => [x.id, x]));
    for (const id of ids) {
      const i = Number(id.slice(1));
      assert.deepEqual(
        [stored.get(id)?.amount, stored.get(id)?.timestamp],
        [i + 1, results[i].timestamp],
      );
    }
    await client.close();
  });

  test('a linked chain stays inside its submission and is atomic', {
    timeout: TEST_TIMEOUT_MS,
  }, async () => {
    const client = await open(await backend.journal());
    await seed(client);
    const before = await client.stats();
    const [alice, bob, fees] = await client.lookupAccounts(['alice', 'bob', 'fees']);
    // Four callers in the same turn: they travel in one batch, in this order.
    const calls = [
      // A chain left open at the end of its submission must not absorb the next caller's event.
      [
        t('open-1', 'alice', 'bob', 10, { flags: linked }),
        t('open-2', 'alice', 'bob', 10, { flags: linked }),
      ],
      [t('next-1', 'alice', 'bob', 10)],
      [
        t('fail-1', 'alice', 'bob', 10, { flags: linked }),
        t('fail-2', 'alice', 'fees', 1, { flags: linked }),
        t('fail-3', 'alice', 'bob', 1_000_000),
      ],
      [t('whole-1', 'alice', 'bob', 100, { flags: linked }), t('whole-2', 'alice', 'fees', 5)],
    ].map((events) => client.createTransfers(events));
    const [open_, next, failing, whole] = (await Promise.all(calls)).map(codes);
    assert.deepEqual(open_, ['linked_event_failed', 'linked_event_chain_open']);
    assert.deepEqual(next, ['ok']);
    assert.deepEqual(failing, ['linked_event_failed', 'linked_event_failed', 'exceeds_credits']);
    assert.deepEqual(whole, ['ok', 'ok']);
    assert.equal((await client.stats()).batches - before.batches, 1, 'one batch for all four');
    const ids = ['open-1', 'open-2', 'next-1', 'fail-1', 'fail-2', 'fail-3', 'whole-1', 'whole-2'];
    assert.deepEqual(
      (await client.lookupTransfers(ids)).map((x) => x.id),
      ['next-1', 'whole-1', 'whole-2'],
    );
    const after_ = await client.lookupAccounts(['alice', 'bob', 'fees']);
    assert.deepEqual(
      after_.map((a) => a.debitsPosted + a.creditsPosted),
      [
        alice.debitsPosted + alice.creditsPosted + 115,
        bob.creditsPosted + 110,
        fees.creditsPosted + 5,
      ],
    );
    await client.close();
  });

  test('records commit only when every event of their submission is ok', {
    timeout: TEST_TIMEOUT_MS,
  }, async () => {
    const client = await open(await backend.journal());
    await seed(client);
    const sms = (key: string) => ({ stream: 'sms', key, body: JSON.stringify({ key }) });
    const calls = [
      client.createTransfers([t('r-ok', 'alice', 'bob', 10)], {
        records: [
          { ...sms('R1'), balancesOf: ['alice', 'bob'] },
          { stream: 'callback', key: 'C1', body: '{}' },
        ],
      }),
      client.createTransfers(
        [t('r-ok-2', 'alice', 'bob', 10, { flags: linked }), t('r-bad', 'alice', 'bob', 1e9)],
        { records: [sms('R2')] },
      ),
      // A replay is `exists`, not `ok`: its records were (or were not) written the first time.
      client.createTransfers([t('r-ok', 'alice', 'bob', 10)], { records: [sms('R3')] }),
      client.createTransfers([t('r-ok-3', 'alice', 'bob', 10)], { records: [sms('R4')] }),
    ];
    assert.deepEqual((await Promise.all(calls)).map(codes), [
      ['ok'],
      ['linked_event_failed', 'exceeds_credits'],
      ['exists'],
      ['ok'],
    ]);
    const stored = await client.readRecords('sms', 0, 100);
    assert.deepEqual(
      stored.map((r) => [r.key, r.body]),
      [
        ['R1', '{"key":"R1"}'],
        ['R4', '{"key":"R4"}'],
      ],
    );
    assert.ok(stored[0].seq < stored[1].seq && stored[0].timestamp <= stored[1].timestamp);
    // Balances as they stood right after R1's own submission, not after the rest of its batch.
    assert.deepEqual(stored[0].balances, {
      alice: { debitsPending: 0, debitsPosted: 10, creditsPending: 0, creditsPosted: 10_000 },
      bob: { debitsPending: 0, debitsPosted: 0, creditsPending: 0, creditsPosted: 510 },
    });
    assert.equal(stored[1].balances, null);
    assert.deepEqual(
      (await client.readRecords('sms', stored[0].seq, 100)).map((r) => r.key),
      ['R4'],
    );
    assert.deepEqual(
      (await client.readRecords('callback', 0, 100)).map((r) => r.key),
      ['C1'],
    );
    await client.close();
  });
}

const HISTORY_IDS = [
  'fund-a',
  'h1',
  'h2',
  'h3',
  'h4',
  'h5',
  'hold',
  'hold-post',
  'hold-2',
  'hold-2-void',
];

/** Alice's history: five payments, a pending posted in part, a pending voided. */
async function makeHistory(client: LedgerClient): Promise<Map<string, number>> {
  const [fund] = await client.lookupTransfers(['fund-a']);
  const stamps = new Map<string, number>([['fund-a', fund.timestamp]]);
  const submit = async (events: TransferInput[]) => {
    const results = await client.createTransfers(events);
    assert.deepEqual(
      codes(results),
      events.map(() => 'ok'),
    );
    for (let i = 0; i < events.length; i++) stamps.set(events[i].id, results[i].timestamp);
  };
  for (let i = 1; i <= 5; i++) await submit([t(`h${i}`, 'alice', 'bob', i * 100)]);
  await submit([t('hold', 'alice', 'bob', 300, { flags: pending, timeoutSeconds: 3_600 })]);
  await submit([{ id: 'hold-post', pendingId: 'hold', amount: 200, flags: postPending }]);
  await submit([t('hold-2', 'alice', 'fees', 50, { flags: pending })]);
  await submit([{ id: 'hold-2-void', pendingId: 'hold-2', amount: 0, flags: voidPending }]);
  return stamps;
}

/** Everything the client reads about that history, to compare before and after a restart. */
async function historyViews(client: LedgerClient, stamps: Map<string, number>) {
  return {
    accounts: await client.lookupAccounts(ACCOUNTS.map((a) => a.id)),
    transfers: await client.lookupTransfers([...HISTORY_IDS, 'nobody']),
    history: await client.getAccountTransfers({ accountId: 'alice', limit: 100 }),
    newest: await client.getAccountTransfers({ accountId: 'alice', limit: 2, reversed: true }),
    window: await client.getAccountTransfers({
      accountId: 'alice',
      fromTimestamp: stamps.get('h2'),
      toTimestamp: stamps.get('h4'),
      limit: 100,
    }),
    asOfH3: await client.getBalanceAt('alice', stamps.get('h3')!),
    beforeAlice: await client.getBalanceAt('alice', 1),
    nobody: await client.getBalanceAt('nobody', stamps.get('h3')!),
  };
}

function assertHistoryViews(
  views: Awaited<ReturnType<typeof historyViews>>,
  stamps: Map<string, number>,
): void {
  assert.deepEqual(
    views.transfers.map((x) => [x.id, x.timestamp]),
    HISTORY_IDS.map((id) => [id, stamps.get(id)]),
  );
  const post = views.transfers.find((x) => x.id === 'hold-post')!;
  assert.deepEqual(
    [post.debitAccountId, post.creditAccountId, post.amount, post.pendingId, post.code],
    ['alice', 'bob', 200, 'hold', 1],
  );
  assert.deepEqual(
    views.history.map((h) => [h.transfer.id, h.balance.debitsPosted, h.balance.debitsPending]),
    [
      ['fund-a', 0, 0],
      ['h1', 100, 0],
      ['h2', 300, 0],
      ['h3', 600, 0],
      ['h4', 1_000, 0],
      ['h5', 1_500, 0],
      ['hold', 1_500, 300],
      ['hold-post', 1_700, 0],
      ['hold-2', 1_700, 50],
      ['hold-2-void', 1_700, 0],
    ],
  );
  assert.deepEqual(
    views.newest.map((h) => h.transfer.id),
    ['hold-2-void', 'hold-2'],
  );
  assert.deepEqual(
    views.window.map((h) => h.transfer.id),
    ['h2', 'h3', 'h4'],
  );
  assert.deepEqual(views.asOfH3, {
    timestamp: stamps.get('h3'),
    debitsPending: 0,
    debitsPosted: 600,
    creditsPending: 0,
    creditsPosted: 10_000,
  });
  assert.equal(views.beforeAlice, null);
  assert.equal(views.nobody, null);
}

function historyCases(backend: Backend): void {
  test('lookups and histories work through the client, and again after close and reopen', {
    timeout: TEST_TIMEOUT_MS,
  }, async () => {
    const journal = await backend.journal();
    const client = await open(journal);
    await seed(client);
    const stamps = await makeHistory(client);
    const before = await historyViews(client, stamps);
    assertHistoryViews(before, stamps);
    await client.close();
    await assert.rejects(client.lookupAccounts(['alice']), LedgerStoppedError);
    // After a restart nothing of these transfers is in memory: lookups read them back by id.
    const reopened = await open(journal);
    assert.deepEqual(await historyViews(reopened, stamps), before);
    const late = await reopened.createTransfers([
      { id: 'hold-post', pendingId: 'hold', amount: 200, flags: postPending },
      { id: 'again', pendingId: 'hold', amount: 0, flags: voidPending },
      t('h3', 'alice', 'bob', 300),
    ]);
    assert.deepEqual(late, [
      { result: 'exists', timestamp: stamps.get('hold-post'), amount: 200 },
      { result: 'pending_transfer_already_posted', timestamp: 0, amount: 0 },
      { result: 'exists', timestamp: stamps.get('h3'), amount: 300 },
    ]);
    await reopened.close();
  });

  test('recovers after crash upon crash (no final checkpoint either time)', {
    timeout: TEST_TIMEOUT_MS,
  }, async () => {
    const journal = await backend.journal();
    // One account checkpointed per batch: the rest of each recovery comes from replayed rows.
    const options = { checkpointAccountsPerBatch: 1 };
    const first = await open(journal, options);
    assert.deepEqual(
      codes(await first.createAccounts(ACCOUNTS)),
      ACCOUNTS.map(() => 'ok'),
    );
    assert.deepEqual(codes(await first.createTransfers([t('a', 'bank', 'alice', 100)])), ['ok']);
    await crash(first);
    const second = await open(journal, options);
    assert.equal((await account(second, 'alice')).creditsPosted, 100);
    // Touches bank and bob only: alice's counters still live in the rows replayed above.
    assert.deepEqual(codes(await second.createTransfers([t('b', 'bank', 'bob', 50)])), ['ok']);
    await crash(second);
    const third = await open(journal, options);
    const accounts = await third.lookupAccounts(['bank', 'alice', 'bob']);
    assert.deepEqual(accounts.map(counters), [
      [0, 150, 0, 0],
      [0, 0, 0, 100],
      [0, 0, 0, 50],
    ]);
    await third.close();
  });

  test('a failed commit stops the writer for good and releases its thread', {
    timeout: TEST_TIMEOUT_MS,
  }, async () => {
    const journal = await backend.journal();
    const client = await open(journal);
    await seed(client);
    const fatal = new Promise<Error>((resolve) => client.once('fatal', resolve));
    const exited = new Promise<number>((resolve) => threadOf(client).once('exit', resolve));
    await backend.refuseAbove(journal, 1_000_000);
    await assert.rejects(
      client.createTransfers([t('large', 'bank', 'alice', 2_000_000)]),
      LedgerStoppedError,
    );
    const error = await settleWithin(fatal, SETTLE_TIMEOUT_MS);
    assert.ok(error.settled && error.ok && error.value instanceof LedgerStoppedError);
    await assert.rejects(
      client.createTransfers([t('small', 'bank', 'alice', 1)]),
      LedgerStoppedError,
    );
    await assert.rejects(client.lookupAccounts(['alice']), LedgerStoppedError);
    // A stopped writer must not keep a thread and its database connections alive: the owner
    // restarts it elsewhere, and a process that is shutting down must be able to exit.
    const released = await settleWithin(exited, SETTLE_TIMEOUT_MS);
    assert.ok(released.settled, 'the writer thread is still running after the fatal error');
    // Nothing of the refused batch was stored: a restart sees the state before it.
    const reopened = await open(journal);
    assert.deepEqual(await reopened.lookupTransfers(['large', 'small']), []);
    assert.equal((await account(reopened, 'alice')).creditsPosted, 10_000);
    await reopened.close();
  });

  test('after a fatal error pending and new calls reject with LedgerStoppedError', {
    timeout: TEST_TIMEOUT_MS,
  }, async () => {
    const client = await open(await backend.journal());
    await seed(client);
    const fatal = new Promise<Error>((resolve) => client.once('fatal', resolve));
    const big = Array.from({ length: 8_000 }, (_, i) => t(`big-${i}`, 'bank', 'alice', 1));
    const inFlight = client.createTransfers(big);
    await null; // the client's flush (a microtask queued before this one) posts the batch
    const dying = threadOf(client).terminate();
    // Made before the client hears of the exit: queued, then failed with everything else.
    const queued = client.createTransfers([t('late', 'bank', 'alice', 1)]);
    const read = client.lookupAccounts(['alice']);
    // Handlers go on at once: the rejections may arrive while we wait for the thread to end.
    const rejected = [inFlight, queued, read].map((call) =>
      assert.rejects(call, LedgerStoppedError),
    );
    await dying;
    const error = await settleWithin(fatal, SETTLE_TIMEOUT_MS);
    assert.ok(error.settled && error.ok, "'fatal' fired");
    assert.ok(error.value instanceof LedgerStoppedError);
    await Promise.all(rejected);
    await assert.rejects(
      client.createTransfers([t('new', 'bank', 'alice', 1)]),
      LedgerStoppedError,
    );
    await assert.rejects(client.createAccounts(ACCOUNTS), LedgerStoppedError);
    await assert.rejects(client.stats(), LedgerStoppedError);
    await client.close(); // nothing left to close: settles at once
  });
}

function limitCases(backend: Backend): void {
  test('a burst beyond queueEventsMax is refused at once; earlier submissions succeed', {
    timeout: TEST_TIMEOUT_MS,
  }, async () => {
    const client = await open(await backend.journal(), { queueEventsMax: 8 });
    await seed(client);
    const settledOrder: string[] = [];
    const accepted = Array.from({ length: 8 }, (_, i) =>
      client.createTransfers([t(`q${i}`, 'bank', 'alice', 1)]).then((results) => {
        settledOrder.push(`q${i}`);
        return codes(results);
      }),
    );
    const refused = ['q8', 'q9'].map((id) =>
      client.createTransfers([t(id, 'bank', 'alice', 1)]).then(
        () => assert.fail(`${id} was accepted beyond the queue bound`),
        (error: unknown) => {
          settledOrder.push(id);
          return error;
        },
      ),
    );
    for (const error of await Promise.all(refused)) {
      assert.ok(error instanceof LedgerOverloadedError, String(error));
    }
    assert.deepEqual(
      await Promise.all(accepted),
      accepted.map(() => ['ok']),
    );
    // Refused without waiting for the writer: before any accepted submission was answered.
    assert.deepEqual(settledOrder.slice(0, 2), ['q8', 'q9']);
    assert.deepEqual(await client.lookupTransfers(['q8', 'q9']), []);
    // The bound is on waiting events: once drained, a full-size submission is accepted again.
    const refill = Array.from({ length: 8 }, (_, i) => t(`r${i}`, 'bank', 'alice', 1));
    assert.deepEqual(
      codes(await client.createTransfers(refill)),
      refill.map(() => 'ok'),
    );
    assert.equal((await account(client, 'alice')).creditsPosted, 10_000 + 16);
    await client.close();
  });

  test('a submission larger than batchEventsMax is refused; batches never exceed it', {
    timeout: TEST_TIMEOUT_MS,
  }, async () => {
    const client = await open(await backend.journal(), { batchEventsMax: 5 });
    await seed(client);
    const six = Array.from({ length: 6 }, (_, i) => t(`six-${i}`, 'bank', 'alice', 1));
    await assert.rejects(client.createTransfers(six), RangeError);
    assert.deepEqual(await client.lookupTransfers(six.map((e) => e.id)), []);
    const before = await client.stats();
    // 3 + 3 events cannot share a batch of at most 5.
    const halves = [0, 1].map((h) =>
      client.createTransfers([0, 1, 2].map((i) => t(`half-${h}-${i}`, 'bank', 'alice', 1))),
    );
    assert.deepEqual((await Promise.all(halves)).map(codes), [
      ['ok', 'ok', 'ok'],
      ['ok', 'ok', 'ok'],
    ]);
    assert.equal((await client.stats()).batches - before.batches, 2);
    await client.close();
  });

  test("a turn's reads and submissions reach the writer as one message, answered as before", {
    timeout: TEST_TIMEOUT_MS,
  }, async () => {
    const client = await open(await backend.journal());
    await seed(client);
    const thread = threadOf(client);
    const posted: unknown[] = [];
    const postMessage = thread.postMessage.bind(thread);
    thread.postMessage = (...args: Parameters<Worker['postMessage']>) => {
      posted.push(args[0]);
      postMessage(...args);
    };
    const [alice, paid, bob, records] = await Promise.all([
      client.lookupAccounts(['alice']),
      client.createTransfers([t('turn-1', 'alice', 'bob', 5)], {
        records: [{ stream: 'turn', key: 'k', body: '{}' }],
      }),
      client.lookupAccounts(['bob']),
      client.readRecords('turn', 0, 10),
    ]);
    assert.equal(posted.length, 1, 'one message for the turn');
    assert.equal((posted[0] as { type: string }).type, 'many');
    // Reads run before the turn's submissions commit, exactly as when they went one by one.
    assert.equal(alice[0].debitsPosted, 0);
    assert.equal(bob[0].creditsPosted, 500);
    assert.deepEqual(records, []);
    assert.deepEqual(codes(paid), ['ok']);
    assert.equal((await account(client, 'bob')).creditsPosted, 505);
    await client.close();
  });

  test('a lone sequential caller is never held by the commit window', {
    timeout: TEST_TIMEOUT_MS,
  }, async () => {
    // A ten-minute window: only a submission the writer wrongly took for concurrent would wait.
    const client = await open(await backend.journal(), { commitIntervalMs: 600_000 });
    await seed(client);
    for (let i = 0; i < 20; i++) {
      const outcome = await settleWithin(
        client.createTransfers([t(`lone-${i}`, 'bank', 'alice', 1)]),
        20_000,
      );
      assert.ok(outcome.settled && outcome.ok, `submission ${i} committed at once`);
      assert.deepEqual(codes(outcome.value), ['ok']);
    }
    await client.close();
  });

  test('close() settles even if the writer dies while close() waits for in-flight batches', {
    timeout: TEST_TIMEOUT_MS,
  }, async () => {
    const client = await open(await backend.journal());
    await seed(client);
    const big = Array.from({ length: 8_000 }, (_, i) => t(`big-${i}`, 'bank', 'alice', 1));
    const inFlight = client.createTransfers(big);
    await null; // the client's flush posts the batch: close() must now wait for its answer
    const rejected = assert.rejects(inFlight, LedgerStoppedError);
    const closing = settleWithin(client.close(), SETTLE_TIMEOUT_MS);
    await threadOf(client).terminate();
    await rejected;
    const closed = await closing;
    // Unblock the client's wait loop either way, so a failure here cannot keep the test alive.
    (client as unknown as { inFlight: number }).inFlight = 0;
    assert.ok(closed.settled, 'close() never settled after the writer died');
  });

  test('calls made while close() is in progress settle', { timeout: TEST_TIMEOUT_MS }, async () => {
    const client = await open(await backend.journal());
    await seed(client);
    const closing = client.close();
    const calls = {
      createTransfers: settleWithin<unknown>(
        client.createTransfers([t('late', 'bank', 'alice', 1)]),
        SETTLE_TIMEOUT_MS,
      ),
      lookupAccounts: settleWithin<unknown>(client.lookupAccounts(['alice']), SETTLE_TIMEOUT_MS),
    };
    await closing;
    for (const [what, call] of Object.entries(calls)) {
      const outcome = await call;
      assert.ok(outcome.settled, `${what} made during close() never settled`);
      if (!outcome.ok) {
        assert.ok(outcome.error instanceof LedgerStoppedError, String(outcome.error));
      }
    }
  });
}

for (const backend of [sqlite, postgres]) {
  describe(`ledger client on ${backend.name}`, { timeout: TEST_TIMEOUT_MS * 4 }, () => {
    coreCases(backend);
    historyCases(backend);
  });
}

// Queue bounds and shutdown races are the client's own logic: one journal is enough.
describe('ledger client limits and shutdown', { timeout: TEST_TIMEOUT_MS * 2 }, () => {
  limitCases(sqlite);
});

// The benchmark attributes CPU to the writer's thread by this id (Node names every thread "node").
describe('ledger client stats', { timeout: TEST_TIMEOUT_MS }, () => {
  test('name the OS thread the writer runs on: a thread of this process, not the main one', {
    skip: process.platform !== 'linux',
  }, async () => {
    const client = await open(await sqlite.journal());
    const { osThreadId } = await client.stats();
    assert.ok(osThreadId !== undefined && osThreadId !== process.pid, String(osThreadId));
    const threads = readdirSync(`/proc/${process.pid}/task`).map(Number);
    assert.ok(threads.includes(osThreadId), `${osThreadId} not among ${threads.join(' ')}`);
    await client.close();
  });
});
