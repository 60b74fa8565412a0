// The open-loop load generator of `npm run bench:api`: requests leave on a fixed timeline (request
// i is due at start + i / rate) whether or not earlier ones have been answered, and each latency is
// measured from the request's *scheduled* time, so a stalled server is charged for the queue it
// causes (no coordinated omission). A request that finds every connection busy waits in a bounded
// queue, its clock already running.
//
// Why a hand-written HTTP/1.1 client: the generator shares two cores with the server and the
// callback receiver, so every microsecond it spends is taken from the system under test. node:http
// costs ~30–40 µs per request on this machine and autocannon ~20 µs (and is closed-loop); writing
// one prebuilt request string on a kept-alive socket and reading a Content-Length answer costs a
// few. It speaks only what the two servers measured here answer: HTTP/1.1 with Content-Length.

import { connect, type Socket } from 'node:net';
import { performance } from 'node:perf_hooks';

/** One request as the generator sends it: the whole HTTP message, prebuilt. */
export interface PreparedRequest {
  readonly message: string;
  /** Caller's category, for per-kind latency (0..KINDS_MAX-1). */
  readonly kind: number;
}

export interface Answer {
  readonly index: number;
  readonly kind: number;
  readonly status: number;
  readonly body: Buffer;
  /** Wall-clock ms (performance.timeOrigin + now) when the answer was complete. */
  readonly answeredAtWallMs: number;
  readonly latencyMs: number;
}

export interface OpenLoopPlan {
  readonly host: string;
  readonly port: number;
  readonly ratePerSecond: number;
  readonly durationMs: number;
  /** Builds request i when it is due (cheap: called on the generator's hot path). */
  make(index: number): PreparedRequest;
  /** Told of every complete answer, any status. */
  onAnswer?(answer: Answer): void;
  /** Most sockets open at once; beyond it due requests queue. */
  readonly connectionsMax?: number;
  /** An unanswered request is abandoned (and counted as a time-out) after this long. */
  readonly timeoutMs?: number;
}

export interface OpenLoopResult {
  readonly scheduled: number;
  readonly answered: number;
  /** Answers by HTTP status. */
  readonly statuses: Record<number, number>;
  readonly networkErrors: number;
  readonly timeouts: number;
  /** Requests dropped because the wait queue was full (the generator gave up, not the server). */
  readonly dropped: number;
  /** Latency from the scheduled time, ms, for each answered request (any status). */
  readonly latenciesMs: Float64Array;
  readonly kinds: Uint8Array;
  readonly elapsedMs: number;
  readonly connectionsOpened: number;
  readonly queuedMax: number;
  /** How late the generator itself sent requests (scheduled → written), p99 ms: its own lag. */
  readonly sendLagP99Ms: number;
}

export const KINDS_MAX = 8;
const CONNECTIONS_MAX_DEFAULT = 512;
const TIMEOUT_MS_DEFAULT = 10_000;
/** Due requests waiting for a socket; beyond it they are dropped and counted. */
const WAIT_QUEUE_MAX = 200_000;
const TICK_MS = 1;
const SWEEP_INTERVAL_MS = 100;
const HEADER_END = Buffer.from('\r\n\r\n');
/** Answers whose headers are larger than this are a protocol error here. */
const HEADER_BYTES_MAX = 8 * 1024;

export const wallNowMs = (): number => performance.timeOrigin + performance.now();

/** Builds a POST message once; `headers` are extra header lines without the final CRLF. */
export function postMessage(host: string, path: string, body: string, headers = ''): string {
  return (
    `POST ${path} HTTP/1.1\r\nHost: ${host}\r\n${headers}` +
    `Content-Type: application/json\r\nContent-Length: ${Buffer.byteLength(body)}\r\n\r\n${body}`
  );
}

interface InFlight {
  index: number;
  kind: number;
  scheduledAt: number;
  sentAt: number;
  message: string;
}

