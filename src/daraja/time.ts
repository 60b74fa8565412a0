// Daraja's date formats. Everything is wall-clock time in the market's zone (EAT, UTC+3, for
// Kenya) except the Pull API's ISO-8601: `yyyyMMddHHmmss` almost everywhere, `dd.MM.yyyy
// HH:mm:ss` in B2C results, `ddMMyyyyHHmmss` inside CheckoutRequestIDs, `yyyyMMdd` inside
// ConversationIDs. Pure functions over epoch milliseconds and a UTC offset; no Date parsing of
// partner strings, which is lenient in ways we do not want.

/** Nairobi is UTC+3 all year (no daylight saving). */
export const NAIROBI_UTC_OFFSET_MINUTES = 180;

const MS_PER_MINUTE = 60_000;
/** Years we accept in partner timestamps: a 2-digit slip or year 0000 is an input error. */
export const TIMESTAMP_YEAR_MIN = 2000;
export const TIMESTAMP_YEAR_MAX = 2199;

export interface WallClock {
  readonly year: number;
  /** 1..12 */
  readonly month: number;
  /** 1..31 */
  readonly day: number;
  readonly hour: number;
  readonly minute: number;
  readonly second: number;
}

function pad(value: number, width: number): string {
  return String(value).padStart(width, '0');
}

/** The wall clock at `timestampMs` in a zone `utcOffsetMinutes` east of UTC. */
export function wallClockAt(timestampMs: number, utcOffsetMinutes: number): WallClock {
  const shifted = new Date(timestampMs + utcOffsetMinutes * MS_PER_MINUTE);
  if (Number.isNaN(shifted.getTime())) throw new RangeError(`invalid timestamp: ${timestampMs}`);
  return {
    year: shifted.getUTCFullYear(),
    month: shifted.getUTCMonth() + 1,
    day: shifted.getUTCDate(),
    hour: shifted.getUTCHours(),
    minute: shifted.getUTCMinutes(),
    second: shifted.getUTCSeconds(),
  };
}

/** The instant a wall clock denotes in a zone `utcOffsetMinutes` east of UTC. */
export function wallClockToEpochMs(clock: WallClock, utcOffsetMinutes: number): number {
  const { year, month, day, hour, minute, second } = clock;
  return Date.UTC(year, month - 1, day, hour, minute, second) - utcOffsetMinutes * MS_PER_MINUTE;
}

/** 20191219102115 as a string: `yyyyMMddHHmmss`. */
export function formatCompactTimestamp(timestampMs: number, utcOffsetMinutes: number): string {
  const c = wallClockAt(timestampMs, utcOffsetMinutes);
  return `${pad(c.year, 4)}${pad(c.month, 2)}${pad(c.day, 2)}${pad(c.hour, 2)}${pad(c.minute, 2)}${pad(c.second, 2)}`;
}

/** "19.12.2019 11:45:50": B2C's TransactionCompletedDateTime. */
export function formatDottedDateTime(timestampMs: number, utcOffsetMinutes: number): string {
  const c = wallClockAt(timestampMs, utcOffsetMinutes);
  return `${pad(c.day, 2)}.${pad(c.month, 2)}.${pad(c.year, 4)} ${pad(c.hour, 2)}:${pad(c.minute, 2)}:${pad(c.second, 2)}`;
}

/** "19122019102036": the date part of a CheckoutRequestID. */
export function formatDayFirstCompact(timestampMs: number, utcOffsetMinutes: number): string {
  const c = wallClockAt(timestampMs, utcOffsetMinutes);
  return `${pad(c.day, 2)}${pad(c.month, 2)}${pad(c.year, 4)}${pad(c.hour, 2)}${pad(c.minute, 2)}${pad(c.second, 2)}`;
}

/** "20191219": the date part of a ConversationID. */
export function formatCompactDate(timestampMs: number, utcOffsetMinutes: number): string {
  const c = wallClockAt(timestampMs, utcOffsetMinutes);
  return `${pad(c.year, 4)}${pad(c.month, 2)}${pad(c.day, 2)}`;
}

function daysInMonth(year: number, month: number): number {
  return new Date(Date.UTC(year, month, 0)).getUTCDate();
}

/** Whether the six fields name a real second (no 30 February, no 24:00, no leap seconds). */
export function isValidWallClock(c: WallClock): boolean {
  return (
    c.year >= TIMESTAMP_YEAR_MIN &&
    c.year <= TIMESTAMP_YEAR_MAX &&
    c.month >= 1 &&
    c.month <= 12 &&
    c.day >= 1 &&
    c.day <= daysInMonth(c.year, c.month) &&
    c.hour <= 23 &&
    c.minute <= 59 &&
    c.second <= 59
  );
}

/** Parses exactly 14 digits `yyyyMMddHHmmss` naming a real second; null otherwise. */
export function parseCompactTimestamp(text: string): WallClock | null {
  const m = /^(\d{4})(\d{2})(\d{2})(\d{2})(\d{2})(\d{2})$/.exec(text);
  if (m === null) return null;
  const clock: WallClock = {
    year: Number(m[1]),
    month: Number(m[2]),
    day: Number(m[3]),
    hour: Number(m[4]),
    minute: Number(m[5]),
    second: Number(m[6]),
  };
  return isValidWallClock(clock) ? clock : null;
}

/**
 * Parses the Pull API's "2020-08-04 8:36:00" (note the unpadded hour in Daraja's own sample);
 * also accepts a 'T' separator and a missing seconds field. Null when not a real second.
 */
export function parseSpacedDateTime(text: string): WallClock | null {
  const m = /^(\d{4})-(\d{2})-(\d{2})[ T](\d{1,2}):(\d{2})(?::(\d{2}))?$/.exec(text);
  if (m === null) return null;
  const clock: WallClock = {
    year: Number(m[1]),
    month: Number(m[2]),
    day: Number(m[3]),
    hour: Number(m[4]),
    minute: Number(m[5]),
    second: m[6] === undefined ? 0 : Number(m[6]),
  };
  return isValidWallClock(clock) ? clock : null;
}
