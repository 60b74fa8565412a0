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

test('waiters for a key are served in the order they came', async () => {
  const locks = new PartyLocks();
  const order: number[] = [];
  let open!: () => void;
  const gate = new Promise<void>((resolve) => {
    open = resolve;
  });
  const first = locks.with(['k'], () => gate);
  const rest = [1, 2, 3, 4].map((n) =>
    locks.with(n % 2 === 0 ? ['k', 'j'] : ['k'], async () => {
      order.push(n);
    }),
  );
  assert.equal(locks.size, 2, 'k held, and j taken by a waiter for k');
  open();
  await Promise.all([first, ...rest]);
  assert.deepEqual(order, [1, 2, 3, 4]);
  assert.equal(locks.size, 0);
});