class Connection {
  readonly socket: Socket;
  current: InFlight | null = null;
  pending: Buffer | null = null;
  dead = false;

  constructor(
    host: string,
    port: number,
    readonly onAnswer: (c: Connection, status: number, body: Buffer, close: boolean) => void,
    readonly onFail: (c: Connection, error: string) => void,
  ) {
    this.socket = connect({ host, port, noDelay: true });
    this.socket.on('data', (chunk: Buffer) => this.read(chunk));
    this.socket.on('error', (error) => this.fail(error.message));
    this.socket.on('close', () => this.fail('closed'));
  }

  send(request: InFlight): void {
    this.current = request;
    this.socket.write(request.message, 'latin1');
  }

  fail(error: string): void {
    if (this.dead) return;
    this.dead = true;
    this.socket.destroy();
    this.onFail(this, error);
  }

  private read(chunk: Buffer): void {
    let buffer = this.pending === null ? chunk : Buffer.concat([this.pending, chunk]);
    this.pending = null;
    while (buffer.length > 0) {
      const headerEnd = buffer.indexOf(HEADER_END);
      if (headerEnd < 0) {
        if (buffer.length > HEADER_BYTES_MAX) this.fail('answer headers too large');
        else this.pending = buffer;
        return;
      }
      const head = buffer.toString('latin1', 0, headerEnd).toLowerCase();
      const status = Number(head.slice(9, 12));
      const lengthAt = head.indexOf('\r\ncontent-length:');
      if (lengthAt < 0) {
        this.fail('answer without content-length');
        return;
      }
      const length = Number.parseInt(head.slice(lengthAt + 17), 10);
      const bodyStart = headerEnd + 4;
      if (buffer.length < bodyStart + length) {
        this.pending = buffer;
        return;
      }
      const body = buffer.subarray(bodyStart, bodyStart + length);
      const close = head.includes('\r\nconnection: close');
      buffer = buffer.subarray(bodyStart + length);
      this.onAnswer(this, status, body, close);
      if (close) return;
    }
  }
}

