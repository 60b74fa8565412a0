// Per-key serialisation in one process: work holding a key's lock never overlaps other work
// holding it; keys are taken in sorted order, so two holders of several keys cannot deadlock.
// Payments locks customers with it (locks.ts); Daraja locks initiators.
//
// Every payment and initiator request takes a lock, almost always a free one, so a free key is
// taken without a promise: the key's entry is its queue of waiters (empty while only held), and
// a release hands the key to the first waiter or forgets it. Waiters are served in arrival order.

/** Most keys waiting or holding a lock at once; beyond it new work is refused. */
const LOCKED_KEYS_MAX = 1_000_000;

export class KeyedLocks {
  /** Locked keys → the waiters for each, first come first served. */
  private readonly waiters = new Map<string, (() => void)[]>();

  get size(): number {
    return this.waiters.size;
  }

  /** Runs `work` holding every key's lock; keys are taken in sorted order, so no deadlock. */
  async with<T>(keys: readonly string[], work: () => Promise<T>): Promise<T> {
    const sorted = keys.length === 1 ? keys : [...new Set(keys)].sort();
    if (this.waiters.size + sorted.length > LOCKED_KEYS_MAX)
      throw new Error('keyed locks: too many keys locked');
    let held = 0;
    try {
      for (const key of sorted) {
        const queue = this.waiters.get(key);
        if (queue === undefined) this.waiters.set(key, []);
        else await new Promise<void>((resolve) => queue.push(resolve));
        held++;
      }
      return await work();
    } finally {
      for (let i = held - 1; i >= 0; i--) this.release(sorted[i] as string);
    }
  }

  /** Hands the key to its next waiter (it stays locked), or forgets it. */
  private release(key: string): void {
    const queue = this.waiters.get(key);
    const next = queue?.shift();
    if (next !== undefined) next();
    else this.waiters.delete(key);
  }
}
