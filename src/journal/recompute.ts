// Recomputes every account's counters from the stored transfers and expiries alone, ignoring the
// stored "balance after" values and the accounts table's counters. Audits and the crash test
// compare this with the recovered state: two independent derivations must agree.

import { TransferFlags } from '../ledger/model.ts';
import { postedAmount } from '../ledger/state.ts';
import type { Journal } from './journal.ts';

type Counters = [number, number, number, number];
const SCAN_PAGE_ROWS = 5_000;

export async function recomputeBalances(journal: Journal): Promise<Map<string, Counters>> {
  const counters = new Map<string, Counters>();
  for (const account of await journal.storedAccounts()) counters.set(account.id, [0, 0, 0, 0]);
  const of = (id: string): Counters => {
    const found = counters.get(id);
    if (found === undefined) throw new Error(`recompute: transfer touches unknown account ${id}`);
    return found;
  };
  const pendingAmounts = new Map<string, number>();
  let after = 0;
  for (;;) {
    const page = await journal.scanTransfers(after, SCAN_PAGE_ROWS);
    for (const t of page.rows) {
      const debit = of(t.debitAccountId);
      const credit = of(t.creditAccountId);
      if (t.flags & TransferFlags.pending) {
        pendingAmounts.set(t.id, t.amount);
        debit[0] += t.amount;
        credit[2] += t.amount;
      } else if (t.flags & (TransferFlags.postPending | TransferFlags.voidPending)) {
        const reserved = pendingAmounts.get(t.pendingId);
        if (reserved === undefined)
          throw new Error(`recompute: ${t.id} resolves unknown ${t.pendingId}`);
        debit[0] -= reserved;
        credit[2] -= reserved;
        debit[1] += postedAmount(t.flags, t.amount);
        credit[3] += postedAmount(t.flags, t.amount);
      } else {
        debit[1] += t.amount;
        credit[3] += t.amount;
      }
    }
    if (page.rows.length < SCAN_PAGE_ROWS) break;
    after = page.nextTimestamp;
  }
  after = 0;
  for (;;) {
    const page = await journal.scanExpiries(after, SCAN_PAGE_ROWS);
    for (const e of page.rows) {
      const reserved = pendingAmounts.get(e.pendingId);
      if (reserved === undefined) throw new Error(`recompute: expiry of unknown ${e.pendingId}`);
      of(e.debitAccountId)[0] -= reserved;
      of(e.creditAccountId)[2] -= reserved;
    }
    if (page.rows.length < SCAN_PAGE_ROWS) break;
    after = page.nextTimestamp;
  }
  return counters;
}
