// A small seeded PRNG so synthetic traffic is reproducible for a seed (Math.random is not
// seedable). mulberry32: 32-bit state, passes the usual statistical batteries well enough for
// simulation, and is a few lines with no dependency. Not for anything security-related.

export interface Random {
  /** Uniform in [0, 1). */
  next(): number;
  /** Standard normal (mean 0, sd 1). */
  normal(): number;
  /** Uniform in [min, max). */
  uniform(min: number, max: number): number;
  /** Poisson-distributed count with the given mean. */
  poisson(mean: number): number;
}

/** Above this mean the normal approximation of a Poisson count is accurate to well under 1 %. */
const POISSON_NORMAL_APPROX_MEAN_MIN = 500;

export function createRandom(seed: number): Random {
  let state = seed >>> 0;
  const next = (): number => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
  let spareNormal: number | null = null;
  const normal = (): number => {
    if (spareNormal !== null) {
      const value = spareNormal;
      spareNormal = null;
      return value;
    }
    // Box–Muller; 1 - next() keeps the logarithm's argument in (0, 1].
    const radius = Math.sqrt(-2 * Math.log(1 - next()));
    const angle = 2 * Math.PI * next();
    spareNormal = radius * Math.sin(angle);
    return radius * Math.cos(angle);
  };
  const poisson = (mean: number): number => {
    if (mean <= 0) return 0;
    if (mean >= POISSON_NORMAL_APPROX_MEAN_MIN) {
      return Math.max(0, Math.round(mean + Math.sqrt(mean) * normal()));
    }
    return poissonByInversion(mean, next);
  };
  return { next, normal, poisson, uniform: (min, max) => min + (max - min) * next() };
}

/** Sequential inversion; fine for the small means where the normal approximation is poor. */
function poissonByInversion(mean: number, next: () => number): number {
  const u = next();
  let probability = Math.exp(-mean);
  let cumulative = probability;
  let count = 0;
  // The loop is bounded: beyond mean + 20·sqrt(mean) + 20 the remaining mass is negligible.
  const countMax = Math.ceil(mean + 20 * Math.sqrt(mean) + 20);
  while (u > cumulative && count < countMax) {
    count += 1;
    probability *= mean / count;
    cumulative += probability;
  }
  return count;
}
