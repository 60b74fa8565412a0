// The delivery state store: one local SQLite file per outbox stream. It holds operational state
// only (what was taken from the journal, what was tried, what came back); the money and the
// messages themselves are in the journal, so losing this file loses no message, only the log.
//
// Durability: WAL with synchronous=NORMAL. A power cut may lose the last few transactions; since
// taking records and moving the cursor share one transaction, what is lost is re-taken from the
// journal, and a lost 'delivered' mark means one more (duplicate) send: at-least-once either way.
//
// The file is opened with locking_mode=EXCLUSIVE: a second engine on the same file fails at open
// instead of sending every message twice.

import Database from 'better-sqlite3';
import {
  ATTEMPTS_PER_DELIVERY_MAX,
  type AttemptLog,
  DELIVERIES_PAGE_MAX,
  DELIVERY_STATUSES,
  type DeliveriesQuery,
  type Delivery,
  type DeliveryStatus,
  ERROR_CHARS_MAX,
  type NextState,
  REPLAY_DEAD_MAX,
} from './model.ts';

const SCHEMA_VERSION = 1;

const SCHEMA_SQL = `
CREATE TABLE IF NOT EXISTS meta (name TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS cursors (stream TEXT PRIMARY KEY, seq INTEGER NOT NULL);
CREATE TABLE IF NOT EXISTS messages (
  seq INTEGER PRIMARY KEY,
  stream TEXT NOT NULL,
  key TEXT NOT NULL,
  endpoint TEXT NOT NULL,
  status TEXT NOT NULL CHECK (status IN ('pending', 'delivering', 'delivered', 'dead')),
  attempts INTEGER NOT NULL DEFAULT 0,
  round_base INTEGER NOT NULL DEFAULT 0,
  next_attempt_at INTEGER NOT NULL,
  last_error TEXT,
  taken_at INTEGER NOT NULL,
  delivered_at INTEGER
);
CREATE INDEX IF NOT EXISTS messages_due ON messages (status, next_attempt_at, seq);
CREATE INDEX IF NOT EXISTS messages_key ON messages (key, seq);
CREATE INDEX IF NOT EXISTS messages_delivered ON messages (delivered_at) WHERE status = 'delivered';
CREATE TABLE IF NOT EXISTS attempts (
  seq INTEGER NOT NULL,
  attempt INTEGER NOT NULL,
  started_at INTEGER NOT NULL,
  finished_at INTEGER,
  ok INTEGER NOT NULL DEFAULT 0,
  status_code INTEGER,
  latency_ms REAL,
  response_excerpt TEXT,
  error TEXT,
  PRIMARY KEY (seq, attempt)
) WITHOUT ROWID;
`;

/** What the engine takes from one journal record. */
export interface TakenMessage {
  seq: number;
  key: string;
  endpoint: string;
}

export interface DueMessage {
  seq: number;
  endpoint: string;
}

export interface ClaimedMessage {
  seq: number;
  key: string;
  endpoint: string;
  /** This attempt's number, across replays. */
  attempt: number;
  /** Attempts this round, this one included. */
  attemptsThisRound: number;
}

export interface AttemptOutcome {
  ok: boolean;
  status?: number;
  latencyMs: number;
  responseExcerpt?: string;
  error?: string;
}

interface MessageRow {
  seq: number;
  stream: string;
  key: string;
  endpoint: string;
  status: DeliveryStatus;
  attempts: number;
  round_base: number;
  next_attempt_at: number;
  last_error: string | null;
  taken_at: number;
  delivered_at: number | null;
}

interface AttemptRow {
  seq: number;
  attempt: number;
  started_at: number;
  finished_at: number | null;
  ok: number;
  status_code: number | null;
  latency_ms: number | null;
  response_excerpt: string | null;
  error: string | null;
}

const INTERRUPTED_ERROR = 'interrupted: the engine stopped before the attempt finished';

export class DeliveryStore {
  private readonly db: Database.Database;
  private readonly s: ReturnType<typeof prepare>;

  constructor(
    path: string,
    readonly stream: string,
  ) {
    // No busy wait: the only other connection there can be is another engine, refused at once.
    const db = new Database(path, { timeout: 0 });
    try {
      db.pragma('journal_mode = WAL');
      db.pragma('synchronous = NORMAL');
      db.pragma('locking_mode = EXCLUSIVE');
      db.exec(SCHEMA_SQL);
      checkMeta(db, stream);
    } catch (error) {
      db.close();
      if (error instanceof Error && /locked|busy/i.test(error.message))
        throw new Error(`outbox state file ${path} is in use by another engine`, { cause: error });
      if (error instanceof Error && /not a database|malformed|corrupt/i.test(error.message)) {
        throw new Error(
          `outbox state file ${path} is damaged (${error.message}): restore it from a backup, or move it aside (mv ${path} ${path}.damaged) and it is rebuilt from the journal, which sends its messages again`,
          { cause: error },
        );
      }
      throw error;
    }
    this.db = db;
    this.s = prepare(db);
  }

