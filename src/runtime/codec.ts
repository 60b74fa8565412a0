// Bounds-checked binary fields for command and reply bodies (decision 0031). A body is a fixed
// sequence of fields per frame kind, no keys and no JSON. Laid out as
//
//   u8 string count | u16 fixed bytes | u16 length of each string (UTF-16 units) | fixed | text
//
// where the fixed fields (u8, f64 numbers, tags) come in the order they were written, the
// strings in theirs, as one UTF-8 run: the reader decodes it with one native call and slices it, instead
// of one call per field (which made a per-field decoder slower than V8's JSON.parse). Every read
// checks the bytes are there and the lengths add up, so a truncated or hostile body is a
// CodecError, never a read past the end or a huge allocation.

/** A body that does not hold what its kind promises: truncated, or not from a peer of ours. */
export class CodecError extends Error {
  override readonly name = 'CodecError';
}

/** Strings per body and UTF-16 units per string: far above a Daraja request's. */
export const CODEC_STRINGS_MAX = 255;
export const CODEC_STRING_UNITS_MAX = 0xffff;

const TAG_NULL = 0;
const TAG_STRING = 1;
const TAG_NUMBER = 2;

export class BodyWriter {
  readonly #strings: string[] = [];
  #fixed: Buffer;
  #at = 0;

  constructor(fixedBytesHint = 64) {
    this.#fixed = Buffer.allocUnsafe(fixedBytesHint);
  }

  #room(bytes: number): number {
    const at = this.#at;
    if (at + bytes > this.#fixed.length) {
      const grown = Buffer.allocUnsafe(Math.max(this.#fixed.length * 2, at + bytes));
      this.#fixed.copy(grown, 0, 0, at);
      this.#fixed = grown;
    }
    this.#at = at + bytes;
    return at;
  }

  u8(value: number): this {
    this.#fixed.writeUInt8(value, this.#room(1));
    return this;
  }

  f64(value: number): this {
    this.#fixed.writeDoubleBE(value, this.#room(8));
    return this;
  }

  /** Overwrites a u8 written earlier (a count known only at the end). */
  setU8(at: number, value: number): this {
    if (at >= this.#at) throw new RangeError(`no fixed byte at ${at}`);
    this.#fixed.writeUInt8(value, at);
    return this;
  }

  string(value: string): this {
    if (value.length > CODEC_STRING_UNITS_MAX)
      throw new RangeError(`string field too long: ${value.length}`);
    if (this.#strings.length === CODEC_STRINGS_MAX) throw new RangeError('too many string fields');
    this.#strings.push(value);
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

  bytes(): Buffer {
    const strings = this.#strings;
    const text = strings.join('');
    const head = 3 + 2 * strings.length;
    if (this.#at > 0xffff) throw new RangeError(`fixed fields too long: ${this.#at}`);
    const buffer = Buffer.allocUnsafe(head + this.#at + Buffer.byteLength(text));
    buffer.writeUInt8(strings.length, 0);
    buffer.writeUInt16BE(this.#at, 1);
    for (let i = 0; i < strings.length; i++)
      buffer.writeUInt16BE((strings[i] as string).length, 3 + 2 * i);
    this.#fixed.copy(buffer, head, 0, this.#at);
    buffer.write(text, head + this.#at, 'utf8');
    return buffer;
  }
}

export class BodyReader {
  readonly #buffer: Buffer;
  readonly #lengths: number[];
  #at: number;
  /** Where the fixed fields end and the text starts. */
  readonly #fixedEnd: number;
  #text: string | null = null;
  #textAt = 0;
  #string = 0;

  constructor(buffer: Buffer) {
    this.#buffer = buffer;
    if (buffer.length < 3) throw new CodecError('body truncated in its header');
    const count = buffer.readUInt8(0);
    const head = 3 + 2 * count;
    this.#fixedEnd = head + buffer.readUInt16BE(1);
    if (buffer.length < this.#fixedEnd) throw new CodecError('body truncated before its text');
    this.#lengths = new Array<number>(count);
    for (let i = 0; i < count; i++) this.#lengths[i] = buffer.readUInt16BE(3 + 2 * i);
    this.#at = head;
  }

  #need(bytes: number): number {
    const at = this.#at;
    if (at + bytes > this.#fixedEnd)
      throw new CodecError(`body truncated: ${bytes} bytes needed at ${at} of ${this.#fixedEnd}`);
    this.#at = at + bytes;
    return at;
  }

  u8(): number {
    return this.#buffer.readUInt8(this.#need(1));
  }

  f64(): number {
    return this.#buffer.readDoubleBE(this.#need(8));
  }

  /** A safe integer (money in cents, a token subject). */
  integer(): number {
    const value = this.f64();
    if (!Number.isSafeInteger(value)) throw new CodecError(`not a safe integer: ${value}`);
    return value;
  }

  string(): string {
    const length = this.#lengths[this.#string];
    if (length === undefined) throw new CodecError('more string fields read than sent');
    this.#string += 1;
    // The whole text in one native call, the first time a string is read.
    this.#text ??= this.#buffer.toString('utf8', this.#fixedEnd);
    const at = this.#textAt;
    if (at + length > this.#text.length) throw new CodecError('body truncated in its text');
    this.#textAt = at + length;
    return this.#text.slice(at, at + length);
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

  /**
   * Throws unless every field was read and the text held exactly the strings: trailing bytes or
   * lengths that do not add up mean the peer meant another layout.
   */
  end(): void {
    if (this.#at !== this.#fixedEnd) throw new CodecError('fixed fields left unread');
    if (this.#string !== this.#lengths.length) throw new CodecError('string fields left unread');
    this.#text ??= this.#buffer.toString('utf8', this.#fixedEnd);
    if (this.#textAt !== this.#text.length) throw new CodecError('trailing text in a body');
  }
}
