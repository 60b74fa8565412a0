import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { checkInvariants } from './invariants.ts';
import { AccountFlags, TransferFlags, type TransferInput } from './model.ts';
import { LedgerState } from './state.ts';
import { MemoryJournal, runCycle } from './testing/memory-journal.ts';

const KES = 404;
const WALLET = 1;
const { linked, pending, postPending, voidPending, balancingDebit, balancingCredit } =
  TransferFlags;

function setup() {
  const state = new LedgerState();
  const journal = new MemoryJournal();
  const codes = state.createAccounts(
    [
      { id: 'bank', ledger: KES, code: 9, flags: AccountFlags.creditsMustNotExceedDebits },
      { id: 'alice', ledger: KES, code: WALLET, flags: AccountFlags.debitsMustNotExceedCredits },
      { id: 'bob', ledger: KES, code: WALLET, flags: AccountFlags.debitsMustNotExceedCredits },
      { id: 'free', ledger: KES, code: 2 },
      { id: 'usd', ledger: 840, code: 2 },
    ],
    1_000,
  );
  assert.deepEqual(codes, ['ok', 'ok', 'ok', 'ok', 'ok']);
  journal.append(state.takeChanges());
  let now = 2_000_000;
  const run = (events: TransferInput[], advanceUs = 1_000) => {
    now += advanceUs;
    const { outcomes } = runCycle(state, journal, [events], now);
    assert.ok(checkInvariants(state.accounts.values()).ok);
    return outcomes[0];
  };
  const codesOf = (events: TransferInput[], advanceUs?: number) =>
    run(events, advanceUs).map((o) => o.code);
  const account = (id: string) => state.accounts.get(id)!;
  // Fund alice with 1,000 from the bank (an asset account: its debits carry the balance).
  assert.deepEqual(codesOf([t('fund', 'bank', 'alice', 1000)]), ['ok']);
  return { state, run, codesOf, account };
}

function t(
  id: string,
  debitAccountId: string,
  creditAccountId: string,
  amount: number,
  extra: Partial<TransferInput> = {},
): TransferInput {
  return { id, debitAccountId, creditAccountId, amount, ledger: KES, code: 1, ...extra };
}

