import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { journalContract } from '../contract.ts';
import type { Journal } from '../journal.ts';
import { SqliteJournal } from './journal.ts';

const paths = new WeakMap<Journal, string>();

journalContract('sqlite', {
  async create() {
    const path = join(mkdtempSync(join(tmpdir(), 'malipo-sqlite-')), 'journal.db');
    const journal = new SqliteJournal({ path });
    paths.set(journal, path);
    return journal;
  },
  async reopen(previous) {
    const path = paths.get(previous)!;
    const journal = new SqliteJournal({ path });
    paths.set(journal, path);
    return journal;
  },
});
