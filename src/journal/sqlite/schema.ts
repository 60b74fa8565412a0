// The SQLite journal's schema. The commit path only appends: transfers and expiries are keyed
// by engine timestamp (a rowid alias, so inserts go to the end of the B-tree) and carry their own
// "balance after" values and per-account chain links. The only per-account index is `anchors`,
// one row per 64 entries of an account. Partial indexes cover two-phase transfers only.

export const SCHEMA_VERSION = 3;

const ENTRY_COLUMNS = `
  dr_debits_pending INTEGER NOT NULL,
  dr_debits_posted INTEGER NOT NULL,
  dr_credits_pending INTEGER NOT NULL,
  dr_credits_posted INTEGER NOT NULL,
  cr_debits_pending INTEGER NOT NULL,
  cr_debits_posted INTEGER NOT NULL,
  cr_credits_pending INTEGER NOT NULL,
  cr_credits_posted INTEGER NOT NULL,
  dr_seq INTEGER NOT NULL,
  dr_prev_ts INTEGER NOT NULL,
  cr_seq INTEGER NOT NULL,
  cr_prev_ts INTEGER NOT NULL`;

export const SCHEMA_SQL = `
CREATE TABLE IF NOT EXISTS meta (
  key TEXT PRIMARY KEY,
  value TEXT NOT NULL
);

-- Counters and chain position as of each account's last checkpoint; later changes are in the
-- entries' "balance after" columns (see meta.recover_from_ts).
CREATE TABLE IF NOT EXISTS accounts (
  id TEXT PRIMARY KEY,
  ledger INTEGER NOT NULL,
  code INTEGER NOT NULL,
  flags INTEGER NOT NULL,
  owner_id TEXT NOT NULL,
  user_data INTEGER NOT NULL,
  ts INTEGER NOT NULL,
  debits_pending INTEGER NOT NULL,
  debits_posted INTEGER NOT NULL,
  credits_pending INTEGER NOT NULL,
  credits_posted INTEGER NOT NULL,
  entry_count INTEGER NOT NULL,
  last_entry_ts INTEGER NOT NULL
) WITHOUT ROWID;

CREATE TABLE IF NOT EXISTS transfers (
  ts INTEGER PRIMARY KEY,
  id TEXT NOT NULL,
  debit_account_id TEXT NOT NULL,
  credit_account_id TEXT NOT NULL,
  amount INTEGER NOT NULL,
  pending_id TEXT,
  ledger INTEGER NOT NULL,
  code INTEGER NOT NULL,
  flags INTEGER NOT NULL,
  timeout_seconds INTEGER NOT NULL,
  user_ref TEXT NOT NULL,
  user_data INTEGER NOT NULL,${ENTRY_COLUMNS}
);
CREATE INDEX IF NOT EXISTS transfers_pending_id ON transfers (pending_id) WHERE pending_id IS NOT NULL;
CREATE INDEX IF NOT EXISTS transfers_pending_flag ON transfers (ts) WHERE (flags & 2) = 2;

CREATE TABLE IF NOT EXISTS expiries (
  ts INTEGER PRIMARY KEY,
  pending_id TEXT NOT NULL UNIQUE,
  debit_account_id TEXT NOT NULL,
  credit_account_id TEXT NOT NULL,
  amount INTEGER NOT NULL,${ENTRY_COLUMNS}
);

CREATE TABLE IF NOT EXISTS anchors (
  account_id TEXT NOT NULL,
  ts INTEGER NOT NULL,
  PRIMARY KEY (account_id, ts)
) WITHOUT ROWID;

-- Outbox messages and product events, committed with the transfers they belong to.
CREATE TABLE IF NOT EXISTS records (
  seq INTEGER PRIMARY KEY,
  stream TEXT NOT NULL,
  key TEXT NOT NULL,
  ts INTEGER NOT NULL,
  body TEXT NOT NULL,
  balances TEXT
);
CREATE INDEX IF NOT EXISTS records_stream ON records (stream, seq);
`;
