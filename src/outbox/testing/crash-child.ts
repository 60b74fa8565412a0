// The process the outbox crash test (src/outbox/crash.test.ts) kills with SIGKILL. It opens a
// ledger on the journal and an outbox engine on the state file, both named by its arguments, and
// delivers slowly: each attempt first appends "<seq>\n" to the received file (the receiver has
// the message), then waits before answering, so at the kill some messages were received but not
// acknowledged, and others were taken into the state store but not yet attempted.
//
// Usage: node --import tsx crash-child.ts <journal.db> <state.db> <received.txt> <concurrency>

import { appendFileSync } from 'node:fs';
import { LedgerClient } from '../../journal/client.ts';
import { createOutbox } from '../service.ts';

/** Never lives longer than this even if nobody kills it: an orphan must not run forever. */
const LIFETIME_MS_MAX = 30_000;
const ANSWER_DELAY_MS = 25;

const [journalPath, stateFile, receivedPath, concurrency] = process.argv.slice(2);
setTimeout(() => process.exit(3), LIFETIME_MS_MAX).unref();

const ledger = await LedgerClient.open({ journal: { kind: 'sqlite', path: journalPath } });
const engine = createOutbox(
  {
    stream: 'cb',
    source: ledger,
    stateFile,
    deliver: async (record) => {
      appendFileSync(receivedPath, `${record.seq}\n`);
      await new Promise((resolve) => setTimeout(resolve, ANSWER_DELAY_MS));
      return { ok: true, status: 200, latencyMs: ANSWER_DELAY_MS, retryable: false };
    },
  },
  { pollIntervalMs: 5, concurrencyMax: Number(concurrency), pageSize: 50 },
);
await engine.start();
process.stdout.write('ready\n');
