import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { rollingOriginBacktest, seasonalNaive } from './backtest.ts';
import type { SlotSeries } from './model.ts';
import { seriesEndMs } from './series.ts';
import { DAY_MS, MINUTE_MS } from './time.ts';

const START_MS = Date.UTC(2025, 0, 5, 21); // local midnight, Monday 6 January 2025 in Nairobi

function weeklySeries(weeks: number): SlotSeries {
  const ratesTps = Float64Array.from({ length: weeks * 7 * 96 }, (_, i) => {
    const day = Math.floor(i / 96) % 7;
    return 1000 + 10 * (i % 96) + 100 * day;
  });
  return { startMs: START_MS, slotMinutes: 15, ratesTps };
}

describe('rolling-origin back-test', () => {
  const series = weeklySeries(3);
  const origins = [START_MS + 14 * DAY_MS, START_MS + 15 * DAY_MS];

  it('scores the seasonal-naive baseline as exact on a purely weekly series', () => {
    const score = rollingOriginBacktest(series, origins, seasonalNaive, 180);
    assert.equal(score.mape, 0);
    assert.equal(score.worstDayMape, 0);
    assert.deepEqual(
      score.days.map((day) => day.date),
      ['2025-01-20', '2025-01-21'],
    );
  });

  it('computes MAPE, worst day and the p95 under-forecast from the errors', () => {
    // 10 % low on the first day, exact on the second.
    let call = 0;
    const score = rollingOriginBacktest(
      series,
      origins,
      (history, originMs, slots) => {
        assert.equal(seriesEndMs(history), originMs, 'history stops at the origin');
        const truth = series.ratesTps.subarray(
          (originMs - START_MS) / (15 * MINUTE_MS),
          (originMs - START_MS) / (15 * MINUTE_MS) + slots,
        );
        const factor = call++ === 0 ? 0.9 : 1;
        return truth.map((rate) => rate * factor);
      },
      180,
    );
    assert.ok(Math.abs(score.days[0].mape - 0.1) < 1e-12);
    assert.equal(score.days[1].mape, 0);
    assert.ok(Math.abs(score.mape - 0.05) < 1e-12);
    assert.ok(Math.abs(score.worstDayMape - 0.1) < 1e-12);
    // Half the slots are under-forecast by 1/0.9 − 1 ≈ 11.1 %.
    assert.ok(Math.abs(score.underForecastP95 - (1 / 0.9 - 1)) < 1e-9);
  });
});
