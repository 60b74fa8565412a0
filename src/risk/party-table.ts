// Fixed-size per-party state for the feature store, in columns (one typed array per field, every
// party a slot) behind a bounded least-recently-used directory.
//
// Columns rather than an object per party: the memory is exactly slots × bytes-per-slot, there is
// nothing for the garbage collector to chase, and a ring of recent events is a slice of one
// array. The directory is keyed by kind, then by the party's own id string, so a look-up hashes
// strings the transaction already carries (V8 caches a string's hash) instead of building a new
// key per call; recency is a doubly linked list over slots, so marking a party used is a few
// array writes. Slots are allocated lazily, doubling up to the capacity.

import {
  PARTIES_INITIAL_SLOTS,
  PARTIES_TRACKED_LIMIT,
  PEERS_REMEMBERED,
  RING_EVENTS,
} from './limits.ts';

/** Per-event flags kept in the outgoing ring. */
export const OUT_FLAG_NEW_RECIPIENT = 1;
export const OUT_FLAG_NEAR_BAND_TOP = 2;
/** The payment spent 80 % or more of the payer's balance. */
export const OUT_FLAG_DRAIN = 4;
/** The payment came within a minute of money arriving in the payer's wallet. */
export const OUT_FLAG_QUICK = 8;

type Column = Float64Array | Float32Array | Int32Array | Uint8Array;

function grown<T extends Column>(old: T, length: number, fill: number): T {
  const next = new (old.constructor as new (n: number) => T)(length);
  next.set(old);
  if (fill !== 0) next.fill(fill, old.length);
  return next;
}

const NONE = -1;

export class PartyTable {
  readonly capacity: number;
  /** kind → id → slot. */
  private readonly directory = new Map<string, Map<string, number>>();
  private slotKind: string[] = [];
  private slotId: string[] = [];
  /** Recency list: head is the most recently used slot, tail the least. */
  private newer = new Int32Array(0);
  private older = new Int32Array(0);
  private head = NONE;
  private tail = NONE;
  private used = 0;
  private allocated = 0;
  evictions = 0;

  // Scalars, one per slot.
  firstSeenMs = new Float64Array(0);
  simSwapMs = new Float64Array(0);
  deviceChangeMs = new Float64Array(0);
  /** Outgoing transactions seen, capped at HISTORY_WEIGHT_MAX (the weight of the history). */
  outTotal = new Float64Array(0);
  /** Running mean and sum of squared deviations of ln(1 + amount in shillings). */
  logMean = new Float64Array(0);
  logM2 = new Float64Array(0);
  amountMaxCents = new Float64Array(0);
  outHead = new Int32Array(0);
  outLength = new Int32Array(0);
  inHead = new Int32Array(0);
  inLength = new Int32Array(0);
  peerLength = new Int32Array(0);

  // Rings, RING_EVENTS per slot: slot * RING_EVENTS + position.
  outMs = new Float64Array(0);
  outAmountCents = new Float32Array(0);
  outPeer = new Int32Array(0);
  outFlags = new Uint8Array(0);
  inMs = new Float64Array(0);
  inAmountCents = new Float32Array(0);
  inPeer = new Int32Array(0);

  // Recent distinct counterparties, PEERS_REMEMBERED per slot.
  peers = new Int32Array(0);
  peerLastMs = new Float64Array(0);

  constructor(capacity: number) {
    if (!Number.isSafeInteger(capacity) || capacity < 1 || capacity > PARTIES_TRACKED_LIMIT) {
      throw new RangeError(`party capacity must be 1..${PARTIES_TRACKED_LIMIT}, got ${capacity}`);
    }
    this.capacity = capacity;
    this.grow(Math.min(capacity, PARTIES_INITIAL_SLOTS));
  }

  get size(): number {
    return this.used;
  }

  get slotsAllocated(): number {
    return this.allocated;
  }

  /** Bytes held by the columns (the directory's keys come on top, about 100 bytes a party). */
  get columnBytes(): number {
    let total = this.newer.byteLength + this.older.byteLength;
    for (const column of this.columns()) total += column.byteLength;
    return total;
  }

  /** The party's slot without touching its recency; -1 when not tracked. */
  find(kind: string, id: string): number {
    return this.directory.get(kind)?.get(id) ?? NONE;
  }

  /** The party's slot, marked most recently used; a new party may evict the least recent one. */
  acquire(kind: string, id: string, nowMs: number): number {
    let ids = this.directory.get(kind);
    const existing = ids?.get(id);
    if (existing !== undefined) {
      this.unlink(existing);
      this.linkFirst(existing);
      return existing;
    }
    if (ids === undefined) {
      ids = new Map();
      this.directory.set(kind, ids);
    }
    const slot = this.freeSlot();
    this.reset(slot, nowMs);
    this.slotKind[slot] = kind;
    this.slotId[slot] = id;
    ids.set(id, slot);
    this.linkFirst(slot);
    return slot;
  }

  /** A slot for a new party: a fresh one while there is room, else the least recently used. */
  private freeSlot(): number {
    if (this.used < this.capacity) {
      if (this.used >= this.allocated) this.grow(Math.min(this.capacity, this.allocated * 2));
      this.used += 1;
      return this.used - 1;
    }
    const slot = this.tail;
    this.unlink(slot);
    this.directory.get(this.slotKind[slot])?.delete(this.slotId[slot]);
    this.evictions += 1;
    return slot;
  }

