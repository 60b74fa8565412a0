// A bounded least-recently-used map. Written here rather than taken from a package because a
// JavaScript Map already keeps insertion order, which makes LRU a dozen lines: re-inserting on
// every hit moves a key to the back, and the front key is always the least recently used.

/** No cache in this folder may be configured larger than this, whatever the config says. */
export const LRU_ENTRIES_LIMIT = 1_000_000;

export class BoundedLruCache<K, V> {
  readonly #entries = new Map<K, V>();
  readonly maxEntries: number;

  constructor(maxEntries: number) {
    if (!Number.isSafeInteger(maxEntries) || maxEntries < 1 || maxEntries > LRU_ENTRIES_LIMIT) {
      throw new RangeError(`cache size must be 1..${LRU_ENTRIES_LIMIT}, got ${maxEntries}`);
    }
    this.maxEntries = maxEntries;
  }

  get size(): number {
    return this.#entries.size;
  }

  get(key: K): V | undefined {
    const value = this.#entries.get(key);
    if (value !== undefined) {
      this.#entries.delete(key);
      this.#entries.set(key, value);
    }
    return value;
  }

  set(key: K, value: V): void {
    this.#entries.delete(key);
    this.#entries.set(key, value);
    if (this.#entries.size > this.maxEntries) {
      const oldest = this.#entries.keys().next();
      if (!oldest.done) this.#entries.delete(oldest.value);
    }
  }

  delete(key: K): boolean {
    return this.#entries.delete(key);
  }

  clear(): void {
    this.#entries.clear();
  }
}
