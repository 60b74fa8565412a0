// A scalable Bloom filter over every transfer id ever committed.
//
// Why: idempotency needs "has this id been used?" for every new transfer, but keeping every id
// in memory grows without bound and asking the journal costs an index probe per transfer. The
// filter answers "certainly new" for ~99 % of new ids from ~10 bits per id; only a "maybe" needs
// the journal (the writer prefetches those before applying a batch).

const BITS_PER_ID = 10;
const PROBES = 7;
const FIRST_CAPACITY = 1 << 16;
/** Each new stage doubles capacity; 40 stages is far beyond any journal. */
const STAGES_MAX = 40;

interface Stage {
  bits: Uint32Array;
  bitCount: number;
  capacity: number;
  count: number;
}

function newStage(capacity: number): Stage {
  const bitCount = capacity * BITS_PER_ID;
  return { bits: new Uint32Array(Math.ceil(bitCount / 32)), bitCount, capacity, count: 0 };
}

/** FNV-1a, 32 bits, with a seed; fast on the short ASCII ids the ledger uses. */
function hashString(value: string, seed: number): number {
  let hash = (0x811c9dc5 ^ seed) >>> 0;
  for (let i = 0; i < value.length; i++) {
    hash ^= value.charCodeAt(i);
    hash = Math.imul(hash, 0x01000193);
  }
  // Final avalanche so that ids differing only in the last character spread over all bits.
  hash ^= hash >>> 15;
  hash = Math.imul(hash, 0x2c1b3c6d);
  hash ^= hash >>> 12;
  return hash >>> 0;
}

export class IdFilter {
  private readonly stages: Stage[] = [newStage(FIRST_CAPACITY)];

  add(id: string): void {
    let stage = this.stages[this.stages.length - 1];
    if (stage.count >= stage.capacity) {
      if (this.stages.length >= STAGES_MAX) throw new Error('id filter: stage limit reached');
      stage = newStage(stage.capacity * 2);
      this.stages.push(stage);
    }
    const h1 = hashString(id, 0);
    const h2 = hashString(id, 0x9e3779b9) | 1;
    for (let i = 0; i < PROBES; i++) {
      const bit = (h1 + Math.imul(i, h2)) >>> 0;
      const index = bit % stage.bitCount;
      stage.bits[index >>> 5] |= 1 << (index & 31);
    }
    stage.count++;
  }

  /** False means the id was certainly never added; true means it may have been. */
  mightContain(id: string): boolean {
    const h1 = hashString(id, 0);
    const h2 = hashString(id, 0x9e3779b9) | 1;
    for (const stage of this.stages) {
      if (stage.count > 0 && stageHas(stage, h1, h2)) return true;
    }
    return false;
  }

  get size(): number {
    let total = 0;
    for (const stage of this.stages) total += stage.count;
    return total;
  }
}

function stageHas(stage: Stage, h1: number, h2: number): boolean {
  for (let i = 0; i < PROBES; i++) {
    const bit = (h1 + Math.imul(i, h2)) >>> 0;
    const index = bit % stage.bitCount;
    if ((stage.bits[index >>> 5] & (1 << (index & 31))) === 0) return false;
  }
  return true;
}
