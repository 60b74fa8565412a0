// Property test: random sequences of batches — linked chains, pending/post/void/expiry, balancing,
// duplicates and invalid events — give the same results, timestamps and balances in the engine as
// in the small reference model, and the invariants hold after every batch.

import assert from 'node:assert/strict';
import { test } from 'node:test';
import fc from 'fast-check';
import { checkInvariants } from './invariants.ts';
import type { AccountInput, TransferInput } from './model.ts';
import { LedgerState } from './state.ts';
import { MemoryJournal } from './testing/memory-journal.ts';
import { ReferenceLedger } from './testing/reference-model.ts';

const ACCOUNT_IDS = ['A', 'B', 'C', 'D', 'E', 'S', 'X'];
const TRANSFER_IDS = Array.from({ length: 14 }, (_, i) => `T${i}`);

const accountInput: fc.Arbitrary<AccountInput> = fc.record({
  id: fc.constantFrom(...ACCOUNT_IDS.slice(0, 6)),
  ledger: fc.constantFrom(1, 1, 1, 2),
  code: fc.constantFrom(1, 2),
  flags: fc.constantFrom(0, 0, 1, 1, 2, 3),
});

const amount = fc.oneof(
  { weight: 1, arbitrary: fc.constant(0) },
  { weight: 6, arbitrary: fc.integer({ min: 1, max: 60 }) },
  { weight: 2, arbitrary: fc.integer({ min: 61, max: 2000 }) },
  { weight: 1, arbitrary: fc.constant(Number.MAX_SAFE_INTEGER) },
);

const transferInput: fc.Arbitrary<TransferInput> = fc
  .record({
    id: fc.constantFrom(...TRANSFER_IDS),
    debitAccountId: fc.constantFrom(...ACCOUNT_IDS, ''),
    creditAccountId: fc.constantFrom(...ACCOUNT_IDS),
    amount,
    kind: fc.constantFrom('plain', 'plain', 'pending', 'post', 'void', 'balDebit', 'balCredit'),
    pendingId: fc.constantFrom(...TRANSFER_IDS),
    timeoutSeconds: fc.constantFrom(0, 1, 3),
    linked: fc.boolean(),
    ledger: fc.constantFrom(1, 1, 1, 2),
    userData: fc.constantFrom(0, 7),
  })
  .map((r) => {
    const base = r.linked ? 1 : 0;
    const event: TransferInput = {
      id: r.id,
      debitAccountId: r.debitAccountId,
      creditAccountId: r.creditAccountId,
      amount: r.amount,
      ledger: r.ledger,
      code: 1,
      userData: r.userData,
    };
    switch (r.kind) {
      case 'pending':
        return { ...event, flags: base | 2, timeoutSeconds: r.timeoutSeconds };
      case 'post':
      case 'void':
        return {
          id: r.id,
          pendingId: r.pendingId,
          amount: r.amount % 100,
          flags: base | (r.kind === 'post' ? 4 : 8),
        };
      case 'balDebit':
        return { ...event, flags: base | 16 };
      case 'balCredit':
        return { ...event, flags: base | 32 };
      default:
        return { ...event, flags: base };
    }
  });

type Submission = { accounts: AccountInput[] } | { transfers: TransferInput[] };

const submission: fc.Arbitrary<Submission> = fc.oneof(
  { weight: 1, arbitrary: fc.record({ accounts: fc.array(accountInput, { maxLength: 3 }) }) },
  { weight: 6, arbitrary: fc.record({ transfers: fc.array(transferInput, { maxLength: 6 }) }) },
);

const cycle = fc.record({
  advanceUs: fc.oneof(
    fc.constant(0),
    fc.integer({ min: 1, max: 500 }),
    fc.integer({ min: 900_000, max: 2_500_000 }),
  ),
  submissions: fc.array(submission, { minLength: 1, maxLength: 4 }),
});

/** Funds every account from a source so that bounded accounts have something to move. */
function genesis(): Submission[] {
  const accounts: AccountInput[] = [
    { id: 'S', ledger: 1, code: 9 },
    { id: 'A', ledger: 1, code: 1, flags: 1 },
    { id: 'B', ledger: 1, code: 1, flags: 1 },
    { id: 'C', ledger: 1, code: 2, flags: 2 },
  ];
  const transfers: TransferInput[] = ['A', 'B'].map((id, i) => ({
    id: `G${i}`,
    debitAccountId: 'S',
    creditAccountId: id,
    amount: 500,
    ledger: 1,
    code: 1,
  }));
  return [{ accounts }, { transfers }];
}

function runBoth(
  engine: LedgerState,
  journal: MemoryJournal,
  reference: ReferenceLedger,
  submissions: Submission[],
  nowUs: number,
): void {
  engine.expire(nowUs);
  reference.expire(nowUs);
  journal.prefetch(
    engine,
    submissions.flatMap((s) => ('transfers' in s ? s.transfers : [])),
  );
  for (const s of submissions) {
    if ('accounts' in s) {
      assert.deepEqual(
        engine.createAccounts(s.accounts, nowUs),
        reference.createAccounts(s.accounts, nowUs),
      );
    } else {
      const got = engine.createTransfers(s.transfers, nowUs);
      const want = reference.createTransfers(s.transfers, nowUs);
      assert.deepEqual(got, want, `transfers ${JSON.stringify(s.transfers)}`);
    }
  }
  journal.append(engine.takeChanges());
  assert.equal(engine.timestamp, reference.state.last, 'timestamps advance alike');
  for (const [id, ref] of Object.entries(reference.state.accounts)) {
    const account = engine.accounts.get(id)!;
    assert.deepEqual(
      [account.debitsPending, account.debitsPosted, account.creditsPending, account.creditsPosted],
      [ref.dp, ref.dP, ref.cp, ref.cP],
      `counters of ${id}`,
    );
  }
  assert.equal(engine.accounts.size, Object.keys(reference.state.accounts).length);
  const report = checkInvariants(engine.accounts.values());
  assert.ok(report.ok, report.violations.join('; '));
}

test('engine and reference model agree on random batch sequences', () => {
  fc.assert(
    fc.property(
      fc.array(cycle, { minLength: 1, maxLength: 30 }),
      fc.constantFrom(2, 4, 1000),
      (cycles, recent) => {
        const engine = new LedgerState({ resolvedPendingsMax: recent });
        const journal = new MemoryJournal();
        const reference = new ReferenceLedger();
        let now = 1_000_000;
        runBoth(engine, journal, reference, genesis(), now);
        for (const c of cycles) {
          now += c.advanceUs;
          runBoth(engine, journal, reference, c.submissions, now);
        }
      },
    ),
    { numRuns: 400 },
  );
});
