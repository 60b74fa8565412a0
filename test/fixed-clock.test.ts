// The preload behind `npm test -- --date-matrix`: a child node process with MALIPO_TEST_NOW sees
// that instant as now, the clock keeps running, and everything but "now" is the real Date.
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { resolve } from 'node:path';
import { describe, test } from 'node:test';
import { fileURLToPath, pathToFileURL } from 'node:url';

const PRELOAD = pathToFileURL(
  resolve(fileURLToPath(new URL('.', import.meta.url)), '../scripts/fixed-clock.mjs'),
).href;
/** Bounds "now" from above; a child process starts in well under this on any machine. */
const SLACK_MS = 60_000;
/** The host's time even when this test itself runs under the preload (the date matrix). */
const realNowMs = () => performance.timeOrigin + performance.now();
/** performance's clock and Date's can drift apart by a little; never by this much. */
const DRIFT_MS = 1_000;

function inChild(script: string, env: NodeJS.ProcessEnv): unknown {
  const out = execFileSync(process.execPath, ['--import', PRELOAD, '-e', script], {
    // Only the preload given here: not a second one from a matrix run's NODE_OPTIONS.
    env: { ...process.env, NODE_OPTIONS: '', MALIPO_TEST_NOW_ANCHOR: undefined, ...env },
    encoding: 'utf8',
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  return JSON.parse(out);
}

const READ_CLOCK = `
const a = Date.now();
const d = new Date();
setTimeout(() => console.log(JSON.stringify({
  a, d: d.getTime(), b: Date.now(), str: Date(), utc: Date.UTC(2020, 0, 1),
  parsed: Date.parse('2020-01-01T00:00:00Z'), given: new Date(0).getTime(),
  isDate: d instanceof Date, local: d.toString(),
})), 20);`;

describe('fixed clock preload', () => {
  test('moves now to MALIPO_TEST_NOW and keeps it running; the rest of Date is untouched', () => {
    const target = Date.parse('2028-02-29T20:59:00Z');
    const seen = inChild(READ_CLOCK, {
      MALIPO_TEST_NOW: '2028-02-29T23:59:00+03:00',
      TZ: 'Africa/Nairobi',
    }) as Record<string, number | string | boolean>;
    assert.ok(Number(seen.a) >= target && Number(seen.a) < target + SLACK_MS, String(seen.a));
    assert.ok(Number(seen.d) >= Number(seen.a));
    assert.ok(Number(seen.b) > Number(seen.a), 'the clock advances');
    assert.match(String(seen.str), /^Tue Feb 29 2028 23:5\d/);
    assert.match(String(seen.local), /GMT\+0300/);
    assert.equal(seen.utc, Date.UTC(2020, 0, 1));
    assert.equal(seen.parsed, Date.UTC(2020, 0, 1));
    assert.equal(seen.given, 0);
    assert.equal(seen.isDate, true);
  });

  test('an anchor in the past puts every process of a run on one timeline', () => {
    const target = Date.parse('2026-12-31T20:59:00Z');
    const seen = inChild(READ_CLOCK, {
      MALIPO_TEST_NOW: '2026-12-31T20:59:00Z',
      MALIPO_TEST_NOW_ANCHOR: String(realNowMs() - 3_600_000),
    }) as Record<string, number>;
    // An hour has passed on the run's timeline since the anchor.
    assert.ok(seen.a! >= target + 3_600_000 - DRIFT_MS && seen.a! < target + 3_600_000 + SLACK_MS);
  });

  test('without MALIPO_TEST_NOW the clock is the real one', () => {
    const before = realNowMs();
    const seen = inChild(READ_CLOCK, { MALIPO_TEST_NOW: '' }) as Record<string, number>;
    assert.ok(seen.a! >= before - DRIFT_MS && seen.a! < before + SLACK_MS);
  });

  test('a value that is not a date stops the run with its name', () => {
    assert.throws(
      () => inChild(READ_CLOCK, { MALIPO_TEST_NOW: 'tomorrow' }),
      /MALIPO_TEST_NOW=tomorrow is not an ISO date-time/,
    );
  });
});