/** Runs one open-loop step and resolves when every request was answered, failed or timed out. */
export function runOpenLoop(plan: OpenLoopPlan): Promise<OpenLoopResult> {
  const total = Math.max(1, Math.round((plan.ratePerSecond * plan.durationMs) / 1000));
  const intervalMs = 1000 / plan.ratePerSecond;
  const connectionsMax = plan.connectionsMax ?? CONNECTIONS_MAX_DEFAULT;
  const timeoutMs = plan.timeoutMs ?? TIMEOUT_MS_DEFAULT;
  const latenciesMs = new Float64Array(total);
  const kinds = new Uint8Array(total);
  const sendLagsMs = new Float64Array(total);
  const statuses: Record<number, number> = {};
  const free: Connection[] = [];
  const busy = new Set<Connection>();
  const waiting: InFlight[] = [];
  let waitingHead = 0;
  let open = 0;
  let opened = 0;
  let next = 0;
  let finished = 0;
  let answered = 0;
  let networkErrors = 0;
  let timeouts = 0;
  let dropped = 0;
  let queuedMax = 0;
  let start = 0;

  return new Promise((resolve) => {
    const finishOne = () => {
      finished++;
      if (finished === total) done();
    };
    const dispatch = (connection: Connection, request: InFlight) => {
      request.sentAt = performance.now();
      sendLagsMs[request.index] = request.sentAt - request.scheduledAt;
      busy.add(connection);
      connection.send(request);
    };
    const release = (connection: Connection) => {
      busy.delete(connection);
      if (waitingHead < waiting.length) {
        const request = waiting[waitingHead];
        waiting[waitingHead++] = undefined as unknown as InFlight;
        if (waitingHead > 4096 && waitingHead * 2 > waiting.length) {
          waiting.splice(0, waitingHead);
          waitingHead = 0;
        }
        dispatch(connection, request);
      } else {
        free.push(connection);
      }
    };
    const onAnswer = (connection: Connection, status: number, body: Buffer, close: boolean) => {
      const request = connection.current;
      if (request === null) return connection.fail('answer without a request');
      connection.current = null;
      const now = performance.now();
      const latency = now - request.scheduledAt;
      latenciesMs[answered] = latency;
      kinds[answered] = request.kind;
      answered++;
      statuses[status] = (statuses[status] ?? 0) + 1;
      plan.onAnswer?.({
        index: request.index,
        kind: request.kind,
        status,
        body,
        answeredAtWallMs: performance.timeOrigin + now,
        latencyMs: latency,
      });
      finishOne();
      if (close) connection.fail('closed by server');
      else release(connection);
    };
    const onFail = (connection: Connection, error: string) => {
      busy.delete(connection);
      const at = free.indexOf(connection);
      if (at >= 0) free.splice(at, 1);
      open--;
      const request = connection.current;
      connection.current = null;
      if (request !== null) {
        if (error === 'timeout') timeouts++;
        else networkErrors++;
        finishOne();
      }
      // Queued requests would otherwise wait for a release that this socket will never give.
      if (waitingHead < waiting.length && finished < total) {
        const replacement = connectionFor();
        if (replacement !== null) release(replacement);
      }
    };
    const connectionFor = (): Connection | null => {
      const reused = free.pop();
      if (reused !== undefined) return reused;
      if (open >= connectionsMax) return null;
      open++;
      opened++;
      return new Connection(plan.host, plan.port, onAnswer, onFail);
    };
    const issue = (index: number, scheduledAt: number) => {
      const prepared = plan.make(index);
      const request: InFlight = {
        index,
        kind: prepared.kind,
        scheduledAt,
        sentAt: 0,
        message: prepared.message,
      };
      const connection = connectionFor();
      if (connection !== null) return dispatch(connection, request);
      if (waiting.length - waitingHead >= WAIT_QUEUE_MAX) {
        dropped++;
        return finishOne();
      }
      waiting.push(request);
      queuedMax = Math.max(queuedMax, waiting.length - waitingHead);
    };
    const tick = () => {
      const now = performance.now();
      while (next < total && start + next * intervalMs <= now) {
        issue(next, start + next * intervalMs);
        next++;
      }
      if (next < total) setTimeout(tick, TICK_MS);
    };
    const sweep = setInterval(() => {
      const now = performance.now();
      for (const connection of busy) {
        const request = connection.current;
        if (request !== null && now - request.sentAt > timeoutMs) connection.fail('timeout');
      }
      // Waiting requests time out too: their clocks started at their scheduled time.
      while (waitingHead < waiting.length && now - waiting[waitingHead].scheduledAt > timeoutMs) {
        waiting[waitingHead++] = undefined as unknown as InFlight;
        timeouts++;
        finishOne();
      }
    }, SWEEP_INTERVAL_MS);
    const done = () => {
      clearInterval(sweep);
      for (const connection of [...free, ...busy]) {
        connection.dead = true;
        connection.socket.destroy();
      }
      const sentLags = sendLagsMs.slice().sort();
      resolve({
        scheduled: total,
        answered,
        statuses,
        networkErrors,
        timeouts,
        dropped,
        latenciesMs: latenciesMs.subarray(0, answered),
        kinds: kinds.subarray(0, answered),
        elapsedMs: performance.now() - start,
        connectionsOpened: opened,
        queuedMax,
        sendLagP99Ms: sentLags[Math.min(sentLags.length - 1, Math.floor(sentLags.length * 0.99))],
      });
    };
    start = performance.now();
    tick();
  });
}

/** The p-quantile (0..1) of unsorted values; NaN when empty. */
export function percentileOf(values: Float64Array, p: number): number {
  if (values.length === 0) return Number.NaN;
  const sorted = values.slice().sort();
  return sorted[Math.min(sorted.length - 1, Math.floor(sorted.length * p))];
}
