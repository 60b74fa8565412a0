// The delivery state store on a real SQLite file: taking and the cursor move together, restarts
// put interrupted attempts back, and the file refuses a second owner.

import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, test } from 'node:test';
import Database from 'better-sqlite3';
import { DeliveryStore } from './store.ts';

let dir: string;
let path: string;
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'malipo-outbox-store-'));
  path = join(dir, 'state.db');
});
afterEach(() => rmSync(dir, { recursive: true, force: true }));

const taken = (seq: number) => ({ seq, key: `k${seq}`, endpoint: 'e' });

describe('delivery store', { timeout: 10_000 }, () => {
  test('taking records and moving the cursor is one transaction', () => {
    const store = new DeliveryStore(path, 'cb');
    assert.equal(store.cursorOrNull(), null);
    store.take([taken(3), taken(5)], 5, 100);
    assert.equal(store.cursor(), 5);
    // A bad page (a seq at or below the cursor) is refused whole: nothing taken, cursor unmoved.
    assert.throws(() => store.take([taken(7), taken(5)], 7, 100), /outside/);
    assert.equal(store.cursor(), 5);
    assert.equal(store.counts().pending, 2);
    assert.throws(() => store.take([], 4, 100), /move back/);
    store.close();
    const reopened = new DeliveryStore(path, 'cb');
    assert.equal(reopened.cursor(), 5);
    reopened.close();
  });

  test('after a restart, delivering messages are pending again and their open attempt is closed', () => {
    const store = new DeliveryStore(path, 'cb');
    store.take([taken(1), taken(2)], 2, 100);
    const claimed = store.claim([1, 2], 200);
    assert.deepEqual(
      claimed.map((c) => [c.seq, c.attempt]),
      [
        [1, 1],
        [2, 1],
      ],
    );
    store.finish(1, 1, { ok: true, status: 200, latencyMs: 3 }, { status: 'delivered' }, 210);
    store.close(); // message 2 is left 'delivering', as after a crash

    const after = new DeliveryStore(path, 'cb');
    assert.equal(after.recover(300), 1);
    const [d1, d2] = after.deliveries({ limit: 10 });
    assert.equal(d1.status, 'delivered');
    assert.equal(d2.status, 'pending');
    assert.equal(d2.nextAttemptAtMs, 300);
    assert.match(d2.log[0].error ?? '', /interrupted/);
    // The interrupted attempt counts: the next one is attempt 2.
    assert.equal(after.claim([2], 400)[0].attempt, 2);
    after.close();
  });

  test('due skips endpoints at their limit and messages not yet due', () => {
    const store = new DeliveryStore(path, 'cb');
    store.take(
      [
        { seq: 1, key: 'a', endpoint: 'x' },
        { seq: 2, key: 'b', endpoint: 'y' },
      ],
      2,
      100,
    );
    assert.deepEqual(
      store.due(100, 10, ['x']).map((m) => m.seq),
      [2],
    );
    assert.deepEqual(store.due(99, 10, []), []);
    store.close();
  });

  test('prune forgets delivered messages past retention, never pending or dead ones', () => {
    const store = new DeliveryStore(path, 'cb');
    store.take([taken(1), taken(2), taken(3), taken(4)], 4, 0);
    store.claim([1, 2, 3], 50);
    const ok = { ok: true, latencyMs: 1 };
    store.finish(1, 1, ok, { status: 'delivered' }, 100);
    store.finish(2, 1, ok, { status: 'delivered' }, 200);
    store.finish(3, 1, { ok: false, latencyMs: 1, error: 'x' }, { status: 'dead' }, 100);
    assert.equal(store.prune(150, 10), 1);
    assert.deepEqual(
      store.deliveries({ limit: 10 }).map((d) => [d.seq, d.status]),
      [
        [2, 'delivered'],
        [3, 'dead'],
        [4, 'pending'],
      ],
    );
    store.close();
  });

  test('changes reach the file only in a flush, and a crash loses them towards sending again', () => {
    const store = new DeliveryStore(path, 'cb');
    store.take([taken(1), taken(2), taken(3)], 3, 100);
    store.flush();
    store.claim([1], 110);
    store.finish(1, 1, { ok: true, status: 200, latencyMs: 2 }, { status: 'delivered' }, 120);
    store.take([taken(4), taken(5)], 5, 130);
    assert.equal(store.dirtyCount(), 4, 'messages 1, 4 and 5 and the attempt on 1');
    store.abandon(); // SIGKILL: nothing since the flush was written

    const after = new DeliveryStore(path, 'cb');
    assert.equal(after.cursor(), 3, 'the cursor moved back with the unwritten messages');
    assert.equal(after.recover(200), 0);
    const log = after.deliveries({ limit: 10 });
    assert.deepEqual(
      log.map((d) => [d.seq, d.status, d.attempts]),
      [
        [1, 'pending', 0],
        [2, 'pending', 0],
        [3, 'pending', 0],
      ],
      'the unwritten delivery of 1 is sent again; 4 and 5 are taken again from the journal',
    );
    after.claim([1], 210);
    after.finish(1, 1, { ok: true, status: 200, latencyMs: 2 }, { status: 'delivered' }, 220);
    after.close(); // a clean close flushes
    const reopened = new DeliveryStore(path, 'cb');
    assert.equal(reopened.deliveries({ limit: 1 })[0].status, 'delivered');
    assert.equal(reopened.deliveries({ limit: 1 })[0].log[0].status, 200);
    reopened.close();
  });

  test('a flush of many rows (several multi-row statements of each size) writes every row', () => {
    const store = new DeliveryStore(path, 'cb');
    // 87 = 64 + 16 + 4 + 3 × 1: every statement size, the single-row one more than once.
    const seqs = Array.from({ length: 87 }, (_, i) => i + 1);
    store.take(seqs.map(taken), 87, 100);
    store.claim(seqs, 200);
    for (const seq of seqs.filter((s) => s % 3 !== 0))
      store.finish(seq, 1, { ok: true, status: 200, latencyMs: 1 }, { status: 'delivered' }, 300);
    store.flush();
    store.abandon(); // a crash right after the flush
    const reopened = new DeliveryStore(path, 'cb');
    assert.equal(reopened.cursor(), 87);
    assert.deepEqual(reopened.counts(), { pending: 0, delivering: 29, delivered: 58, dead: 0 });
    const all = reopened.deliveries({ limit: 100 });
    assert.deepEqual(
      all.map((d) => d.seq),
      seqs,
    );
    assert.deepEqual(all[1].log, [
      {
        attempt: 1,
        startedAtMs: 200,
        finishedAtMs: 300,
        status: 200,
        latencyMs: 1,
        responseExcerpt: null,
        error: null,
        ok: true,
      },
    ]);
    assert.equal(all[2].log[0].finishedAtMs, null);
    reopened.close();
  });

  test('a file from before keeps its rows; its indexes over every row are replaced by one over open and dead ones', () => {
    const old = new Database(path);
    old.exec(`CREATE TABLE messages (seq INTEGER PRIMARY KEY, stream TEXT NOT NULL, key TEXT NOT NULL,
      endpoint TEXT NOT NULL, status TEXT NOT NULL, attempts INTEGER NOT NULL DEFAULT 0,
      round_base INTEGER NOT NULL DEFAULT 0, next_attempt_at INTEGER NOT NULL, last_error TEXT,
      taken_at INTEGER NOT NULL, delivered_at INTEGER);
      CREATE INDEX messages_due ON messages (status, next_attempt_at, seq);
      CREATE INDEX messages_key ON messages (key, seq);
      INSERT INTO messages (seq, stream, key, endpoint, status, next_attempt_at, taken_at, delivered_at)
      VALUES (1, 'cb', 'k1', 'e', 'delivered', 0, 0, 5), (2, 'cb', 'k2', 'e', 'dead', 0, 0, NULL),
        (3, 'cb', 'k3', 'e', 'pending', 0, 0, NULL);`);
    old.close();
    const store = new DeliveryStore(path, 'cb');
    assert.deepEqual(store.counts(), { pending: 1, delivering: 0, delivered: 1, dead: 1 });
    assert.equal(store.replayDead(10, 10), 1);
    assert.deepEqual(store.counts(), { pending: 2, delivering: 0, delivered: 1, dead: 0 });
    // The key filter still finds a message, delivered or not, without its index.
    assert.deepEqual(
      store.deliveries({ limit: 5, key: 'k1' }).map((d) => [d.seq, d.status]),
      [[1, 'delivered']],
    );
    store.close();
    const check = new Database(path, { readonly: true });
    const indexes = check
      .prepare("SELECT name FROM sqlite_master WHERE type = 'index' AND tbl_name = 'messages'")
      .all()
      .map((r) => (r as { name: string }).name);
    check.close();
    assert.deepEqual(indexes.filter((name) => !name.startsWith('sqlite_autoindex')).sort(), [
      'messages_delivered',
      'messages_open',
    ]);
  });

  test('a second store on the same file is refused while the first holds it', () => {
    const store = new DeliveryStore(path, 'cb');
    assert.throws(() => new DeliveryStore(path, 'cb'), /in use by another engine/);
    store.close();
    new DeliveryStore(path, 'cb').close();
  });

  test('a damaged state file is named, with what to do about it', () => {
    writeFileSync(path, 'not an SQLite file: overwritten by mistake\n'.repeat(200));
    assert.throws(
      () => new DeliveryStore(path, 'cb'),
      (error: unknown) =>
        error instanceof Error &&
        error.message.startsWith(`outbox state file ${path} is damaged (file is not a database)`) &&
        error.message.includes(`mv ${path} ${path}.damaged`),
    );
  });
});
