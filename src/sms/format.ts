// Number, date and time formats of M-Pesa confirmation texts: 'Ksh1,000.00' (no space,
// thousands commas, two decimals), '3/3/22' (d/m/yy, no padding) and '5:28 PM'. Money is integer
// minor units in and text out, with no floating point on the way, so no amount is ever rounded.

export interface MoneyFormat {
  /** Written before the amount with no space, e.g. 'Ksh'. */
  readonly currencyPrefix: string;
  /** Minor units per major unit: 100 for KES, 1 for a currency without cents. */
  readonly minorUnitScale: number;
}

/** Scales we can print exactly as decimals: 1, 10, 100 or 1000 minor units per unit. */
export const MINOR_UNIT_SCALES: readonly number[] = [1, 10, 100, 1000];
const MS_PER_MINUTE = 60_000;

function decimalsOf(minorUnitScale: number): number {
  const decimals = MINOR_UNIT_SCALES.indexOf(minorUnitScale);
  if (decimals < 0) throw new RangeError(`unsupported minor unit scale: ${minorUnitScale}`);
  return decimals;
}

/** '292,600.00': the amount with thousands commas and the currency's decimals, no prefix. */
export function formatAmount(amountCents: number, minorUnitScale: number): string {
  if (!Number.isSafeInteger(amountCents))
    throw new RangeError(`amount must be integer cents: ${amountCents}`);
  const decimals = decimalsOf(minorUnitScale);
  const sign = amountCents < 0 ? '-' : '';
  const magnitude = Math.abs(amountCents);
  const major = Math.floor(magnitude / minorUnitScale);
  const minor = magnitude % minorUnitScale;
  const grouped = String(major).replace(/\B(?=(\d{3})+(?!\d))/g, ',');
  const fraction = decimals === 0 ? '' : `.${String(minor).padStart(decimals, '0')}`;
  return `${sign}${grouped}${fraction}`;
}

/** 'Ksh1,000.00'; a negative amount is written '-Ksh1,000.00'. */
export function formatMoney(amountCents: number, format: MoneyFormat): string {
  const text = formatAmount(amountCents, format.minorUnitScale);
  return text.startsWith('-')
    ? `-${format.currencyPrefix}${text.slice(1)}`
    : `${format.currencyPrefix}${text}`;
}

function localParts(timestampMs: number, utcOffsetMinutes: number): Date {
  const shifted = new Date(timestampMs + utcOffsetMinutes * MS_PER_MINUTE);
  if (Number.isNaN(shifted.getTime())) throw new RangeError(`invalid timestamp: ${timestampMs}`);
  return shifted;
}

function twoDigits(value: number): string {
  return String(value).padStart(2, '0');
}

/** '3/3/22': day/month/two-digit year in local time, without zero padding. */
export function formatSmsDate(timestampMs: number, utcOffsetMinutes: number): string {
  const d = localParts(timestampMs, utcOffsetMinutes);
  return `${d.getUTCDate()}/${d.getUTCMonth() + 1}/${twoDigits(d.getUTCFullYear() % 100)}`;
}

/** '03/03/22': the zero-padded form M-Pesa uses for due dates (Fuliza). */
export function formatSmsDatePadded(timestampMs: number, utcOffsetMinutes: number): string {
  const d = localParts(timestampMs, utcOffsetMinutes);
  return `${twoDigits(d.getUTCDate())}/${twoDigits(d.getUTCMonth() + 1)}/${twoDigits(d.getUTCFullYear() % 100)}`;
}

/** '5:28 PM': 12-hour clock in local time; midnight is 12:00 AM and noon 12:00 PM. */
export function formatSmsTime(timestampMs: number, utcOffsetMinutes: number): string {
  const d = localParts(timestampMs, utcOffsetMinutes);
  const hours = d.getUTCHours();
  const hour12 = hours % 12 === 0 ? 12 : hours % 12;
  return `${hour12}:${twoDigits(d.getUTCMinutes())} ${hours < 12 ? 'AM' : 'PM'}`;
}