  /** The highest seq taken; 0 before anything was taken. */
  cursor(): number {
    return this.cursorOrNull() ?? 0;
  }

  /** Null for a fresh file, which has never taken anything nor been told where to start. */
  cursorOrNull(): number | null {
    const row = this.s.cursor.get(this.stream) as { seq: number } | undefined;
    return row?.seq ?? null;
  }

  /** Takes records into the store and moves the cursor in one transaction: a crash skips none. */
  take(messages: readonly TakenMessage[], cursor: number, nowMs: number): void {
    this.db.transaction(() => {
      const before = this.cursor();
      if (cursor < before) throw new Error(`outbox cursor would move back: ${before} → ${cursor}`);
      for (const m of messages) {
        if (m.seq <= before || m.seq > cursor)
          throw new Error(`outbox record ${m.seq} outside (${before}, ${cursor}]`);
        this.s.insert.run(m.seq, this.stream, m.key, m.endpoint, nowMs, nowMs);
      }
      this.s.setCursor.run(this.stream, cursor);
    })();
  }

  /** Messages taken but neither delivered nor dead, counted up to `max`. */
  openCount(max: number): number {
    return (this.s.openCount.get(max) as { n: number }).n;
  }

  /** Due pending messages, oldest due first, skipping endpoints already at their limit. */
  due(nowMs: number, limit: number, excludedEndpoints: readonly string[]): DueMessage[] {
    return this.s.due.all(nowMs, JSON.stringify(excludedEndpoints), limit) as DueMessage[];
  }

  /**
   * The first `scanMax` due pending messages, oldest due first, whatever their endpoint: a scan
   * whose cost is bounded by `scanMax` however large the backlog of a saturated endpoint is.
   */
  dueWindow(nowMs: number, scanMax: number): DueMessage[] {
    return this.s.dueWindow.all(nowMs, scanMax) as DueMessage[];
  }

  /** When the earliest pending message falls due, or null when none is pending. */
  nextDueAtMs(): number | null {
    return (this.s.nextDue.get() as { at: number | null }).at;
  }

  /** Marks messages delivering and opens their attempt rows; skips any no longer pending. */
  claim(seqs: readonly number[], nowMs: number): ClaimedMessage[] {
    return this.db.transaction(() => {
      const claimed: ClaimedMessage[] = [];
      for (const seq of seqs) {
        const row = this.s.claim.get(seq) as
          | { key: string; endpoint: string; attempts: number; round_base: number }
          | undefined;
        if (row === undefined) continue;
        this.s.openAttempt.run(seq, row.attempts, nowMs);
        claimed.push({
          seq,
          key: row.key,
          endpoint: row.endpoint,
          attempt: row.attempts,
          attemptsThisRound: row.attempts - row.round_base,
        });
      }
      return claimed;
    })();
  }

  /** Closes an attempt row and moves its message on, in one transaction. */
  finish(
    seq: number,
    attempt: number,
    outcome: AttemptOutcome,
    next: NextState,
    nowMs: number,
  ): void {
    this.db.transaction(() => {
      this.s.closeAttempt.run(
        nowMs,
        outcome.ok ? 1 : 0,
        outcome.status ?? null,
        outcome.latencyMs,
        outcome.responseExcerpt ?? null,
        outcome.error ?? null,
        seq,
        attempt,
      );
      const nextAt = next.status === 'pending' ? next.nextAttemptAtMs : nowMs;
      const deliveredAt = next.status === 'delivered' ? nowMs : null;
      const lastError = outcome.ok ? null : (outcome.error ?? `status ${outcome.status ?? '?'}`);
      const changed = this.s.finishMessage.run(next.status, nextAt, lastError, deliveredAt, seq);
      if (changed.changes !== 1) throw new Error(`outbox message ${seq} was not delivering`);
    })();
  }

