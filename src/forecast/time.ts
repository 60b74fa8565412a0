// Local-time arithmetic for traffic slots. Slots and "days" are in the operator's local time
// (Africa/Nairobi: UTC+3, no DST), given as a fixed UTC offset in minutes. A fixed offset is
// enough for East Africa; a zone with DST would need a real time-zone library here.
// A "day index" counts local calendar days since 1970-01-01 (day 0 was a Thursday).

export const MINUTE_MS = 60_000;
export const HOUR_MS = 3_600_000;
export const DAY_MS = 86_400_000;
export const WEEK_MS = 7 * DAY_MS;
export const MINUTES_PER_DAY = 1440;
/** Nairobi is UTC+3 all year. */
export const NAIROBI_UTC_OFFSET_MINUTES = 180;

export interface CivilDate {
  year: number;
  /** 1–12 */
  month: number;
  /** 1–31 */
  day: number;
}

/** The local calendar day that contains the instant. */
export function localDayIndex(timestampMs: number, utcOffsetMinutes: number): number {
  return Math.floor((timestampMs + utcOffsetMinutes * MINUTE_MS) / DAY_MS);
}

/** The instant (UTC milliseconds) of local midnight that starts the day. */
export function localMidnightMs(dayIndex: number, utcOffsetMinutes: number): number {
  return dayIndex * DAY_MS - utcOffsetMinutes * MINUTE_MS;
}

/** Minutes since local midnight, fractional. */
export function localMinuteOfDay(timestampMs: number, utcOffsetMinutes: number): number {
  const localMs = timestampMs + utcOffsetMinutes * MINUTE_MS;
  return (localMs - Math.floor(localMs / DAY_MS) * DAY_MS) / MINUTE_MS;
}

/** 0 = Sunday … 6 = Saturday, like Date#getDay. */
export function dayOfWeek(dayIndex: number): number {
  return (((dayIndex + 4) % 7) + 7) % 7;
}

export function civilDate(dayIndex: number): CivilDate {
  // Date is used as a pure calendar here (UTC, no clock reads): day index → Y/M/D.
  const date = new Date(dayIndex * DAY_MS);
  return { year: date.getUTCFullYear(), month: date.getUTCMonth() + 1, day: date.getUTCDate() };
}

export function dayIndexOf(year: number, month: number, day: number): number {
  return Math.round(Date.UTC(year, month - 1, day) / DAY_MS);
}

export function daysInMonth(year: number, month: number): number {
  return new Date(Date.UTC(year, month, 0)).getUTCDate();
}

/** Parses a local date written `YYYY-MM-DD`; returns null when it is not a real date. */
export function parseIsoDate(text: string): number | null {
  const match = /^(\d{4})-(\d{2})-(\d{2})$/.exec(text);
  if (match === null) return null;
  const [year, month, day] = [Number(match[1]), Number(match[2]), Number(match[3])];
  if (month < 1 || month > 12 || day < 1 || day > daysInMonth(year, month)) return null;
  return dayIndexOf(year, month, day);
}

export function formatIsoDate(dayIndex: number): string {
  const { year, month, day } = civilDate(dayIndex);
  return `${year}-${String(month).padStart(2, '0')}-${String(day).padStart(2, '0')}`;
}

/** Start of the local slot that contains the instant. */
export function slotStartMs(timestampMs: number, slotMinutes: number, utcOffsetMinutes: number) {
  const slotMs = slotMinutes * MINUTE_MS;
  const offsetMs = utcOffsetMinutes * MINUTE_MS;
  return Math.floor((timestampMs + offsetMs) / slotMs) * slotMs - offsetMs;
}

/** Slot lengths must tile a local day exactly, or "slot s of day d" would be ambiguous. */
export function isValidSlotMinutes(slotMinutes: number): boolean {
  return Number.isInteger(slotMinutes) && slotMinutes > 0 && MINUTES_PER_DAY % slotMinutes === 0;
}
