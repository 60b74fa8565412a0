// Group commit with a real writer on a real SQLite journal: submissions waiting together become one
// durable commit, each keeps its own outcomes and atomicity, and the bounds hold.

import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, test } from 'node:test';
import Database from 'better-sqlite3';
import { AccountFlags, TransferFlags, type TransferInput } from '../ledger/model.ts';
import { GroupCommit, TARGET_PER_COMMIT } from './group-commit.ts';
import { SqliteJournal } from './sqlite/journal.ts';
import { type BatchResult, transferOutcomes, Writer, type WriterOp } from './writer.ts';

const KES = 404;
const dirs: string[] = [];
after(() => {
  for (const dir of dirs) rmSync(dir, { recursive: true, force: true });
});

function transfer(id: string, from: string, to: string, amount: number, flags = 0): TransferInput {
  return { id, debitAccountId: from, creditAccountId: to, amount, ledger: KES, code: 1, flags };
}

async function seededWriter(): Promise<{ writer: Writer; journal: SqliteJournal; path: string }> {
  const dir = mkdtempSync(join(tmpdir(), 'malipo-group-commit-'));
  dirs.push(dir);
  const path = join(dir, 'journal.db');
  const journal = new SqliteJournal({ path });
  const writer = await Writer.open({ journal, checkInvariantsEveryBatch: true });
  await writer.submit([
    {
      kind: 'accounts',
      events: [
        { id: 'bank', ledger: KES, code: 9 },
        { id: 'alice', ledger: KES, code: 1, flags: AccountFlags.debitsMustNotExceedCredits },
        { id: 'bob', ledger: KES, code: 1, flags: AccountFlags.debitsMustNotExceedCredits },
      ],
    },
  ]);
  await writer.submit([{ kind: 'transfers', events: [transfer('fund', 'bank', 'alice', 1_000)] }]);
  return { writer, journal, path };
}

interface Answer {
  ids: number[];
  result: BatchResult;
}

function grouped(writer: Writer, eventsMax: number, intervalMs: number, nowMs?: () => number) {
  const answers: Answer[] = [];
  const failures: unknown[] = [];
  const group = new GroupCommit({
    submit: (ops) => writer.submit(ops),
    committed: (ids, result) => answers.push({ ids: [...ids], result }),
    failed: (error) => failures.push(error),
    eventsMax,
    intervalMs,
    nowMs,
  });
  return { group, answers, failures };
}

