// The delivery state store: the open messages in memory, everything persisted in batches to one
// local SQLite file per outbox stream. It holds operational state only (what was taken from the
// journal, what was tried, what came back); the money and the messages themselves are in the
// journal, so losing this file loses no message, only the log.
//
// Write-behind: taking, claiming and finishing change memory and mark rows dirty; flush() writes
// every dirty row and the cursor in one transaction (the engine flushes every flushIntervalMs or
// flushRowsMax rows). A crash loses at most the changes since the last flush, and each loss errs
// towards sending again: taken records come back from the journal (the cursor moves only with the
// messages taken below it), an unflushed 'delivered' is still pending on disk, an unflushed
// attempt just never happened. At-least-once either way; never a message marked delivered on
// disk before its delivery. WAL with synchronous=NORMAL: a power cut may lose the last few
// flushes, with the same consequence.
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
-- Open and dead messages only: a message is mostly written once, already delivered, and then
-- costs this index nothing. (Files from before kept every row in messages_due.)
DROP INDEX IF EXISTS messages_due;
CREATE INDEX IF NOT EXISTS messages_open ON messages (status, next_attempt_at, seq)
  WHERE status <> 'delivered';
-- No index by key: keys end in a random id, so each new row dirtied a random page of it, written
-- whole to the WAL on every flush (three quarters of a flush's CPU with a few days of rows). The
-- key filter of deliveries() walks the table by seq instead; no request path uses it.
DROP INDEX IF EXISTS messages_key;
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

/** A message in memory: the row as it is, or will be once flushed. */
interface Message {
  seq: number;
  key: string;
  endpoint: string;
  status: DeliveryStatus;
  attempts: number;
  roundBase: number;
  nextAttemptAt: number;
  lastError: string | null;
  takenAt: number;
  deliveredAt: number | null;
}

export class DeliveryStore {
  private readonly db: Database.Database;
  private readonly s: ReturnType<typeof prepare>;
  private cursorSeq: number | null;
  /** Messages neither delivered nor dead (all of them: the backlog is bounded by the engine). */
  private readonly openMessages = new Map<number, Message>();
  /** Pending messages ordered by (nextAttemptAt, seq): the due scan reads its head. */
  private readonly queue: Message[] = [];
  private readonly dirtyMessages = new Map<number, Message>();
  private readonly dirtyAttempts = new Set<AttemptRow>();
  private readonly runningAttempts = new Map<number, AttemptRow>();
  private cursorDirty = false;

  constructor(
    path: string,
    readonly stream: string,
  ) {
    this.db = openStateFile(path, stream);
    this.s = prepare(this.db);
    const row = this.s.cursor.get(stream) as { seq: number } | undefined;
    this.cursorSeq = row?.seq ?? null;
    for (const r of this.s.openMessages.all() as MessageRow[]) {
      const message = messageOf(r);
      this.openMessages.set(message.seq, message);
      if (message.status === 'pending') this.enqueue(message);
    }
  }

  /** The highest seq taken; 0 before anything was taken. */
  cursor(): number {
    return this.cursorSeq ?? 0;
  }

  /** Null for a fresh file, which has never taken anything nor been told where to start. */
  cursorOrNull(): number | null {
    return this.cursorSeq;
  }

  /** Takes records and moves the cursor; both reach the disk in the same flush. */
  take(messages: readonly TakenMessage[], cursor: number, nowMs: number): void {
    const before = this.cursor();
    if (cursor < before) throw new Error(`outbox cursor would move back: ${before} → ${cursor}`);
    for (const m of messages)
      if (m.seq <= before || m.seq > cursor)
        throw new Error(`outbox record ${m.seq} outside (${before}, ${cursor}]`);
    for (const m of messages) {
      if (this.openMessages.has(m.seq)) continue;
      const message: Message = {
        ...m,
        status: 'pending',
        attempts: 0,
        roundBase: 0,
        nextAttemptAt: nowMs,
        lastError: null,
        takenAt: nowMs,
        deliveredAt: null,
      };
      this.openMessages.set(m.seq, message);
      this.enqueue(message);
      this.dirtyMessages.set(m.seq, message);
    }
    this.cursorSeq = cursor;
    this.cursorDirty = true;
  }

  /** Messages taken but neither delivered nor dead. */
  openCount(): number {
    return this.openMessages.size;
  }

  /** Rows changed since the last flush. */
  dirtyCount(): number {
    return this.dirtyMessages.size + this.dirtyAttempts.size;
  }

  /** Due pending messages, oldest due first, skipping endpoints already at their limit. */
  due(nowMs: number, limit: number, excludedEndpoints: readonly string[]): DueMessage[] {
    const excluded = new Set(excludedEndpoints);
    const found: DueMessage[] = [];
    for (const m of this.queue) {
      if (m.nextAttemptAt > nowMs || found.length >= limit) break;
      if (!excluded.has(m.endpoint)) found.push({ seq: m.seq, endpoint: m.endpoint });
    }
    return found;
  }

  /**
   * The first `scanMax` due pending messages, oldest due first, whatever their endpoint: a scan
   * whose cost is bounded by `scanMax` however large the backlog of a saturated endpoint is.
   */
  dueWindow(nowMs: number, scanMax: number): DueMessage[] {
    const found: DueMessage[] = [];
    for (const m of this.queue) {
      if (m.nextAttemptAt > nowMs || found.length >= scanMax) break;
      found.push({ seq: m.seq, endpoint: m.endpoint });
    }
    return found;
  }

  /** When the earliest pending message falls due, or null when none is pending. */
  nextDueAtMs(): number | null {
    return this.queue[0]?.nextAttemptAt ?? null;
  }

  /** Marks messages delivering and opens their attempt rows; skips any no longer pending. */
  claim(seqs: readonly number[], nowMs: number): ClaimedMessage[] {
    const claimed: ClaimedMessage[] = [];
    for (const seq of seqs) {
      const m = this.openMessages.get(seq);
      if (m === undefined || m.status !== 'pending') continue;
      this.dequeue(m);
      m.status = 'delivering';
      m.attempts++;
      this.dirtyMessages.set(seq, m);
      const attempt = openAttemptRow(seq, m.attempts, nowMs);
      this.runningAttempts.set(seq, attempt);
      this.dirtyAttempts.add(attempt);
      claimed.push({
        seq,
        key: m.key,
        endpoint: m.endpoint,
        attempt: m.attempts,
        attemptsThisRound: m.attempts - m.roundBase,
      });
    }
    return claimed;
  }

  /** Closes an attempt and moves its message on; both reach the disk in the same flush. */
  finish(
    seq: number,
    attempt: number,
    outcome: AttemptOutcome,
    next: NextState,
    nowMs: number,
  ): void {
    const m = this.openMessages.get(seq);
    const row = this.runningAttempts.get(seq);
    if (m === undefined || m.status !== 'delivering' || row?.attempt !== attempt)
      throw new Error(`outbox message ${seq} was not delivering`);
    this.runningAttempts.delete(seq);
    closeAttemptRow(row, outcome, nowMs);
    this.dirtyAttempts.add(row);
    m.status = next.status;
    m.nextAttemptAt = next.status === 'pending' ? next.nextAttemptAtMs : nowMs;
    m.lastError = outcome.ok ? null : (outcome.error ?? `status ${outcome.status ?? '?'}`);
    m.deliveredAt = next.status === 'delivered' ? nowMs : null;
    this.dirtyMessages.set(seq, m);
    if (next.status === 'pending') this.enqueue(m);
    else this.openMessages.delete(seq);
  }

  /**
   * Writes every change since the last flush in one transaction, many rows per statement: the
   * per-call cost of a statement (binding, stepping, resetting across the native boundary) was
   * most of a flush when each row had its own.
   */
  flush(): void {
    if (this.dirtyCount() === 0 && !this.cursorDirty) return;
    this.db.transaction(() => {
      this.s.messages.write(this.dirtyMessages.values(), this.dirtyMessages.size, (m, into) =>
        into.push(
          m.seq,
          this.stream,
          m.key,
          m.endpoint,
          m.status,
          m.attempts,
          m.roundBase,
          m.nextAttemptAt,
          m.lastError,
          m.takenAt,
          m.deliveredAt,
        ),
      );
      this.s.attempts.write(this.dirtyAttempts.values(), this.dirtyAttempts.size, (a, into) =>
        into.push(
          a.seq,
          a.attempt,
          a.started_at,
          a.finished_at,
          a.ok,
          a.status_code,
          a.latency_ms,
          a.response_excerpt,
          a.error,
        ),
      );
      if (this.cursorDirty && this.cursorSeq !== null)
        this.s.setCursor.run(this.stream, this.cursorSeq);
    })();
    this.dirtyMessages.clear();
    this.dirtyAttempts.clear();
    this.cursorDirty = false;
  }

  /**
   * After a restart: attempts left open are closed as interrupted and their messages go back to
   * pending, due at once. They may have reached the receiver, so they will be sent again: that is
   * the at-least-once promise. The interrupted attempt still counts towards maxAttempts, so a
   * message that crashes the process every time is dead-lettered eventually.
   */
  recover(nowMs: number): number {
    let recovered = 0;
    this.db.transaction(() => {
      this.s.interruptAttempts.run(nowMs, INTERRUPTED_ERROR);
      recovered = this.s.recoverMessages.run(nowMs, INTERRUPTED_ERROR).changes;
    })();
    for (const m of this.openMessages.values()) {
      if (m.status !== 'delivering') continue;
      m.status = 'pending';
      m.nextAttemptAt = nowMs;
      m.lastError = INTERRUPTED_ERROR;
      this.enqueue(m);
    }
    return recovered;
  }

  /** Puts a delivered or dead message back to pending with a fresh attempt budget. */
  replay(seq: number, nowMs: number): DeliveryStatus | null {
    const open = this.openMessages.get(seq);
    if (open !== undefined) return open.status;
    this.flush();
    const row = this.s.message.get(seq) as MessageRow | undefined;
    if (row === undefined) return null;
    this.reopen(messageOf(row), nowMs);
    return row.status;
  }

  replayDead(nowMs: number, limit: number): number {
    this.flush();
    const rows = this.s.dead.all(Math.min(limit, REPLAY_DEAD_MAX)) as MessageRow[];
    for (const row of rows) this.reopen(messageOf(row), nowMs);
    return rows.length;
  }

  counts(): Record<DeliveryStatus, number> {
    this.flush();
    const counts = Object.fromEntries(DELIVERY_STATUSES.map((s) => [s, 0])) as Record<
      DeliveryStatus,
      number
    >;
    for (const row of this.s.openCounts.all() as { status: DeliveryStatus; n: number }[])
      counts[row.status] = row.n;
    counts.delivered = (this.s.deliveredCount.get() as { n: number }).n;
    return counts;
  }

  oldestOpenTakenAtMs(): number | null {
    let oldest: number | null = null;
    for (const m of this.openMessages.values())
      if (oldest === null || m.takenAt < oldest) oldest = m.takenAt;
    return oldest;
  }

  deliveries(query: DeliveriesQuery): Delivery[] {
    this.flush();
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
    this.flush();
    return this.db.transaction(() => {
      const seqs = this.s.prunable.all(beforeMs, limit) as { seq: number }[];
      for (const { seq } of seqs) {
        this.s.deleteAttempts.run(seq);
        this.s.deleteMessage.run(seq);
      }
      return seqs.length;
    })();
  }

  /** Flushes and closes the file (attempts still running are closed by the next store's recover). */
  close(): void {
    if (!this.db.open) return;
    this.flush();
    this.db.close();
  }

  /** Closes the file without flushing: what a crash leaves behind (tests). */
  abandon(): void {
    if (this.db.open) this.db.close();
  }

  get open(): boolean {
    return this.db.open;
  }

  private reopen(m: Message, nowMs: number): void {
    m.status = 'pending';
    m.nextAttemptAt = nowMs;
    m.roundBase = m.attempts;
    m.deliveredAt = null;
    this.openMessages.set(m.seq, m);
    this.enqueue(m);
    this.dirtyMessages.set(m.seq, m);
  }

  private enqueue(m: Message): void {
    const at = this.queueIndex(m);
    // Most messages are taken due now, after every message already queued: an append.
    if (at === this.queue.length) this.queue.push(m);
    else this.queue.splice(at, 0, m);
  }

  private dequeue(m: Message): void {
    const at = this.queueIndex(m);
    if (this.queue[at] !== m) throw new Error(`outbox message ${m.seq} not in the due queue`);
    this.queue.splice(at, 1);
  }

  /** Where `m` is, or would go, in the queue: binary search on (nextAttemptAt, seq). */
  private queueIndex(m: Message): number {
    let low = 0;
    let high = this.queue.length;
    while (low < high) {
      const mid = (low + high) >>> 1;
      const q = this.queue[mid];
      if (
        q.nextAttemptAt < m.nextAttemptAt ||
        (q.nextAttemptAt === m.nextAttemptAt && q.seq < m.seq)
      )
        low = mid + 1;
      else high = mid;
    }
    return low;
  }
}

function openStateFile(path: string, stream: string): Database.Database {
  // No busy wait: the only other connection there can be is another engine, refused at once.
  const db = new Database(path, { timeout: 0 });
  try {
    db.pragma('journal_mode = WAL');
    db.pragma('synchronous = NORMAL');
    db.pragma('locking_mode = EXCLUSIVE');
    db.exec(SCHEMA_SQL);
    checkMeta(db, stream);
    return db;
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
}

function messageOf(row: MessageRow): Message {
  return {
    seq: row.seq,
    key: row.key,
    endpoint: row.endpoint,
    status: row.status,
    attempts: row.attempts,
    roundBase: row.round_base,
    nextAttemptAt: row.next_attempt_at,
    lastError: row.last_error,
    takenAt: row.taken_at,
    deliveredAt: row.delivered_at,
  };
}

function openAttemptRow(seq: number, attempt: number, nowMs: number): AttemptRow {
  return {
    seq,
    attempt,
    started_at: nowMs,
    finished_at: null,
    ok: 0,
    status_code: null,
    latency_ms: null,
    response_excerpt: null,
    error: null,
  };
}

function closeAttemptRow(row: AttemptRow, outcome: AttemptOutcome, nowMs: number): void {
  row.finished_at = nowMs;
  row.ok = outcome.ok ? 1 : 0;
  row.status_code = outcome.status ?? null;
  row.latency_ms = outcome.latencyMs;
  row.response_excerpt = outcome.responseExcerpt ?? null;
  row.error = outcome.error ?? null;
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
  return {
    cursor: db.prepare('SELECT seq FROM cursors WHERE stream = ?'),
    setCursor: db.prepare(
      'INSERT INTO cursors (stream, seq) VALUES (?, ?) ON CONFLICT (stream) DO UPDATE SET seq = excluded.seq',
    ),
    openMessages: db.prepare(
      `SELECT * FROM messages WHERE status <> 'delivered' AND status IN ('pending', 'delivering')
       ORDER BY seq`,
    ),
    messages: new MultiRowWriter(
      db,
      `INSERT INTO messages (seq, stream, key, endpoint, status, attempts, round_base,
         next_attempt_at, last_error, taken_at, delivered_at) VALUES`,
      11,
      `ON CONFLICT (seq) DO UPDATE SET status = excluded.status, attempts = excluded.attempts,
         round_base = excluded.round_base, next_attempt_at = excluded.next_attempt_at,
         last_error = excluded.last_error, delivered_at = excluded.delivered_at`,
    ),
    attempts: new MultiRowWriter(
      db,
      `INSERT OR REPLACE INTO attempts (seq, attempt, started_at, finished_at, ok, status_code,
         latency_ms, response_excerpt, error) VALUES`,
      9,
      '',
    ),
    interruptAttempts: db.prepare(
      'UPDATE attempts SET finished_at = ?, error = ? WHERE finished_at IS NULL',
    ),
    recoverMessages: db.prepare(
      `UPDATE messages SET status = 'pending', next_attempt_at = ?, last_error = ?
       WHERE status <> 'delivered' AND status = 'delivering'`,
    ),
    message: db.prepare('SELECT * FROM messages WHERE seq = ?'),
    dead: db.prepare(
      "SELECT * FROM messages WHERE status <> 'delivered' AND status = 'dead' ORDER BY seq LIMIT ?",
    ),
    // Each from its partial index, never a scan of the table.
    openCounts: db.prepare(
      "SELECT status, count(*) AS n FROM messages WHERE status <> 'delivered' GROUP BY status",
    ),
    deliveredCount: db.prepare("SELECT count(*) AS n FROM messages WHERE status = 'delivered'"),
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

/** Rows per statement: a few sizes, so any count is written in a handful of statements. */
const ROWS_PER_STATEMENT = [64, 16, 4, 1] as const;

/**
 * One INSERT of many rows at once, prepared once per size in ROWS_PER_STATEMENT: `count` rows
 * take count / 64 statements of 64 rows plus at most 3 + 3 + 3 smaller ones.
 */
class MultiRowWriter {
  private readonly statements: Database.Statement[];

  constructor(db: Database.Database, head: string, columns: number, tail: string) {
    const tuple = `(${Array.from({ length: columns }, () => '?').join(', ')})`;
    this.statements = ROWS_PER_STATEMENT.map((rows) =>
      db.prepare(`${head} ${Array.from({ length: rows }, () => tuple).join(', ')} ${tail}`),
    );
  }

  /** Writes `count` rows from `rows`, each flattened into its parameters by `push`. */
  write<T>(rows: Iterator<T>, count: number, push: (row: T, into: unknown[]) => void): void {
    let left = count;
    for (let i = 0; i < ROWS_PER_STATEMENT.length; i++) {
      const size = ROWS_PER_STATEMENT[i];
      while (left >= size) {
        const params: unknown[] = [];
        for (let r = 0; r < size; r++) {
          const next = rows.next();
          if (next.done === true)
            throw new Error(`outbox flush: ${count} rows announced, fewer given`);
          push(next.value, params);
        }
        this.statements[i].run(params);
        left -= size;
      }
    }
  }
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
