// Retry policy: exponential backoff with full jitter. Full jitter (a uniform delay between zero and
// the exponential cap) spreads the retries of many messages that failed together, so a receiver
// that comes back is not hit by all of them in the same instant.

import type { AttemptResult, BackoffPolicy, NextState, RandomSource } from './model.ts';

/** The ceiling of the delay before attempt `failedAttempts + 1`. */
export function backoffCapMs(policy: BackoffPolicy, failedAttempts: number): number {
  const exponent = Math.max(0, failedAttempts - 1);
  // factor ** exponent overflows to Infinity for large exponents, which min() then clamps.
  return Math.min(policy.maxDelayMs, policy.baseDelayMs * policy.factor ** exponent);
}

/**
 * The delay before the next attempt, after `failedAttempts` failures this round. A receiver's
 * Retry-After is honoured as a floor, still capped by maxDelayMs so one answer cannot park a
 * message for days.
 */
export function backoffDelayMs(
  policy: BackoffPolicy,
  failedAttempts: number,
  random: RandomSource,
  retryAfterMs = 0,
): number {
  const jittered = Math.floor(random() * backoffCapMs(policy, failedAttempts));
  return Math.min(policy.maxDelayMs, Math.max(jittered, retryAfterMs));
}

export function assertBackoffPolicy(policy: BackoffPolicy): void {
  const { baseDelayMs, factor, maxDelayMs } = policy;
  if (!(baseDelayMs >= 0 && factor >= 1 && maxDelayMs >= baseDelayMs))
    throw new RangeError(`backoff policy invalid: ${JSON.stringify(policy)}`);
}

/** Where a message goes after an attempt: pure, so the policy is testable without an engine. */
export function nextStateOf(
  result: AttemptResult,
  attemptsThisRound: number,
  maxAttempts: number,
  nowMs: number,
  policy: BackoffPolicy,
  random: RandomSource,
): NextState {
  if (result.ok) return { status: 'delivered' };
  if (!result.retryable || attemptsThisRound >= maxAttempts) return { status: 'dead' };
  const delayMs = backoffDelayMs(policy, attemptsThisRound, random, result.retryAfterMs ?? 0);
  return { status: 'pending', nextAttemptAtMs: nowMs + delayMs };
}
