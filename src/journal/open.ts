// Builds the journal a configuration names. PostgreSQL's client loads only when it is used.

import type { Journal } from './journal.ts';
import type { JournalConfig } from './protocol.ts';
import { SqliteJournal } from './sqlite/journal.ts';

export async function openJournal(config: JournalConfig): Promise<Journal> {
  if (config.kind === 'sqlite')
    return new SqliteJournal({ path: config.path, cacheMiB: config.cacheMiB });
  const { PostgresJournal } = await import('./postgres/journal.ts');
  return new PostgresJournal({ url: config.url, poolMax: config.poolMax });
}
