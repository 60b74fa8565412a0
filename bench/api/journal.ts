// What the server committed, read from its journal (read-only, from the bench process, after each
// step has drained): one 'callback' record per callback the platform owes a partner, committed in
// the same SQLite transaction as the money. Its `ts` is the ledger's engine timestamp of that batch
// (µs of wall time, assigned just before the durable commit), which is the commit point the
// commit → callback latency is measured from.

import Database from 'better-sqlite3';

export const COMMITTED_KIND = { c2b: 0, result: 1, timeout: 2, other: 3 } as const;

export interface CommittedCallbacks {
  readonly kinds: number[];
  /** BillRefNumber for C2B confirmations; ConversationID for results and time-outs. */
  readonly ids: string[];
  /** Result code (0 = success) of results; 0 for C2B confirmations. */
  readonly codes: (number | string)[];
  /** 'b2c', 'accountBalance', 'transactionStatus' … for results; '' otherwise. */
  readonly apis: string[];
  readonly committedAtWallMs: number[];
  readonly lastSeq: number;
}

const PAGE_ROWS = 10_000;

interface Row {
  seq: number;
  ts: number;
  body: string;
}

interface Body {
  kind: string;
  api?: string;
  payment?: { billRefNumber?: string };
  ids?: { conversationId?: string };
  result?: { code: number | string };
}

export class JournalReader {
  readonly #db: Database.Database;
  readonly #page: Database.Statement;
  readonly #last: Database.Statement;
  readonly #decisions: Database.Statement;

  constructor(path: string) {
    this.#db = new Database(path, { readonly: true, fileMustExist: true });
    this.#page = this.#db.prepare(
      "SELECT seq, ts, body FROM records WHERE stream = 'callback' AND seq > ? ORDER BY seq LIMIT ?",
    );
    this.#last = this.#db.prepare('SELECT coalesce(max(seq), 0) AS seq FROM records');
    this.#decisions = this.#db.prepare(
      "SELECT body FROM records WHERE stream = 'risk-decision' AND seq > ?",
    );
  }

  /** The journal's newest record seq: where the next step's records begin. */
  lastSeq(): number {
    return (this.#last.get() as { seq: number }).seq;
  }

  callbacksAfter(afterSeq: number): CommittedCallbacks {
    const out = {
      kinds: [] as number[],
      ids: [] as string[],
      codes: [] as (number | string)[],
      apis: [] as string[],
      committedAtWallMs: [] as number[],
      lastSeq: afterSeq,
    };
    for (;;) {
      const rows = this.#page.all(out.lastSeq, PAGE_ROWS) as Row[];
      for (const row of rows) {
        const body = JSON.parse(row.body) as Body;
        const kind =
          body.kind === 'c2b_confirmation'
            ? COMMITTED_KIND.c2b
            : body.kind === 'result'
              ? COMMITTED_KIND.result
              : body.kind === 'queue_timeout'
                ? COMMITTED_KIND.timeout
                : COMMITTED_KIND.other;
        out.kinds.push(kind);
        out.ids.push(
          kind === COMMITTED_KIND.c2b
            ? String(body.payment?.billRefNumber ?? '')
            : String(body.ids?.conversationId ?? ''),
        );
        out.codes.push(body.result?.code ?? 0);
        out.apis.push(body.api ?? '');
        out.committedAtWallMs.push(row.ts / 1000);
        out.lastSeq = row.seq;
      }
      if (rows.length < PAGE_ROWS) return out;
    }
  }

  /** Risk decisions recorded after `afterSeq`, counted by `type action rule-or-model`. */
  decisionsAfter(afterSeq: number): Record<string, number> {
    const counts: Record<string, number> = {};
    for (const row of this.#decisions.iterate(afterSeq) as Iterable<{ body: string }>) {
      const d = JSON.parse(row.body) as { type: string; action: string; rule?: string };
      const key = `${d.type} ${d.action} ${d.rule ?? 'model'}`;
      counts[key] = (counts[key] ?? 0) + 1;
    }
    return counts;
  }

  close(): void {
    this.#db.close();
  }
}
