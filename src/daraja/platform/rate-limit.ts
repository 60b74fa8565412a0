// Per-app spike arrest: a token bucket per app, refilled continuously. Daraja's gateway answers
// 500.003.02 "Spike Arrest Violation" when an app sends faster than its allowance; so do we (with
// HTTP 429 and Retry-After). Every app gets the platform's policy unless the operator set its own
// (`PUT /daraja/admin/apps/:appId/rate-limit`, kept in the 'daraja' journal stream).
// The map holds one entry per app that has called recently, bounded by the number of apps.
import { BoundedLruCache } from '../lru.ts';
import { APPS_MAX } from './model.ts';

export interface RateLimitPolicy {
  readonly perSecond: number;
  readonly burst: number;
}

interface Bucket {
  tokens: number;
  updatedMs: number;
}

export class AppRateLimiter {
  readonly #buckets = new BoundedLruCache<string, Bucket>(APPS_MAX);

  constructor(readonly policy: RateLimitPolicy) {
    if (!(policy.perSecond > 0 && policy.burst >= 1)) {
      throw new RangeError(`rate limit policy invalid: ${JSON.stringify(policy)}`);
    }
  }

  /** Takes one request's token; false when the app is over its allowance. */
  take(appId: string, nowMs: number, policy: RateLimitPolicy = this.policy): boolean {
    const bucket = this.#buckets.get(appId) ?? { tokens: policy.burst, updatedMs: nowMs };
    const elapsedMs = Math.max(0, nowMs - bucket.updatedMs);
    bucket.tokens = Math.min(policy.burst, bucket.tokens + (elapsedMs * policy.perSecond) / 1000);
    bucket.updatedMs = nowMs;
    const allowed = bucket.tokens >= 1;
    if (allowed) bucket.tokens -= 1;
    this.#buckets.set(appId, bucket);
    return allowed;
  }
}
