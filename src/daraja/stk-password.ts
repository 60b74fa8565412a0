// M-Pesa Express request authentication: `Password = base64(BusinessShortCode + Passkey +
// Timestamp)`, plain concatenation then Base64 (§1.2), checked in constant time, plus a freshness
// window on `Timestamp`.
//
// Why a window at all: without one, a (Password, Timestamp) pair seen once (in a log, a proxy)
// authenticates forever, since the password is a pure function of the timestamp. Daraja's own
// tolerance is undocumented (§7.4).
//
// Why ±15 minutes by default: clients compute the timestamp just before the call, so honest
// skew is clock drift plus retries; 15 minutes is the window AWS SigV4 has long used for the same
// job and tolerates an unsynchronised laptop. Why two zones: Daraja clients send Nairobi time
// (UTC+3) as the docs imply, but many servers format UTC; we accept the timestamp when it falls
// in the window read either way. The two readings are 3 hours apart, so they never widen each
// other's window. A sandbox may pass `toleranceMs: null` to accept the docs' fixed sample
// timestamp that some tutorials hard-code.
import { createHash, timingSafeEqual } from 'node:crypto';
import { GATEWAY_ERRORS, type GatewayErrorSpec, invalidField } from './errors.ts';
import { NAIROBI_UTC_OFFSET_MINUTES, type WallClock, wallClockToEpochMs } from './time.ts';

export const STK_TIMESTAMP_TOLERANCE_MS_DEFAULT = 15 * 60_000;
/** A wider window than this defeats the purpose; configuration above it is refused. */
export const STK_TIMESTAMP_TOLERANCE_MS_MAX = 24 * 60 * 60_000;
/** Longest passkey we hash; Safaricom's are 64 hex characters. */
export const STK_PASSKEY_CHARS_MAX = 256;

export interface StkPasswordOptions {
  /** ± window around now; null disables the freshness check (sandbox convenience only). */
  readonly toleranceMs?: number | null;
  /** The market's zone for the local reading of the timestamp; EAT by default. */
  readonly localUtcOffsetMinutes?: number;
}

/** What a client computes; also what tests and the developer portal use. */
export function stkPassword(shortcode: string, passkey: string, timestamp: string): string {
  return Buffer.from(shortcode + passkey + timestamp, 'utf8').toString('base64');
}

/**
 * Constant-time comparison of the received Password with the expected one. Both sides are hashed
 * first so that neither their lengths nor a common prefix show in the timing.
 */
export function stkPasswordMatches(
  received: string,
  shortcode: string,
  passkey: string,
  timestamp: string,
): boolean {
  if (passkey.length === 0 || passkey.length > STK_PASSKEY_CHARS_MAX) return false;
  const expected = stkPassword(shortcode, passkey, timestamp);
  const a = createHash('sha256').update(received, 'utf8').digest();
  const b = createHash('sha256').update(expected, 'utf8').digest();
  return timingSafeEqual(a, b);
}

export type TimestampReading = 'nairobi' | 'utc';

export type TimestampWindowCheck =
  | { readonly ok: true; readonly readAs: TimestampReading; readonly instantMs: number }
  | { readonly ok: false; readonly skewMs: number };

/** Whether a wall-clock timestamp is within the window around now, read locally or as UTC. */
export function checkTimestampWindow(
  clock: WallClock,
  nowMs: number,
  options: StkPasswordOptions = {},
): TimestampWindowCheck {
  const offset = options.localUtcOffsetMinutes ?? NAIROBI_UTC_OFFSET_MINUTES;
  const toleranceMs = options.toleranceMs ?? STK_TIMESTAMP_TOLERANCE_MS_DEFAULT;
  if (toleranceMs < 0 || toleranceMs > STK_TIMESTAMP_TOLERANCE_MS_MAX) {
    throw new RangeError(`STK timestamp tolerance must be 0..${STK_TIMESTAMP_TOLERANCE_MS_MAX} ms`);
  }
  const asLocal = wallClockToEpochMs(clock, offset);
  const asUtc = wallClockToEpochMs(clock, 0);
  const localSkew = asLocal - nowMs;
  const utcSkew = asUtc - nowMs;
  if (options.toleranceMs === null) return { ok: true, readAs: 'nairobi', instantMs: asLocal };
  if (Math.abs(localSkew) <= toleranceMs)
    return { ok: true, readAs: 'nairobi', instantMs: asLocal };
  if (Math.abs(utcSkew) <= toleranceMs) return { ok: true, readAs: 'utc', instantMs: asUtc };
  return { ok: false, skewMs: Math.abs(localSkew) < Math.abs(utcSkew) ? localSkew : utcSkew };
}

export interface StkCredentials {
  readonly businessShortcode: string;
  readonly password: string;
  readonly timestamp: { readonly text: string; readonly clock: WallClock };
}

export type StkCredentialsCheck =
  | { readonly ok: true; readonly readAs: TimestampReading }
  | {
      readonly ok: false;
      readonly problem: 'unknown_shortcode' | 'timestamp_out_of_window' | 'wrong_password';
      /** What to answer the partner. */
      readonly error: GatewayErrorSpec;
    };

/**
 * Authenticates an STK push or query. `passkey` is the shortcode's Lipa na M-Pesa passkey, or
 * null when the shortcode has none (not an M-Pesa Express merchant). The password is checked
 * even when the timestamp is stale, so the time taken does not reveal which check failed first.
 */
export function verifyStkCredentials(
  credentials: StkCredentials,
  passkey: string | null,
  nowMs: number,
  options: StkPasswordOptions = {},
): StkCredentialsCheck {
  if (passkey === null) {
    const error = GATEWAY_ERRORS.merchantDoesNotExist;
    return { ok: false, problem: 'unknown_shortcode', error };
  }
  const { businessShortcode, password, timestamp } = credentials;
  const matches = stkPasswordMatches(password, businessShortcode, passkey, timestamp.text);
  const window = checkTimestampWindow(timestamp.clock, nowMs, options);
  if (!matches)
    return { ok: false, problem: 'wrong_password', error: GATEWAY_ERRORS.wrongCredentials };
  // A correct password with a stale timestamp is a replay or a broken clock: say which field,
  // so an honest developer can fix it, without revealing anything about the passkey.
  if (!window.ok) {
    return { ok: false, problem: 'timestamp_out_of_window', error: invalidField('Timestamp') };
  }
  return { ok: true, readAs: window.readAs };
}
