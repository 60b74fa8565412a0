import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import {
  formatCompactDate,
  formatCompactTimestamp,
  formatDayFirstCompact,
  formatDottedDateTime,
  NAIROBI_UTC_OFFSET_MINUTES,
  parseCompactTimestamp,
  parseSpacedDateTime,
  wallClockToEpochMs,
} from './time.ts';

const EAT = NAIROBI_UTC_OFFSET_MINUTES;
const AT_MS = Date.UTC(2019, 11, 19, 7, 21, 15); // 10:21:15 in Nairobi

describe('Daraja time formats', () => {
  it('formats in Nairobi wall-clock time', () => {
    assert.equal(formatCompactTimestamp(AT_MS, EAT), '20191219102115');
    assert.equal(formatCompactTimestamp(AT_MS, 0), '20191219072115');
    assert.equal(formatDottedDateTime(AT_MS, EAT), '19.12.2019 10:21:15');
    assert.equal(formatDayFirstCompact(AT_MS, EAT), '19122019102115');
    assert.equal(formatCompactDate(Date.UTC(2019, 11, 31, 22, 0, 0), EAT), '20200101');
  });

  it('parses yyyyMMddHHmmss naming a real second only', () => {
    assert.deepEqual(parseCompactTimestamp('20240229235959'), {
      year: 2024,
      month: 2,
      day: 29,
      hour: 23,
      minute: 59,
      second: 59,
    });
    for (const bad of [
      '20230229000000',
      '20241301000000',
      '20240100000000',
      '20240101240000',
      '20240101006000',
      '20240101000060',
      '19990101000000',
      '2024010100000',
      '2024010100000a',
      '',
    ]) {
      assert.equal(parseCompactTimestamp(bad), null, bad);
    }
  });

  it('round-trips through the wall clock', () => {
    const clock = parseCompactTimestamp(formatCompactTimestamp(AT_MS, EAT));
    assert.ok(clock);
    assert.equal(wallClockToEpochMs(clock, EAT), AT_MS);
  });

  it("parses the Pull API's spaced dates, unpadded hour included", () => {
    assert.deepEqual(parseSpacedDateTime('2020-08-04 8:36:00'), {
      year: 2020,
      month: 8,
      day: 4,
      hour: 8,
      minute: 36,
      second: 0,
    });
    assert.deepEqual(parseSpacedDateTime('2020-08-04T08:36'), {
      year: 2020,
      month: 8,
      day: 4,
      hour: 8,
      minute: 36,
      second: 0,
    });
    assert.equal(parseSpacedDateTime('2020-08-04'), null);
    assert.equal(parseSpacedDateTime('2020-02-30 08:00:00'), null);
  });

  it('refuses an invalid instant as a bug', () => {
    assert.throws(() => formatCompactTimestamp(Number.NaN, EAT), RangeError);
  });
});
