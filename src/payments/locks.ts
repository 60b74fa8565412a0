// Per-party serialization. A customer's daily limit, payee balance limit and overdraft are
// checked against state that only this customer's own transactions change, so holding the
// customer's lock from check to commit makes the check exact. Merchants and agents are never
// locked: their bounds are the ledger's own (debits must not exceed credits), so a hot paybill
// never queues.

/** Most parties waiting or holding a lock at once; beyond it new transactions are refused. */
const LOCKED_PARTIES_MAX = 1_000_000;

export class PartyLocks {
  private readonly tails = new Map<string, Promise<void>>();

  get size(): number {
    return this.tails.size;
  }

  /** Runs `work` holding every key's lock; keys are taken in sorted order, so no deadlock. */
  async with<T>(keys: readonly string[], work: () => Promise<T>): Promise<T> {
    const sorted = [...new Set(keys)].sort();
    if (this.tails.size + sorted.length > LOCKED_PARTIES_MAX)
      throw new Error('party locks: too many parties locked');
    const releases: (() => void)[] = [];
    try {
      for (const key of sorted) releases.push(await this.acquire(key));
      return await work();
    } finally {
      for (const release of releases.reverse()) release();
    }
  }

  private async acquire(key: string): Promise<() => void> {
    const previous = this.tails.get(key) ?? Promise.resolve();
    let release!: () => void;
    const current = new Promise<void>((resolve) => {
      release = resolve;
    });
    const tail = previous.then(() => current);
    this.tails.set(key, tail);
    await previous;
    return () => {
      release();
      if (this.tails.get(key) === tail) this.tails.delete(key);
    };
  }
}
