// Group commit on the writer's side of the port. Submissions (each a client batch) that reach the
// writer's thread while a commit is under way, or within the commit window of the previous commit's
// start, are applied and committed together as ONE durable transaction, and answered with one
// message. Without this the writer committed every message on its own: the client sends as soon as
// a batch is under way, so under a busy main thread (one HTTP request per turn) nearly every
// submission paid its own fsync (0.76 per request measured by bench:api; decision 0019).
//
// What a merged commit keeps: ops run in arrival order, each op's events (its linked chains) are
// applied as one unit and its records commit only if all its events are ok, exactly as when the
// client puts several submissions in one batch. A commit never holds more than `eventsMax` events
// or ops (the client's batchEventsMax), so merging only joins what the client could have joined.
//
// The window applies only under concurrency, judged from the arrivals themselves (decision 0029):
// a submission sent while another was still unanswered (the client says so: `overlapping`), or
// that finds the writer busy (committing, or a group already waiting), is evidence of other
// callers; a lone caller's next submission only ever comes after its previous answer, so it never
// is. While the recent arrivals show concurrency and come closer together than the
// window (`intervalMs`), the next commit starts no earlier than the window after the previous one
// started, or as soon as its group holds TARGET_PER_COMMIT ops, whichever is first. A lone caller
// (tests, seeding, the CLI, a quiet server) commits at once, never waiting for nobody. (Decision 0019 judged concurrency
// only by the previous commit's size; at moderate load, where arrivals come about one fsync
// apart, most commits carried one submission and the window rarely applied: 0.48 fsync per
// request at 750 requests/s.)

import type { BatchResult, WriterOp } from './writer.ts';

/**
 * The longest commit window under concurrency: at most one durable commit per this many ms unless
 * a group fills first, and a submission waits at most this long beyond its fsync. A commit then
 * carries rate × window submissions, so ≤ 0.1 fsync per request needs a window ≥ 1 / (0.1 × rate):
 * 13.3 ms at 750 requests/s, 10 ms at 1,000 (4 ms reached it only from 2,500). Decision 0029.
 */
export const COMMIT_INTERVAL_MS_DEFAULT = 15;

/**
 * Ops (client submissions) after which a waiting group stops waiting for the window: the window
 * is tied to the arrival rate, a commit going as soon as it is this full, so above
 * TARGET_PER_COMMIT / window (800 requests/s at 15 ms) the wait shrinks as the rate grows while a
 * commit still carries ≥ TARGET_PER_COMMIT submissions (≤ 0.083 fsync per submission).
 */
export const TARGET_PER_COMMIT = 12;

/** Weight of the newest arrival in the moving averages of the gap and of the overlap. */
const EWMA_WEIGHT = 1 / 4;
/** Share of recent arrivals that found the writer busy from which callers count as concurrent. */
const OVERLAP_CONCURRENT = 0.2;

export interface GroupCommitOptions {
  /** Applies the ops in order and commits them as one durable batch (Writer.submit). */
  submit(ops: readonly WriterOp[]): Promise<BatchResult>;
  /** One commit's answer: the submission ids it carried, in order, and the merged outcomes. */
  committed(ids: readonly number[], result: BatchResult): void;
  /** A commit failed: the writer has stopped; nothing more is committed. */
  failed(error: unknown): void;
  /** Most events, and most ops, in one commit. */
  eventsMax: number;
  /** Least time between the starts of two commits (0: commit whenever the writer is free). */
  intervalMs: number;
  nowMs?: () => number;
}

interface Group {
  ids: number[];
  ops: WriterOp[];
  events: number;
}

export class GroupCommit {
  /** Full groups waiting for the writer, oldest first; they go without waiting for the interval. */
  private readonly sealed: Group[] = [];
  private open: Group = emptyGroup();
  private cancelTimer: (() => void) | null = null;
  /** The pending timer is a window wait (not the setImmediate of a commit due now). */
  private waiting = false;
  private committing = false;
  private lastStartMs = Number.NEGATIVE_INFINITY;
  /** Submissions the previous commit carried: more than one means callers are concurrent. */
  private lastGroupSize = 0;
  /** Moving average of the time between two arrivals, ms. */
  private gapMs = Number.POSITIVE_INFINITY;
  /** Moving average of "this arrival found the writer busy" (1) or idle (0). */
  private overlap = 0;
  private lastArrivalMs = Number.NEGATIVE_INFINITY;
  private stopped = false;
  private intervalMs: number;
  private readonly idleWaiters: (() => void)[] = [];
  private readonly nowMs: () => number;

  constructor(private readonly options: GroupCommitOptions) {
    this.intervalMs = options.intervalMs;
    this.nowMs = options.nowMs ?? (() => performance.now());
  }