  /**
   * After a restart: attempts left open are closed as interrupted and their messages go back to
   * pending, due at once. They may have reached the receiver, so they will be sent again: that is
   * the at-least-once promise. The interrupted attempt still counts towards maxAttempts, so a
   * message that crashes the process every time is dead-lettered eventually.
   */
  recover(nowMs: number): number {
    return this.db.transaction(() => {
      this.s.interruptAttempts.run(nowMs, INTERRUPTED_ERROR);
      return this.s.recoverMessages.run(nowMs, INTERRUPTED_ERROR).changes;
    })();
  }

  /** Puts a delivered or dead message back to pending with a fresh attempt budget. */
  replay(seq: number, nowMs: number): DeliveryStatus | null {
    const row = this.s.message.get(seq) as MessageRow | undefined;
    if (row === undefined) return null;
    if (row.status === 'delivered' || row.status === 'dead') this.s.replay.run(nowMs, seq);
    return row.status;
  }

  replayDead(nowMs: number, limit: number): number {
    return this.s.replayDead.run({ now: nowMs, limit: Math.min(limit, REPLAY_DEAD_MAX) }).changes;
  }

  counts(): Record<DeliveryStatus, number> {
    const counts = Object.fromEntries(DELIVERY_STATUSES.map((s) => [s, 0])) as Record<
      DeliveryStatus,
      number
    >;
    for (const row of this.s.counts.all() as { status: DeliveryStatus; n: number }[])
      counts[row.status] = row.n;
    return counts;
  }

  oldestOpenTakenAtMs(): number | null {
    return (this.s.oldestOpen.get() as { at: number | null }).at;
  }

  deliveries(query: DeliveriesQuery): Delivery[] {
    const limit = Math.max(1, Math.min(query.limit, DELIVERIES_PAGE_MAX));
    const desc = query.order === 'desc';
    const bound = desc ? (query.beforeSeq ?? Number.MAX_SAFE_INTEGER) : (query.afterSeq ?? 0);
    const statement = desc ? this.s.deliveriesDesc : this.s.deliveriesAsc;
    const rows = statement.all({
      bound,
      status: query.status ?? null,
      key: query.key ?? null,
      limit,
    }) as MessageRow[];
    return rows.map((row) => {
      const attempts = this.s.attemptsOf.all(row.seq, ATTEMPTS_PER_DELIVERY_MAX) as AttemptRow[];
      return deliveryOf(row, attempts.reverse());
    });
  }

  /** Forgets delivered messages (and their attempts) delivered before `beforeMs`. */
  prune(beforeMs: number, limit: number): number {
    return this.db.transaction(() => {
      const seqs = this.s.prunable.all(beforeMs, limit) as { seq: number }[];
      for (const { seq } of seqs) {
        this.s.deleteAttempts.run(seq);
        this.s.deleteMessage.run(seq);
      }
      return seqs.length;
    })();
  }

  close(): void {
    if (this.db.open) this.db.close();
  }

  get open(): boolean {
    return this.db.open;
  }
}

/** The file remembers which stream it serves: pointing it at another stream is a wiring bug. */
function checkMeta(db: Database.Database, stream: string): void {
  db.transaction(() => {
    const get = db.prepare('SELECT value FROM meta WHERE name = ?');
    const set = db.prepare('INSERT INTO meta (name, value) VALUES (?, ?)');
    const version = get.get('schema_version') as { value: string } | undefined;
    if (version === undefined) set.run('schema_version', String(SCHEMA_VERSION));
    else if (Number(version.value) !== SCHEMA_VERSION)
      throw new Error(`outbox state schema ${version.value}, expected ${SCHEMA_VERSION}`);
    const owner = get.get('stream') as { value: string } | undefined;
    if (owner === undefined) set.run('stream', stream);
    else if (owner.value !== stream)
      throw new Error(`outbox state file belongs to stream '${owner.value}', not '${stream}'`);
  })();
}

