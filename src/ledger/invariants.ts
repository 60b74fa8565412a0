// The ledger's global invariants, checked after every batch in tests and on recovery.
// A failed invariant must stop the writer: a crash is recoverable, a wrong balance is not.

import { type Account, AccountFlags } from './model.ts';

export interface InvariantReport {
  ok: boolean;
  violations: string[];
}

const VIOLATIONS_REPORTED_MAX = 20;

/** Σ debits = Σ credits (posted and pending) per ledger, and every flagged bound holds. */
export function checkInvariants(accounts: Iterable<Account>): InvariantReport {
  // Sums use BigInt: each account is within the safe range, but their total need not be.
  const sums = new Map<number, [bigint, bigint, bigint, bigint]>();
  const violations: string[] = [];
  const report = (message: string) => {
    if (violations.length < VIOLATIONS_REPORTED_MAX) violations.push(message);
  };
  for (const account of accounts) {
    let sum = sums.get(account.ledger);
    if (sum === undefined) sums.set(account.ledger, (sum = [0n, 0n, 0n, 0n]));
    sum[0] += BigInt(account.debitsPending);
    sum[1] += BigInt(account.debitsPosted);
    sum[2] += BigInt(account.creditsPending);
    sum[3] += BigInt(account.creditsPosted);
    checkAccount(account, report);
  }
  for (const [ledger, [debitsPending, debitsPosted, creditsPending, creditsPosted]] of sums) {
    if (debitsPosted !== creditsPosted) {
      report(`ledger ${ledger}: debits posted ${debitsPosted} != credits posted ${creditsPosted}`);
    }
    if (debitsPending !== creditsPending) {
      report(
        `ledger ${ledger}: debits pending ${debitsPending} != credits pending ${creditsPending}`,
      );
    }
  }
  return { ok: violations.length === 0, violations };
}

function checkAccount(account: Account, report: (message: string) => void): void {
  const counters = [
    account.debitsPending,
    account.debitsPosted,
    account.creditsPending,
    account.creditsPosted,
  ];
  if (counters.some((value) => !Number.isSafeInteger(value) || value < 0)) {
    report(`account ${account.id}: counter out of range ${counters.join(',')}`);
  }
  const debits = account.debitsPending + account.debitsPosted;
  const credits = account.creditsPending + account.creditsPosted;
  if (account.flags & AccountFlags.debitsMustNotExceedCredits && debits > account.creditsPosted) {
    report(
      `account ${account.id}: debits ${debits} exceed credits posted ${account.creditsPosted}`,
    );
  }
  if (account.flags & AccountFlags.creditsMustNotExceedDebits && credits > account.debitsPosted) {
    report(
      `account ${account.id}: credits ${credits} exceed debits posted ${account.debitsPosted}`,
    );
  }
}

/** Throws when an invariant fails: for the writer (fail-stop) and for tests. */
export function assertInvariants(accounts: Iterable<Account>): void {
  const { ok, violations } = checkInvariants(accounts);
  if (!ok) throw new Error(`ledger invariant violated: ${violations.join('; ')}`);
}
