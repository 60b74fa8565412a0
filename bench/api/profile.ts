// CPU profiles for `npm run bench:api`: taken inside the server process over the inspector
// protocol (the main thread directly, worker threads such as the ledger writer through the
// NodeWorker domain), only while asked, so the rest of the run pays nothing; and summarised here
// from the .cpuprofile JSON: self time by function, by file and by area.

import { Session } from 'node:inspector';

interface CallFrame {
  functionName: string;
  url: string;
  lineNumber: number;
}

export interface CpuProfile {
  nodes: { id: number; callFrame: CallFrame; children?: number[] }[];
  samples: number[];
  timeDeltas: number[];
  startTime: number;
  endTime: number;
}

export interface ThreadProfile {
  readonly thread: string;
  readonly profile: CpuProfile;
}

interface WorkerReply {
  id?: number;
  result?: { profile?: CpuProfile };
  error?: { message: string };
}

const WORKER_ATTACH_WAIT_MS = 200;

/** Profiles the process's threads between start() and stop(). */
export class ThreadProfiler {
  readonly #session = new Session();
  readonly #workers = new Map<string, string>();
  readonly #replies = new Map<number, (reply: WorkerReply) => void>();
  #nextId = 1;

  constructor() {
    this.#session.connect();
    this.#session.on('NodeWorker.attachedToWorker', (message) => {
      const params = message.params as { sessionId: string; workerInfo: { title: string } };
      this.#workers.set(params.sessionId, params.workerInfo.title);
    });
    this.#session.on('NodeWorker.detachedFromWorker', (message) => {
      this.#workers.delete((message.params as { sessionId: string }).sessionId);
    });
    this.#session.on('NodeWorker.receivedMessageFromWorker', (message) => {
      const reply = JSON.parse((message.params as { message: string }).message) as WorkerReply;
      if (reply.id === undefined) return;
      this.#replies.get(reply.id)?.(reply);
      this.#replies.delete(reply.id);
    });
  }

  async start(samplingIntervalUs: number): Promise<void> {
    await this.#post('NodeWorker.enable', { waitForDebuggerOnStart: false });
    await new Promise((resolve) => setTimeout(resolve, WORKER_ATTACH_WAIT_MS));
    for (const sessionId of this.#workers.keys()) {
      await this.#toWorker(sessionId, 'Profiler.enable');
      await this.#toWorker(sessionId, 'Profiler.setSamplingInterval', {
        interval: samplingIntervalUs,
      });
      await this.#toWorker(sessionId, 'Profiler.start');
    }
    await this.#post('Profiler.enable');
    await this.#post('Profiler.setSamplingInterval', { interval: samplingIntervalUs });
    await this.#post('Profiler.start');
  }

  async stop(): Promise<ThreadProfile[]> {
    const main = (await this.#post('Profiler.stop')) as { profile: CpuProfile };
    const profiles: ThreadProfile[] = [{ thread: 'main', profile: main.profile }];
    for (const [sessionId, title] of this.#workers) {
      const reply = await this.#toWorker(sessionId, 'Profiler.stop');
      if (reply.result?.profile !== undefined)
        profiles.push({ thread: title, profile: reply.result.profile });
    }
    return profiles;
  }

  #post(method: string, params: object = {}): Promise<unknown> {
    return new Promise((resolve, reject) =>
      this.#session.post(method, params, (error, result) =>
        error ? reject(error) : resolve(result),
      ),
    );
  }

  #toWorker(sessionId: string, method: string, params: object = {}): Promise<WorkerReply> {
    const id = this.#nextId++;
    const reply = new Promise<WorkerReply>((resolve) => this.#replies.set(id, resolve));
    const message = JSON.stringify({ id, method, params });
    void this.#post('NodeWorker.sendMessageToWorker', { sessionId, message });
    return reply;
  }
}

// ---- summary ----------------------------------------------------------------------------------

export interface HotSpot {
  readonly name: string;
  /** Share of this thread's busy (non-idle) samples. */
  readonly selfShare: number;
}

export interface ThreadSummary {
  readonly thread: string;
  readonly seconds: number;
  /** Share of the wall time this thread was busy (not idle). */
  readonly busyShare: number;
  readonly topFunctions: HotSpot[];
  readonly topFiles: HotSpot[];
  readonly areas: HotSpot[];
  /** Self time by what the work is for (domainOf), the buckets the redesign is judged on. */
  readonly domains: HotSpot[];
}

const SPECIAL = new Set(['(idle)', '(program)', '(garbage collector)', '(root)']);

/**
 * Self time by function, file and area, as shares of the thread's busy samples. Time in a native
 * function (a SQLite statement, a socket write) is charged to the nearest JavaScript caller's
 * file and area, and named with it, since "run (native)" alone says nothing.
 */
