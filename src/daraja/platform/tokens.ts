// Access tokens and portal session tokens, signed rather than stored.
//
// Why signed: Daraja keeps every issued token valid for its hour even after a newer one is issued,
// and popular clients fetch a token before every call. A table of live tokens would grow with
// traffic and vanish on restart (logging partners out mid-hour); a token that carries its subject
// and expiry under an HMAC needs neither memory nor storage, and survives restarts. It looks like
// Daraja's: 28 letters and digits.
//
// Layout (20 bytes → 28 base-62 characters): subject u32 | expiry (epoch seconds) u32 |
// purpose u16 | HMAC-SHA-256 truncated to 10 bytes (80 bits: forging one takes ~2^80 tries, and
// tries are rate-limited).
import { createHmac, timingSafeEqual } from 'node:crypto';

export const TOKEN_CHARS = 28;
const PAYLOAD_BYTES = 10;
const MAC_BYTES = 10;
const TOKEN_BYTES = PAYLOAD_BYTES + MAC_BYTES;
const ALPHABET = '0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz';
const BASE = 62n;
const U32_MAX = 0xffff_ffff;
export const TOKEN_KEY_CHARS_MIN = 16;

/** What a token is for: an access token cannot be replayed as a portal session. */
export const TOKEN_PURPOSE = { access: 1, portal: 2 } as const;
export type TokenPurpose = keyof typeof TOKEN_PURPOSE;

export interface TokenClaims {
  readonly subject: number;
  readonly expiresAtMs: number;
}

export interface TokenCodec {
  issue(purpose: TokenPurpose, subject: number, expiresAtMs: number): string;
  /** The claims of a well-formed, authentic, unexpired token; null otherwise. */
  verify(purpose: TokenPurpose, token: string, nowMs: number): TokenClaims | null;
}

export function createTokenCodec(key: string): TokenCodec {
  if (key.length < TOKEN_KEY_CHARS_MIN) throw new RangeError('token key too short');
  const mac = (payload: Buffer) =>
    createHmac('sha256', key).update(payload).digest().subarray(0, MAC_BYTES);
  return {
    issue(purpose, subject, expiresAtMs) {
      const expiresAtS = Math.ceil(expiresAtMs / 1000);
      if (!Number.isSafeInteger(subject) || subject < 0 || subject > U32_MAX)
        throw new RangeError(`token subject out of range: ${subject}`);
      if (expiresAtS < 0 || expiresAtS > U32_MAX) throw new RangeError('token expiry out of range');
      const payload = Buffer.alloc(PAYLOAD_BYTES);
      payload.writeUInt32BE(subject, 0);
      payload.writeUInt32BE(expiresAtS, 4);
      payload.writeUInt16BE(TOKEN_PURPOSE[purpose], 8);
      return toBase62(Buffer.concat([payload, mac(payload)]));
    },
    verify(purpose, token, nowMs) {
      const bytes = fromBase62(token);
      if (bytes === null) return null;
      const payload = bytes.subarray(0, PAYLOAD_BYTES);
      if (!timingSafeEqual(mac(payload), bytes.subarray(PAYLOAD_BYTES))) return null;
      if (payload.readUInt16BE(8) !== TOKEN_PURPOSE[purpose]) return null;
      const expiresAtMs = payload.readUInt32BE(4) * 1000;
      if (expiresAtMs <= nowMs) return null;
      return { subject: payload.readUInt32BE(0), expiresAtMs };
    },
  };
}

function toBase62(bytes: Buffer): string {
  let n = BigInt(`0x${bytes.toString('hex')}`);
  let text = '';
  while (n > 0n) {
    text = ALPHABET[Number(n % BASE)] + text;
    n /= BASE;
  }
  return text.padStart(TOKEN_CHARS, '0');
}

function fromBase62(text: string): Buffer | null {
  if (text.length !== TOKEN_CHARS || !/^[0-9A-Za-z]+$/.test(text)) return null;
  let n = 0n;
  for (const ch of text) n = n * BASE + BigInt(ALPHABET.indexOf(ch));
  const hex = n.toString(16);
  if (hex.length > TOKEN_BYTES * 2) return null;
  return Buffer.from(hex.padStart(TOKEN_BYTES * 2, '0'), 'hex');
}
