// M-Pesa-style receipt IDs, e.g. SG632NMUAB: year letter, month letter, day character, then
// seven characters from [0-9A-Z]. The seven must be unique per day across the whole platform
// and look random, with no lookup and no coordination between shards. We get both by encoding
// (shardId, per-day sequence) as one integer below 36^7 and passing it through a keyed
// permutation of exactly that space: a bijection cannot collide, and the key scrambles order.
//
// The permutation is a balanced Feistel network over Z_m × Z_m with m = 6^7 = 279,936, because
// m² = 6^14 = 36^7 exactly: every output is a valid suffix, so no cycle-walking is needed. Round
// keys are derived per local day (HMAC of the key and the date), so the same (shard, sequence)
// gets a different suffix every day. This hides order and volume from casual observers; it is
// not meant to resist cryptanalysis, which receipt IDs do not need.
import { createHmac } from 'node:crypto';

export const RECEIPT_LENGTH = 10;
export const RECEIPT_SUFFIX_LENGTH = 7;
const ALPHABET = '0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ';
const LETTERS = 'ABCDEFGHIJKLMNOPQRSTUVWXYZ';
/** Day of month 1..31 written 1–9 then A=10 … V=31. */
const DAY_CHARACTERS = '123456789ABCDEFGHIJKLMNOPQRSTUV';

/** 36^7 = 78,364,164,096 distinct suffixes per day. */
export const RECEIPT_SUFFIX_SPACE = 36 ** RECEIPT_SUFFIX_LENGTH;
/** Shards (receipt issuers) the suffix space is divided between. Fixed: changing it would remap
 *  every (shard, sequence) and break same-day uniqueness. */
export const RECEIPT_SHARDS_MAX = 1024;
/** 76,527,504 receipts per shard per local day (≈ 886 per second around the clock). */
export const RECEIPTS_PER_SHARD_PER_DAY_MAX = Math.floor(RECEIPT_SUFFIX_SPACE / RECEIPT_SHARDS_MAX);
/** M-Pesa's observed convention: 2017 = L, so A = 2006; letters repeat every 26 years. */
export const DEFAULT_RECEIPT_EPOCH_YEAR = 2006;
/** Shortest permutation key: shorter keys are guessable, and then so is the order. */
export const RECEIPT_KEY_BYTES_MIN = 16;

const FEISTEL_HALF = 6 ** 7;
const FEISTEL_ROUNDS = 8;
const MS_PER_MINUTE = 60_000;

export interface ReceiptIssuerOptions {
  /** Secret of the deployment; not product configuration. At least 16 bytes. */
  readonly key: string | Uint8Array;
  /** The market's local time, in which the date letters and the day's sequence are counted. */
  readonly utcOffsetMinutes: number;
  readonly epochYear?: number;
}

export interface ReceiptRequest {
  readonly shardId: number;
  /** The shard's sequence number within the local day of timestampMs, from 0. */
  readonly sequence: number;
  readonly timestampMs: number;
}

export type ReceiptResult =
  | { readonly ok: true; readonly receipt: string }
  | {
      readonly ok: false;
      readonly error: 'receipt_sequence_exhausted';
      readonly limit: number;
      readonly message: string;
    };

export interface ReceiptIssuer {
  issue(request: ReceiptRequest): ReceiptResult;
  /**
   * The (shardId, sequence) behind a receipt issued with this key, for support and audits.
   * referenceYear resolves the 26-year wrap of year letters as in parseReceipt.
   */
  decode(
    receipt: string,
    referenceYear?: number,
  ): { readonly shardId: number; readonly sequence: number } | null;
}

interface LocalDate {
  readonly year: number;
  /** 1..12 */
  readonly month: number;
  /** 1..31 */
  readonly day: number;
}

export function localDate(timestampMs: number, utcOffsetMinutes: number): LocalDate {
  const shifted = new Date(timestampMs + utcOffsetMinutes * MS_PER_MINUTE);
  if (Number.isNaN(shifted.getTime())) throw new RangeError(`invalid timestamp: ${timestampMs}`);
  return {
    year: shifted.getUTCFullYear(),
    month: shifted.getUTCMonth() + 1,
    day: shifted.getUTCDate(),
  };
}

