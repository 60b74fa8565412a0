// A channel process's one persistent connection to the owner. Commands go out in batches
// (FrameWriter); each waits for the reply with its id. When the connection drops, every command
// in flight fails with OwnerUnavailableError at once (the channel answers Daraja's 503, and the
// partner's retry meets the owner's idempotency), and the link reconnects with a bounded backoff,
// also to an owner that restarted.
import { connect, type Socket } from 'node:net';
import { type Frame, FrameReader, FrameWriter } from './framing.ts';

/** Commands waiting for the owner; past this a request is answered 503 at once. */
export const COMMANDS_IN_FLIGHT_MAX = 10_000;
const RECONNECT_DELAY_MS_MIN = 50;
const RECONNECT_DELAY_MS_MAX = 1_000;
/** Frame ids wrap well below u32's limit. */
const FRAME_ID_MODULUS = 0x7fff_ffff;

/** The owner cannot take the command now (not connected, cut off mid-flight, or saturated). */
export class OwnerUnavailableError extends Error {
  override readonly name = 'OwnerUnavailableError';
}

interface Waiting {
  resolve(frame: Frame): void;
  reject(error: Error): void;
}

export class OwnerLink {
  readonly #socketPath: string;
  readonly #waiting = new Map<number, Waiting>();
  #socket: Socket | null = null;
  #writer: FrameWriter | null = null;
  #nextId = 1;
  #delayMs = RECONNECT_DELAY_MS_MIN;
  #closed = false;
  #connected: Promise<void>;
  #onConnected: () => void = () => {};
  /** Commands sent and the writes that carried them. */
  readonly counters = { frames: 0, batches: 0 };

  constructor(socketPath: string) {
    this.#socketPath = socketPath;
    this.#connected = new Promise((resolve) => {
      this.#onConnected = resolve;
    });
    this.#connect();
  }

  /** Resolves once the first connection is up. */
  ready(): Promise<void> {
    return this.#connected;
  }

  get connected(): boolean {
    return this.#writer !== null;
  }

  request(kind: number, body: string | Uint8Array): Promise<Frame> {
    const writer = this.#writer;
    if (writer === null) return Promise.reject(new OwnerUnavailableError('owner not connected'));
    if (this.#waiting.size >= COMMANDS_IN_FLIGHT_MAX)
      return Promise.reject(new OwnerUnavailableError('too many commands in flight'));
    const id = this.#nextId;
    this.#nextId = (this.#nextId % FRAME_ID_MODULUS) + 1;
    return new Promise<Frame>((resolve, reject) => {
      this.#waiting.set(id, { resolve, reject });
      writer.push({ id, kind, status: 0, body });
    });
  }

  close(): void {
    this.#closed = true;
    this.#socket?.destroy();
  }

  #connect(): void {
    const socket = connect(this.#socketPath);
    socket.setNoDelay(true);
    const reader = new FrameReader((frame) => {
      const waiting = this.#waiting.get(frame.id);
      this.#waiting.delete(frame.id);
      waiting?.resolve(frame);
    });
    socket.on('connect', () => {
      this.#socket = socket;
      this.#writer = new FrameWriter(socket, this.counters);
      this.#delayMs = RECONNECT_DELAY_MS_MIN;
      this.#onConnected();
    });
    socket.on('data', (chunk: Buffer) => {
      try {
        reader.push(chunk);
      } catch {
        socket.destroy();
      }
    });
    socket.on('error', () => {});
    socket.on('close', () => this.#lost(socket));
  }

  #lost(socket: Socket): void {
    if (this.#socket === socket) {
      this.#writer?.discard();
      this.#writer = null;
      this.#socket = null;
    }
    const cut = [...this.#waiting.values()];
    this.#waiting.clear();
    for (const waiting of cut) waiting.reject(new OwnerUnavailableError('owner connection lost'));
    if (this.#closed) return;
    setTimeout(() => this.#connect(), this.#delayMs).unref();
    this.#delayMs = Math.min(this.#delayMs * 2, RECONNECT_DELAY_MS_MAX);
  }
}
