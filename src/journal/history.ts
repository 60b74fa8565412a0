// Account histories and balances-as-of, by walking an account's chain of entries backwards from
// its head (or from an anchor) in the journal. Any walk between two anchors is at most
// ANCHOR_INTERVAL steps, so a seek costs one anchor lookup plus a bounded walk, whatever the
// account's age or heat.

import type { AccountBalance } from '../ledger/model.ts';
import { ANCHOR_INTERVAL } from '../ledger/state.ts';
import {
  type AccountHead,
  type AccountTransfer,
  type AccountTransfersQuery,
  assertReadLimit,
  type ChainEntry,
  zeroBalance,
} from './journal.ts';
import type { ChainSource } from './recent-entries.ts';

async function entryAt(
  journal: ChainSource,
  accountId: string,
  timestamp: number,
): Promise<ChainEntry> {
  const [entry] = await journal.chainEntries(accountId, [timestamp]);
  if (entry === undefined) throw new Error(`journal: chain of ${accountId} broken at ${timestamp}`);
  return entry;
}

/** The account's latest entry at or before `timestamp`, or null if it had none by then. */
export async function seekAtOrBefore(
  journal: ChainSource,
  head: AccountHead,
  timestamp: number,
): Promise<ChainEntry | null> {
  if (head.lastEntryTs === 0) return null;
  if (head.lastEntryTs <= timestamp) return entryAt(journal, head.accountId, head.lastEntryTs);
  const anchor = await journal.anchorAfter(head.accountId, timestamp);
  let entry = await entryAt(journal, head.accountId, anchor ?? head.lastEntryTs);
  for (let steps = 0; entry.timestamp > timestamp; steps++) {
    if (steps > ANCHOR_INTERVAL)
      throw new Error(`journal: walk of ${head.accountId} exceeded its bound`);
    if (entry.prevTs === 0) return null;
    entry = await entryAt(journal, head.accountId, entry.prevTs);
  }
  return entry;
}

export async function balanceAt(
  journal: ChainSource,
  head: AccountHead,
  timestamp: number,
): Promise<AccountBalance | null> {
  if (head.createdTs > timestamp) return null;
  const entry = await seekAtOrBefore(journal, head, timestamp);
  if (entry === null) return zeroBalance(head.createdTs);
  return { timestamp: entry.timestamp, ...entry.balance };
}

export async function accountTransfers(
  journal: ChainSource,
  head: AccountHead,
  query: AccountTransfersQuery,
): Promise<AccountTransfer[]> {
  const limit = assertReadLimit(query.limit);
  const from = query.fromTimestamp ?? 0;
  const to = query.toTimestamp ?? Number.MAX_SAFE_INTEGER;
  if (from > to || head.lastEntryTs === 0) return [];
  return query.reversed
    ? newestFirst(journal, head, from, to, limit)
    : oldestFirst(journal, head, from, to, limit);
}

async function newestFirst(
  journal: ChainSource,
  head: AccountHead,
  from: number,
  to: number,
  limit: number,
): Promise<AccountTransfer[]> {
  const found: AccountTransfer[] = [];
  let entry = await seekAtOrBefore(journal, head, to);
  while (entry !== null && entry.timestamp >= from && found.length < limit) {
    if (entry.transfer !== null) found.push({ transfer: entry.transfer, balance: entry.balance });
    entry = entry.prevTs === 0 ? null : await entryAt(journal, head.accountId, entry.prevTs);
  }
  return found;
}

/**
 * The chain only points backwards, so oldest-first reads it in spans: from the first anchor
 * after the cursor, walk back to the cursor, and hand the span out in forward order.
 */
async function oldestFirst(
  journal: ChainSource,
  head: AccountHead,
  from: number,
  to: number,
  limit: number,
): Promise<AccountTransfer[]> {
  const found: AccountTransfer[] = [];
  let cursor = (await seekAtOrBefore(journal, head, from - 1))?.timestamp ?? 0;
  while (found.length < limit && cursor < head.lastEntryTs) {
    const spanEnd = (await journal.anchorAfter(head.accountId, cursor)) ?? head.lastEntryTs;
    const span: ChainEntry[] = [];
    let entry: ChainEntry | null = await entryAt(journal, head.accountId, spanEnd);
    while (entry !== null && entry.timestamp > cursor) {
      span.push(entry);
      if (span.length > ANCHOR_INTERVAL)
        throw new Error(`journal: span of ${head.accountId} too long`);
      entry = entry.prevTs === 0 ? null : await entryAt(journal, head.accountId, entry.prevTs);
    }
    for (let i = span.length - 1; i >= 0 && found.length < limit; i--) {
      const item = span[i];
      if (item.timestamp > to) return found;
      if (item.transfer !== null) found.push({ transfer: item.transfer, balance: item.balance });
    }
    cursor = spanEnd;
  }
  return found;
}
