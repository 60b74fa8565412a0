import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { MINUTES_PER_WEEK, TrafficRecorder } from './recorder.ts';
import { MINUTE_MS, WEEK_MS } from './time.ts';

const T0 = Date.UTC(2025, 0, 6, 0, 0);

describe('TrafficRecorder', () => {
  it('turns per-minute counts into TPS per slot', () => {
    const recorder = new TrafficRecorder({ weeksMax: 1 });
    for (let m = 0; m < 30; m += 1) recorder.record(T0 + m * MINUTE_MS + 5_000, 600);
    recorder.record(T0 + 20_000); // one more transaction in minute 0
    const series = recorder.series(T0, T0 + 30 * MINUTE_MS, 15);
    assert.equal(series.ratesTps.length, 2);
    assert.equal(series.ratesTps[0], (15 * 600 + 1) / 900);
    assert.equal(series.ratesTps[1], 10);
  });

  it('counts silent minutes inside its coverage as zero and unknown ones as NaN', () => {
    const recorder = new TrafficRecorder({ weeksMax: 1 });
    recorder.record(T0, 60);
    recorder.advanceTo(T0 + 29 * MINUTE_MS);
    const series = recorder.series(T0 - 15 * MINUTE_MS, T0 + 45 * MINUTE_MS, 15);
    assert.ok(Number.isNaN(series.ratesTps[0]), 'before the first record');
    assert.equal(series.ratesTps[1], 60 / 900);
    assert.equal(series.ratesTps[2], 0);
    assert.ok(Number.isNaN(series.ratesTps[3]), 'after the last covered minute');
  });

  it('keeps at most weeksMax weeks and drops what is older', () => {
    const recorder = new TrafficRecorder({ weeksMax: 1 });
    recorder.record(T0, 5);
    recorder.record(T0 + WEEK_MS + 10 * MINUTE_MS, 7);
    const coverage = recorder.coverage()!;
    assert.equal(coverage.toMs - coverage.fromMs, WEEK_MS);
    assert.equal(recorder.record(T0, 1), false, 'a minute that fell off is refused');
    // The slot that held T0 was reused: nothing of the old count leaks into the new week.
    const series = recorder.series(coverage.fromMs, coverage.toMs, 1);
    const total = series.ratesTps.reduce((sum, rate) => sum + rate * 60, 0);
    assert.equal(total, 7);
    assert.equal(recorder.capacityMinutes, MINUTES_PER_WEEK);
  });

  it('accepts late records inside the window, before its first minute', () => {
    const recorder = new TrafficRecorder({ weeksMax: 1 });
    recorder.record(T0 + 60 * MINUTE_MS, 1);
    assert.equal(recorder.record(T0, 2), true);
    assert.equal(recorder.coverage()!.fromMs, T0);
    assert.equal(recorder.series(T0, T0 + MINUTE_MS, 1).ratesTps[0], 2 / 60);
  });

  it('round-trips through a JSON snapshot', () => {
    const recorder = new TrafficRecorder({ weeksMax: 2 });
    for (let m = 0; m < 200; m += 1) recorder.record(T0 + m * MINUTE_MS, m % 7);
    const snapshot = JSON.parse(JSON.stringify(recorder));
    const restored = TrafficRecorder.fromJSON(snapshot);
    assert.deepEqual(restored.coverage(), recorder.coverage());
    assert.deepEqual(
      restored.series(T0, T0 + 195 * MINUTE_MS, 15),
      recorder.series(T0, T0 + 195 * MINUTE_MS, 15),
    );
    assert.equal(restored.capacityMinutes, 2 * MINUTES_PER_WEEK);
  });

  it('rejects bad input and corrupt snapshots', () => {
    const recorder = new TrafficRecorder({ weeksMax: 1 });
    assert.throws(() => recorder.record(T0, -1), RangeError);
    assert.throws(() => recorder.record(T0, 1.5), RangeError);
    assert.throws(() => recorder.record(Number.NaN), RangeError);
    assert.throws(() => new TrafficRecorder({ weeksMax: 0 }), RangeError);
    assert.throws(() => new TrafficRecorder({ weeksMax: 1000 }), RangeError);
    assert.throws(() => recorder.series(T0, T0 + 7 * MINUTE_MS, 15), RangeError);
    const snapshot = { version: 1 as const, capacityMinutes: 10, firstMinute: 0, counts: [] };
    assert.throws(() => TrafficRecorder.fromJSON(snapshot), RangeError);
    const negative = { ...recorder.toJSON(), counts: [1, -3] };
    assert.throws(() => TrafficRecorder.fromJSON(negative), RangeError);
  });
});
