// The writer's memory of the entries it committed last: account histories and balances-as-of walk
// an account's chain back from its head (history.ts), and the head and the entries just before it
// are nearly always ones this writer committed moments ago (a payment's daily-limit check reads
// today's entries of the payer's wallet). Rows are immutable once committed, so an entry kept
// here is exactly what the journal would give; only entries whose commit has succeeded are added.

import type { CommittedExpiry, CommittedTransfer } from '../ledger/state.ts';
import type { ChainEntry, Journal } from './journal.ts';

/** What a history walk reads: chain entries and anchors (history.ts). */
export type ChainSource = Pick<Journal, 'chainEntries' | 'anchorAfter'>;

/** Entries kept: ~10 s of 1,000 requests/s at 2.5 entries each, a few MiB. */
export const RECENT_ENTRIES_MAX = 32_768;

type Kept = CommittedTransfer | CommittedExpiry;

export class RecentEntries implements ChainSource {
  /** By engine timestamp, oldest first (a Map keeps insertion order; timestamps only grow). */
  private readonly byTimestamp = new Map<number, Kept>();
  hits = 0;
  misses = 0;

  constructor(
    private readonly journal: ChainSource,
    private readonly max = RECENT_ENTRIES_MAX,
  ) {}

  /** Called once a commit holding these rows is durable. */
  committed(transfers: readonly CommittedTransfer[], expiries: readonly CommittedExpiry[]): void {
    for (const t of transfers) this.byTimestamp.set(t.transfer.timestamp, t);
    for (const e of expiries) this.byTimestamp.set(e.timestamp, e);
    let excess = this.byTimestamp.size - this.max;
    if (excess <= 0) return;
    for (const ts of this.byTimestamp.keys()) {
      this.byTimestamp.delete(ts);
      if (--excess === 0) break;
    }
  }

  async chainEntries(accountId: string, timestamps: readonly number[]): Promise<ChainEntry[]> {
    const found: ChainEntry[] = [];
    for (const ts of timestamps) {
      const kept = this.byTimestamp.get(ts);
      if (kept !== undefined) {
        this.hits++;
        found.push(entryOf(kept, accountId));
      } else {
        this.misses++;
        for (const entry of await this.journal.chainEntries(accountId, [ts])) found.push(entry);
      }
    }
    return found;
  }

  anchorAfter(accountId: string, timestamp: number): Promise<number | null> {
    return this.journal.anchorAfter(accountId, timestamp);
  }
}

/** A kept row as one entry of `accountId`'s chain (as rows.ts's chainEntryOf makes from a row). */
function entryOf(kept: Kept, accountId: string): ChainEntry {
  const transfer = 'transfer' in kept ? kept.transfer : null;
  const debitId =
    transfer === null ? (kept as CommittedExpiry).debitAccountId : transfer.debitAccountId;
  const creditId =
    transfer === null ? (kept as CommittedExpiry).creditAccountId : transfer.creditAccountId;
  const timestamp = transfer === null ? (kept as CommittedExpiry).timestamp : transfer.timestamp;
  if (debitId === accountId) {
    return {
      timestamp,
      transfer: transfer === null ? null : { ...transfer },
      balance: {
        debitsPending: kept.drDebitsPending,
        debitsPosted: kept.drDebitsPosted,
        creditsPending: kept.drCreditsPending,
        creditsPosted: kept.drCreditsPosted,
      },
      prevTs: kept.drPrevTs,
    };
  }
  if (creditId !== accountId)
    throw new Error(`journal: entry ${timestamp} does not touch ${accountId}`);
  return {
    timestamp,
    transfer: transfer === null ? null : { ...transfer },
    balance: {
      debitsPending: kept.crDebitsPending,
      debitsPosted: kept.crDebitsPosted,
      creditsPending: kept.crCreditsPending,
      creditsPosted: kept.crCreditsPosted,
    },
    prevTs: kept.crPrevTs,
  };
}