/** 'SG6' for 6 July 2024: the three date characters of a receipt. */
export function receiptDatePrefix(date: LocalDate, epochYear = DEFAULT_RECEIPT_EPOCH_YEAR): string {
  const yearIndex = (((date.year - epochYear) % LETTERS.length) + LETTERS.length) % LETTERS.length;
  return LETTERS[yearIndex]! + LETTERS[date.month - 1]! + DAY_CHARACTERS[date.day - 1]!;
}

export function createReceiptIssuer(options: ReceiptIssuerOptions): ReceiptIssuer {
  const key =
    typeof options.key === 'string' ? Buffer.from(options.key, 'utf8') : Buffer.from(options.key);
  if (key.length < RECEIPT_KEY_BYTES_MIN) {
    throw new RangeError(`receipt key must be at least ${RECEIPT_KEY_BYTES_MIN} bytes`);
  }
  const epochYear = options.epochYear ?? DEFAULT_RECEIPT_EPOCH_YEAR;
  // Deriving round keys costs an HMAC; receipts come in runs from the same day, so remember one day.
  let cachedDay = '';
  let cachedKeys: Uint32Array = new Uint32Array(FEISTEL_ROUNDS);
  const roundKeysFor = (date: LocalDate): Uint32Array => {
    const day = `${date.year}-${date.month}-${date.day}`;
    if (day !== cachedDay) {
      cachedKeys = deriveRoundKeys(key, day);
      cachedDay = day;
    }
    return cachedKeys;
  };
  return {
    issue(request) {
      const date = localDate(request.timestampMs, options.utcOffsetMinutes);
      return issueReceipt(request, receiptDatePrefix(date, epochYear), roundKeysFor(date));
    },
    decode(receipt, referenceYear) {
      const parsed =
        referenceYear === undefined
          ? parseReceipt(receipt, { epochYear })
          : parseReceipt(receipt, { epochYear, referenceYear });
      if (!parsed.ok) return null;
      const x = feistelDecrypt(fromBase36(parsed.suffix), roundKeysFor(parsed));
      const shardId = Math.floor(x / RECEIPTS_PER_SHARD_PER_DAY_MAX);
      // The last few suffixes of the space belong to no shard: such a receipt was never issued.
      if (shardId >= RECEIPT_SHARDS_MAX) return null;
      return { shardId, sequence: x % RECEIPTS_PER_SHARD_PER_DAY_MAX };
    },
  };
}

function issueReceipt(
  request: ReceiptRequest,
  prefix: string,
  roundKeys: Uint32Array,
): ReceiptResult {
  const { shardId, sequence } = request;
  // A wrong shard id or a negative sequence is a wiring bug; running out of sequence is an
  // operating condition the service must handle (move load to another shard).
  if (!Number.isSafeInteger(shardId) || shardId < 0 || shardId >= RECEIPT_SHARDS_MAX) {
    throw new RangeError(`shardId must be 0..${RECEIPT_SHARDS_MAX - 1}: ${shardId}`);
  }
  if (!Number.isSafeInteger(sequence) || sequence < 0) {
    throw new RangeError(`sequence must be a non-negative integer: ${sequence}`);
  }
  if (sequence >= RECEIPTS_PER_SHARD_PER_DAY_MAX) {
    const limit = RECEIPTS_PER_SHARD_PER_DAY_MAX;
    const message = `shard ${shardId} has used all ${limit} receipts of the day`;
    return { ok: false, error: 'receipt_sequence_exhausted', limit, message };
  }
  const x = shardId * RECEIPTS_PER_SHARD_PER_DAY_MAX + sequence;
  return { ok: true, receipt: prefix + toBase36(feistelEncrypt(x, roundKeys)) };
}

function deriveRoundKeys(key: Buffer, day: string): Uint32Array {
  const digest = createHmac('sha256', key).update(`malipo-receipt-v1:${day}`).digest();
  const keys = new Uint32Array(FEISTEL_ROUNDS);
  for (let i = 0; i < FEISTEL_ROUNDS; i++) keys[i] = digest.readUInt32BE(i * 4);
  return keys;
}

