// The journal contract: one suite of behaviours that every journal implementation must pass.
// Each implementation's test file calls `journalContract` with a factory for fresh storage.

import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { checkInvariants } from '../ledger/invariants.ts';
import { type Account, AccountFlags, TransferFlags, type TransferInput } from '../ledger/model.ts';
import { storedRecords } from './feed.ts';
import type { Journal, StoredRecord } from './journal.ts';
import { recomputeBalances } from './recompute.ts';
import { accountCodes, transferOutcomes, Writer, type WriterOp } from './writer.ts';

export interface JournalFactory {
  /** A journal on fresh, empty storage. */
  create(): Promise<Journal>;
  /** A new journal instance on the same storage as `journal` (which has been closed). */
  reopen(journal: Journal): Promise<Journal>;
}

const KES = 404;

function transfer(
  id: string,
  from: string,
  to: string,
  amount: number,
  extra: Partial<TransferInput> = {},
): TransferInput {
  return { id, debitAccountId: from, creditAccountId: to, amount, ledger: KES, code: 1, ...extra };
}

const accounts: WriterOp = {
  kind: 'accounts',
  events: [
    { id: 'bank', ledger: KES, code: 9, flags: AccountFlags.creditsMustNotExceedDebits },
    {
      id: 'alice',
      ledger: KES,
      code: 1,
      flags: AccountFlags.debitsMustNotExceedCredits,
      ownerId: '254700000001',
    },
    { id: 'bob', ledger: KES, code: 1, flags: AccountFlags.debitsMustNotExceedCredits },
    { id: 'fees', ledger: KES, code: 2 },
  ],
};

/** A manual clock so expiry is deterministic. */
function clock(startUs = 1_700_000_000_000_000) {
  let now = startUs;
  return { read: () => now, advance: (us: number) => (now += us) };
}

type OpResult =
  | { kind: 'accounts'; codes: string[] }
  | { kind: 'transfers'; outcomes: ReturnType<typeof transferOutcomes> }
  | { kind: 'records' };

/** Submits ops as one batch and splits the batch result back into per-op results. */
async function submit(writer: Writer, ops: WriterOp[]): Promise<OpResult[]> {
  const result = await writer.submit(ops);
  return ops.map((op, i): OpResult => {
    if (op.kind === 'records') return { kind: 'records' };
    return op.kind === 'accounts'
      ? { kind: 'accounts', codes: accountCodes(result, ops, i) }
      : { kind: 'transfers', outcomes: transferOutcomes(result, ops, i) };
  });
}

function codes(result: OpResult): string[] {
  if (result.kind === 'records') return [];
  return result.kind === 'accounts' ? result.codes : result.outcomes.map((o) => o.code);
}

