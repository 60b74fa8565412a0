// The chaos test's checks after the kills, each a list of violations (empty when it holds):
// - money: every customer's statement is made of the load's outcomes and nothing else: each
//   confirmed C2B payment and each successful B2C once, with the amount the partner sent, and
//   the balance is the opening plus what they add up to; nothing was charged without its
//   callback saying so;
// - one outcome per request: a B2C the partner retried after a cut has one result, never two;
//   every acknowledged B2C and status query got its result callback;
// - the journal: every committed callback record was received at least once; the ledger's
//   invariants hold and every account's counters equal a recomputation from the stored rows.

import { isDeepStrictEqual } from 'node:util';
import { CALLBACK_STREAM } from '../../daraja/platform/model.ts';
import type { StoredRecord } from '../../journal/journal.ts';
import { recomputeBalances } from '../../journal/recompute.ts';
import { SqliteJournal } from '../../journal/sqlite/journal.ts';
import { Writer } from '../../journal/writer.ts';
import { checkInvariants } from '../../ledger/invariants.ts';
import type { StatementRow } from '../../payments/statements.ts';
import type { Sent } from './chaos-load.ts';
import type { ReceivedCallback, World } from './chaos-world.ts';

const RECORDS_PAGE = 1_000;

/** What the partner learnt from its callbacks, by request id. */
export interface Learnt {
  /** BillRefNumber → the TransIDs its confirmations named (one, or none if never paid). */
  readonly confirmed: Map<string, Set<string>>;
  /** OriginatorConversationID → distinct results: `${ResultCode}:${TransactionID}`. */
  readonly results: Map<string, Set<string>>;
  /** ConversationIDs that got a result callback. */
  readonly resultConversations: Set<string>;
}

export function learn(received: readonly ReceivedCallback[]): Learnt {
  const learnt: Learnt = {
    confirmed: new Map(),
    results: new Map(),
    resultConversations: new Set(),
  };
  const add = (map: Map<string, Set<string>>, key: string, value: string) => {
    const set = map.get(key) ?? new Set<string>();
    set.add(value);
    map.set(key, set);
  };
  for (const { path, body } of received) {
    if (path === '/confirm')
      add(learnt.confirmed, String(body.BillRefNumber), String(body.TransID));
    if (path !== '/result') continue;
    const result = (body.Result ?? {}) as Record<string, unknown>;
    add(
      learnt.results,
      String(result.OriginatorConversationID),
      `${String(result.ResultCode)}:${String(result.TransactionID)}`,
    );
    learnt.resultConversations.add(String(result.ConversationID));
  }
  return learnt;
}

/** Acknowledged B2C and status queries still waiting for their result callback. */
export function resultsOwed(sent: readonly Sent[], learnt: Learnt): Sent[] {
  return sent.filter(
    (s) =>
      s.outcome === 'acked' &&
      s.kind !== 'c2b' &&
      (s.kind === 'b2c'
        ? !learnt.results.has(s.id)
        : !learnt.resultConversations.has(s.conversationId ?? '')),
  );
}

/** Each request has at most one outcome; retried B2C included. */
export function checkOneOutcome(sent: readonly Sent[], learnt: Learnt): string[] {
  const violations: string[] = [];
  for (const s of sent) {
    if (s.kind === 'c2b' && (learnt.confirmed.get(s.id)?.size ?? 0) > 1)
      violations.push(`C2B ${s.id} confirmed as ${[...(learnt.confirmed.get(s.id) ?? [])]}`);
    if (s.kind === 'b2c' && (learnt.results.get(s.id)?.size ?? 0) > 1)
      violations.push(
        `B2C ${s.id} (cut ${s.cuts}×) has results ${[...(learnt.results.get(s.id) ?? [])]}`,
      );
  }
  return violations;
}

/** One customer's statement against the outcomes of the requests that named them. */
export function checkStatement(
  world: World,
  msisdn: string,
  rows: readonly StatementRow[],
  sent: readonly Sent[],
  learnt: Learnt,
): string[] {
  const violations: string[] = [];
  const expected = new Map<string, { amountCents: number; paidIn: boolean; what: string }>();
  for (const s of sent.filter((r) => r.msisdn === msisdn)) {
    if (s.kind === 'c2b') {
      for (const receipt of learnt.confirmed.get(s.id) ?? [])
        expected.set(receipt, { amountCents: s.amountCents, paidIn: false, what: `C2B ${s.id}` });
    } else if (s.kind === 'b2c') {
      for (const result of learnt.results.get(s.id) ?? []) {
        const [code, receipt] = result.split(':') as [string, string];
        if (code === '0')
          expected.set(receipt, { amountCents: s.amountCents, paidIn: true, what: `B2C ${s.id}` });
      }
    }
  }
  // The first row is the opening B2C of the world's setup.
  const [opening, ...load] = rows;
  if (opening?.paidInCents !== world.openingCents.get(msisdn))
    violations.push(`${msisdn}: opening row ${JSON.stringify(opening)}`);
  let balance = opening?.balanceCents ?? 0;
  const seen = new Set<string>();
  for (const row of load) {
    const want = expected.get(row.receipt);
    const moved = want?.paidIn ? row.paidInCents : row.withdrawnCents;
    if (want === undefined || moved !== want.amountCents || seen.has(row.receipt))
      violations.push(
        `${msisdn}: row ${JSON.stringify(row)} is no outcome the partner was told of`,
      );
    seen.add(row.receipt);
    balance += row.paidInCents - row.withdrawnCents - row.chargesCents;
    if (row.balanceCents !== balance)
      violations.push(
        `${msisdn}: balance after ${row.receipt} is ${row.balanceCents}, rows add up to ${balance}`,
      );
  }
  for (const [receipt, want] of expected)
    if (!seen.has(receipt))
      violations.push(`${msisdn}: ${want.what} (${receipt}) is not on the statement`);
  return violations;
}

/** Every callback record the journal holds for the receiver on `port`. */
export async function committedCallbacks(
  journalPath: string,
  port: number,
): Promise<StoredRecord[]> {
  const writer = await Writer.open({ journal: new SqliteJournal({ path: journalPath }) });
  try {
    const all: StoredRecord[] = [];
    for (;;) {
      const page = await writer.readRecords(CALLBACK_STREAM, all.at(-1)?.seq ?? 0, RECORDS_PAGE);
      all.push(...page);
      if (page.length < RECORDS_PAGE) break;
    }
    return all.filter((r) => r.body.includes(`//127.0.0.1:${port}/`));
  } finally {
    await writer.close();
  }
}

/** The ledger's invariants and a recomputation of every account from the stored rows. */
export async function checkJournal(
  journalPath: string,
): Promise<{ accounts: number; violations: string[] }> {
  const journal = new SqliteJournal({ path: journalPath });
  // Opening a writer is a restart: it recovers and asserts the invariants on what it read.
  const writer = await Writer.open({ journal });
  try {
    const ids = (await journal.storedAccounts()).map((a) => a.id);
    const accounts = await writer.lookupAccounts(ids);
    const report = checkInvariants(accounts);
    const violations = report.ok ? [] : [...report.violations];
    const recomputed = await recomputeBalances(journal);
    for (const a of accounts) {
      const counters = [a.debitsPending, a.debitsPosted, a.creditsPending, a.creditsPosted];
      if (!isDeepStrictEqual(recomputed.get(a.id), counters))
        violations.push(`${a.id}: recovered ${counters}, recomputed ${recomputed.get(a.id)}`);
    }
    return { accounts: accounts.length, violations };
  } finally {
    await writer.close();
  }
}
