// The outbox state store's CPU per message, without the engine or HTTP: rounds of `--batch`
// messages taken, claimed, finished as delivered and flushed, on a state file that already holds
// `--rows` delivered messages (keys ending in a random id, as callback and SMS keys do). Prints
// the CPU per message of the flush and of the whole round. Not a test; a tool for decision 0028.
// `--with-key-index` puts back the index by key the store no longer keeps, to weigh it.
//
//   node --import tsx bench/outbox-store.ts [--rows 300000] [--batch 70] [--rounds 300]
//       [--with-key-index]

import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import Database from 'better-sqlite3';
import { DeliveryStore } from '../src/outbox/store.ts';

const { values } = parseArgs({
  options: {
    rows: { type: 'string', default: '300000' },
    batch: { type: 'string', default: '70' },
    rounds: { type: 'string', default: '300' },
    'with-key-index': { type: 'boolean', default: false },
  },
});
const ROWS = Number(values.rows);
const BATCH = Number(values.batch);
const ROUNDS = Number(values.rounds);
const WARMUP_ROUNDS = 30;

const randomKey = (i: number) => `app-${i % 20}:${randomBytes(8).toString('hex')}`;
const cpuUs = () => {
  const u = process.cpuUsage();
  return u.user + u.system;
};

function prefill(path: string): void {
  new DeliveryStore(path, 'callback').close();
  const db = new Database(path);
  const insert = db.prepare(
    `INSERT INTO messages (seq, stream, key, endpoint, status, attempts, next_attempt_at,
       taken_at, delivered_at) VALUES (?, 'callback', ?, 'http://127.0.0.1:9', 'delivered', 1, 0, 0, 0)`,
  );
  db.transaction(() => {
    for (let i = 1; i <= ROWS; i++) insert.run(i, randomKey(i));
  })();
  db.close();
}

const dir = mkdtempSync(join(tmpdir(), 'malipo-bench-outbox-store-'));
try {
  const path = join(dir, 'state.db');
  prefill(path);
  const store = new DeliveryStore(path, 'callback');
  // Opening drops an index by key, and the file is the store's alone (an exclusive lock): the old
  // index goes back in through the store's own connection.
  if (values['with-key-index'])
    (store as unknown as { db: Database.Database }).db.exec(
      'CREATE INDEX messages_key ON messages (key, seq)',
    );
  let seq = ROWS;
  let flushUs = 0;
  let roundUs = 0;
  for (let r = 0; r < WARMUP_ROUNDS + ROUNDS; r++) {
    const taken = Array.from({ length: BATCH }, () => {
      seq++;
      return { seq, key: randomKey(seq), endpoint: 'http://127.0.0.1:9' };
    });
    const started = cpuUs();
    store.take(taken, seq, r);
    const outcome = { ok: true, status: 200, latencyMs: 1 };
    for (const c of store.claim(
      taken.map((m) => m.seq),
      r,
    ))
      store.finish(c.seq, c.attempt, outcome, { status: 'delivered' }, r);
    const flushStarted = cpuUs();
    store.flush();
    if (r >= WARMUP_ROUNDS) {
      flushUs += cpuUs() - flushStarted;
      roundUs += cpuUs() - started;
    }
  }
  store.close();
  const per = (us: number) => (us / (ROUNDS * BATCH)).toFixed(2);
  console.log(
    `${ROWS} rows before, ${BATCH} messages a flush${values['with-key-index'] ? ', with an index by key' : ''}: ` +
      `flush ${per(flushUs)} µs CPU per message, round ${per(roundUs)}`,
  );
} finally {
  rmSync(dir, { recursive: true, force: true });
}
