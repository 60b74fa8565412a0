// The owner process: the whole platform (payments, risk, the ledger writer, Daraja services,
// delivery) on an internal socket, plus the command socket the channel processes talk to.
// Started by the supervisor (supervisor.ts), which restarts it if it dies.
import { performance } from 'node:perf_hooks';
import { startServer } from '../server/app.ts';
import { startCommandServer } from './command-server.ts';
import { runtimeSpecFromEnv, TEST_HOOKS_ENV } from './spec.ts';
import type { OwnerReady, OwnerStats } from './supervisor.ts';

const spec = runtimeSpecFromEnv();
const server = await startServer(spec.config, { internalSocket: spec.httpSocket }).catch(
  (error: Error) => {
    // A locked data folder, a damaged journal: the message names the fix, as in one process.
    console.error(`malipo: ${error.message}`);
    process.exit(1);
  },
);
const commands = await startCommandServer(spec.commandSocket, server.commands, (error) =>
  server.log.error({ error: error.message }, 'channel link error'),
);
let stopping = false;
const stop = async () => {
  if (stopping) return;
  stopping = true;
  await commands.close();
  await server.close();
  process.exit(0);
};
// The supervisor asks for counters on behalf of a benchmark or an operator tool.
process.on('message', (message: { type?: string }) => {
  if (message.type !== 'stats') return;
  void server.ledger.stats().then((writer) => {
    const stats: OwnerStats = {
      type: 'stats',
      links: commands.stats(),
      writer,
      cpuUsage: process.cpuUsage(),
      eventLoop: performance.eventLoopUtilization(),
      deliveryOsThreadId: server.delivery.osThreadId,
    };
    process.send?.(stats);
  });
});
// Test-only (the chaos test sets it): SIGUSR2 ends the delivery worker thread the hardest way a
// process can end one of its threads and live on. A thread cannot be SIGKILLed alone (the signal
// kills the whole process); worker.terminate() stops its JavaScript where it stands: no stop, no
// state flush, attempts in flight cut. The service then starts a new worker, as after a crash.
if (process.env[TEST_HOOKS_ENV] === '1') {
  process.on('SIGUSR2', () => void server.delivery.thread?.terminate());
}
// Ctrl-C reaches every process of the group: the supervisor decides the order of the shutdown.
process.on('SIGINT', () => {});
process.once('SIGTERM', () => void stop());
// The supervisor is gone: nobody would restart or stop us; close cleanly (frees the data lock).
process.once('disconnect', () => void stop());
const ready: OwnerReady = {
  type: 'ready',
  seededDemo: server.seededDemo,
  darajaSandbox: server.darajaSandbox,
};
process.send?.(ready);
