// The embedded journal: one SQLite file in WAL mode with synchronous=FULL, so a commit has been
// fsynced before `commit` returns. better-sqlite3 is synchronous; it runs inside the writer's
// worker thread, never on the HTTP event loop.

import Database from 'better-sqlite3';
import type { Transfer } from '../../ledger/model.ts';
import type { AccountSnapshot, PendingLookup } from '../../ledger/state.ts';
import {
  assertReadLimit,
  type ChainEntry,
  type Journal,
  type JournalBatch,
  parseRecordBalances,
  pendingStatusOf,
  type RecoverySink,
  type ScanResult,
  type StoredExpiry,
  type StoredRecord,
} from '../journal.ts';
import {
  ACCOUNT_COLUMNS,
  type AccountRow,
  accountFromRow,
  applyEntry,
  chainEntryOf,
  type EntryColumns,
  EXPIRY_COLUMNS,
  type ExpiryRow,
  expiryFromRow,
  pushAccountValues,
  pushExpiryValues,
  pushTransferValues,
  type SqlValue,
  TRANSFER_COLUMNS,
  type TransferRow,
  transferFromRow,
} from '../rows.ts';
import { SCHEMA_SQL, SCHEMA_VERSION } from './schema.ts';

/**
 * Rows per multi-row INSERT, largest first: a batch of n rows takes about n/64 + 6 statement
 * executions instead of n (a moderate-load commit holds ~10–40 transfers, which the 64-row
 * statement alone never covered), well under SQLite's 32,766 variables.
 */
const INSERT_CHUNK_ROWS = [64, 16, 4, 1] as const;

export interface SqliteJournalOptions {
  path: string;
  /** Page cache size in MiB. */
  cacheMiB?: number;
}

type Statements = ReturnType<typeof prepare>;

export class SqliteJournal implements Journal {
  readonly kind = 'sqlite' as const;
  private db: Database.Database | null = null;
  private statements: Statements | null = null;

  constructor(private readonly options: SqliteJournalOptions) {}

  async open(): Promise<void> {
    if (this.db !== null) return;
    const db = new Database(this.options.path);
    db.pragma('journal_mode = WAL');
    db.pragma('synchronous = FULL');
    db.pragma(`cache_size = -${(this.options.cacheMiB ?? 64) * 1024}`);
    db.pragma('temp_store = MEMORY');
    db.exec(SCHEMA_SQL);
    const version = db.prepare(`SELECT value FROM meta WHERE key = 'schema_version'`).get() as
      | { value: string }
      | undefined;
    if (version === undefined) {
      db.prepare(`INSERT INTO meta (key, value) VALUES ('schema_version', ?)`).run(
        String(SCHEMA_VERSION),
      );
    } else if (Number(version.value) !== SCHEMA_VERSION) {
      throw new Error(
        `sqlite journal: schema version ${version.value}, expected ${SCHEMA_VERSION}`,
      );
    }
    this.db = db;
    this.statements = prepare(db);
  }

  private get s(): Statements {
    if (this.statements === null) throw new Error('sqlite journal: not open');
    return this.statements;
  }

  async recover(sink: RecoverySink): Promise<void> {
    const s = this.s;
    const from = Number(
      (s.getMeta.get('recover_from_ts') as { value: string } | undefined)?.value ?? 0,
    );
    const accounts = new Map<string, AccountSnapshot>();
    const replayedSince = new Map<string, number>();
    for (const row of s.allAccounts.iterate() as Iterable<AccountRow>)
      accounts.set(row.id, accountFromRow(row));
    // Every change since the oldest unwritten one carries absolute values: the latest row wins.
    for (const row of s.entriesSince.iterate(from, from) as Iterable<EntryColumns>)
      applyEntry(accounts, row, replayedSince);
    for (const account of accounts.values())
      sink.account(account, replayedSince.get(account.id) ?? 0);
    for (const row of s.openPendings.iterate() as Iterable<TransferRow>)
      sink.openPending(transferFromRow(row));
    for (const row of s.allTransferIds.iterate() as Iterable<{ id: string; ts: number }>)
      sink.transferId(row.id, row.ts);
    const last = s.lastTimestamp.get() as { ts: number | null };
    sink.lastTimestamp(Number(last.ts ?? 0));
  }