  private unlink(slot: number): void {
    const newer = this.newer[slot];
    const older = this.older[slot];
    if (newer === NONE) this.head = older;
    else this.older[newer] = older;
    if (older === NONE) this.tail = newer;
    else this.newer[older] = newer;
  }

  private linkFirst(slot: number): void {
    this.newer[slot] = NONE;
    this.older[slot] = this.head;
    if (this.head !== NONE) this.newer[this.head] = slot;
    this.head = slot;
    if (this.tail === NONE) this.tail = slot;
  }

  private reset(slot: number, nowMs: number): void {
    this.firstSeenMs[slot] = nowMs;
    this.simSwapMs[slot] = Number.NaN;
    this.deviceChangeMs[slot] = Number.NaN;
    this.outTotal[slot] = 0;
    this.logMean[slot] = 0;
    this.logM2[slot] = 0;
    this.amountMaxCents[slot] = 0;
    this.outHead[slot] = 0;
    this.outLength[slot] = 0;
    this.inHead[slot] = 0;
    this.inLength[slot] = 0;
    this.peerLength[slot] = 0;
  }

  private *columns(): Iterable<Column> {
    yield* [this.firstSeenMs, this.simSwapMs, this.deviceChangeMs, this.outTotal, this.logMean];
    yield* [this.logM2, this.amountMaxCents, this.outHead, this.outLength, this.inHead];
    yield* [this.inLength, this.peerLength, this.outMs, this.outAmountCents, this.outPeer];
    yield* [this.outFlags, this.inMs, this.inAmountCents, this.inPeer, this.peers];
    yield this.peerLastMs;
  }

  private grow(slots: number): void {
    const ring = slots * RING_EVENTS;
    const peers = slots * PEERS_REMEMBERED;
    this.firstSeenMs = grown(this.firstSeenMs, slots, 0);
    this.simSwapMs = grown(this.simSwapMs, slots, Number.NaN);
    this.deviceChangeMs = grown(this.deviceChangeMs, slots, Number.NaN);
    this.outTotal = grown(this.outTotal, slots, 0);
    this.logMean = grown(this.logMean, slots, 0);
    this.logM2 = grown(this.logM2, slots, 0);
    this.amountMaxCents = grown(this.amountMaxCents, slots, 0);
    this.outHead = grown(this.outHead, slots, 0);
    this.outLength = grown(this.outLength, slots, 0);
    this.inHead = grown(this.inHead, slots, 0);
    this.inLength = grown(this.inLength, slots, 0);
    this.peerLength = grown(this.peerLength, slots, 0);
    this.outMs = grown(this.outMs, ring, 0);
    this.outAmountCents = grown(this.outAmountCents, ring, 0);
    this.outPeer = grown(this.outPeer, ring, 0);
    this.outFlags = grown(this.outFlags, ring, 0);
    this.inMs = grown(this.inMs, ring, 0);
    this.inAmountCents = grown(this.inAmountCents, ring, 0);
    this.inPeer = grown(this.inPeer, ring, 0);
    this.peers = grown(this.peers, peers, 0);
    this.peerLastMs = grown(this.peerLastMs, peers, 0);
    this.newer = grown(this.newer, slots, NONE);
    this.older = grown(this.older, slots, NONE);
    this.allocated = slots;
  }

  /** Appends an outgoing event to the slot's ring, overwriting the oldest when full. */
  pushOut(slot: number, atMs: number, amountCents: number, peer: number, flags: number): void {
    const at = slot * RING_EVENTS + this.outHead[slot];
    this.outMs[at] = atMs;
    this.outAmountCents[at] = amountCents;
    this.outPeer[at] = peer;
    this.outFlags[at] = flags;
    this.outHead[slot] = (this.outHead[slot] + 1) % RING_EVENTS;
    if (this.outLength[slot] < RING_EVENTS) this.outLength[slot] += 1;
  }

  pushIn(slot: number, atMs: number, amountCents: number, peer: number): void {
    const at = slot * RING_EVENTS + this.inHead[slot];
    this.inMs[at] = atMs;
    this.inAmountCents[at] = amountCents;
    this.inPeer[at] = peer;
    this.inHead[slot] = (this.inHead[slot] + 1) % RING_EVENTS;
    if (this.inLength[slot] < RING_EVENTS) this.inLength[slot] += 1;
  }

  /** Whether `peer` is among the slot's remembered counterparties. */
  knowsPeer(slot: number, peer: number): boolean {
    const base = slot * PEERS_REMEMBERED;
    const length = this.peerLength[slot];
    for (let k = 0; k < length; k++) if (this.peers[base + k] === peer) return true;
    return false;
  }

  /** Remembers `peer` as used now; when the set is full the least recently used one goes. */
  rememberPeer(slot: number, peer: number, atMs: number): void {
    const base = slot * PEERS_REMEMBERED;
    const length = this.peerLength[slot];
    let oldest = 0;
    for (let k = 0; k < length; k++) {
      if (this.peers[base + k] === peer) {
        this.peerLastMs[base + k] = Math.max(this.peerLastMs[base + k], atMs);
        return;
      }
      if (this.peerLastMs[base + k] < this.peerLastMs[base + oldest]) oldest = k;
    }
    const at = length < PEERS_REMEMBERED ? length : oldest;
    if (length < PEERS_REMEMBERED) this.peerLength[slot] = length + 1;
    this.peers[base + at] = peer;
    this.peerLastMs[base + at] = atMs;
  }
}
