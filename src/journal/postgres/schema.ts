// The PostgreSQL journal's schema: the same tables and meaning as the SQLite journal (see
// ../sqlite/schema.ts), in PostgreSQL types. Money and timestamps are BIGINT; the commit path
// only appends (COPY into transfers), so there is no random-key index to maintain per transfer.

export const SCHEMA_VERSION = 3;

const ENTRY_COLUMNS = `
  dr_debits_pending BIGINT NOT NULL,
  dr_debits_posted BIGINT NOT NULL,
  dr_credits_pending BIGINT NOT NULL,
  dr_credits_posted BIGINT NOT NULL,
  cr_debits_pending BIGINT NOT NULL,
  cr_debits_posted BIGINT NOT NULL,
  cr_credits_pending BIGINT NOT NULL,
  cr_credits_posted BIGINT NOT NULL,
  dr_seq BIGINT NOT NULL,
  dr_prev_ts BIGINT NOT NULL,
  cr_seq BIGINT NOT NULL,
  cr_prev_ts BIGINT NOT NULL`;

export const SCHEMA_SQL = `
CREATE TABLE IF NOT EXISTS meta (
  key TEXT PRIMARY KEY,
  value TEXT NOT NULL
);

CREATE TABLE IF NOT EXISTS accounts (
  id TEXT PRIMARY KEY,
  ledger BIGINT NOT NULL,
  code BIGINT NOT NULL,
  flags BIGINT NOT NULL,
  owner_id TEXT NOT NULL,
  user_data BIGINT NOT NULL,
  ts BIGINT NOT NULL,
  debits_pending BIGINT NOT NULL,
  debits_posted BIGINT NOT NULL,
  credits_pending BIGINT NOT NULL,
  credits_posted BIGINT NOT NULL,
  entry_count BIGINT NOT NULL,
  last_entry_ts BIGINT NOT NULL
);

CREATE TABLE IF NOT EXISTS transfers (
  ts BIGINT PRIMARY KEY,
  id TEXT NOT NULL,
  debit_account_id TEXT NOT NULL,
  credit_account_id TEXT NOT NULL,
  amount BIGINT NOT NULL,
  pending_id TEXT,
  ledger BIGINT NOT NULL,
  code BIGINT NOT NULL,
  flags BIGINT NOT NULL,
  timeout_seconds BIGINT NOT NULL,
  user_ref TEXT NOT NULL,
  user_data BIGINT NOT NULL,${ENTRY_COLUMNS}
);
CREATE INDEX IF NOT EXISTS transfers_pending_id ON transfers (pending_id) WHERE pending_id IS NOT NULL;
CREATE INDEX IF NOT EXISTS transfers_pending_flag ON transfers (ts) WHERE (flags & 2) = 2;

CREATE TABLE IF NOT EXISTS expiries (
  ts BIGINT PRIMARY KEY,
  pending_id TEXT NOT NULL UNIQUE,
  debit_account_id TEXT NOT NULL,
  credit_account_id TEXT NOT NULL,
  amount BIGINT NOT NULL,${ENTRY_COLUMNS}
);

CREATE TABLE IF NOT EXISTS anchors (
  account_id TEXT NOT NULL,
  ts BIGINT NOT NULL,
  PRIMARY KEY (account_id, ts)
);

CREATE TABLE IF NOT EXISTS records (
  seq BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  stream TEXT NOT NULL,
  key TEXT NOT NULL,
  ts BIGINT NOT NULL,
  body TEXT NOT NULL,
  balances TEXT
);
CREATE INDEX IF NOT EXISTS records_stream ON records (stream, seq);
`;
