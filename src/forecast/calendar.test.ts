import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import {
  createPayCalendar,
  DEFAULT_PAY_CALENDAR,
  easterSundayDayIndex,
  kenyaPublicHolidays,
} from './calendar.ts';
import { dayOfWeek, formatIsoDate, localDayIndex, parseIsoDate } from './time.ts';

const day = (iso: string) => parseIsoDate(iso)!;

describe('local time', () => {
  it('puts Nairobi midnight at 21:00 UTC the day before', () => {
    const justBefore = Date.UTC(2025, 2, 30, 20, 59);
    const midnight = Date.UTC(2025, 2, 30, 21, 0);
    assert.equal(formatIsoDate(localDayIndex(justBefore, 180)), '2025-03-30');
    assert.equal(formatIsoDate(localDayIndex(midnight, 180)), '2025-03-31');
  });

  it('numbers days of the week from Sunday', () => {
    assert.equal(dayOfWeek(day('2025-03-30')), 0);
    assert.equal(dayOfWeek(day('2025-03-31')), 1);
  });

  it('rejects dates that do not exist', () => {
    assert.equal(parseIsoDate('2025-02-29'), null);
    assert.equal(parseIsoDate('2025-2-1'), null);
  });
});

describe('pay calendar', () => {
  const calendar = createPayCalendar(DEFAULT_PAY_CALENDAR);

  it('makes the last working day of the month the payday', () => {
    assert.equal(formatIsoDate(calendar.monthEndPayday(2025, 2)), '2025-02-28'); // a Friday
    assert.equal(formatIsoDate(calendar.monthEndPayday(2025, 5)), '2025-05-30'); // 31st is a Saturday
    assert.equal(formatIsoDate(calendar.monthEndPayday(2025, 8)), '2025-08-29'); // 31st is a Sunday
  });

  it('tags the days around the payday, across the month boundary', () => {
    assert.deepEqual(calendar.featuresOf(day('2025-02-27')), ['payday-1']);
    assert.deepEqual(calendar.featuresOf(day('2025-02-28')), ['payday+0']);
    assert.deepEqual(calendar.featuresOf(day('2025-03-01')), ['payday+1', 'monthStart1']);
    assert.deepEqual(calendar.featuresOf(day('2025-03-03')), ['payday+3']);
    assert.deepEqual(calendar.featuresOf(day('2025-03-11')), []);
  });

  it('moves the mid-month payday to the working day before a weekend 15th', () => {
    // 15 March 2025 is a Saturday.
    assert.deepEqual(calendar.featuresOf(day('2025-03-14')), ['midMonth+0']);
    assert.deepEqual(calendar.featuresOf(day('2025-03-15')), ['midMonth+1']);
  });

  it('treats a public holiday as a non-working day that follows Sunday', () => {
    const withHolidays = createPayCalendar({
      ...DEFAULT_PAY_CALENDAR,
      holidays: kenyaPublicHolidays(2025),
    });
    const goodFriday = day('2025-04-18');
    assert.equal(withHolidays.isWorkingDay(goodFriday), false);
    assert.equal(withHolidays.profileDayOfWeek(goodFriday), 0);
    assert.ok(withHolidays.featuresOf(goodFriday).includes('holiday'));
    // 31 October 2025 is a Friday and a working day; a holiday on the last day moves the payday.
    const custom = createPayCalendar({ ...DEFAULT_PAY_CALENDAR, holidays: ['2025-10-31'] });
    assert.equal(formatIsoDate(custom.monthEndPayday(2025, 10)), '2025-10-30');
  });

  it('refuses a malformed holiday', () => {
    assert.throws(
      () => createPayCalendar({ ...DEFAULT_PAY_CALENDAR, holidays: ['31/10/2025'] }),
      RangeError,
    );
  });
});

describe('Kenyan public holidays', () => {
  it('derives Easter and observes a Sunday holiday on the Monday', () => {
    assert.equal(formatIsoDate(easterSundayDayIndex(2025)), '2025-04-20');
    assert.equal(formatIsoDate(easterSundayDayIndex(2026)), '2026-04-05');
    const holidays = kenyaPublicHolidays(2025);
    for (const expected of ['2025-01-01', '2025-04-18', '2025-04-21', '2025-05-01', '2025-12-26']) {
      assert.ok(holidays.includes(expected), expected);
    }
    // Madaraka Day, 1 June 2025, is a Sunday.
    assert.ok(holidays.includes('2025-06-02'));
  });
});