function prepare(db: Database.Database) {
  const open = "status IN ('pending', 'delivering')";
  return {
    cursor: db.prepare('SELECT seq FROM cursors WHERE stream = ?'),
    setCursor: db.prepare(
      'INSERT INTO cursors (stream, seq) VALUES (?, ?) ON CONFLICT (stream) DO UPDATE SET seq = excluded.seq',
    ),
    insert: db.prepare(
      `INSERT OR IGNORE INTO messages (seq, stream, key, endpoint, status, next_attempt_at, taken_at)
       VALUES (?, ?, ?, ?, 'pending', ?, ?)`,
    ),
    openCount: db.prepare(
      `SELECT count(*) AS n FROM (SELECT 1 FROM messages WHERE ${open} LIMIT ?)`,
    ),
    due: db.prepare(
      `SELECT seq, endpoint FROM messages
       WHERE status = 'pending' AND next_attempt_at <= ?
         AND endpoint NOT IN (SELECT value FROM json_each(?))
       ORDER BY next_attempt_at, seq LIMIT ?`,
    ),
    dueWindow: db.prepare(
      `SELECT seq, endpoint FROM messages
       WHERE status = 'pending' AND next_attempt_at <= ?
       ORDER BY next_attempt_at, seq LIMIT ?`,
    ),
    nextDue: db.prepare(`SELECT min(next_attempt_at) AS at FROM messages WHERE status = 'pending'`),
    claim: db.prepare(
      `UPDATE messages SET status = 'delivering', attempts = attempts + 1
       WHERE seq = ? AND status = 'pending' RETURNING key, endpoint, attempts, round_base`,
    ),
    openAttempt: db.prepare('INSERT INTO attempts (seq, attempt, started_at) VALUES (?, ?, ?)'),
    closeAttempt: db.prepare(
      `UPDATE attempts SET finished_at = ?, ok = ?, status_code = ?, latency_ms = ?,
         response_excerpt = ?, error = ? WHERE seq = ? AND attempt = ?`,
    ),
    finishMessage: db.prepare(
      `UPDATE messages SET status = ?, next_attempt_at = ?, last_error = ?, delivered_at = ?
       WHERE seq = ? AND status = 'delivering'`,
    ),
    interruptAttempts: db.prepare(
      'UPDATE attempts SET finished_at = ?, error = ? WHERE finished_at IS NULL',
    ),
    recoverMessages: db.prepare(
      `UPDATE messages SET status = 'pending', next_attempt_at = ?, last_error = ?
       WHERE status = 'delivering'`,
    ),
    message: db.prepare('SELECT * FROM messages WHERE seq = ?'),
    replay: db.prepare(
      `UPDATE messages SET status = 'pending', next_attempt_at = ?, round_base = attempts,
         delivered_at = NULL WHERE seq = ?`,
    ),
    replayDead: db.prepare(
      `UPDATE messages SET status = 'pending', next_attempt_at = @now, round_base = attempts
       WHERE seq IN (SELECT seq FROM messages WHERE status = 'dead' ORDER BY seq LIMIT @limit)`,
    ),
    counts: db.prepare('SELECT status, count(*) AS n FROM messages GROUP BY status'),
    oldestOpen: db.prepare(`SELECT min(taken_at) AS at FROM messages WHERE ${open}`),
    deliveriesAsc: db.prepare(
      `SELECT * FROM messages WHERE seq > @bound AND (@status IS NULL OR status = @status)
         AND (@key IS NULL OR key = @key) ORDER BY seq LIMIT @limit`,
    ),
    deliveriesDesc: db.prepare(
      `SELECT * FROM messages WHERE seq < @bound AND (@status IS NULL OR status = @status)
         AND (@key IS NULL OR key = @key) ORDER BY seq DESC LIMIT @limit`,
    ),
    attemptsOf: db.prepare('SELECT * FROM attempts WHERE seq = ? ORDER BY attempt DESC LIMIT ?'),
    prunable: db.prepare(
      `SELECT seq FROM messages WHERE status = 'delivered' AND delivered_at < ?
       ORDER BY delivered_at LIMIT ?`,
    ),
    deleteAttempts: db.prepare('DELETE FROM attempts WHERE seq = ?'),
    deleteMessage: db.prepare('DELETE FROM messages WHERE seq = ?'),
  };
}

function deliveryOf(row: MessageRow, attempts: AttemptRow[]): Delivery {
  return {
    seq: row.seq,
    stream: row.stream,
    key: row.key,
    endpoint: row.endpoint,
    status: row.status,
    attempts: row.attempts,
    attemptsThisRound: row.attempts - row.round_base,
    nextAttemptAtMs: row.next_attempt_at,
    lastError: row.last_error,
    takenAtMs: row.taken_at,
    deliveredAtMs: row.delivered_at,
    log: attempts.map(attemptLogOf),
  };
}

function attemptLogOf(row: AttemptRow): AttemptLog {
  return {
    attempt: row.attempt,
    startedAtMs: row.started_at,
    finishedAtMs: row.finished_at,
    status: row.status_code,
    latencyMs: row.latency_ms,
    responseExcerpt: row.response_excerpt,
    error: row.error === null ? null : row.error.slice(0, ERROR_CHARS_MAX),
    ok: row.ok === 1,
  };
}
