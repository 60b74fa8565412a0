// Per-minute transaction counts, in memory and bounded: a ring buffer of at most `weeksMax` weeks
// of minutes (8 weeks ≈ 80,640 numbers ≈ 645 KB). Older minutes fall off as time advances. The
// recorder knows which minutes it has covered: a minute inside the covered range with no
// transaction is a real zero; a minute outside it is unknown and reads as NaN.

import type { SlotSeries } from './model.ts';
import { MINUTE_MS } from './time.ts';

export const RECORDER_WEEKS_MAX = 26;
export const MINUTES_PER_WEEK = 7 * 1440;
/** A series request may span at most the whole buffer, whatever the slot length. */
const SERIES_MINUTES_MAX = RECORDER_WEEKS_MAX * MINUTES_PER_WEEK;

export interface TrafficSnapshot {
  version: 1;
  capacityMinutes: number;
  /** First covered minute (minutes since the Unix epoch); counts[0] belongs to it. */
  firstMinute: number;
  counts: number[];
}

export class TrafficRecorder {
  readonly capacityMinutes: number;
  private readonly counts: Float64Array;
  /** Covered range, inclusive, in minutes since the epoch; NaN while empty. */
  private firstMinute = Number.NaN;
  private lastMinute = Number.NaN;

  constructor(options: { weeksMax: number }) {
    const { weeksMax } = options;
    if (!Number.isInteger(weeksMax) || weeksMax < 1 || weeksMax > RECORDER_WEEKS_MAX) {
      throw new RangeError(`weeksMax must be an integer in [1, ${RECORDER_WEEKS_MAX}]`);
    }
    this.capacityMinutes = weeksMax * MINUTES_PER_WEEK;
    this.counts = new Float64Array(this.capacityMinutes);
  }

  /**
   * Adds `count` transactions at the instant. Returns false, dropping them, when the minute is
   * older than the buffer can hold. A later minute advances coverage (the gap reads as zeros).
   */
  record(timestampMs: number, count = 1): boolean {
    if (!Number.isFinite(timestampMs)) throw new RangeError('timestampMs must be finite');
    if (!Number.isSafeInteger(count) || count < 0) {
      throw new RangeError('count must be a non-negative integer');
    }
    const minute = Math.floor(timestampMs / MINUTE_MS);
    if (!this.cover(minute)) return false;
    const index = this.indexOf(minute);
    const total = this.counts[index] + count;
    if (!Number.isSafeInteger(total)) throw new RangeError('per-minute count overflow');
    this.counts[index] = total;
    return true;
  }

  /** Records one transaction per timestamp; returns how many were kept. */
  recordBatch(timestampsMs: readonly number[]): number {
    let kept = 0;
    for (const timestampMs of timestampsMs) if (this.record(timestampMs)) kept += 1;
    return kept;
  }

  /** Marks every minute up to the one containing `timestampMs` as observed (zeros if silent). */
  advanceTo(timestampMs: number): void {
    this.record(timestampMs, 0);
  }

  /** Covered span: [fromMs, toMs), or null before the first record. */
  coverage(): { fromMs: number; toMs: number } | null {
    if (Number.isNaN(this.firstMinute)) return null;
    return { fromMs: this.firstMinute * MINUTE_MS, toMs: (this.lastMinute + 1) * MINUTE_MS };
  }

  /** Mean TPS per slot over [fromMs, toMs); a slot with any uncovered minute is NaN. */
  series(fromMs: number, toMs: number, slotMinutes: number): SlotSeries {
    if (!Number.isInteger(slotMinutes) || slotMinutes < 1) {
      throw new RangeError('slotMinutes must be a positive integer');
    }
    const slotMs = slotMinutes * MINUTE_MS;
    if (fromMs % MINUTE_MS !== 0 || (toMs - fromMs) % slotMs !== 0 || toMs < fromMs) {
      throw new RangeError('fromMs must be minute-aligned and span whole slots to toMs');
    }
    const slots = (toMs - fromMs) / slotMs;
    if (slots * slotMinutes > SERIES_MINUTES_MAX) throw new RangeError('series span too long');
    const ratesTps = new Float64Array(slots);
    const fromMinute = fromMs / MINUTE_MS;
    for (let slot = 0; slot < slots; slot += 1) {
      ratesTps[slot] = this.slotRate(fromMinute + slot * slotMinutes, slotMinutes);
    }
    return { startMs: fromMs, slotMinutes, ratesTps };
  }

  toJSON(): TrafficSnapshot {
    const counts: number[] = [];
    if (!Number.isNaN(this.firstMinute)) {
      for (let m = this.firstMinute; m <= this.lastMinute; m += 1) {
        counts.push(this.counts[this.indexOf(m)]);
      }
    }
    const firstMinute = Number.isNaN(this.firstMinute) ? 0 : this.firstMinute;
    return { version: 1, capacityMinutes: this.capacityMinutes, firstMinute, counts };
  }

  /** Rebuilds a recorder from `toJSON()` output; throws on a snapshot that is not one. */
  static fromJSON(snapshot: TrafficSnapshot): TrafficRecorder {
    const { version, capacityMinutes, firstMinute, counts } = snapshot;
    if (version !== 1 || !Number.isInteger(capacityMinutes) || capacityMinutes <= 0) {
      throw new RangeError('not a version-1 traffic snapshot');
    }
    if (capacityMinutes % MINUTES_PER_WEEK !== 0 || !Number.isSafeInteger(firstMinute)) {
      throw new RangeError('traffic snapshot has an invalid capacity or first minute');
    }
    if (!Array.isArray(counts) || counts.length > capacityMinutes) {
      throw new RangeError('traffic snapshot counts exceed its capacity');
    }
    const recorder = new TrafficRecorder({ weeksMax: capacityMinutes / MINUTES_PER_WEEK });
    counts.forEach((count, i) => {
      recorder.record((firstMinute + i) * MINUTE_MS, count);
    });
    return recorder;
  }

  private slotRate(firstMinute: number, minutes: number): number {
    if (Number.isNaN(this.firstMinute)) return Number.NaN;
    if (firstMinute < this.firstMinute || firstMinute + minutes - 1 > this.lastMinute) {
      return Number.NaN;
    }
    let total = 0;
    for (let m = firstMinute; m < firstMinute + minutes; m += 1)
      total += this.counts[this.indexOf(m)];
    return total / (minutes * 60);
  }

  /** Extends coverage to `minute` if the buffer can hold it; false when it is too old. */
  private cover(minute: number): boolean {
    if (Number.isNaN(this.firstMinute)) {
      this.firstMinute = this.lastMinute = minute;
      return true;
    }
    if (minute > this.lastMinute) {
      const fresh = Math.min(minute - this.lastMinute, this.capacityMinutes);
      for (let m = minute - fresh + 1; m <= minute; m += 1) this.counts[this.indexOf(m)] = 0;
      this.lastMinute = minute;
      this.firstMinute = Math.max(this.firstMinute, minute - this.capacityMinutes + 1);
      return true;
    }
    if (minute >= this.firstMinute) return true;
    if (minute <= this.lastMinute - this.capacityMinutes) return false;
    for (let m = minute; m < this.firstMinute; m += 1) this.counts[this.indexOf(m)] = 0;
    this.firstMinute = minute;
    return true;
  }

  private indexOf(minute: number): number {
    const index = minute % this.capacityMinutes;
    return index < 0 ? index + this.capacityMinutes : index;
  }
}
