// Compact framing for the channel ↔ owner connection. One frame:
//
//   u32 length of the rest | u32 id | u8 kind | u16 status | body (bytes)
//
// A command is kind + body (status 0); its answer carries the same id, a reply kind and the
// HTTP status. What the body holds depends on the kind (commands.ts): the hot commands and
// their outcomes are binary fields (codec.ts), the rest JSON or text as the partner sees it. Frames that are ready in the same turn of the event loop go
// out in one write (FrameWriter), and a read may carry many (FrameReader): under load one
// system call carries a batch of commands or answers, and nothing is structured-cloned.

/** u32 length + u32 id + u8 kind + u16 status. */
export const FRAME_HEADER_BYTES = 11;
/** Bodies are Daraja requests and answers (≤ a few KiB) or USSD screens: 1 MiB is far above. */
export const FRAME_BODY_BYTES_MAX = 1 << 20;
/** A batch is written once it reaches this size even if more frames are queued. */
const BATCH_BYTES_MAX = 256 * 1024;

/** A frame as read: its body is a view of the bytes received (decode it by its kind). */
export interface Frame {
  readonly id: number;
  readonly kind: number;
  readonly status: number;
  readonly body: Buffer;
}

/** A frame to send: a text body goes as UTF-8, a binary one as it is. */
export interface OutgoingFrame {
  readonly id: number;
  readonly kind: number;
  readonly status: number;
  readonly body: string | Uint8Array;
}

export function encodeFrame(frame: OutgoingFrame): Buffer {
  const text = typeof frame.body === 'string';
  const bodyBytes = text ? Buffer.byteLength(frame.body as string) : frame.body.length;
  if (bodyBytes > FRAME_BODY_BYTES_MAX) throw new RangeError(`frame body too large: ${bodyBytes}`);
  const buffer = Buffer.allocUnsafe(FRAME_HEADER_BYTES + bodyBytes);
  buffer.writeUInt32BE(FRAME_HEADER_BYTES - 4 + bodyBytes, 0);
  buffer.writeUInt32BE(frame.id, 4);
  buffer.writeUInt8(frame.kind, 8);
  buffer.writeUInt16BE(frame.status, 9);
  if (text) buffer.write(frame.body as string, FRAME_HEADER_BYTES, 'utf8');
  else buffer.set(frame.body as Uint8Array, FRAME_HEADER_BYTES);
  return buffer;
}

/** Where a FrameWriter's batches go (a net.Socket). */
export interface ByteSink {
  write(data: Buffer): boolean;
}

/** Frames and the writes that carried them (several writers may share one). */
export interface FrameCounters {
  frames: number;
  batches: number;
}

/** Queues frames and writes them together once the current turn of the event loop is over. */
export class FrameWriter {
  #queued: Buffer[] = [];
  #queuedBytes = 0;
  #scheduled: NodeJS.Immediate | null = null;

  constructor(
    private readonly sink: ByteSink,
    readonly counters: FrameCounters = { frames: 0, batches: 0 },
  ) {}

  push(frame: OutgoingFrame): void {
    const buffer = encodeFrame(frame);
    this.#queued.push(buffer);
    this.#queuedBytes += buffer.length;
    this.counters.frames += 1;
    if (this.#queuedBytes >= BATCH_BYTES_MAX) this.flush();
    else this.#scheduled ??= setImmediate(() => this.flush());
  }

  flush(): void {
    if (this.#scheduled !== null) clearImmediate(this.#scheduled);
    this.#scheduled = null;
    if (this.#queued.length === 0) return;
    const batch =
      this.#queued.length === 1
        ? (this.#queued[0] as Buffer)
        : Buffer.concat(this.#queued, this.#queuedBytes);
    this.#queued = [];
    this.#queuedBytes = 0;
    this.counters.batches += 1;
    this.sink.write(batch);
  }

  /** Drops what is queued (the connection is gone). */
  discard(): void {
    if (this.#scheduled !== null) clearImmediate(this.#scheduled);
    this.#scheduled = null;
    this.#queued = [];
    this.#queuedBytes = 0;
  }
}

/** A frame longer than the limit: the peer is not speaking this protocol. */
export class FramingError extends Error {
  override readonly name = 'FramingError';
}

/** Cuts a byte stream into frames; a frame may span reads and a read may hold many frames. */
export class FrameReader {
  #pending: Buffer = Buffer.alloc(0);

  constructor(private readonly onFrame: (frame: Frame) => void) {}

  /** Throws FramingError on a frame no peer of ours would send. */
  push(chunk: Buffer): void {
    let data = this.#pending.length === 0 ? chunk : Buffer.concat([this.#pending, chunk]);
    while (data.length >= 4) {
      const rest = data.readUInt32BE(0);
      if (rest < FRAME_HEADER_BYTES - 4 || rest > FRAME_HEADER_BYTES - 4 + FRAME_BODY_BYTES_MAX)
        throw new FramingError(`frame length ${rest} out of bounds`);
      if (data.length < 4 + rest) break;
      this.onFrame({
        id: data.readUInt32BE(4),
        kind: data.readUInt8(8),
        status: data.readUInt16BE(9),
        body: data.subarray(FRAME_HEADER_BYTES, 4 + rest),
      });
      data = data.subarray(4 + rest);
    }
    // Copy the tail so the (possibly large) chunk it came from is not kept alive.
    this.#pending = data.length === 0 ? Buffer.alloc(0) : Buffer.from(data);
  }
}
