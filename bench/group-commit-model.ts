// A model of the ledger's group commit in virtual time, for choosing its window (decision 0029):
// Poisson arrivals of one submission each, the client's rule (batches of one turn, at most two in
// flight, the `overlapping` flag), the real GroupCommit policy class, and a commit that takes
// `--commit-ms` plus `--per-op-ms` per op. Timers are virtual (this file replaces setTimeout and
// setImmediate while a run lasts), so the figures do not depend on how busy the machine is; they are a model (no CPU, no fsync jitter), to set
// beside bench:api's measured ones. Prints commits per submission, client→writer messages per
// submission and the submission latency (arrival → answer).
//
//   node --import tsx bench/group-commit-model.ts [--rates 250,500,750,1000,2000,4000]
//       [--window-ms 15] [--seconds 10] [--commit-ms 1.2] [--per-op-ms 0.03] [--in-flight 2]
//       [--policy ../src/journal/group-commit.ts]   (another GroupCommit module, e.g. decision
//       0019's: git show 5925314:src/journal/group-commit.ts > /tmp/gc-0019.ts)

import { resolve } from 'node:path';
import { parseArgs } from 'node:util';
import type { GroupCommitOptions } from '../src/journal/group-commit.ts';
import type { BatchResult, WriterOp } from '../src/journal/writer.ts';

const { values } = parseArgs({
  options: {
    rates: { type: 'string', default: '250,500,750,1000,2000,4000' },
    'window-ms': { type: 'string', default: '15' },
    seconds: { type: 'string', default: '10' },
    'commit-ms': { type: 'string', default: '1.2' },
    'per-op-ms': { type: 'string', default: '0.03' },
    policy: { type: 'string' },
    'in-flight': { type: 'string', default: '2' },
  },
});
const MESSAGE_MS = 0.05;

interface Policy {
  add(id: number, ops: readonly WriterOp[], overlapping?: boolean): void;
}
type PolicyClass = new (options: GroupCommitOptions) => Policy;

/** A deterministic PRNG (mulberry32), so runs repeat. */
function random(seed: number): () => number {
  let a = seed;
  return () => {
    a = (a + 0x6d2b79f5) | 0;
    let t = Math.imul(a ^ (a >>> 15), 1 | a);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

interface Timer {
  at: number;
  seq: number;
  fn: () => void;
  cancelled: boolean;
}

/** Virtual time: timers run in (time, creation) order when `advance` passes them. */
class Clock {
  now = 0;
  private seq = 0;
  private timers: Timer[] = [];

  install(): () => void {
    const saved = [
      globalThis.setTimeout,
      globalThis.clearTimeout,
      globalThis.setImmediate,
      globalThis.clearImmediate,
    ];
    const add = (fn: () => void, delay: number) => {
      const timer = { at: this.now + Math.max(0, delay), seq: this.seq++, fn, cancelled: false };
      this.timers.push(timer);
      return timer;
    };
    const cancel = (timer: Timer | undefined) => {
      if (timer !== undefined) timer.cancelled = true;
    };
    Object.assign(globalThis, {
      setTimeout: (fn: () => void, delay = 0) => add(fn, delay),
      clearTimeout: cancel,
      setImmediate: (fn: () => void) => add(fn, 0),
      clearImmediate: cancel,
    });
    return () => {
      [
        globalThis.setTimeout,
        globalThis.clearTimeout,
        globalThis.setImmediate,
        globalThis.clearImmediate,
      ] = saved as [
        typeof setTimeout,
        typeof clearTimeout,
        typeof setImmediate,
        typeof clearImmediate,
      ];
    };
  }

  /** Runs every timer due by `until`, letting promise reactions settle after each. */
  async advance(until: number): Promise<void> {
    for (;;) {
      let next: Timer | undefined;
      for (const t of this.timers) {
        if (
          !t.cancelled &&
          t.at <= until &&
          (next === undefined || t.at < next.at || (t.at === next.at && t.seq < next.seq))
        )
          next = t;
      }
      if (next === undefined) break;
      this.timers = this.timers.filter((t) => t !== next && !t.cancelled);
      this.now = Math.max(this.now, next.at);
      next.fn();
      for (let i = 0; i < 8; i++) await Promise.resolve();
    }
    this.now = until;
  }
}

async function run(Policy: PolicyClass, ratePerS: number, windowMs: number) {
  const clock = new Clock();
  const restore = clock.install();
  const time = () => clock.now;
  const rand = random(ratePerS);
  const op: WriterOp = { kind: 'records', events: [], records: [] };
  const queue: number[] = []; // arrival times of submissions waiting in the client
  const batches = new Map<number, number[]>();
  const latencies: number[] = [];
  let inFlight = 0;
  let nextId = 1;
  let messages = 0;
  let commits = 0;
  const commitMs = Number(values['commit-ms']);
  const inFlightMax = Number(values['in-flight']);
  const perOpMs = Number(values['per-op-ms']);
  const group = new Policy({
    submit: (ops) => {
      commits++;
      return new Promise<BatchResult>((done) =>
        setTimeout(() => done({} as BatchResult), commitMs + perOpMs * ops.length),
      );
    },
    committed: (ids) => {
      const answered = [...ids];
      setTimeout(() => {
        for (const id of answered) {
          for (const arrival of batches.get(id) ?? []) latencies.push(time() - arrival);
          batches.delete(id);
          inFlight--;
        }
        flush();
      }, MESSAGE_MS);
    },
    failed: (error) => {
      throw error;
    },
    eventsMax: 8190,
    intervalMs: windowMs,
    nowMs: time,
  });
  const flush = () => {
    while (inFlight < inFlightMax && queue.length > 0) {
      const batch = queue.splice(0);
      const id = nextId++;
      const overlapping = inFlight > 0 || batch.length > 1;
      batches.set(id, batch);
      inFlight++;
      messages++;
      setTimeout(
        () =>
          group.add(
            id,
            batch.map(() => op),
            overlapping,
          ),
        MESSAGE_MS,
      );
    }
  };
  const endMs = Number(values.seconds) * 1000;
  let nextArrival = 0;
  let submissions = 0;
  while (nextArrival < endMs) {
    await clock.advance(nextArrival);
    queue.push(nextArrival);
    submissions++;
    flush();
    nextArrival += (-Math.log(1 - rand()) * 1000) / ratePerS;
  }
  await clock.advance(endMs + 1_000);
  restore();
  latencies.sort((a, b) => a - b);
  const at = (q: number) => +latencies[Math.floor(q * (latencies.length - 1))].toFixed(1);
  const mean = latencies.reduce((s, x) => s + x, 0) / latencies.length;
  return {
    ratePerS,
    windowMs,
    inFlightMax,
    commitsPerSubmission: +(commits / submissions).toFixed(3),
    messagesPerSubmission: +(messages / submissions).toFixed(3),
    latencyMeanMs: +mean.toFixed(1),
    latencyP50Ms: at(0.5),
    latencyP99Ms: at(0.99),
    answered: latencies.length === submissions,
  };
}

async function main(): Promise<void> {
  const module = values.policy ?? '../src/journal/group-commit.ts';
  const path = module.startsWith('.') ? new URL(module, import.meta.url).href : resolve(module);
  const { GroupCommit } = (await import(path)) as { GroupCommit: PolicyClass };
  for (const rate of values.rates.split(',').map(Number)) {
    console.log(JSON.stringify(await run(GroupCommit, rate, Number(values['window-ms']))));
  }
}

await main();
