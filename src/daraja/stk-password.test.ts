import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import {
  checkTimestampWindow,
  STK_TIMESTAMP_TOLERANCE_MS_DEFAULT,
  stkPassword,
  stkPasswordMatches,
  verifyStkCredentials,
} from './stk-password.ts';
import { parseCompactTimestamp, type WallClock } from './time.ts';

const SHORTCODE = '174379';
const PASSKEY = 'bfb279f9aa9bdbcf158e97dd71a467cd2e0c893059b10f78e6b72ada1ed2c919';
const TIMESTAMP = '20210628092408';
const DOCS_PASSWORD =
  'MTc0Mzc5YmZiMjc5ZjlhYTliZGJjZjE1OGU5N2RkNzFhNDY3Y2QyZTBjODkzMDU5YjEwZjc4ZTZiNzJhZGExZWQyYzkxOTIwMjEwNjI4MDkyNDA4';
/** 2021-06-28 09:24:08 in Nairobi is 06:24:08 UTC. */
const NAIROBI_INSTANT_MS = Date.UTC(2021, 5, 28, 6, 24, 8);
const MINUTE_MS = 60_000;

function clock(text: string): WallClock {
  const parsed = parseCompactTimestamp(text);
  assert.ok(parsed, text);
  return parsed;
}

function credentials(password = DOCS_PASSWORD, timestamp = TIMESTAMP) {
  return {
    businessShortcode: SHORTCODE,
    password,
    timestamp: { text: timestamp, clock: clock(timestamp) },
  };
}

describe('stkPassword', () => {
  it('reproduces the Password of the Daraja docs sample', () => {
    assert.equal(stkPassword(SHORTCODE, PASSKEY, TIMESTAMP), DOCS_PASSWORD);
  });

  it('matches the right password and nothing else, whatever the length', () => {
    assert.equal(stkPasswordMatches(DOCS_PASSWORD, SHORTCODE, PASSKEY, TIMESTAMP), true);
    assert.equal(stkPasswordMatches(`${DOCS_PASSWORD}x`, SHORTCODE, PASSKEY, TIMESTAMP), false);
    assert.equal(stkPasswordMatches('', SHORTCODE, PASSKEY, TIMESTAMP), false);
    assert.equal(stkPasswordMatches(DOCS_PASSWORD, '174380', PASSKEY, TIMESTAMP), false);
    assert.equal(stkPasswordMatches(DOCS_PASSWORD, SHORTCODE, PASSKEY, '20210628092409'), false);
    assert.equal(stkPasswordMatches(DOCS_PASSWORD, SHORTCODE, '', TIMESTAMP), false);
  });
});

describe('checkTimestampWindow', () => {
  it('accepts Nairobi time within the window and says so', () => {
    const check = checkTimestampWindow(clock(TIMESTAMP), NAIROBI_INSTANT_MS + 5 * MINUTE_MS);
    assert.deepEqual(check, { ok: true, readAs: 'nairobi', instantMs: NAIROBI_INSTANT_MS });
  });

  it('accepts the same digits read as UTC when the client formats UTC', () => {
    const utcInstant = Date.UTC(2021, 5, 28, 9, 24, 8);
    const check = checkTimestampWindow(clock(TIMESTAMP), utcInstant - 3 * MINUTE_MS);
    assert.deepEqual(check, { ok: true, readAs: 'utc', instantMs: utcInstant });
  });

  it('refuses a timestamp just outside the window, in both directions', () => {
    const tolerance = STK_TIMESTAMP_TOLERANCE_MS_DEFAULT;
    const late = checkTimestampWindow(clock(TIMESTAMP), NAIROBI_INSTANT_MS + tolerance + 1000);
    assert.deepEqual(late, { ok: false, skewMs: -(tolerance + 1000) });
    const early = checkTimestampWindow(clock(TIMESTAMP), NAIROBI_INSTANT_MS - tolerance - 1000);
    assert.equal(early.ok, false);
    assert.equal(checkTimestampWindow(clock(TIMESTAMP), NAIROBI_INSTANT_MS + tolerance).ok, true);
  });

  it('refuses an hour or two off: not a UTC/Nairobi confusion', () => {
    assert.equal(
      checkTimestampWindow(clock(TIMESTAMP), NAIROBI_INSTANT_MS + 90 * MINUTE_MS).ok,
      false,
    );
  });

  it('honours a configured tolerance, and null disables the check', () => {
    const now = NAIROBI_INSTANT_MS + 2 * MINUTE_MS;
    assert.equal(checkTimestampWindow(clock(TIMESTAMP), now, { toleranceMs: MINUTE_MS }).ok, false);
    const years = NAIROBI_INSTANT_MS + 3 * 365 * 86_400_000;
    assert.equal(checkTimestampWindow(clock(TIMESTAMP), years, { toleranceMs: null }).ok, true);
  });

  it('refuses an absurd tolerance as a configuration bug', () => {
    assert.throws(() => checkTimestampWindow(clock(TIMESTAMP), 0, { toleranceMs: -1 }), RangeError);
    assert.throws(
      () => checkTimestampWindow(clock(TIMESTAMP), 0, { toleranceMs: 2 * 86_400_000 }),
      RangeError,
    );
  });
});

describe('verifyStkCredentials', () => {
  it('accepts the docs sample at the time it was made', () => {
    assert.deepEqual(verifyStkCredentials(credentials(), PASSKEY, NAIROBI_INSTANT_MS), {
      ok: true,
      readAs: 'nairobi',
    });
  });

  it('answers a wrong password with 500.001.1001 Wrong credentials', () => {
    const check = verifyStkCredentials(credentials('d3Jvbmc='), PASSKEY, NAIROBI_INSTANT_MS);
    assert.equal(check.ok, false);
    if (check.ok) return;
    assert.equal(check.problem, 'wrong_password');
    assert.deepEqual(check.error, {
      // Malipo answers 400 (a client's fault); Daraja's 500 is listed in STATUS_DIFFERENCES.
      httpStatus: 400,
      errorCode: '500.001.1001',
      errorMessage: 'Wrong credentials',
    });
  });

  it('answers a stale but correct password with Invalid Timestamp', () => {
    const check = verifyStkCredentials(credentials(), PASSKEY, NAIROBI_INSTANT_MS + 86_400_000);
    assert.equal(check.ok, false);
    if (check.ok) return;
    assert.equal(check.problem, 'timestamp_out_of_window');
    assert.equal(check.error.errorCode, '400.002.02');
    assert.equal(check.error.errorMessage, 'Bad Request - Invalid Timestamp');
  });

  it('answers a shortcode without passkey with Merchant does not exist', () => {
    const check = verifyStkCredentials(credentials(), null, NAIROBI_INSTANT_MS);
    assert.equal(check.ok ? null : check.error.errorMessage, 'Merchant does not exist');
  });

  it('a fresh password made with the UTC clock verifies', () => {
    const now = Date.UTC(2024, 0, 15, 12, 0, 0);
    const utcText = '20240115120000';
    const password = stkPassword(SHORTCODE, PASSKEY, utcText);
    assert.deepEqual(verifyStkCredentials(credentials(password, utcText), PASSKEY, now), {
      ok: true,
      readAs: 'utc',
    });
  });
});