  async commit(batch: JournalBatch): Promise<number[]> {
    const s = this.s;
    const seqs: number[] = [];
    this.db!.transaction(() => {
      for (const a of batch.accounts) s.insertAccount.run(values(pushAccountValues, a));
      insertChunked(s.insertTransfers, batch.transfers, pushTransferValues);
      insertChunked(s.insertExpiries, batch.expiries, pushExpiryValues);
      for (const a of batch.anchors) s.insertAnchor.run(a.accountId, a.timestamp);
      for (const r of batch.records) {
        const inserted = s.insertRecord.run(
          r.stream,
          r.key,
          batch.lastTimestamp,
          r.body,
          r.balances,
        );
        seqs.push(Number(inserted.lastInsertRowid));
      }
      for (const a of batch.checkpoint) {
        s.updateAccount.run(
          a.debitsPending,
          a.debitsPosted,
          a.creditsPending,
          a.creditsPosted,
          a.entryCount,
          a.lastEntryTs,
          a.id,
        );
      }
      if (batch.checkpoint.length > 0)
        s.setMeta.run('recover_from_ts', String(batch.recoverFromTs));
    })();
    return seqs;
  }

  async transfersAt(timestamps: readonly number[]): Promise<Transfer[]> {
    return timestamps.flatMap((ts) => {
      const row = this.s.transferAt.get(ts) as TransferRow | undefined;
      return row === undefined ? [] : [transferFromRow(row)];
    });
  }

  async pendingsAt(timestamps: readonly number[]): Promise<PendingLookup[]> {
    const found: PendingLookup[] = [];
    for (const ts of timestamps) {
      const row = this.s.transferAt.get(ts) as TransferRow | undefined;
      if (row === undefined || (row.flags & 2) === 0) continue;
      const resolution = this.s.resolutionOf.get(row.id) as { flags: number } | undefined;
      const expired = this.s.expiryOf.get(row.id) !== undefined;
      found.push({
        transfer: transferFromRow(row),
        status: pendingStatusOf(resolution?.flags ?? null, expired),
      });
    }
    return found;
  }

  async chainEntries(accountId: string, timestamps: readonly number[]): Promise<ChainEntry[]> {
    const found: ChainEntry[] = [];
    for (const ts of timestamps) {
      const row = this.s.transferAt.get(ts) as TransferRow | undefined;
      if (row !== undefined) {
        found.push(chainEntryOf(row, accountId, transferFromRow(row)));
        continue;
      }
      const expiry = this.s.expiryAt.get(ts) as ExpiryRow | undefined;
      if (expiry !== undefined) found.push(chainEntryOf(expiry, accountId, null));
    }
    return found;
  }

  async anchorAfter(accountId: string, timestamp: number): Promise<number | null> {
    const row = this.s.anchorAfter.get(accountId, timestamp) as { ts: number } | undefined;
    return row === undefined ? null : Number(row.ts);
  }

  async scanTransfers(afterTimestamp: number, limit: number): Promise<ScanResult<Transfer>> {
    const rows = (
      this.s.scanTransfers.all(afterTimestamp, assertReadLimit(limit)) as TransferRow[]
    ).map(transferFromRow);
    return {
      rows,
      nextTimestamp: rows.length > 0 ? rows[rows.length - 1].timestamp : afterTimestamp,
    };
  }

  async scanExpiries(afterTimestamp: number, limit: number): Promise<ScanResult<StoredExpiry>> {
    const rows = (
      this.s.scanExpiries.all(afterTimestamp, assertReadLimit(limit)) as ExpiryRow[]
    ).map(expiryFromRow);
    return {
      rows,
      nextTimestamp: rows.length > 0 ? rows[rows.length - 1].timestamp : afterTimestamp,
    };
  }

  async readRecords(stream: string, afterSeq: number, limit: number): Promise<StoredRecord[]> {
    return (this.s.readRecords.all(stream, afterSeq, assertReadLimit(limit)) as RecordRow[]).map(
      recordFromRow,
    );
  }

  async latestRecords(stream: string, limit: number): Promise<StoredRecord[]> {
    return (this.s.latestRecords.all(stream, assertReadLimit(limit)) as RecordRow[]).map(
      recordFromRow,
    );
  }

  async storedAccounts(): Promise<AccountSnapshot[]> {
    return (this.s.allAccounts.all() as AccountRow[]).map(accountFromRow);
  }

  async close(): Promise<void> {
    this.db?.close();
    this.db = null;
    this.statements = null;
  }
}

interface RecordRow {
  seq: number;
  stream: string;
  key: string;
  ts: number;
  body: string;
  balances: string | null;
}

function recordFromRow(r: RecordRow): StoredRecord {
  return {
    seq: Number(r.seq),
    stream: r.stream,
    key: r.key,
    timestamp: Number(r.ts),
    body: r.body,
    balances: parseRecordBalances(r.balances),
  };
}

