import assert from 'node:assert/strict';
import { test } from 'node:test';
import { PartyLocks } from './locks.ts';

test('work under the same key never overlaps; other keys run alongside', async () => {
  const locks = new PartyLocks();
  const log: string[] = [];
  const task = (keys: string[], name: string, ms: number) =>
    locks.with(keys, async () => {
      log.push(`start ${name}`);
      await new Promise((r) => setTimeout(r, ms));
      log.push(`end ${name}`);
    });
  await Promise.all([task(['a'], 'a1', 20), task(['a', 'b'], 'ab', 5), task(['c'], 'c', 1)]);
  assert.ok(log.indexOf('end a1') < log.indexOf('start ab'), log.join(','));
  assert.ok(log.indexOf('start c') < log.indexOf('end a1'), 'c does not wait for a');
  assert.equal(locks.size, 0, 'released locks are forgotten');
});

test('a failing holder still releases the lock', async () => {
  const locks = new PartyLocks();
  await assert.rejects(
    locks.with(['x'], async () => {
      throw new Error('boom');
    }),
  );
  assert.equal(await locks.with(['x'], async () => 42), 42);
});
