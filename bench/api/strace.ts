// The fsync cross-check of `npm run bench:api -- --strace`: counts fsync and fdatasync calls of a
// process, all its threads, over a window with `strace -c -f -p PID` (ptrace: it slows every
// syscall of the process a little, which is why it runs once, in a step of its own).

import { spawn } from 'node:child_process';
import { once } from 'node:events';

export interface SyscallCounts {
  readonly fsync: number;
  readonly fdatasync: number;
  readonly seconds: number;
}

const ATTACH_WAIT_MS = 500;

/** Starts counting; the returned stop() ends strace (SIGINT, by its pid) and reads its summary. */
export async function countFsyncs(pid: number): Promise<{ stop(): Promise<SyscallCounts> }> {
  const strace = spawn('strace', ['-c', '-f', '-e', 'trace=fsync,fdatasync', '-p', String(pid)], {
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  let text = '';
  strace.stderr.on('data', (chunk: Buffer) => {
    text += chunk.toString('utf8');
  });
  const failed = once(strace, 'error').then(([error]) => {
    throw error as Error;
  });
  await Promise.race([new Promise((resolve) => setTimeout(resolve, ATTACH_WAIT_MS)), failed]);
  const startedAt = performance.now();
  return {
    async stop() {
      const seconds = (performance.now() - startedAt) / 1000;
      const exited = once(strace, 'exit');
      strace.kill('SIGINT');
      await exited;
      return { ...parseStraceSummary(text), seconds: Math.round(seconds * 10) / 10 };
    },
  };
}

/** The calls column of `strace -c` for fsync and fdatasync (0 when absent). */
export function parseStraceSummary(text: string): { fsync: number; fdatasync: number } {
  const calls = (name: string) => {
    const line = text.split('\n').find((l) => l.trim().split(/\s+/).pop() === name);
    if (line === undefined) return 0;
    const fields = line.trim().split(/\s+/);
    // % time, seconds, usecs/call, calls, [errors], syscall
    return Number(fields[3]);
  };
  return { fsync: calls('fsync'), fdatasync: calls('fdatasync') };
}
