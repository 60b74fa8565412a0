// Bounds-checked binary fields for command and reply bodies (decision 0031). A body is a fixed
// sequence of fields per frame kind, no keys and no JSON: strings are u16 length + UTF-8, money
// and other numbers are float64 (safe integers only where the kind says so), null is a tag.
// Every read checks the bytes are there, so a truncated or hostile body is a CodecError, never
// a read past the end or a huge allocation.

/** A body that does not hold what its kind promises: truncated, or not from a peer of ours. */
export class CodecError extends Error {
  override readonly name = 'CodecError';
}

/** Longest string field: Daraja fields are ≤ a few hundred bytes (URLs ≤ 2 KiB). */
export const CODEC_STRING_BYTES_MAX = 0xffff;

const TAG_NULL = 0;
const TAG_STRING = 1;
const TAG_NUMBER = 2;

export class BodyWriter {
  #buffer: Buffer;
  #at = 0;

  constructor(sizeHint = 256) {
    this.#buffer = Buffer.allocUnsafe(sizeHint);
  }

  #room(bytes: number): void {
    if (this.#at + bytes <= this.#buffer.length) return;
    const grown = Buffer.allocUnsafe(Math.max(this.#buffer.length * 2, this.#at + bytes));
    this.#buffer.copy(grown, 0, 0, this.#at);
    this.#buffer = grown;
  }

  u8(value: number): this {
    this.#room(1);
    this.#buffer.writeUInt8(value, this.#at);
    this.#at += 1;
    return this;
  }

  u32(value: number): this {
    this.#room(4);
    this.#buffer.writeUInt32BE(value, this.#at);
    this.#at += 4;
    return this;
  }

  f64(value: number): this {
    this.#room(8);
    this.#buffer.writeDoubleBE(value, this.#at);
    this.#at += 8;
    return this;
  }

  string(value: string): this {
    // UTF-8 takes at most 3 bytes per UTF-16 unit.
    this.#room(2 + value.length * 3);
    const bytes = this.#buffer.write(value, this.#at + 2, 'utf8');
    if (bytes > CODEC_STRING_BYTES_MAX) throw new RangeError(`string field too long: ${bytes}`);
    this.#buffer.writeUInt16BE(bytes, this.#at);
    this.#at += 2 + bytes;
    return this;
  }

  nullableString(value: string | null): this {
    if (value === null) return this.u8(TAG_NULL);
    return this.u8(TAG_STRING).string(value);
  }

  /** A string, a finite number or null, tagged. */
  scalar(value: string | number | null): this {
    if (value === null) return this.u8(TAG_NULL);
    if (typeof value === 'string') return this.u8(TAG_STRING).string(value);
    return this.u8(TAG_NUMBER).f64(value);
  }

  /** The bytes written (a view of the writer's buffer). */
  bytes(): Buffer {
    return this.#buffer.subarray(0, this.#at);
  }
}

export class BodyReader {
  #at = 0;

  constructor(private readonly buffer: Buffer) {}

  #need(bytes: number): number {
    const at = this.#at;
    if (at + bytes > this.buffer.length)
      throw new CodecError(
        `body truncated: ${bytes} bytes needed at ${at} of ${this.buffer.length}`,
      );
    this.#at = at + bytes;
    return at;
  }

  u8(): number {
    return this.buffer.readUInt8(this.#need(1));
  }

  u32(): number {
    return this.buffer.readUInt32BE(this.#need(4));
  }

  f64(): number {
    return this.buffer.readDoubleBE(this.#need(8));
  }

  /** A safe integer (money in cents, a token subject). */
  integer(): number {
    const value = this.f64();
    if (!Number.isSafeInteger(value)) throw new CodecError(`not a safe integer: ${value}`);
    return value;
  }

  string(): string {
    const length = this.buffer.readUInt16BE(this.#need(2));
    const at = this.#need(length);
    return this.buffer.toString('utf8', at, at + length);
  }

  nullableString(): string | null {
    const tag = this.u8();
    if (tag === TAG_NULL) return null;
    if (tag === TAG_STRING) return this.string();
    throw new CodecError(`bad tag ${tag} for a nullable string`);
  }

  scalar(): string | number | null {
    const tag = this.u8();
    if (tag === TAG_NULL) return null;
    if (tag === TAG_STRING) return this.string();
    if (tag === TAG_NUMBER) {
      const value = this.f64();
      if (!Number.isFinite(value)) throw new CodecError('a number field is not finite');
      return value;
    }
    throw new CodecError(`bad tag ${tag} for a field`);
  }

  /** Throws unless every byte was read: trailing bytes mean the peer meant another layout. */
  end(): void {
    if (this.#at !== this.buffer.length)
      throw new CodecError(`${this.buffer.length - this.#at} trailing bytes in a body`);
  }
}