/** Waits until `condition` holds; a bound far above any commit, so only a bug reaches it. */
async function until(condition: () => boolean, what: string): Promise<void> {
  const deadline = Date.now() + 30_000;
  while (!condition()) {
    if (Date.now() > deadline) assert.fail(`never: ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 2));
  }
}

const record = (key: string) => ({ stream: 'test', key, body: `{"key":"${key}"}` });

describe('group commit', () => {
  test('submissions waiting together are one durable commit; each keeps its outcomes', async () => {
    const { writer, journal } = await seededWriter();
    const { group, answers } = grouped(writer, 8190, 0);
    const before = await writer.getStats();
    const submissions: WriterOp[][] = [
      [
        {
          kind: 'transfers',
          events: [transfer('s1', 'alice', 'bob', 100)],
          records: [record('1')],
        },
      ],
      // A linked chain whose second leg fails: neither leg, nor its record, is kept.
      [
        {
          kind: 'transfers',
          events: [
            transfer('s2a', 'alice', 'bob', 100, TransferFlags.linked),
            transfer('s2b', 'bob', 'alice', 1_000_000),
          ],
          records: [record('2')],
        },
      ],
      [{ kind: 'records', events: [], records: [record('3')] }],
      [{ kind: 'transfers', events: [transfer('s4', 'alice', 'bob', 50)], records: [record('4')] }],
    ];
    for (const [i, ops] of submissions.entries()) group.add(i + 1, ops);
    await group.settle();
    assert.equal(answers.length, 1, 'one answer for all four');
    assert.deepEqual(answers[0].ids, [1, 2, 3, 4]);
    const stats = await writer.getStats();
    assert.equal(stats.batches - before.batches, 1, 'one durable commit');
    assert.equal(stats.ops - before.ops, 4);
    assert.equal(stats.records - before.records, 3, "the failed chain's record is not written");
    const ops = submissions.flat();
    const codes = (i: number) => transferOutcomes(answers[0].result, ops, i).map((o) => o.code);
    assert.deepEqual(codes(0), ['ok']);
    assert.deepEqual(codes(1), ['linked_event_failed', 'exceeds_credits']);
    assert.deepEqual(codes(3), ['ok']);
    const s1 = transferOutcomes(answers[0].result, ops, 0)[0];
    const s4 = transferOutcomes(answers[0].result, ops, 3)[0];
    assert.ok(s4.timestamp > s1.timestamp, 'applied in arrival order');
    const stored = await journal.readRecords('test', 0, 10);
    assert.deepEqual(
      stored.map((r) => r.key),
      ['1', '3', '4'],
    );
    assert.deepEqual(
      (await writer.lookupTransfers(['s1', 's2a', 's2b', 's4'])).map((t) => t.id),
      ['s1', 's4'],
    );
    await writer.close();
  });

  test('a commit never holds more than eventsMax events; a full group does not wait', async () => {
    const { writer } = await seededWriter();
    // Long enough that only a full group or settle() can start a commit after the first.
    const { group, answers } = grouped(writer, 5, 600_000);
    const three = (p: string): WriterOp[] => [
      { kind: 'transfers', events: [0, 1, 2].map((i) => transfer(`${p}-${i}`, 'alice', 'bob', 1)) },
    ];
    // Two callers at once: the writer is busy from here on, the interval applies.
    group.add(1, [{ kind: 'transfers', events: [transfer('a', 'alice', 'bob', 1)] }]);
    group.add(5, [{ kind: 'transfers', events: [transfer('e', 'alice', 'bob', 1)] }]);
    await until(() => answers.length === 1, 'an idle writer commits at once');
    group.add(2, three('b'));
    // 3 + 3 events cannot share a commit of at most 5: [2] is full and goes without the interval.
    group.add(3, three('c'));
    await until(() => answers.length >= 2, 'the full group goes without the interval');
    await group.settle();
    assert.deepEqual(
      answers.map((a) => a.ids),
      [[1, 5], [2], [3]],
    );
    await writer.close();
  });

  test('concurrent callers: the next commit waits out the interval and takes all that came', async () => {
    const { writer } = await seededWriter();
    // Long enough that only settle() can start the second commit within this test.
    const { group, answers } = grouped(writer, 8190, 600_000);
    const pay = (id: string): WriterOp[] => [
      { kind: 'transfers', events: [transfer(id, 'alice', 'bob', 1)] },
    ];
    group.add(1, pay('first'));
    group.add(2, pay('second'));
    await until(() => answers.length === 1, 'an idle writer commits at once');
    for (let id = 3; id <= 5; id++) {
      group.add(id, pay(`later-${id}`));
      await new Promise((resolve) => setImmediate(resolve));
    }
    assert.equal(answers.length, 1, 'the later submissions wait for the interval');
    await group.settle();
    assert.deepEqual(
      answers.map((a) => a.ids),
      [
        [1, 2],
        [3, 4, 5],
      ],
    );
    await writer.close();
  });

  test('a lone caller never waits for the interval: each commit carried one submission', async () => {
    const { writer } = await seededWriter();
    const { group, answers } = grouped(writer, 8190, 600_000);
    for (let id = 1; id <= 3; id++) {
      group.add(id, [{ kind: 'transfers', events: [transfer(`lone-${id}`, 'alice', 'bob', 1)] }]);
      await until(() => answers.length === id, `submission ${id} committed without settle()`);
    }
    assert.deepEqual(
      answers.map((a) => a.ids),
      [[1], [2], [3]],
    );
    await writer.close();
  });

  test('callers overlapping one at a time get the window, though each commit carried one', async () => {
    const { writer } = await seededWriter();
    const { group, answers } = grouped(writer, 8190, 600_000);
    const pay = (id: string): WriterOp[] => [
      { kind: 'transfers', events: [transfer(id, 'alice', 'bob', 1)] },
    ];
    // Moderate load: every commit carries one submission, but each was sent while another
    // caller's was unanswered (the client says so). Decision 0019 committed each at once.
    group.add(1, pay('o1'), true);
    await until(() => answers.length === 1, 'nothing to wait for before the first arrival');
    group.add(2, pay('o2'), true);
    group.add(3, pay('o3'), true);
    for (let i = 0; i < 3; i++) await new Promise((resolve) => setImmediate(resolve));
    assert.equal(answers.length, 1, 'the second commit waits for the window');
    await group.settle();
    assert.deepEqual(
      answers.map((a) => a.ids),
      [[1], [2, 3]],
    );
    await writer.close();
  });

  test('a waiting group that reaches TARGET_PER_COMMIT ops goes without the window', async () => {
    const { writer } = await seededWriter();
    const { group, answers } = grouped(writer, 8190, 600_000);
    group.add(1, [{ kind: 'transfers', events: [transfer('t-a', 'alice', 'bob', 1)] }]);
    group.add(2, [{ kind: 'transfers', events: [transfer('t-b', 'alice', 'bob', 1)] }]);
    await until(() => answers.length === 1, 'an idle writer commits at once');
    for (let id = 3; id < 3 + TARGET_PER_COMMIT; id++) {
      group.add(id, [{ kind: 'transfers', events: [transfer(`t-${id}`, 'alice', 'bob', 1)] }]);
    }
    // Only the size rule can start this commit: the window is ten minutes.
    await until(() => answers.length === 2, 'the full group goes without the window');
    assert.equal(answers[1].ids.length, TARGET_PER_COMMIT);
    await writer.close();
  });

  test('after a burst, a caller arriving later than the window commits at once', async () => {
    const { writer } = await seededWriter();
    let clockMs = 0;
    const { group, answers } = grouped(writer, 8190, 600_000, () => clockMs);
    const pay = (id: string): WriterOp[] => [
      { kind: 'transfers', events: [transfer(id, 'alice', 'bob', 1)] },
    ];
    group.add(1, pay('b1'), true);
    group.add(2, pay('b2'), true);
    await until(() => answers.length === 1, 'an idle writer commits at once');
    // The server went quiet: the next arrival comes far beyond the window, so nobody else is
    // likely to come within it, whatever the last commit carried.
    clockMs += 10_000_000;
    group.add(3, pay('b3'));
    await until(() => answers.length === 2, 'the late arrival commits without settle()');
    assert.deepEqual(
      answers.map((a) => a.ids),
      [[1, 2], [3]],
    );
    await writer.close();
  });

  test('a failed commit stops the group: failed() hears of it and nothing more is taken', async () => {
    const { writer, path } = await seededWriter();
    const { group, answers, failures } = grouped(writer, 8190, 0);
    // The database refuses the row: the writer must stop (fail-stop), and so must the group.
    const db = new Database(path);
    db.exec(`CREATE TRIGGER refuse BEFORE INSERT ON transfers
      BEGIN SELECT RAISE(ABORT, 'refused by test'); END`);
    db.close();
    group.add(1, [{ kind: 'transfers', events: [transfer('x', 'alice', 'bob', 1)] }]);
    await group.settle();
    assert.equal(answers.length, 0);
    assert.equal(failures.length, 1);
    assert.match(String(failures[0]), /refused by test/);
    assert.throws(() => group.add(2, []), /stopped/);
  });
});