// Round function: murmur3's 32-bit finaliser over the half and the round key. Any function
// works for a Feistel network to be a bijection; this one mixes well and costs nanoseconds.
function roundFunction(half: number, roundKey: number): number {
  let h = (half ^ roundKey) >>> 0;
  h = Math.imul(h ^ (h >>> 16), 0x85ebca6b);
  h = Math.imul(h ^ (h >>> 13), 0xc2b2ae35);
  h ^= h >>> 16;
  return (h >>> 0) % FEISTEL_HALF;
}

function feistelEncrypt(x: number, roundKeys: Uint32Array): number {
  let left = Math.floor(x / FEISTEL_HALF);
  let right = x % FEISTEL_HALF;
  for (let i = 0; i < FEISTEL_ROUNDS; i++) {
    const next = (left + roundFunction(right, roundKeys[i]!)) % FEISTEL_HALF;
    left = right;
    right = next;
  }
  return left * FEISTEL_HALF + right;
}

function feistelDecrypt(y: number, roundKeys: Uint32Array): number {
  let left = Math.floor(y / FEISTEL_HALF);
  let right = y % FEISTEL_HALF;
  for (let i = FEISTEL_ROUNDS - 1; i >= 0; i--) {
    const previous = (right - roundFunction(left, roundKeys[i]!) + FEISTEL_HALF) % FEISTEL_HALF;
    right = left;
    left = previous;
  }
  return left * FEISTEL_HALF + right;
}

function toBase36(value: number): string {
  let text = '';
  let rest = value;
  for (let i = 0; i < RECEIPT_SUFFIX_LENGTH; i++) {
    text = ALPHABET[rest % 36]! + text;
    rest = Math.floor(rest / 36);
  }
  return text;
}

function fromBase36(text: string): number {
  let value = 0;
  for (const char of text) value = value * 36 + ALPHABET.indexOf(char);
  return value;
}

export interface ParsedReceipt extends LocalDate {
  readonly ok: true;
  readonly suffix: string;
}

export interface ParseReceiptOptions {
  readonly epochYear?: number;
  /**
   * Year letters repeat every 26 years. Without a reference year a letter means its year in
   * the first cycle from epochYear (2006–2031); with one, the latest matching year not after it.
   */
  readonly referenceYear?: number;
}

const RECEIPT_PATTERN = /^([A-Z])([A-L])([1-9A-V])([0-9A-Z]{7})$/;

/** Decodes and validates a receipt's date characters (the calendar date must exist). */
export function parseReceipt(
  receipt: string,
  options: ParseReceiptOptions = {},
):
  | ParsedReceipt
  | { readonly ok: false; readonly error: 'invalid_receipt'; readonly message: string } {
  const match = RECEIPT_PATTERN.exec(receipt);
  if (match === null) {
    return {
      ok: false,
      error: 'invalid_receipt',
      message: `'${receipt.slice(0, 32)}' is not a receipt ID`,
    };
  }
  const [, yearChar, monthChar, dayChar, suffix] = match as unknown as [
    string,
    string,
    string,
    string,
    string,
  ];
  const epochYear = options.epochYear ?? DEFAULT_RECEIPT_EPOCH_YEAR;
  const firstCycleYear = epochYear + LETTERS.indexOf(yearChar);
  const year =
    options.referenceYear === undefined
      ? firstCycleYear
      : firstCycleYear +
        LETTERS.length * Math.floor((options.referenceYear - firstCycleYear) / LETTERS.length);
  const month = LETTERS.indexOf(monthChar) + 1;
  const day = DAY_CHARACTERS.indexOf(dayChar) + 1;
  const check = new Date(Date.UTC(year, month - 1, day));
  if (check.getUTCMonth() !== month - 1) {
    return {
      ok: false,
      error: 'invalid_receipt',
      message: `'${receipt}' names a date that does not exist`,
    };
  }
  return { ok: true, year, month, day, suffix };
}
