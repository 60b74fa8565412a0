// An exact, in-memory index from transfer id to the timestamp of the transfer that used it.
//
// Why not a B-tree index in the journal: every transfer would insert a random key, which on this
// machine cuts SQLite's durable commit rate from ~250k to ~40k transfers/s and PostgreSQL's COPY
// from ~150k to ~39k (docs/decisions/0002-append-only-journal.md). Instead the journal is
// append-only, keyed by timestamp, and this table maps a 32-bit hash of every id to its timestamp
// (12 bytes a slot). A hash match is only a candidate: the writer reads the row at that
// timestamp and compares the id itself, so hash collisions cost a read, never a wrong answer.

const INITIAL_CAPACITY = 1 << 16;
const LOAD_MAX = 0.7;
/** 2^30 slots = 12 GiB: far beyond one shard's memory; the owner sizes `capacityMax` below it. */
const CAPACITY_LIMIT = 1 << 30;

export function idHash(id: string): number {
  let hash = 0x811c9dc5;
  for (let i = 0; i < id.length; i++) {
    hash ^= id.charCodeAt(i);
    hash = Math.imul(hash, 0x01000193);
  }
  hash ^= hash >>> 16;
  hash = Math.imul(hash, 0x85ebca6b);
  hash ^= hash >>> 13;
  hash = Math.imul(hash, 0xc2b2ae35);
  hash ^= hash >>> 16;
  return hash >>> 0;
}

export class IdIndex {
  private hashes = new Uint32Array(INITIAL_CAPACITY);
  /** 0 marks an empty slot: engine timestamps are never 0. */
  private timestamps = new Float64Array(INITIAL_CAPACITY);
  private count = 0;

  constructor(private readonly capacityMax = CAPACITY_LIMIT) {}

  get size(): number {
    return this.count;
  }

  add(id: string, timestamp: number): void {
    if (timestamp <= 0) throw new Error('id index: timestamp must be positive');
    if (this.count + 1 > this.hashes.length * LOAD_MAX) this.grow();
    this.insert(idHash(id), timestamp);
    this.count++;
  }

  /** Timestamps of transfers whose id hashes like `id`: the real one, if any, is among them. */
  candidates(id: string, into: number[]): void {
    const hash = idHash(id);
    const mask = this.hashes.length - 1;
    for (let slot = hash & mask; this.timestamps[slot] !== 0; slot = (slot + 1) & mask) {
      if (this.hashes[slot] === hash) into.push(this.timestamps[slot]);
    }
  }

  mightContain(id: string): boolean {
    const hash = idHash(id);
    const mask = this.hashes.length - 1;
    for (let slot = hash & mask; this.timestamps[slot] !== 0; slot = (slot + 1) & mask) {
      if (this.hashes[slot] === hash) return true;
    }
    return false;
  }

  /** Removes one entry (a rolled-back transfer); backward-shift keeps probe chains intact. */
  remove(id: string, timestamp: number): void {
    const hash = idHash(id);
    const mask = this.hashes.length - 1;
    for (let slot = hash & mask; this.timestamps[slot] !== 0; slot = (slot + 1) & mask) {
      if (this.hashes[slot] === hash && this.timestamps[slot] === timestamp) {
        this.deleteAt(slot);
        this.count--;
        return;
      }
    }
    throw new Error(`id index: ${id} at ${timestamp} not present`);
  }

  private deleteAt(start: number): void {
    const mask = this.hashes.length - 1;
    let hole = start;
    let next = start;
    for (;;) {
      this.timestamps[hole] = 0;
      for (;;) {
        next = (next + 1) & mask;
        if (this.timestamps[next] === 0) return;
        const home = this.hashes[next] & mask;
        // The entry at `next` may fill the hole unless its home lies cyclically in (hole, next].
        const homeBetween =
          hole <= next ? home > hole && home <= next : home > hole || home <= next;
        if (!homeBetween) break;
      }
      this.hashes[hole] = this.hashes[next];
      this.timestamps[hole] = this.timestamps[next];
      hole = next;
    }
  }

  private insert(hash: number, timestamp: number): void {
    const mask = this.hashes.length - 1;
    let slot = hash & mask;
    while (this.timestamps[slot] !== 0) slot = (slot + 1) & mask;
    this.hashes[slot] = hash;
    this.timestamps[slot] = timestamp;
  }

  private grow(): void {
    const capacity = this.hashes.length * 2;
    if (capacity > Math.min(this.capacityMax, CAPACITY_LIMIT)) {
      throw new Error(`id index full: ${this.count} ids (raise the writer's idIndexCapacityMax)`);
    }
    const oldHashes = this.hashes;
    const oldTimestamps = this.timestamps;
    this.hashes = new Uint32Array(capacity);
    this.timestamps = new Float64Array(capacity);
    for (let slot = 0; slot < oldHashes.length; slot++) {
      if (oldTimestamps[slot] !== 0) this.insert(oldHashes[slot], oldTimestamps[slot]);
    }
  }
}
