// Identifiers in Daraja's formats (§1.0 "Known ID formats"):
//   MerchantRequestID / OriginatorConversationID / error requestId
//                      "2654-4b64-97ff-b827b542881d3130"  (API-proxy style: hex groups + counter)
//   CheckoutRequestID  "ws_CO_1007202409152617172396192"  (ws_CO_ + ddMMyyyyHHmmss + digits)
//   ConversationID     "AG_20191219_00005797af5d7d75f652" (AG_ + yyyyMMdd + _ + 20 hex)
//
// Every ID is a pure function of (seed, nodeId, sequence[, time]), so tests can assert them and a
// replayed request can be given the same IDs. The caller supplies a sequence that is unique per
// nodeId (an outbox or request row id). The hex parts are an HMAC of that triple under the
// deployment's seed: they reveal neither volumes nor order, and with 80-96 bits a collision is
// not a practical concern. CheckoutRequestID ends in the node and sequence digits instead of a
// hash, because its hash part would be too short to stay collision-free at thousands per second.
import { createHmac, randomBytes } from 'node:crypto';
import { localDate, receiptDatePrefix } from '../payments/receipts.ts';
import { formatCompactDate, formatDayFirstCompact, NAIROBI_UTC_OFFSET_MINUTES } from './time.ts';

/** Node ids are three decimal digits inside a CheckoutRequestID. */
export const ID_NODE_MAX = 999;
/** CheckoutRequestIDs stay unique while a node issues fewer than this many per second. */
export const CHECKOUT_SEQUENCE_MODULUS = 100_000_000;
const PROXY_COUNTER_MODULUS = 10_000_000;
export const ID_SEED_BYTES_MIN = 16;

export interface DarajaIdOptions {
  /** Deployment secret (≥ 16 bytes); changing it changes every future ID, never past ones. */
  readonly seed: string | Uint8Array;
  /** This API node, 0..999. */
  readonly nodeId: number;
  /** The market's zone for the date parts; EAT by default. */
  readonly utcOffsetMinutes?: number;
}

export interface DarajaIdGenerator {
  merchantRequestId(sequence: number): string;
  /** Malipo-issued OriginatorConversationID (every initiator API except B2C v3). */
  originatorConversationId(sequence: number): string;
  /** The requestId of an error body. */
  requestId(sequence: number): string;
  checkoutRequestId(sequence: number, atMs: number): string;
  conversationId(sequence: number, atMs: number): string;
  /**
   * A ConversationID and a Malipo-issued OriginatorConversationID from one HMAC (one request
   * needs both): the ConversationID is `conversationId`'s, the other id takes later hash bytes.
   */
  conversationIds(
    sequence: number,
    atMs: number,
  ): { conversationId: string; originatorConversationId: string };
}

function checkSequence(sequence: number): void {
  if (!Number.isSafeInteger(sequence) || sequence < 0) {
    throw new RangeError(`ID sequence must be a non-negative safe integer, got ${sequence}`);
  }
}

export function createDarajaIdGenerator(options: DarajaIdOptions): DarajaIdGenerator {
  const seed =
    typeof options.seed === 'string'
      ? Buffer.from(options.seed, 'utf8')
      : Buffer.from(options.seed);
  if (seed.length < ID_SEED_BYTES_MIN) {
    throw new RangeError(`ID seed must be at least ${ID_SEED_BYTES_MIN} bytes`);
  }
  const { nodeId } = options;
  if (!Number.isSafeInteger(nodeId) || nodeId < 0 || nodeId > ID_NODE_MAX) {
    throw new RangeError(`nodeId must be 0..${ID_NODE_MAX}`);
  }
  const offset = options.utcOffsetMinutes ?? NAIROBI_UTC_OFFSET_MINUTES;
  const hex = (label: string, sequence: number): string => {
    checkSequence(sequence);
    return createHmac('sha256', seed).update(`${label}:${nodeId}:${sequence}`).digest('hex');
  };
  /** 24 hex characters from `h` at `at`, in the API proxy's style, ending in the counter. */
  const proxyFormat = (h: string, at: number, sequence: number): string => {
    const counter = sequence % PROXY_COUNTER_MODULUS;
    return `${h.slice(at, at + 4)}-${h.slice(at + 4, at + 8)}-${h.slice(at + 8, at + 12)}-${h.slice(at + 12, at + 24)}${counter}`;
  };
  const proxyStyle = (label: string, sequence: number): string =>
    proxyFormat(hex(label, sequence), 0, sequence);
  const dated = (atMs: number, h: string) =>
    `AG_${formatCompactDate(atMs, offset)}_${h.slice(0, 20)}`;
  return {
    merchantRequestId: (sequence) => proxyStyle('merchant', sequence),
    originatorConversationId: (sequence) => proxyStyle('originator', sequence),
    requestId: (sequence) => proxyStyle('request', sequence),
    checkoutRequestId(sequence, atMs) {
      checkSequence(sequence);
      const node = String(nodeId).padStart(3, '0');
      const counter = String(sequence % CHECKOUT_SEQUENCE_MODULUS).padStart(8, '0');
      return `ws_CO_${formatDayFirstCompact(atMs, offset)}${node}${counter}`;
    },
    conversationId: (sequence, atMs) => dated(atMs, hex('conversation', sequence)),
    conversationIds(sequence, atMs) {
      const h = hex('conversation', sequence);
      // Hex 20..43: bytes the ConversationID does not show (an HMAC's bytes are independent).
      return {
        conversationId: dated(atMs, h),
        originatorConversationId: proxyFormat(h, 20, sequence),
      };
    },
  };
}

/**
 * The TransactionID Daraja puts in a failed result: the receipt's three date characters then
 * seven zeros ("SKE0000000"), since no receipt was issued.
 */
export function placeholderTransactionId(
  atMs: number,
  utcOffsetMinutes = NAIROBI_UTC_OFFSET_MINUTES,
): string {
  return `${receiptDatePrefix(localDate(atMs, utcOffsetMinutes))}0000000`;
}

/** Daraja's tokens are 28 letters and digits ("c9SQxWWhmdVRlyh0zh8gZDTkubVF"): ~166 bits. */
export const ACCESS_TOKEN_CHARS = 28;
const TOKEN_ALPHABET = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789';
/** 62 × 4 = 248: bytes at or above it are skipped so every character is equally likely. */
const TOKEN_BYTE_LIMIT = 248;
/** Each draw of 56 bytes yields ~54 usable ones; needing a second draw is already rare. */
const TOKEN_DRAWS_MAX = 8;

/** A fresh OAuth access token. Random, not derived: it is a bearer secret. */
export function newAccessToken(): string {
  let token = '';
  for (let draw = 0; draw < TOKEN_DRAWS_MAX && token.length < ACCESS_TOKEN_CHARS; draw++) {
    for (const byte of randomBytes(ACCESS_TOKEN_CHARS * 2)) {
      if (byte < TOKEN_BYTE_LIMIT && token.length < ACCESS_TOKEN_CHARS) {
        token += TOKEN_ALPHABET[byte % TOKEN_ALPHABET.length];
      }
    }
  }
  if (token.length < ACCESS_TOKEN_CHARS) throw new Error('random source returned too few bytes');
  return token;
}
