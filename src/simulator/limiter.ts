// Bounded concurrency for the live driver and the set-up: at most `max` tasks run at once, and a
// caller waits for a free slot before starting another, so a slow platform slows the driver down
// (backpressure) instead of piling up requests without limit.

/** Concurrent requests one driver may have open at most, whatever it is asked for. */
export const CONCURRENCY_LIMIT = 1_024;

export interface Limiter {
  /** Waits for a free slot, then starts `task` without waiting for it to finish. */
  start(task: () => Promise<void>): Promise<void>;
  /** Resolves when every started task has finished. */
  drain(): Promise<void>;
  readonly active: number;
}

export function createLimiter(max: number): Limiter {
  if (!Number.isInteger(max) || max < 1 || max > CONCURRENCY_LIMIT)
    throw new RangeError(`concurrency must be 1..${CONCURRENCY_LIMIT}, got ${max}`);
  let active = 0;
  const waiting: (() => void)[] = [];
  const idle: (() => void)[] = [];
  const release = () => {
    active -= 1;
    const next = waiting.shift();
    if (next !== undefined) next();
    else if (active === 0) for (const resolve of idle.splice(0)) resolve();
  };
  return {
    get active() {
      return active;
    },
    async start(task) {
      if (active >= max) await new Promise<void>((resolve) => waiting.push(resolve));
      active += 1;
      // A task's own failure is its business (it reports it); the slot is always given back.
      void task().finally(release);
    },
    drain: () => (active === 0 ? Promise.resolve() : new Promise((resolve) => idle.push(resolve))),
  };
}
