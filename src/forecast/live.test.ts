import assert from 'node:assert/strict';
import { test } from 'node:test';
import { LiveTraffic } from './live.ts';
import { createTrafficGenerator } from './synthetic.ts';

const MINUTE = 60_000;
// A Monday midnight in Nairobi, far from month ends.
const START = Date.UTC(2026, 2, 2, 0, 0) - 180 * MINUTE;

test('live traffic: forecasts from recorded counts and raises an outage when traffic stops', {
  timeout: 60_000,
}, () => {
  const clock = {
    now: START,
    nowMs() {
      return this.now;
    },
  };
  const alerts: string[] = [];
  const live = new LiveTraffic({
    clock,
    snapshotPath: null,
    utcOffsetMinutes: 180,
    onAlert: (a, state) => alerts.push(`${state}:${a.kind}`),
  });
  const weeks = 4;
  const counts = createTrafficGenerator().generateMinuteCounts({
    startMs: START,
    minutes: weeks * 7 * 1440,
    seed: 3,
  });
  for (let m = 0; m < counts.length; m++) live.record(START + m * MINUTE, counts[m]);
  clock.now = START + counts.length * MINUTE;
  live.tick();
  const outcome = live.forecast();
  assert.ok(outcome.ok, JSON.stringify(outcome));
  assert.equal(outcome.value.slots.length, 96);
  assert.ok(outcome.value.slots.every((s) => s.capacityTps >= s.expectedTps && s.expectedTps > 0));
  // Thirty minutes without a single transaction in the middle of the day: an outage.
  clock.now += 12 * 60 * MINUTE;
  live.tick();
  for (let i = 0; i < 30; i++) {
    clock.now += MINUTE;
    live.tick();
  }
  assert.deepEqual(alerts.slice(0, 1), ['opened:outage']);
  assert.equal(live.anomalies().open?.kind, 'outage');
});

test('live traffic: a history without variation is refused, never served as NaN', () => {
  const clock = {
    now: START,
    nowMs() {
      return this.now;
    },
  };
  const live = new LiveTraffic({ clock, snapshotPath: null, utcOffsetMinutes: 180 });
  for (let m = 0; m < 4 * 7 * 1440; m++) live.record(START + m * MINUTE, 1);
  clock.now = START + 4 * 7 * 1440 * MINUTE;
  const outcome = live.forecast();
  assert.equal(outcome.ok, false);
});
