// The ILP v4 Prepare packet in its OER encoding (Interledger RFC 27 and RFC 30), the form
// Mojaloop's SDK puts in `ilpPacket` (it uses the `ilp-packet` library; this is the same encoding
// in ~100 lines, checked in ilp.test.ts against bytes that library produced). Decoding is strict:
// one canonical encoding per packet, nothing trailing, every field in range, or null.
//
//   type (1 byte, 12) · length-prefixed envelope:
//     amount UInt64 BE · expiresAt 17 ASCII digits YYYYMMDDHHmmssSSS (UTC) ·
//     executionCondition 32 bytes · destination var-octet-string (ILP address) ·
//     data var-octet-string

export interface IlpPrepare {
  amount: bigint;
  expiresAt: Date;
  executionCondition: Buffer;
  destination: string;
  data: Buffer;
}

const TYPE_PREPARE = 12;
const CONDITION_BYTES = 32;
const TIMESTAMP_CHARS = 17;
const UINT64_MAX = (1n << 64n) - 1n;
/** RFC 27: a Prepare's data is at most 32 767 bytes. */
export const ILP_DATA_BYTES_MAX = 32_767;
/** RFC 15: scheme prefix, then dot-separated segments; at most 1 023 characters. */
const ILP_ADDRESS = /^(g|private|example|peer|self|test[1-3]?|local)([.][a-zA-Z0-9_~-]+)+$/;
const ILP_ADDRESS_CHARS_MAX = 1023;
/** Length prefixes longer than this many bytes cannot describe a packet we accept. */
const LENGTH_BYTES_MAX = 3;

/** OER length determinant: short form below 128, else 0x80 | n followed by n bytes. */
function lengthPrefix(length: number): Buffer {
  if (length < 0x80) return Buffer.from([length]);
  const bytes: number[] = [];
  for (let n = length; n > 0; n = Math.floor(n / 256)) bytes.unshift(n % 256);
  return Buffer.from([0x80 | bytes.length, ...bytes]);
}

function varOctets(bytes: Buffer): Buffer {
  return Buffer.concat([lengthPrefix(bytes.length), bytes]);
}

function timestamp(date: Date): string {
  const iso = date.toISOString(); // 2026-12-08T02:30:00.123Z
  if (iso.length !== 24) throw new Error(`ILP timestamps need a four-digit year: ${iso}`);
  return iso.replace(/[-:TZ.]/g, '');
}

export function encodePrepare(prepare: IlpPrepare): Buffer {
  if (prepare.amount < 0n || prepare.amount > UINT64_MAX)
    throw new Error('ILP amount out of range');
  if (prepare.executionCondition.length !== CONDITION_BYTES)
    throw new Error('an ILP condition is 32 bytes');
  if (!isAddress(prepare.destination))
    throw new Error(`not an ILP address: ${prepare.destination}`);
  if (prepare.data.length > ILP_DATA_BYTES_MAX) throw new Error('ILP data too large');
  const amount = Buffer.alloc(8);
  amount.writeBigUInt64BE(prepare.amount);
  const envelope = Buffer.concat([
    amount,
    Buffer.from(timestamp(prepare.expiresAt), 'ascii'),
    prepare.executionCondition,
    varOctets(Buffer.from(prepare.destination, 'ascii')),
    varOctets(prepare.data),
  ]);
  return Buffer.concat([Buffer.from([TYPE_PREPARE]), varOctets(envelope)]);
}

/** A strict reader: every read checks bounds; a failed read makes the whole decode null. */
class Reader {
  offset = 0;
  constructor(private readonly bytes: Buffer) {}

  take(count: number): Buffer | null {
    if (count < 0 || this.offset + count > this.bytes.length) return null;
    const out = this.bytes.subarray(this.offset, this.offset + count);
    this.offset += count;
    return out;
  }

  /** A canonical OER length: the short form when it fits, no leading zero bytes otherwise. */
  length(): number | null {
    const first = this.take(1);
    if (first === null) return null;
    if (first[0] < 0x80) return first[0];
    const count = first[0] & 0x7f;
    if (count === 0 || count > LENGTH_BYTES_MAX) return null;
    const bytes = this.take(count);
    if (bytes === null || bytes[0] === 0) return null;
    const length = bytes.reduce((n, b) => n * 256 + b, 0);
    return length < 0x80 ? null : length;
  }

  varOctets(): Buffer | null {
    const length = this.length();
    return length === null ? null : this.take(length);
  }

  get done(): boolean {
    return this.offset === this.bytes.length;
  }
}

export function decodePrepare(bytes: Buffer): IlpPrepare | null {
  const outer = new Reader(bytes);
  const type = outer.take(1);
  if (type === null || type[0] !== TYPE_PREPARE) return null;
  const envelope = outer.varOctets();
  if (envelope === null || !outer.done) return null;
  const r = new Reader(envelope);
  const amount = r.take(8);
  const expires = r.take(TIMESTAMP_CHARS);
  const executionCondition = r.take(CONDITION_BYTES);
  const destination = r.varOctets();
  const data = r.varOctets();
  if (amount === null || expires === null || executionCondition === null) return null;
  if (destination === null || data === null || !r.done) return null;
  const expiresAt = parseTimestamp(expires.toString('latin1'));
  const address = destination.toString('latin1');
  if (expiresAt === null || !isAddress(address) || data.length > ILP_DATA_BYTES_MAX) return null;
  return {
    amount: amount.readBigUInt64BE(),
    expiresAt,
    executionCondition: Buffer.from(executionCondition),
    destination: address,
    data: Buffer.from(data),
  };
}

function parseTimestamp(text: string): Date | null {
  const m = /^(\d{4})(\d{2})(\d{2})(\d{2})(\d{2})(\d{2})(\d{3})$/.exec(text);
  if (m === null) return null;
  const iso = `${m[1]}-${m[2]}-${m[3]}T${m[4]}:${m[5]}:${m[6]}.${m[7]}Z`;
  const date = new Date(iso);
  // Reject impossible dates (Feb 30) that Date would roll over instead of refusing.
  return Number.isNaN(date.getTime()) || date.toISOString() !== iso ? null : date;
}

function isAddress(address: string): boolean {
  return address.length <= ILP_ADDRESS_CHARS_MAX && ILP_ADDRESS.test(address);
}
