import { after } from 'node:test';
import { journalContract } from '../contract.ts';
import type { Journal } from '../journal.ts';
import { PostgresJournal } from './journal.ts';
import { freshDatabaseUrl, stopTestPostgres } from './testing.ts';

const urls = new WeakMap<Journal, string>();

after(stopTestPostgres);

journalContract('postgres', {
  async create() {
    const url = await freshDatabaseUrl();
    const journal = new PostgresJournal({ url });
    urls.set(journal, url);
    return journal;
  },
  async reopen(previous) {
    const url = urls.get(previous)!;
    const journal = new PostgresJournal({ url });
    urls.set(journal, url);
    return journal;
  },
});
