// One server per data folder. Two servers on the same --data would both append to the SQLite
// journal and race on the outbox state files; before this lock the second one got as far as the
// outbox and stopped with "in use by another engine", after its writer had already recovered the
// journal beside the first one's.
//
// The lock is an SQLite file held in exclusive locking mode: the operating system releases it
// when the process dies, however it dies, so a crash never leaves a stale lock to delete by
// hand (a pid file alone would). The pid file beside it only makes the message useful.
import { readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import Database from 'better-sqlite3';

export const DATA_LOCK_FILE = 'malipo.lock';
const PID_FILE = 'malipo.pid';

export interface DataDirLock {
  release(): void;
}

/** The data folder is used by another running server; the message says which and what to do. */
export class DataDirLockedError extends Error {
  override readonly name = 'DataDirLockedError';
}

export function lockDataDir(dataDir: string): DataDirLock {
  const path = join(dataDir, DATA_LOCK_FILE);
  // No busy wait: whoever holds the lock holds it for its whole life.
  const db = new Database(path, { timeout: 0 });
  try {
    db.pragma('locking_mode = EXCLUSIVE');
    // Nothing here needs a rollback journal on disk: no stray malipo.lock-journal beside it.
    db.pragma('journal_mode = MEMORY');
    // The first write takes the exclusive lock, which exclusive mode keeps after the commit.
    db.exec('CREATE TABLE IF NOT EXISTS holder (pid INTEGER NOT NULL)');
    db.exec('DELETE FROM holder');
    db.prepare('INSERT INTO holder (pid) VALUES (?)').run(process.pid);
  } catch (error) {
    db.close();
    if (error instanceof Error && /locked|busy/i.test(error.message)) {
      throw new DataDirLockedError(
        `the data folder ${dataDir} is in use by another Malipo server${holderOf(dataDir)}: stop that one first, or give this one its own folder with --data DIR (or MALIPO_DATA_DIR)`,
        { cause: error },
      );
    }
    throw error;
  }
  const pidPath = join(dataDir, PID_FILE);
  writeFileSync(pidPath, `${process.pid}\n`);
  return {
    release() {
      if (!db.open) return;
      db.close();
      rmSync(pidPath, { force: true });
    },
  };
}

function holderOf(dataDir: string): string {
  try {
    const pid = readFileSync(join(dataDir, PID_FILE), 'utf8').trim();
    return /^\d+$/.test(pid) ? ` (pid ${pid})` : '';
  } catch {
    return '';
  }
}