describe('ledger state machine', () => {
  test('a plain transfer moves posted counters on both sides', () => {
    const { codesOf, account } = setup();
    assert.deepEqual(codesOf([t('t1', 'alice', 'bob', 300)]), ['ok']);
    assert.equal(account('alice').debitsPosted, 300);
    assert.equal(account('alice').creditsPosted, 1000);
    assert.equal(account('bob').creditsPosted, 300);
  });

  test('timestamps strictly increase even when the clock stands still', () => {
    const { run } = setup();
    const outcomes = run([t('a', 'alice', 'bob', 1), t('b', 'alice', 'bob', 1)], 0);
    const more = run([t('c', 'alice', 'bob', 1)], 0);
    assert.ok(outcomes[0].timestamp < outcomes[1].timestamp);
    assert.ok(outcomes[1].timestamp < more[0].timestamp);
  });

  test('a replay with identical fields is `exists` and posts nothing', () => {
    const { run, account } = setup();
    const first = run([t('t1', 'alice', 'bob', 300)]);
    const again = run([t('t1', 'alice', 'bob', 300)]);
    assert.equal(again[0].code, 'exists');
    assert.equal(again[0].timestamp, first[0].timestamp);
    assert.equal(account('bob').creditsPosted, 300);
  });

  test('a replay with different fields is refused', () => {
    const { codesOf } = setup();
    codesOf([t('t1', 'alice', 'bob', 300)]);
    assert.deepEqual(codesOf([t('t1', 'alice', 'bob', 301)]), ['exists_with_different_fields']);
    assert.deepEqual(codesOf([t('t1', 'alice', 'free', 300)]), ['exists_with_different_fields']);
  });

  test('debits must not exceed credits', () => {
    const { codesOf, account } = setup();
    assert.deepEqual(codesOf([t('t1', 'alice', 'bob', 1001)]), ['exceeds_credits']);
    assert.equal(account('alice').debitsPosted, 0);
  });

  test('credits must not exceed debits', () => {
    const { codesOf } = setup();
    assert.deepEqual(codesOf([t('t1', 'free', 'bank', 1001)]), ['exceeds_debits']);
  });

  test('field validation codes', () => {
    const { codesOf } = setup();
    const cases: [TransferInput, string][] = [
      [t('', 'alice', 'bob', 1), 'id_must_not_be_empty'],
      [t('x'.repeat(65), 'alice', 'bob', 1), 'id_too_long'],
      [t('f1', 'alice', 'bob', 1, { flags: 1 << 9 }), 'flags_are_invalid'],
      [
        t('f2', 'alice', 'bob', 1, { flags: pending | postPending }),
        'flags_are_mutually_exclusive',
      ],
      [t('f3', '', 'bob', 1), 'debit_account_id_must_not_be_empty'],
      [t('f4', 'alice', '', 1), 'credit_account_id_must_not_be_empty'],
      [t('f5', 'alice', 'alice', 1), 'accounts_must_be_different'],
      [t('f6', 'alice', 'bob', 1, { pendingId: 'p' }), 'pending_id_must_be_empty'],
      [t('f7', 'alice', 'bob', 1, { timeoutSeconds: 5 }), 'timeout_reserved_for_pending_transfer'],
      [t('f8', 'alice', 'bob', 0), 'amount_must_not_be_zero'],
      [t('f9', 'alice', 'bob', 1.5), 'amount_invalid'],
      [t('f10', 'alice', 'bob', -1), 'amount_invalid'],
      [t('f11', 'alice', 'bob', 1, { ledger: 0 }), 'ledger_must_not_be_zero'],
      [t('f12', 'alice', 'bob', 1, { code: 0 }), 'code_must_not_be_zero'],
      [t('f13', 'nobody', 'bob', 1), 'debit_account_not_found'],
      [t('f14', 'alice', 'nobody', 1), 'credit_account_not_found'],
      [t('f15', 'alice', 'usd', 1), 'accounts_must_have_the_same_ledger'],
      [
        t('f16', 'alice', 'bob', 1, { ledger: 840 }),
        'transfer_must_have_the_same_ledger_as_accounts',
      ],
      [t('f17', 'alice', 'bob', 1, { userRef: 'r'.repeat(65) }), 'user_ref_too_long'],
    ];
    for (const [event, code] of cases) assert.deepEqual(codesOf([event]), [code], code);
  });

  test('counters that would pass the safe-integer range overflow', () => {
    const { codesOf } = setup();
    assert.deepEqual(codesOf([t('big', 'free', 'bob', Number.MAX_SAFE_INTEGER)]), ['ok']);
    assert.deepEqual(codesOf([t('big2', 'free', 'bob', 1)]), ['overflow']);
  });

  test('a linked chain commits entirely or not at all', () => {
    const { run, account } = setup();
    const outcomes = run([
      t('c1', 'alice', 'bob', 100, { flags: linked }),
      t('c2', 'alice', 'free', 10, { flags: linked }),
      t('c3', 'alice', 'bob', 5000),
    ]);
    assert.deepEqual(
      outcomes.map((o) => o.code),
      ['linked_event_failed', 'linked_event_failed', 'exceeds_credits'],
    );
    assert.equal(account('alice').debitsPosted, 0);
    assert.equal(account('bob').creditsPosted, 0);
    // The ids of a failed chain stay free.
    assert.deepEqual(
      run([t('c1', 'alice', 'bob', 100, { flags: linked }), t('c2', 'alice', 'free', 10)]).map(
        (o) => o.code,
      ),
      ['ok', 'ok'],
    );
  });

  test('a chain left open at the end of a submission fails', () => {
    const { codesOf } = setup();
    assert.deepEqual(
      codesOf([
        t('o1', 'alice', 'bob', 1, { flags: linked }),
        t('o2', 'alice', 'bob', 1, { flags: linked }),
      ]),
      ['linked_event_failed', 'linked_event_chain_open'],
    );
  });

  test('a replayed chain returns exists for every event', () => {
    const { codesOf } = setup();
    const chain = [t('r1', 'alice', 'bob', 1, { flags: linked }), t('r2', 'alice', 'bob', 2)];
    assert.deepEqual(codesOf(chain), ['ok', 'ok']);
    assert.deepEqual(codesOf(chain), ['exists', 'exists']);
  });

  test('pending then full post', () => {
    const { codesOf, account } = setup();
    assert.deepEqual(
      codesOf([t('p1', 'alice', 'bob', 400, { flags: pending, timeoutSeconds: 60 })]),
      ['ok'],
    );
    assert.equal(account('alice').debitsPending, 400);
    // Reserved money cannot be spent twice.
    assert.deepEqual(codesOf([t('x', 'alice', 'bob', 601)]), ['exceeds_credits']);
    assert.deepEqual(codesOf([{ id: 'p1-post', pendingId: 'p1', amount: 0, flags: postPending }]), [
      'ok',
    ]);
    assert.equal(account('alice').debitsPending, 0);
    assert.equal(account('alice').debitsPosted, 400);
    assert.equal(account('bob').creditsPosted, 400);
    assert.deepEqual(
      codesOf([{ id: 'p1-post2', pendingId: 'p1', amount: 0, flags: postPending }]),
      ['pending_transfer_already_posted'],
    );
    assert.deepEqual(codesOf([{ id: 'p1-void', pendingId: 'p1', amount: 0, flags: voidPending }]), [
      'pending_transfer_already_posted',
    ]);
  });

  test('partial post releases the remainder', () => {
    const { run, account } = setup();
    run([t('p1', 'alice', 'bob', 400, { flags: pending })]);
    const [post] = run([{ id: 'pp', pendingId: 'p1', amount: 150, flags: postPending }]);
    assert.equal(post.code, 'ok');
    assert.equal(post.amount, 150);
    assert.equal(account('alice').debitsPending, 0);
    assert.equal(account('alice').debitsPosted, 150);
  });

  test('post more than pending is refused; void must match the amount', () => {
    const { codesOf } = setup();
    codesOf([t('p1', 'alice', 'bob', 400, { flags: pending })]);
    assert.deepEqual(codesOf([{ id: 'a', pendingId: 'p1', amount: 401, flags: postPending }]), [
      'exceeds_pending_transfer_amount',
    ]);
    assert.deepEqual(codesOf([{ id: 'b', pendingId: 'p1', amount: 399, flags: voidPending }]), [
      'pending_transfer_has_different_amount',
    ]);
    assert.deepEqual(codesOf([{ id: 'c', pendingId: 'p1', amount: 400, flags: voidPending }]), [
      'ok',
    ]);
    assert.deepEqual(codesOf([{ id: 'd', pendingId: 'p1', amount: 0, flags: postPending }]), [
      'pending_transfer_already_voided',
    ]);
  });

  test('resolution checks against the pending transfer', () => {
    const { codesOf } = setup();
    codesOf([t('p1', 'alice', 'bob', 400, { flags: pending })]);
    const post = (extra: Partial<TransferInput>) =>
      codesOf([{ id: 'r', pendingId: 'p1', amount: 0, flags: postPending, ...extra }])[0];
    assert.equal(post({ pendingId: 'nope' }), 'pending_transfer_not_found');
    assert.equal(post({ pendingId: 'fund' }), 'pending_transfer_not_pending');
    assert.equal(
      post({ debitAccountId: 'bob' }),
      'pending_transfer_has_different_debit_account_id',
    );
    assert.equal(
      post({ creditAccountId: 'free' }),
      'pending_transfer_has_different_credit_account_id',
    );
    assert.equal(post({ ledger: 840 }), 'pending_transfer_has_different_ledger');
    assert.equal(post({ code: 7 }), 'pending_transfer_has_different_code');
    assert.equal(post({ pendingId: undefined }), 'pending_id_must_not_be_empty');
    assert.equal(post({ pendingId: 'r' }), 'pending_id_must_be_different');
  });

  test('pending transfers expire deterministically after their timeout', () => {
    const { run, codesOf, account } = setup();
    run([t('p1', 'alice', 'bob', 400, { flags: pending, timeoutSeconds: 2 })]);
    run([], 1_000_000);
    assert.equal(account('alice').debitsPending, 400, 'not yet expired after 1 s');
    run([], 1_000_000);
    assert.equal(account('alice').debitsPending, 0, 'released after 2 s');
    assert.deepEqual(codesOf([{ id: 'late', pendingId: 'p1', amount: 0, flags: postPending }]), [
      'pending_transfer_expired',
    ]);
  });

  test('balancing debit clamps to the available balance', () => {
    const { run, account } = setup();
    const [sweep] = run([t('sweep', 'alice', 'bob', 5000, { flags: balancingDebit })]);
    assert.equal(sweep.code, 'ok');
    assert.equal(sweep.amount, 1000);
    assert.equal(account('alice').debitsPosted, 1000);
    const [empty] = run([t('sweep2', 'alice', 'bob', 5000, { flags: balancingDebit })]);
    assert.equal(empty.code, 'ok');
    assert.equal(empty.amount, 0);
  });

  test('balancing credit clamps to what the credit account allows', () => {
    const { run } = setup();
    // The bank's debits are 1,000 and its credits 0: it can take back at most 1,000.
    const [back] = run([t('back', 'free', 'bank', 1500, { flags: balancingCredit })]);
    assert.equal(back.amount, 1000);
  });

  test('evicted transfers are still found through the journal', () => {
    const state = new LedgerState({ resolvedPendingsMax: 1 });
    const journal = new MemoryJournal();
    state.createAccounts(
      [
        { id: 'a', ledger: 1, code: 1 },
        { id: 'b', ledger: 1, code: 1 },
      ],
      1,
    );
    journal.append(state.takeChanges());
    const tr = (id: string, extra: Partial<TransferInput> = {}): TransferInput => ({
      id,
      debitAccountId: 'a',
      creditAccountId: 'b',
      amount: 5,
      ledger: 1,
      code: 1,
      ...extra,
    });
    runCycle(state, journal, [[tr('p', { flags: pending }), tr('x1')]], 10);
    runCycle(state, journal, [[{ id: 'post', pendingId: 'p', amount: 0, flags: postPending }]], 20);
    for (let i = 0; i < 10; i++) runCycle(state, journal, [[tr(`n${i}`)]], 30 + i);

    const { outcomes } = runCycle(
      state,
      journal,
      [[tr('x1'), { id: 'post2', pendingId: 'p', amount: 0, flags: voidPending }]],
      100,
    );
    assert.deepEqual(
      outcomes[0].map((o) => o.code),
      ['exists', 'pending_transfer_already_posted'],
    );
  });
});
