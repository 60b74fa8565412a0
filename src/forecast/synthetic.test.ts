import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { createRandom } from './random.ts';
import { createTrafficGenerator, DEFAULT_TRAFFIC_PROFILE } from './synthetic.ts';
import { DAY_MS, HOUR_MS, MINUTE_MS } from './time.ts';

const OFFSET_MS = 180 * MINUTE_MS;
/** Local midnight starting Tuesday 14 January 2025: no payday, holiday or mid-month nearby. */
const TUESDAY_MS = Date.UTC(2025, 0, 14) - OFFSET_MS;

function dailyTotal(rateAt: (ms: number) => number, dayStartMs: number): number {
  let total = 0;
  for (let m = 0; m < 1440; m += 1) total += rateAt(dayStartMs + m * MINUTE_MS) * 60;
  return total;
}

describe('seeded random', () => {
  it('repeats its sequence for a seed and differs between seeds', () => {
    const a = createRandom(7);
    const b = createRandom(7);
    const c = createRandom(8);
    const first = Array.from({ length: 5 }, () => a.next());
    assert.deepEqual(
      first,
      Array.from({ length: 5 }, () => b.next()),
    );
    assert.notDeepEqual(
      first,
      Array.from({ length: 5 }, () => c.next()),
    );
  });

  it('draws normals with mean 0 and sd 1, and Poisson counts with the right mean', () => {
    const random = createRandom(1);
    const normals = Array.from({ length: 20_000 }, () => random.normal());
    const mean = normals.reduce((s, x) => s + x, 0) / normals.length;
    const sd = Math.sqrt(normals.reduce((s, x) => s + (x - mean) ** 2, 0) / normals.length);
    assert.ok(Math.abs(mean) < 0.03 && Math.abs(sd - 1) < 0.03, `${mean} ${sd}`);
    for (const lambda of [3, 40, 5000]) {
      const counts = Array.from({ length: 4000 }, () => random.poisson(lambda));
      const average = counts.reduce((s, x) => s + x, 0) / counts.length;
      assert.ok(Math.abs(average / lambda - 1) < 0.05, `${lambda}: ${average}`);
      assert.ok(counts.every(Number.isInteger));
    }
  });
});

describe('synthetic traffic', () => {
  const generator = createTrafficGenerator();
  const rate = generator.expectedRateTps;

  it('has a deep night trough and three daytime peaks of about 4,000 TPS', () => {
    const at = (hour: number) => rate(TUESDAY_MS + hour * HOUR_MS);
    assert.ok(at(3) > 200 && at(3) < 400, `night ${at(3)}`);
    const morning = Math.max(at(7.5), at(8), at(8.5));
    const lunch = Math.max(at(12.5), at(13), at(13.5));
    const evening = Math.max(at(18), at(18.5), at(19));
    for (const peak of [morning, lunch, evening]) assert.ok(peak > 3000 && peak < 5000, `${peak}`);
    // Peaks are separated by quieter hours.
    assert.ok(at(10.5) < morning * 0.85 && at(15.5) < lunch * 0.85);
  });

  it('dips at weekends, rises on Fridays and on the month-end payday', () => {
    const total = (dayOffset: number) => dailyTotal(rate, TUESDAY_MS + dayOffset * DAY_MS);
    const tuesday = total(0);
    assert.ok(total(3) > tuesday * 1.03, 'Friday uplift');
    assert.ok(total(4) < tuesday * 0.95, 'Saturday dip');
    assert.ok(total(5) < tuesday * 0.85, 'Sunday dip');
    // Friday 31 January 2025 is the payday; compare with Friday 24 January.
    assert.ok(total(17) > total(10) * 1.2, 'payday uplift');
  });

  it('is continuous across midnight', () => {
    const before = rate(TUESDAY_MS - MINUTE_MS);
    const after = rate(TUESDAY_MS);
    assert.ok(Math.abs(after / before - 1) < 0.02, `${before} → ${after}`);
  });

  it('generates the same counts for the same seed and different counts for another', () => {
    const request = { startMs: TUESDAY_MS, minutes: 2 * 1440, seed: 42 };
    const a = generator.generateMinuteCounts(request);
    const b = generator.generateMinuteCounts(request);
    const c = generator.generateMinuteCounts({ ...request, seed: 43 });
    assert.deepEqual(a, b);
    assert.notDeepEqual(a, c);
    assert.ok(a.every((count) => Number.isInteger(count) && count >= 0));
  });

  it('adds about 5 % of log-normal noise per 15-minute slot around the expected rate', () => {
    const quiet = createTrafficGenerator({
      ...DEFAULT_TRAFFIC_PROFILE,
      spikes: { ...DEFAULT_TRAFFIC_PROFILE.spikes, perDay: 0 },
    });
    const days = 14;
    const series = quiet.generateSlotSeries({
      startMs: TUESDAY_MS,
      minutes: days * 1440,
      seed: 5,
      slotMinutes: 15,
    });
    const logErrors = Array.from(series.ratesTps, (observed, slot) => {
      let expected = 0;
      for (let m = 0; m < 15; m += 1) {
        expected += quiet.expectedRateTps(TUESDAY_MS + (slot * 15 + m + 0.5) * MINUTE_MS) / 15;
      }
      return Math.log(observed / expected);
    });
    const mean = logErrors.reduce((s, x) => s + x, 0) / logErrors.length;
    const sd = Math.sqrt(logErrors.reduce((s, x) => s + (x - mean) ** 2, 0) / logErrors.length);
    assert.ok(Math.abs(mean) < 0.02, `bias ${mean}`);
    assert.ok(sd > 0.035 && sd < 0.07, `sd ${sd}`);
  });

  it('refuses an unbounded request', () => {
    assert.throws(
      () => generator.generateMinuteCounts({ startMs: TUESDAY_MS, minutes: 1e9, seed: 1 }),
      RangeError,
    );
  });
});