  /**
   * Takes one submission; it commits with whatever else is waiting. `overlapping`: its sender
   * had another submission unanswered when it sent this one (evidence of concurrent callers).
   */
  add(id: number, ops: readonly WriterOp[], overlapping = false): void {
    if (this.stopped) throw new Error('group commit: stopped');
    this.observeArrival(overlapping);
    const events = eventsOf(ops);
    const open = this.open;
    const max = this.options.eventsMax;
    if (open.ids.length > 0 && (open.events + events > max || open.ops.length + ops.length > max)) {
      this.sealed.push(open);
      this.open = emptyGroup();
      // A full group need not wait out the interval.
      this.cancelTimer?.();
      this.cancelTimer = null;
    }
    this.open.ids.push(id);
    for (const op of ops) this.open.ops.push(op);
    this.open.events += events;
    if (this.open.ops.length >= TARGET_PER_COMMIT && this.waiting) {
      // Full enough: stop waiting for the window.
      this.cancelTimer?.();
      this.cancelTimer = null;
    }
    this.schedule();
  }

  /** Commits what is waiting without the interval; resolves once nothing is waiting or running. */
  settle(): Promise<void> {
    this.intervalMs = 0;
    this.cancelTimer?.();
    this.cancelTimer = null;
    this.schedule();
    if (this.isIdle()) return Promise.resolve();
    return new Promise((resolve) => this.idleWaiters.push(resolve));
  }

  /** Stops scheduling (after a fatal error elsewhere); waiting submissions are never answered. */
  stop(): void {
    this.stopped = true;
    this.cancelTimer?.();
    this.cancelTimer = null;
  }

  /**
   * The commit window now: `intervalMs` while callers are concurrent and the next arrival is
   * likely within it; 0 for a lone caller, a quiet server, or a group already full enough.
   */
  windowMs(): number {
    if (this.open.ops.length >= TARGET_PER_COMMIT) return 0;
    const concurrent = this.lastGroupSize > 1 || this.overlap >= OVERLAP_CONCURRENT;
    return concurrent && this.gapMs < this.intervalMs ? this.intervalMs : 0;
  }

  private observeArrival(overlapping: boolean): void {
    const now = this.nowMs();
    const busy =
      overlapping || this.committing || this.sealed.length > 0 || this.open.ids.length > 0;
    this.overlap += EWMA_WEIGHT * ((busy ? 1 : 0) - this.overlap);
    const gap = now - this.lastArrivalMs;
    this.lastArrivalMs = now;
    if (!Number.isFinite(gap)) return;
    this.gapMs = Number.isFinite(this.gapMs) ? this.gapMs + EWMA_WEIGHT * (gap - this.gapMs) : gap;
  }

  private isIdle(): boolean {
    return !this.committing && this.sealed.length === 0 && this.open.ids.length === 0;
  }

  private schedule(): void {
    if (this.stopped || this.committing || this.cancelTimer !== null) return;
    if (this.sealed.length === 0 && this.open.ids.length === 0) return;
    const waitMs =
      this.sealed.length > 0 ? 0 : Math.max(0, this.lastStartMs + this.windowMs() - this.nowMs());
    // setImmediate even when due now: messages already queued on the port arrive first and join.
    this.waiting = waitMs > 0;
    if (waitMs === 0) {
      const handle = setImmediate(() => this.start());
      this.cancelTimer = () => clearImmediate(handle);
    } else {
      const handle = setTimeout(() => this.start(), waitMs);
      this.cancelTimer = () => clearTimeout(handle);
    }
  }

  private start(): void {
    this.cancelTimer = null;
    if (this.stopped || this.committing) return;
    const group = this.sealed.shift() ?? this.open;
    if (group === this.open) this.open = emptyGroup();
    if (group.ids.length === 0) return;
    this.committing = true;
    this.lastStartMs = this.nowMs();
    this.lastGroupSize = group.ids.length;
    this.options.submit(group.ops).then(
      (result) => {
        this.committing = false;
        this.options.committed(group.ids, result);
        this.schedule();
        if (this.isIdle()) for (const resolve of this.idleWaiters.splice(0)) resolve();
      },
      (error: unknown) => {
        this.committing = false;
        this.stop();
        for (const resolve of this.idleWaiters.splice(0)) resolve();
        this.options.failed(error);
      },
    );
  }
}

function emptyGroup(): Group {
  return { ids: [], ops: [], events: 0 };
}

/** Events an op list carries, counted as the client bounds its batches. */
function eventsOf(ops: readonly WriterOp[]): number {
  let events = 0;
  for (const op of ops) events += op.events.length;
  return events;
}
