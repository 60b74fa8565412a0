// Helpers over equally spaced rate series (see SlotSeries in model.ts).

import type { SlotSeries } from './model.ts';
import { MINUTE_MS } from './time.ts';

/** Per-minute counts starting at `startMs` → mean TPS per slot; a trailing partial slot is dropped. */
export function countsToSlotSeries(
  startMs: number,
  countsPerMinute: ArrayLike<number>,
  slotMinutes: number,
): SlotSeries {
  if (!Number.isInteger(slotMinutes) || slotMinutes <= 0) {
    throw new RangeError('slotMinutes must be a positive integer');
  }
  const slots = Math.floor(countsPerMinute.length / slotMinutes);
  const ratesTps = new Float64Array(slots);
  for (let slot = 0; slot < slots; slot += 1) {
    let total = 0;
    for (let m = slot * slotMinutes; m < (slot + 1) * slotMinutes; m += 1)
      total += countsPerMinute[m];
    ratesTps[slot] = total / (slotMinutes * 60);
  }
  return { startMs, slotMinutes, ratesTps };
}

export function slotMs(series: SlotSeries): number {
  return series.slotMinutes * MINUTE_MS;
}

export function seriesEndMs(series: SlotSeries): number {
  return series.startMs + series.ratesTps.length * slotMs(series);
}

/** Rate of the slot that starts exactly at `startMs`, NaN when outside the series. */
export function rateAtSlot(series: SlotSeries, startMs: number): number {
  const index = (startMs - series.startMs) / slotMs(series);
  if (!Number.isInteger(index) || index < 0 || index >= series.ratesTps.length) return Number.NaN;
  return series.ratesTps[index];
}

/** The slots in [fromMs, toMs); both must fall on the series' slot grid. */
export function sliceSeries(series: SlotSeries, fromMs: number, toMs: number): SlotSeries {
  const from = (fromMs - series.startMs) / slotMs(series);
  const to = (toMs - series.startMs) / slotMs(series);
  if (!Number.isInteger(from) || !Number.isInteger(to)) {
    throw new RangeError('slice bounds must fall on the slot grid');
  }
  const ratesTps = new Float64Array(Math.max(0, to - from)).fill(Number.NaN);
  for (let i = Math.max(0, from); i < Math.min(to, series.ratesTps.length); i += 1) {
    ratesTps[i - from] = series.ratesTps[i];
  }
  return { startMs: fromMs, slotMinutes: series.slotMinutes, ratesTps };
}
