// The rate search of `npm run bench:api`, for Malipo and for the like-for-like baseline alike: a
// ladder of short steps, one bisection between the last rate that passed and the first that
// failed, then a step of the final length at the best rate, stepping down if that one fails.
// A step passes only when it was sustained (step.ts: sustainedFailures).

export interface SearchPlan {
  readonly warmup: { readonly rate: number; readonly seconds: number } | null;
  readonly ladder: readonly number[];
  readonly searchSeconds: number;
  readonly finalSeconds: number;
  readonly confirmAttemptsMax: number;
  /** Rates tried by the bisection and the step-down are multiples of this. */
  readonly grain: number;
}

export interface Search<T> {
  readonly steps: T[];
  /** The final-length step that passed, if any. */
  readonly reported: T | null;
  readonly lastConfirm: T | null;
}

export async function searchRates<T extends { passed: boolean }>(
  plan: SearchPlan,
  run: (name: string, rate: number, seconds: number) => Promise<T>,
  deadline: number,
  print: (step: T) => void,
): Promise<Search<T>> {
  const steps: T[] = [];
  const record = async (name: string, rate: number, seconds: number) => {
    const step = await run(name, rate, seconds);
    steps.push(step);
    print(step);
    return step;
  };
  if (plan.warmup !== null) await record('warm-up', plan.warmup.rate, plan.warmup.seconds);
  let best = 0;
  let firstFail: number | null = null;
  for (const rate of plan.ladder) {
    if (Date.now() > deadline) break;
    const step = await record('search', rate, plan.searchSeconds);
    if (!step.passed) {
      firstFail = rate;
      break;
    }
    best = rate;
  }
  if (
    firstFail !== null &&
    best > 0 &&
    firstFail - best >= 2 * plan.grain &&
    Date.now() < deadline
  ) {
    const mid = Math.round((best + firstFail) / 2 / plan.grain) * plan.grain;
    if ((await record('bisect', mid, plan.searchSeconds)).passed) best = mid;
  }
  // The reported figure comes from a step of the final length at the best rate found; if it
  // fails there, step down.
  let rate = best > 0 ? best : plan.ladder[0] / 2;
  let reported: T | null = null;
  let lastConfirm: T | null = null;
  for (let attempt = 0; attempt < plan.confirmAttemptsMax; attempt++) {
    if (attempt > 0 && Date.now() > deadline) break;
    lastConfirm = await record('final', rate, plan.finalSeconds);
    if (lastConfirm.passed) {
      reported = lastConfirm;
      break;
    }
    // 20 % lower, on the grain, and always lower (0.8 × a small rate rounds back up).
    const lower = Math.round((rate * 0.8) / plan.grain) * plan.grain;
    rate = Math.max(plan.grain / 2, Math.min(lower, rate - plan.grain));
  }
  return { steps, reported, lastConfirm };
}