export function summariseProfile(
  thread: string,
  profile: CpuProfile,
  root: string,
  topCount = 15,
): ThreadSummary {
  const frames = new Map<number, CallFrame>();
  const parents = new Map<number, number>();
  for (const node of profile.nodes) {
    frames.set(node.id, node.callFrame);
    for (const child of node.children ?? []) parents.set(child, node.id);
  }
  const callerOf = (id: number): CallFrame | undefined => {
    for (let at = parents.get(id); at !== undefined; at = parents.get(at)) {
      const frame = frames.get(at);
      if (frame !== undefined && frame.url !== '') return frame;
    }
    return undefined;
  };
  const ourCallerOf = (id: number): CallFrame | undefined => {
    for (let at = parents.get(id); at !== undefined; at = parents.get(at)) {
      const frame = frames.get(at);
      if (frame?.url.startsWith(`file://${root}/src/`)) return frame;
    }
    return undefined;
  };
  const byFunction = new Map<string, number>();
  const byFile = new Map<string, number>();
  const byArea = new Map<string, number>();
  const byDomain = new Map<string, number>();
  let idle = 0;
  let busy = 0;
  const add = (map: Map<string, number>, key: string) => map.set(key, (map.get(key) ?? 0) + 1);
  for (const id of profile.samples) {
    const frame = frames.get(id);
    if (frame === undefined) continue;
    if (frame.functionName === '(idle)') {
      idle++;
      continue;
    }
    busy++;
    const native = frame.url === '' && !SPECIAL.has(frame.functionName);
    const owner = native ? (callerOf(id) ?? frame) : frame;
    const file = fileOf(owner, root);
    const line = owner.lineNumber > 0 ? `:${owner.lineNumber + 1}` : '';
    const name = `${owner.functionName || '(anonymous)'} ${file}${line}`;
    add(byFunction, native ? `${frame.functionName || '(native)'} (native) ← ${name}` : name);
    add(byFile, file);
    add(byArea, areaOf(file));
    // SQLite's time belongs to whoever ran the statement: the outbox, the journal writer, ...
    const sqliteOwner = /better-sqlite3/.test(file) ? ourCallerOf(id) : undefined;
    const domainFile = sqliteOwner === undefined ? file : fileOf(sqliteOwner, root);
    add(byDomain, domainOf(native ? frame.functionName : '', domainFile, owner.functionName));
  }
  const top = (map: Map<string, number>, count: number): HotSpot[] =>
    [...map.entries()]
      .sort((a, b) => b[1] - a[1])
      .slice(0, count)
      .map(([key, n]) => ({ name: key, selfShare: round(n / Math.max(1, busy)) }));
  const total = idle + busy;
  return {
    thread,
    seconds: round((profile.endTime - profile.startTime) / 1e6, 2),
    busyShare: round(busy / Math.max(1, total)),
    topFunctions: top(byFunction, topCount),
    topFiles: top(byFile, topCount),
    areas: top(byArea, 14),
    domains: top(byDomain, 20),
  };
}

/**
 * What a sample's self time is for. A native frame is judged by its own name first (JSON,
 * postMessage, HMAC), then, like JavaScript frames, by the file it was called from.
 */
export function domainOf(nativeName: string, file: string, functionName: string): string {
  if (file === '(garbage collector)') return 'GC';
  if (file === '(program)') return 'V8/runtime (program)';
  if (nativeName === 'parse' || nativeName === 'stringify') return 'JSON';
  if (
    /postMessage|receiveMessage/.test(nativeName) ||
    /worker\/io|worker_threads|structured/.test(file)
  )
    return 'postMessage (worker messaging)';
  if (/^src\/outbox\//.test(file)) return 'outbox';
  if (/^src\/daraja\/(platform\/tokens|ids|security-credential)/.test(file) || /crypto/.test(file))
    return 'Daraja auth/HMAC and crypto';
  if (/^src\/daraja\//.test(file)) return 'Daraja (parse, shapes, state)';
  if (/^src\/risk\//.test(file)) return 'risk';
  if (/^src\/(payments|ledger|parties)\//.test(file)) return 'payments and ledger';
  if (/^src\/journal\//.test(file)) return 'journal (client, writer, its SQLite)';
  if (/^src\/sms\//.test(file)) return 'SMS';
  if (/_http_client|_http_agent|undici|fetch/.test(file)) return 'HTTP out (client, agent)';
  if (/abort_controller|domexception|event_target/.test(file))
    return 'AbortController, signals, DOMException';
  if (/fastify|find-my-way|avvio|light-my-request|pino|_http_|node:http|ajv/.test(file))
    return 'HTTP in (fastify, node:http)';
  if (/node:(events|process|internal\/process)/.test(file)) return 'events, nextTick';
  if (
    /node:(net|stream|internal\/stream|dns|tls|events|timers)|^node:internal\/(net|stream)/.test(
      file,
    )
  )
    return 'sockets, streams, timers';
  if (/better-sqlite3/.test(file)) return 'SQLite (caller not found)';
  if (/^src\//.test(file)) return `other src (${/^src\/([^/]+)/.exec(file)?.[1]})`;
  return functionName === '(root)' ? 'other' : 'other (node internals, libraries)';
}

function fileOf(frame: CallFrame, root: string): string {
  if (SPECIAL.has(frame.functionName) && frame.url === '') return frame.functionName;
  if (frame.url === '') return '(native)';
  const path = frame.url.replace(/^file:\/\//, '');
  return path.startsWith(`${root}/`) ? path.slice(root.length + 1) : path;
}

/** A coarse owner for a frame: our domain folder, a package, Node's own subsystem, or V8. */
function areaOf(file: string): string {
  if (file.startsWith('(')) return file;
  const ours = /^src\/([^/]+)\//.exec(file);
  if (ours !== null) return `src/${ours[1]}`;
  const pkg = /node_modules\/((?:@[^/]+\/)?[^/]+)\//.exec(file);
  if (pkg !== null) return `npm:${pkg[1]}`;
  const internal = /^node:(?:internal\/)?([^/]+)/.exec(file);
  if (internal !== null) return `node:${internal[1].replace(/\.js$/, '')}`;
  return file.startsWith('bench/') ? 'bench' : 'other';
}

function round(value: number, digits = 3): number {
  const f = 10 ** digits;
  return Math.round(value * f) / f;
}
