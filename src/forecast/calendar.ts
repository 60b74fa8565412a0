// The pay calendar: which local days carry known calendar effects (salary days around month-end,
// the 1st, mid-month pay, public holidays). The forecaster learns how big each effect is from
// history; the calendar only says *when* they happen, which an operator knows in advance.

import {
  civilDate,
  dayIndexOf,
  dayOfWeek,
  daysInMonth,
  formatIsoDate,
  parseIsoDate,
} from './time.ts';

export interface PayCalendarConfig {
  /**
   * Calendar-day offsets from the month's payday (its last working day) that get a factor of
   * their own: salary lands on the payday and is spent over the following days.
   */
  paydayOffsetsDays: readonly number[];
  /** Days of the month (1–31) with their own factor, e.g. the 1st for rent and bills. */
  monthStartDays: readonly number[];
  /** Mid-month payday: the last working day on or before this day of the month; null for none. */
  midMonthDay: number | null;
  /** Offsets from the mid-month payday that get a factor of their own. */
  midMonthOffsetsDays: readonly number[];
  /** Public holidays as local dates `YYYY-MM-DD`. */
  holidays: readonly string[];
  /** Days of the week (0 = Sunday) that are not working days. */
  weekendDays: readonly number[];
  /**
   * A public holiday is treated like this day of the week (Sunday: shops and offices shut), so a
   * holiday never seen in history still gets a sensible profile; null keeps its own weekday.
   */
  holidayDayOfWeek: number | null;
}

export const DEFAULT_PAY_CALENDAR: PayCalendarConfig = {
  paydayOffsetsDays: [-1, 0, 1, 2, 3],
  monthStartDays: [1],
  midMonthDay: 15,
  midMonthOffsetsDays: [0, 1],
  holidays: [],
  weekendDays: [0, 6],
  holidayDayOfWeek: 0,
};

export interface PayCalendar {
  readonly config: PayCalendarConfig;
  /** Names of the calendar effects active on the day, e.g. `payday+1`, `monthStart1`, `holiday`. */
  featuresOf(dayIndex: number): readonly string[];
  isHoliday(dayIndex: number): boolean;
  isWorkingDay(dayIndex: number): boolean;
  /** The day of the week whose profile the day follows (holidays follow `holidayDayOfWeek`). */
  profileDayOfWeek(dayIndex: number): number;
  /** Last working day of the month, as a day index. */
  monthEndPayday(year: number, month: number): number;
}

/** The feature cache is bounded; forecasting touches a few hundred days at most. */
const FEATURE_CACHE_DAYS_MAX = 4096;

export function createPayCalendar(config: PayCalendarConfig = DEFAULT_PAY_CALENDAR): PayCalendar {
  const holidays = new Set<number>();
  for (const text of config.holidays) {
    const day = parseIsoDate(text);
    if (day === null) throw new RangeError(`invalid holiday date: ${text}`);
    holidays.add(day);
  }
  const weekend = new Set(config.weekendDays);
  const isHoliday = (day: number) => holidays.has(day);
  const isWorkingDay = (day: number) => !weekend.has(dayOfWeek(day)) && !holidays.has(day);
  const lastWorkingDayOnOrBefore = (day: number) => {
    let candidate = day;
    // Bounded: a run of more than two weeks of non-working days would be a misconfiguration.
    for (let step = 0; step < 14 && !isWorkingDay(candidate); step += 1) candidate -= 1;
    return candidate;
  };
  const monthEndPayday = (year: number, month: number) =>
    lastWorkingDayOnOrBefore(dayIndexOf(year, month, daysInMonth(year, month)));
  const midMonthPayday = (year: number, month: number, dayOfMonth: number) =>
    lastWorkingDayOnOrBefore(dayIndexOf(year, month, dayOfMonth));

  const cache = new Map<number, readonly string[]>();
  const featuresOf = (day: number): readonly string[] => {
    const cached = cache.get(day);
    if (cached !== undefined) return cached;
    if (cache.size >= FEATURE_CACHE_DAYS_MAX) cache.clear();
    const features = computeFeatures(day, config, { isHoliday, monthEndPayday, midMonthPayday });
    cache.set(day, features);
    return features;
  };
  const profileDayOfWeek = (day: number) =>
    holidays.has(day) && config.holidayDayOfWeek !== null
      ? config.holidayDayOfWeek
      : dayOfWeek(day);
  return { config, featuresOf, isHoliday, isWorkingDay, profileDayOfWeek, monthEndPayday };
}