function values<T>(push: (out: SqlValue[], item: T) => void, item: T): SqlValue[] {
  const out: SqlValue[] = [];
  push(out, item);
  return out;
}

/** Inserts rows with multi-row statements, the largest chunk that fits first. */
function insertChunked<T>(
  chunks: readonly Chunk[],
  items: readonly T[],
  push: (out: SqlValue[], item: T) => void,
): void {
  const buffer: SqlValue[] = [];
  let i = 0;
  for (const { rows, statement } of chunks) {
    for (; i + rows <= items.length; i += rows) {
      buffer.length = 0;
      for (let j = i; j < i + rows; j++) push(buffer, items[j]);
      statement.run(buffer);
    }
  }
}

interface Chunk {
  rows: number;
  statement: Database.Statement;
}

function chunkStatements(
  db: Database.Database,
  table: string,
  columns: readonly string[],
): Chunk[] {
  return INSERT_CHUNK_ROWS.map((rows) => ({
    rows,
    statement: db.prepare(insertSql(table, columns, rows)),
  }));
}

function insertSql(table: string, columns: readonly string[], rows: number): string {
  const tuple = `(${columns.map(() => '?').join(',')})`;
  return `INSERT INTO ${table} (${columns.join(',')}) VALUES ${Array(rows).fill(tuple).join(',')}`;
}

function prepare(db: Database.Database) {
  const entry = (table: string) =>
    `SELECT ts, debit_account_id, credit_account_id, ${[...EXPIRY_COLUMNS.slice(5)].join(', ')} FROM ${table} WHERE ts >= ?`;
  return {
    getMeta: db.prepare('SELECT value FROM meta WHERE key = ?'),
    setMeta: db.prepare(
      'INSERT INTO meta (key, value) VALUES (?, ?) ON CONFLICT (key) DO UPDATE SET value = excluded.value',
    ),
    insertAccount: db.prepare(insertSql('accounts', ACCOUNT_COLUMNS, 1)),
    updateAccount: db.prepare(
      'UPDATE accounts SET debits_pending = ?, debits_posted = ?, credits_pending = ?, credits_posted = ?, entry_count = ?, last_entry_ts = ? WHERE id = ?',
    ),
    insertTransfers: chunkStatements(db, 'transfers', TRANSFER_COLUMNS),
    insertExpiries: chunkStatements(db, 'expiries', EXPIRY_COLUMNS),
    insertAnchor: db.prepare('INSERT INTO anchors (account_id, ts) VALUES (?, ?)'),
    insertRecord: db.prepare(
      'INSERT INTO records (stream, key, ts, body, balances) VALUES (?,?,?,?,?)',
    ),
    allAccounts: db.prepare('SELECT * FROM accounts'),
    entriesSince: db.prepare(`${entry('transfers')} UNION ALL ${entry('expiries')} ORDER BY ts`),
    openPendings: db.prepare(
      `SELECT * FROM transfers t WHERE (t.flags & 2) = 2
         AND NOT EXISTS (SELECT 1 FROM transfers r WHERE r.pending_id = t.id)
         AND NOT EXISTS (SELECT 1 FROM expiries e WHERE e.pending_id = t.id)`,
    ),
    allTransferIds: db.prepare('SELECT id, ts FROM transfers'),
    lastTimestamp: db.prepare(
      'SELECT max(ts) AS ts FROM (SELECT max(ts) AS ts FROM transfers UNION ALL SELECT max(ts) FROM expiries UNION ALL SELECT max(ts) FROM accounts)',
    ),
    transferAt: db.prepare('SELECT * FROM transfers WHERE ts = ?'),
    expiryAt: db.prepare('SELECT * FROM expiries WHERE ts = ?'),
    resolutionOf: db.prepare('SELECT flags FROM transfers WHERE pending_id = ?'),
    expiryOf: db.prepare('SELECT ts FROM expiries WHERE pending_id = ?'),
    anchorAfter: db.prepare(
      'SELECT ts FROM anchors WHERE account_id = ? AND ts > ? ORDER BY ts LIMIT 1',
    ),
    scanTransfers: db.prepare('SELECT * FROM transfers WHERE ts > ? ORDER BY ts LIMIT ?'),
    scanExpiries: db.prepare('SELECT * FROM expiries WHERE ts > ? ORDER BY ts LIMIT ?'),
    readRecords: db.prepare(
      'SELECT * FROM records WHERE stream = ? AND seq > ? ORDER BY seq LIMIT ?',
    ),
    latestRecords: db.prepare('SELECT * FROM records WHERE stream = ? ORDER BY seq DESC LIMIT ?'),
  };
}