export function journalContract(name: string, factory: JournalFactory): void {
  describe(`journal contract: ${name}`, () => {
    async function openWriter(
      journal: Journal,
      clockUs: () => number,
      checkpointAccountsPerBatch = 2,
    ) {
      return Writer.open({
        journal,
        clockUs,
        checkpointAccountsPerBatch,
        checkInvariantsEveryBatch: true,
      });
    }

    async function seeded(checkpointAccountsPerBatch = 2) {
      const time = clock();
      const journal = await factory.create();
      const writer = await openWriter(journal, time.read, checkpointAccountsPerBatch);
      const [made, funded] = await submit(writer, [
        accounts,
        {
          kind: 'transfers',
          events: [
            transfer('fund-a', 'bank', 'alice', 10_000),
            transfer('fund-b', 'bank', 'bob', 500),
          ],
        },
      ]);
      assert.deepEqual(codes(made), ['ok', 'ok', 'ok', 'ok']);
      assert.deepEqual(codes(funded), ['ok', 'ok']);
      return { time, journal, writer };
    }

    async function restart(writer: Writer, journal: Journal, clockUs: () => number) {
      await writer.close();
      const reopened = await factory.reopen(journal);
      return { journal: reopened, writer: await openWriter(reopened, clockUs) };
    }

    test('recovers accounts, counters, open pendings and ids after a restart', async () => {
      const { time, journal, writer } = await seeded();
      await submit(writer, [
        {
          kind: 'transfers',
          events: [
            transfer('pay-1', 'alice', 'bob', 1_200, { flags: TransferFlags.linked }),
            transfer('fee-1', 'alice', 'fees', 30),
            transfer('hold-1', 'alice', 'bob', 700, {
              flags: TransferFlags.pending,
              timeoutSeconds: 60,
            }),
          ],
        },
      ]);
      const before = await writer.lookupAccounts(['bank', 'alice', 'bob', 'fees']);
      const again = await restart(writer, journal, time.read);
      const after = await again.writer.lookupAccounts(['bank', 'alice', 'bob', 'fees']);
      assert.deepEqual(after, before);
      assert.equal(after[1].debitsPending, 700);
      // The pending transfer is still open: it can be posted once, and replays are recognised.
      const [post] = await submit(again.writer, [
        {
          kind: 'transfers',
          events: [
            { id: 'hold-1-post', pendingId: 'hold-1', amount: 0, flags: TransferFlags.postPending },
            transfer('pay-1', 'alice', 'bob', 1_200, { flags: TransferFlags.linked }),
            transfer('fee-1', 'alice', 'fees', 30),
          ],
        },
      ]);
      assert.deepEqual(codes(post), ['ok', 'exists', 'exists']);
      await again.writer.close();
    });

    test('recovery without a checkpoint replays balance-after values', async () => {
      const { time, journal, writer } = await seeded(0);
      for (let i = 0; i < 5; i++) {
        await submit(writer, [
          { kind: 'transfers', events: [transfer(`p${i}`, 'alice', 'bob', 100 + i)] },
        ]);
      }
      const before = await writer.lookupAccounts(['alice', 'bob']);
      // Close the journal without the writer's final checkpoint, like a crash after a commit.
      await journal.close();
      const reopened = await factory.reopen(journal);
      await reopened.open();
      const stored = await reopened.storedAccounts();
      const storedAlice = stored.find((a) => a.id === 'alice')!;
      assert.notEqual(storedAlice.debitsPosted, before[0].debitsPosted, 'table counters are stale');
      const recovered = await openWriter(reopened, time.read);
      assert.deepEqual(await recovered.lookupAccounts(['alice', 'bob']), before);
      await recovered.close();
    });

    test('pending statuses survive restarts: posted, voided, expired, open', async () => {
      const { time, journal, writer } = await seeded();
      const pending = (id: string, timeoutSeconds = 0) =>
        transfer(id, 'alice', 'bob', 100, { flags: TransferFlags.pending, timeoutSeconds });
      await submit(writer, [
        {
          kind: 'transfers',
          events: [pending('h-post'), pending('h-void'), pending('h-exp', 1), pending('h-open')],
        },
      ]);
      await submit(writer, [
        {
          kind: 'transfers',
          events: [
            { id: 'r-post', pendingId: 'h-post', amount: 60, flags: TransferFlags.postPending },
            { id: 'r-void', pendingId: 'h-void', amount: 0, flags: TransferFlags.voidPending },
          ],
        },
      ]);
      time.advance(2_000_000);
      await writer.tick();
      assert.equal(
        (await writer.lookupAccounts(['alice']))[0].debitsPending,
        100,
        'only h-open is still reserved',
      );
      const stamps = (await writer.lookupTransfers(['h-post', 'h-void', 'h-exp', 'h-open'])).map(
        (t) => t.timestamp,
      );
      const lookups = await journal.pendingsAt([...stamps, 1]);
      assert.deepEqual(
        lookups.map((l) => [l.transfer.id, l.status]),
        [
          ['h-post', 'posted'],
          ['h-void', 'voided'],
          ['h-exp', 'expired'],
          ['h-open', 'pending'],
        ],
      );
      const again = await restart(writer, journal, time.read);
      const [late] = await submit(again.writer, [
        {
          kind: 'transfers',
          events: [
            { id: 'x1', pendingId: 'h-post', amount: 0, flags: TransferFlags.voidPending },
            { id: 'x2', pendingId: 'h-void', amount: 0, flags: TransferFlags.postPending },
            { id: 'x3', pendingId: 'h-exp', amount: 0, flags: TransferFlags.postPending },
            { id: 'x4', pendingId: 'h-open', amount: 0, flags: TransferFlags.postPending },
          ],
        },
      ]);
      assert.deepEqual(codes(late), [
        'pending_transfer_already_posted',
        'pending_transfer_already_voided',
        'pending_transfer_expired',
        'ok',
      ]);
      await again.writer.close();
    });

    test('account history: time order, pagination, balance after, balance as of', async () => {
      const { writer } = await seeded();
      const stamps: number[] = [];
      for (let i = 1; i <= 5; i++) {
        const [r] = await submit(writer, [
          { kind: 'transfers', events: [transfer(`h${i}`, 'alice', 'bob', i * 100)] },
        ]);
        if (r.kind === 'transfers') stamps.push(r.outcomes[0].timestamp);
      }
      const all = await writer.accountTransfers({ accountId: 'alice', limit: 100 });
      assert.deepEqual(
        all.map((r) => r.transfer.id),
        ['fund-a', 'h1', 'h2', 'h3', 'h4', 'h5'],
      );
      assert.deepEqual(
        all.map((r) => r.balance.debitsPosted),
        [0, 100, 300, 600, 1000, 1500],
      );
      const page = await writer.accountTransfers({
        accountId: 'alice',
        fromTimestamp: stamps[1],
        limit: 2,
      });
      assert.deepEqual(
        page.map((r) => r.transfer.id),
        ['h2', 'h3'],
      );
      const newest = await writer.accountTransfers({
        accountId: 'alice',
        limit: 2,
        reversed: true,
      });
      assert.deepEqual(
        newest.map((r) => r.transfer.id),
        ['h5', 'h4'],
      );
      const bob = await writer.accountTransfers({ accountId: 'bob', limit: 3 });
      assert.deepEqual(
        bob.map((r) => r.balance.creditsPosted),
        [500, 600, 800],
      );
      const asOf = await writer.balanceAt('alice', stamps[2]);
      assert.equal(asOf?.debitsPosted, 600);
      assert.equal(asOf?.creditsPosted, 10_000);
      assert.equal(await writer.balanceAt('alice', 1), null, 'did not exist yet');
      assert.equal(await writer.balanceAt('nobody', stamps[2]), null);
      await writer.close();
    });

    test('records commit with their submission only when every event succeeded', async () => {
      const { writer } = await seeded();
      const [good, bad] = await submit(writer, [
        {
          kind: 'transfers',
          events: [transfer('ok-1', 'alice', 'bob', 10)],
          records: [{ stream: 'sms', key: 'R1', body: '{"to":"alice"}' }],
        },
        {
          kind: 'transfers',
          events: [transfer('no-1', 'alice', 'bob', 10_000_000)],
          records: [{ stream: 'sms', key: 'R2', body: '{}' }],
        },
      ]);
      assert.deepEqual([...codes(good), ...codes(bad)], ['ok', 'exceeds_credits']);
      await submit(writer, [
        {
          kind: 'transfers',
          events: [transfer('ok-2', 'alice', 'bob', 10)],
          records: [
            { stream: 'callback', key: 'C1', body: '{}' },
            { stream: 'sms', key: 'R3', body: '{}' },
          ],
        },
      ]);
      const sms = await writer.readRecords('sms', 0, 10);
      assert.deepEqual(
        sms.map((r) => r.key),
        ['R1', 'R3'],
      );
      assert.ok(sms[0].seq < sms[1].seq);
      assert.deepEqual(
        (await writer.readRecords('sms', sms[0].seq, 10)).map((r) => r.key),
        ['R3'],
      );
      assert.deepEqual(
        (await writer.readRecords('callback', 0, 10)).map((r) => r.key),
        ['C1'],
      );
      await writer.close();
    });

    test('records carry the balances they ask for; records-only ops; newest first', async () => {
      const { writer } = await seeded();
      await submit(writer, [
        {
          kind: 'transfers',
          events: [transfer('b-1', 'alice', 'bob', 250)],
          records: [
            { stream: 'sms', key: 'S1', body: '{}', balancesOf: ['alice', 'bob', 'nobody'] },
          ],
        },
        // A later op in the same batch must not leak into the first op's balances.
        { kind: 'transfers', events: [transfer('b-2', 'alice', 'bob', 1)] },
        { kind: 'records', events: [], records: [{ stream: 'party', key: 'P1', body: '{"x":1}' }] },
      ]);
      const [sms] = await writer.readRecords('sms', 0, 10);
      assert.deepEqual(sms.balances, {
        alice: { debitsPending: 0, debitsPosted: 250, creditsPending: 0, creditsPosted: 10_000 },
        bob: { debitsPending: 0, debitsPosted: 0, creditsPending: 0, creditsPosted: 750 },
      });
      await submit(writer, [
        { kind: 'records', events: [], records: [{ stream: 'party', key: 'P2', body: '{}' }] },
      ]);
      const latest = await writer.latestRecords('party', 1);
      assert.deepEqual(
        latest.map((r) => [r.key, r.balances]),
        [['P2', null]],
      );
      assert.deepEqual(
        (await writer.readRecords('party', 0, 10)).map((r) => r.key),
        ['P1', 'P2'],
      );
      await writer.close();
    });

    test('the commit feed gets each committed record with the seq the journal stored', async () => {
      const { writer } = await seeded();
      const fed: StoredRecord[] = [];
      const wanted = new Set(['sms', 'party']);
      writer.setFeed((records, seqs, timestamp) =>
        fed.push(...storedRecords(records, seqs, timestamp, wanted)),
      );
      await submit(writer, [
        {
          kind: 'transfers',
          events: [transfer('f-1', 'alice', 'bob', 100)],
          records: [
            { stream: 'sms', key: 'F1', body: '{}', balancesOf: ['alice'] },
            { stream: 'txn', key: 'not-wanted', body: '{}' },
            { stream: 'sms', key: 'F2', body: '{"n":2}' },
          ],
        },
        // Refused (insufficient funds): its records are not committed, so never fed.
        {
          kind: 'transfers',
          events: [transfer('f-2', 'alice', 'bob', 1_000_000)],
          records: [{ stream: 'sms', key: 'refused', body: '{}' }],
        },
      ]);
      await submit(writer, [
        { kind: 'records', events: [], records: [{ stream: 'party', key: 'F3', body: '{}' }] },
      ]);
      const stored = [
        ...(await writer.readRecords('sms', 0, 10)),
        ...(await writer.readRecords('party', 0, 10)),
      ].sort((a, b) => a.seq - b.seq);
      assert.deepEqual(fed, stored);
      assert.deepEqual(
        fed.map((r) => r.key),
        ['F1', 'F2', 'F3'],
      );
      writer.setFeed(null);
      await writer.close();
    });

    test('a failed commit leaves nothing behind and stops the writer', async () => {
      const { time, journal, writer } = await seeded();
      const before = await journal.scanTransfers(0, 100);
      // A duplicate primary key makes the journal refuse the whole transaction.
      const entry = {
        drDebitsPending: 0,
        drDebitsPosted: 0,
        drCreditsPending: 0,
        drCreditsPosted: 0,
        crDebitsPending: 0,
        crDebitsPosted: 0,
        crCreditsPending: 0,
        crCreditsPosted: 0,
        drSeq: 1,
        drPrevTs: 0,
        crSeq: 1,
        crPrevTs: 0,
      };
      await assert.rejects(
        journal.commit({
          accounts: [],
          transfers: [0, 1].map(() => ({
            transfer: { ...before.rows[0], id: 'dup-ts' },
            resolved: null,
            ...entry,
          })),
          expiries: [],
          anchors: [],
          records: [{ stream: 'sms', key: 'never', body: '{}', balances: null }],
          checkpoint: [],
          recoverFromTs: 0,
          lastTimestamp: time.read(),
        }),
      );
      assert.equal((await journal.scanTransfers(0, 100)).rows.length, before.rows.length);
      assert.deepEqual(await journal.readRecords('sms', 0, 10), []);
      await writer.close();
    });

    test('scans give every transfer and expiry, and recomputation matches the counters', async () => {
      const { time, writer, journal } = await seeded();
      await submit(writer, [
        {
          kind: 'transfers',
          events: [
            transfer('e1', 'alice', 'bob', 50, { flags: TransferFlags.pending, timeoutSeconds: 1 }),
            transfer('s1', 'alice', 'fees', 5),
          ],
        },
      ]);
      time.advance(1_500_000);
      await writer.tick();
      const scanned = await writer.scanTransfers(0, 2);
      assert.equal(scanned.rows.length, 2);
      const rest = await writer.scanTransfers(scanned.nextTimestamp, 100);
      assert.deepEqual(
        [...scanned.rows, ...rest.rows].map((t) => t.id),
        ['fund-a', 'fund-b', 'e1', 's1'],
      );
      const expiries = await writer.scanExpiries(0, 10);
      assert.deepEqual(
        expiries.rows.map((e) => e.pendingId),
        ['e1'],
      );
      const recomputed = await recomputeBalances(journal);
      const live = await writer.lookupAccounts(['bank', 'alice', 'bob', 'fees']);
      for (const account of live) assert.deepEqual(recomputed.get(account.id), counters(account));
      assert.ok(checkInvariants(live).ok);
      await writer.close();
    });

    test('commits of any size store every transfer and expiry once, in order', async () => {
      const { time, writer, journal } = await seeded();
      // Sizes that take every mix of the multi-row statements (64, 16, 4 and 1 rows on SQLite).
      const sizes = [1, 3, 4, 5, 17, 21, 64, 85];
      const ids: string[] = [];
      for (const size of sizes) {
        const events = Array.from({ length: size }, (_, i) => {
          ids.push(`n${size}-${i}`);
          return transfer(`n${size}-${i}`, 'bank', 'bob', 1 + i);
        });
        const [made] = await submit(writer, [{ kind: 'transfers', events }]);
        assert.deepEqual(codes(made), Array(size).fill('ok'));
      }
      const pendings = Array.from({ length: 21 }, (_, i) =>
        transfer(`x${i}`, 'bank', 'bob', 1, { flags: TransferFlags.pending, timeoutSeconds: 1 }),
      );
      const [held] = await submit(writer, [{ kind: 'transfers', events: pendings }]);
      assert.deepEqual(codes(held), Array(21).fill('ok'));
      time.advance(1_500_000);
      await writer.tick(); // 21 expiries in one commit
      const scanned = await writer.scanTransfers(0, 1_000);
      assert.deepEqual(
        scanned.rows.map((t) => t.id),
        ['fund-a', 'fund-b', ...ids, ...pendings.map((p) => p.id)],
      );
      assert.deepEqual(
        scanned.rows.slice(2, 2 + ids.length).map((t) => t.amount),
        sizes.flatMap((size) => Array.from({ length: size }, (_, i) => 1 + i)),
      );
      const expiries = await writer.scanExpiries(0, 100);
      assert.deepEqual(
        expiries.rows.map((e) => e.pendingId),
        pendings.map((p) => p.id),
      );
      const recomputed = await recomputeBalances(journal);
      for (const account of await writer.lookupAccounts(['bank', 'bob']))
        assert.deepEqual(recomputed.get(account.id), counters(account));
      await writer.close();
    });

    test('long histories across anchors: pagination both ways, balances as of, after restart', async () => {
      const { time, journal, writer } = await seeded(1);
      // 300 entries on alice (beyond four anchors), interleaved with pending transfers that expire.
      const expected: { id: string; ts: number; debitsPosted: number }[] = [];
      let posted = 0;
      for (let i = 0; i < 150; i++) {
        const events = [transfer(`L${i}`, 'alice', 'bob', 1)];
        if (i % 10 === 0)
          events.push(
            transfer(`P${i}`, 'alice', 'bob', 2, {
              flags: TransferFlags.pending,
              timeoutSeconds: 1,
            }),
          );
        const [r] = await submit(writer, [{ kind: 'transfers', events }]);
        assert.ok(r.kind === 'transfers' && r.outcomes.every((o) => o.code === 'ok'));
        posted += 1;
        expected.push({ id: `L${i}`, ts: r.outcomes[0].timestamp, debitsPosted: posted });
        if (i % 10 === 0)
          expected.push({ id: `P${i}`, ts: r.outcomes[1].timestamp, debitsPosted: posted });
        time.advance(400_000);
      }
      const again = await restart(writer, journal, time.read);
      const w = again.writer;
      const all = await w.accountTransfers({ accountId: 'alice', limit: 10_000 });
      assert.deepEqual(
        all.map((r) => r.transfer.id),
        ['fund-a', ...expected.map((e) => e.id)],
      );
      const newest = await w.accountTransfers({
        accountId: 'alice',
        limit: 10_000,
        reversed: true,
      });
      assert.deepEqual(
        newest.map((r) => r.transfer.id),
        all.map((r) => r.transfer.id).reverse(),
      );
      // Every window and page, oldest first, matches a plain filter over the full list.
      for (const [from, to, limit] of [
        [40, 90, 7],
        [0, 159, 50],
        [63, 64, 5],
        [100, 140, 100],
      ] as const) {
        const page = await w.accountTransfers({
          accountId: 'alice',
          fromTimestamp: expected[from].ts,
          toTimestamp: expected[to].ts,
          limit,
        });
        const want = expected
          .slice(from, to + 1)
          .slice(0, limit)
          .map((e) => e.id);
        assert.deepEqual(
          page.map((r) => r.transfer.id),
          want,
          `window ${from}-${to}/${limit}`,
        );
        const back = await w.accountTransfers({
          accountId: 'alice',
          fromTimestamp: expected[from].ts,
          toTimestamp: expected[to].ts,
          limit,
          reversed: true,
        });
        assert.deepEqual(
          back.map((r) => r.transfer.id),
          expected
            .slice(from, to + 1)
            .reverse()
            .slice(0, limit)
            .map((e) => e.id),
        );
      }
      for (const e of expected.filter((_, i) => i % 17 === 3)) {
        const asOf = await w.balanceAt('alice', e.ts);
        assert.equal(asOf?.debitsPosted, e.debitsPosted, `as of ${e.id}`);
      }
      // New entries keep extending the same chain after the restart.
      await submit(w, [{ kind: 'transfers', events: [transfer('after', 'alice', 'bob', 1)] }]);
      const [last] = await w.accountTransfers({ accountId: 'alice', limit: 1, reversed: true });
      assert.equal(last.transfer.id, 'after');
      assert.equal(last.balance.debitsPosted, posted + 1);
      await w.close();
    });
  });
}

function counters(a: Account): [number, number, number, number] {
  return [a.debitsPending, a.debitsPosted, a.creditsPending, a.creditsPosted];
}