interface CalendarRules {
  isHoliday(day: number): boolean;
  monthEndPayday(year: number, month: number): number;
  midMonthPayday(year: number, month: number, dayOfMonth: number): number;
}

function computeFeatures(day: number, config: PayCalendarConfig, rules: CalendarRules): string[] {
  const features: string[] = [];
  const { year, month, day: dayOfMonth } = civilDate(day);
  // The payday effect spills across month boundaries, so look at the neighbouring months too.
  const months = [shiftMonth(year, month, -1), { year, month }, shiftMonth(year, month, 1)];
  for (const offset of config.paydayOffsetsDays) {
    if (months.some((m) => rules.monthEndPayday(m.year, m.month) + offset === day)) {
      features.push(`payday${formatOffset(offset)}`);
    }
  }
  if (config.monthStartDays.includes(dayOfMonth)) features.push(`monthStart${dayOfMonth}`);
  if (config.midMonthDay !== null) {
    const midDay = config.midMonthDay;
    for (const offset of config.midMonthOffsetsDays) {
      if (months.some((m) => rules.midMonthPayday(m.year, m.month, midDay) + offset === day)) {
        features.push(`midMonth${formatOffset(offset)}`);
      }
    }
  }
  if (rules.isHoliday(day)) features.push('holiday');
  return features;
}

function shiftMonth(year: number, month: number, delta: number): { year: number; month: number } {
  const zeroBased = year * 12 + (month - 1) + delta;
  return { year: Math.floor(zeroBased / 12), month: (zeroBased % 12) + 1 };
}

function formatOffset(offset: number): string {
  return offset < 0 ? String(offset) : `+${offset}`;
}

/**
 * Kenya's gazetted public holidays with fixed dates or dates derived from Easter. Eid al-Fitr and
 * other lunar holidays are gazetted each year and must be added to the calendar by the operator.
 * A holiday falling on a Sunday is observed on the next day that is not already a holiday.
 */
export function kenyaPublicHolidays(year: number): string[] {
  const easter = easterSundayDayIndex(year);
  const days = [
    dayIndexOf(year, 1, 1), // New Year's Day
    easter - 2, // Good Friday
    easter + 1, // Easter Monday
    dayIndexOf(year, 5, 1), // Labour Day
    dayIndexOf(year, 6, 1), // Madaraka Day
    dayIndexOf(year, 10, 10), // Utamaduni Day
    dayIndexOf(year, 10, 20), // Mashujaa Day
    dayIndexOf(year, 12, 12), // Jamhuri Day
    dayIndexOf(year, 12, 25), // Christmas Day
    dayIndexOf(year, 12, 26), // Boxing Day
  ];
  const observed = new Set(days);
  for (const day of days) {
    if (dayOfWeek(day) !== 0) continue;
    let substitute = day + 1;
    while (observed.has(substitute)) substitute += 1;
    observed.add(substitute);
  }
  return [...observed].sort((a, b) => a - b).map(formatIsoDate);
}

/** Anonymous Gregorian algorithm (Meeus/Jones/Butcher). */
export function easterSundayDayIndex(year: number): number {
  const a = year % 19;
  const b = Math.floor(year / 100);
  const c = year % 100;
  const d = Math.floor(b / 4);
  const e = b % 4;
  const f = Math.floor((b + 8) / 25);
  const g = Math.floor((b - f + 1) / 3);
  const h = (19 * a + b - d - g + 15) % 30;
  const i = Math.floor(c / 4);
  const k = c % 4;
  const l = (32 + 2 * e + 2 * i - h - k) % 7;
  const m = Math.floor((a + 11 * h + 22 * l) / 451);
  const month = Math.floor((h + l - 7 * m + 114) / 31);
  const day = ((h + l - 7 * m + 114) % 31) + 1;
  return dayIndexOf(year, month, day);
}
