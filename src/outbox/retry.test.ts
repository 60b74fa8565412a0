// The retry policy and the endpoint picker: pure functions, checked directly.

import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import type { AttemptResult } from './model.ts';
import { backoffCapMs, backoffDelayMs, nextStateOf } from './retry.ts';
import { pickWithinLimits } from './service.ts';

const TEST_TIMEOUT_MS = 5_000;
const policy = { baseDelayMs: 1_000, factor: 2, maxDelayMs: 60_000 };
const failure: AttemptResult = { ok: false, latencyMs: 1, retryable: true, status: 503 };

describe('backoff', { timeout: TEST_TIMEOUT_MS }, () => {
  test('the cap grows by the factor per failure and stops at maxDelayMs', () => {
    const caps = [1, 2, 3, 4, 5, 6, 7, 8, 200].map((n) => backoffCapMs(policy, n));
    assert.deepEqual(caps, [1_000, 2_000, 4_000, 8_000, 16_000, 32_000, 60_000, 60_000, 60_000]);
  });

  test('full jitter: the delay is uniform in [0, cap)', () => {
    assert.equal(
      backoffDelayMs(policy, 3, () => 0),
      0,
    );
    assert.equal(
      backoffDelayMs(policy, 3, () => 0.25),
      1_000,
    );
    assert.equal(
      backoffDelayMs(policy, 3, () => 0.999_999),
      3_999,
    );
    let seed = 1;
    const random = () => ((seed = (seed * 16_807) % 2_147_483_647) - 1) / 2_147_483_646;
    for (let i = 0; i < 1_000; i++) {
      const delay = backoffDelayMs(policy, 4, random);
      assert.ok(delay >= 0 && delay < 8_000, `${delay}`);
    }
  });

  test("a receiver's Retry-After is a floor, still capped by maxDelayMs", () => {
    assert.equal(
      backoffDelayMs(policy, 1, () => 0, 30_000),
      30_000,
    );
    assert.equal(
      backoffDelayMs(policy, 1, () => 0, 3_600_000),
      60_000,
    );
  });
});

describe('next state after an attempt', { timeout: TEST_TIMEOUT_MS }, () => {
  const now = 1_000_000;
  const next = (result: AttemptResult, attemptsThisRound: number) =>
    nextStateOf(result, attemptsThisRound, 5, now, policy, () => 0.5);

  test('success is delivered; a non-retryable failure is dead at once', () => {
    assert.deepEqual(next({ ok: true, latencyMs: 1, retryable: false }, 1), {
      status: 'delivered',
    });
    assert.deepEqual(next({ ...failure, retryable: false, status: 400 }, 1), { status: 'dead' });
  });

  test('a retryable failure waits, until the round has used maxAttempts', () => {
    assert.deepEqual(next(failure, 1), { status: 'pending', nextAttemptAtMs: now + 500 });
    assert.deepEqual(next(failure, 4), { status: 'pending', nextAttemptAtMs: now + 4_000 });
    assert.deepEqual(next(failure, 5), { status: 'dead' });
  });
});

describe('picking due messages within endpoint limits', { timeout: TEST_TIMEOUT_MS }, () => {
  test('takes in order, skips endpoints at their limit, stops at the room left', () => {
    const due = [
      { seq: 1, endpoint: 'a' },
      { seq: 2, endpoint: 'a' },
      { seq: 3, endpoint: 'a' },
      { seq: 4, endpoint: 'b' },
      { seq: 5, endpoint: 'c' },
      { seq: 6, endpoint: 'b' },
    ];
    const load = new Map([['b', 1]]);
    assert.deepEqual(pickWithinLimits(due, 10, load, { endpointConcurrencyMax: 2 }), [1, 2, 4, 5]);
    assert.deepEqual(pickWithinLimits(due, 2, load, { endpointConcurrencyMax: 2 }), [1, 2]);
    assert.equal(load.get('b'), 1, 'the caller’s load map is not changed');
  });
});
