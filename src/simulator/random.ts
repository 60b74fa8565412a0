// Seeded random draws for the population simulator, on top of the forecast module's PRNG (same
// seed, same stream). Every draw the simulator makes goes through one of these, so a run is a
// pure function of its seed.

import { createRandom, type Random } from '../forecast/random.ts';

export interface SimRandom extends Random {
  /** Uniform integer in [min, max]. */
  int(min: number, max: number): number;
  chance(probability: number): boolean;
  pick<T>(items: readonly T[]): T;
  /** exp(normal(ln median, sigma)): amounts and delays are right-skewed. */
  logNormal(median: number, sigma: number): number;
  /** An index drawn with probability proportional to its weight. */
  weighted(weights: readonly number[]): number;
  /** A derived, independent stream (for a sub-model that must not shift the others' draws). */
  fork(salt: number): SimRandom;
}

export function createSimRandom(seed: number): SimRandom {
  const base = createRandom(seed);
  const random: SimRandom = {
    ...base,
    int: (min, max) => min + Math.floor(base.next() * (max - min + 1)),
    chance: (probability) => base.next() < probability,
    pick: (items) => items[Math.floor(base.next() * items.length)],
    logNormal: (median, sigma) => median * Math.exp(sigma * base.normal()),
    weighted(weights) {
      let total = 0;
      for (const w of weights) total += w;
      let u = base.next() * total;
      for (let i = 0; i < weights.length; i++) {
        u -= weights[i];
        if (u < 0) return i;
      }
      return weights.length - 1;
    },
    fork: (salt) => createSimRandom(mixSeed(seed, salt)),
  };
  return random;
}

/** Combines a seed and a salt into a new 32-bit seed (splitmix-style finaliser). */
export function mixSeed(seed: number, salt: number): number {
  let h = (seed ^ Math.imul(salt + 0x9e3779b9, 0x85ebca6b)) >>> 0;
  h = Math.imul(h ^ (h >>> 16), 0x7feb352d) >>> 0;
  h = Math.imul(h ^ (h >>> 15), 0x846ca68b) >>> 0;
  return (h ^ (h >>> 16)) >>> 0;
}
