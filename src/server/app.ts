// Builds the Malipo server: one fastify instance with every domain's routes, over explicit
// dependencies. `startServer` wires the real ones; tests call it with a temp data folder.

import Fastify, { type FastifyInstance } from 'fastify';
import { registerLedgerAdminRoutes } from '../admin/ledger-routes.ts';
import { LedgerClient } from '../journal/client.ts';
import { registerHealthRoutes } from '../ops/health.ts';
import type { ServerConfig } from './config.ts';

/** Request bodies above this are refused before parsing (Daraja bodies are a few hundred bytes). */
const BODY_LIMIT_BYTES = 1 << 20;

export interface RunningServer {
  app: FastifyInstance;
  ledger: LedgerClient;
  url: string;
  close(): Promise<void>;
}

export async function startServer(config: ServerConfig): Promise<RunningServer> {
  const ledger = await LedgerClient.open({ journal: config.journal });
  const app = Fastify({ bodyLimit: BODY_LIMIT_BYTES, logger: false });
  registerHealthRoutes(app, { ledger, journalKind: config.journal.kind });
  registerLedgerAdminRoutes(app, { ledger, adminToken: config.adminToken });
  ledger.on('fatal', (error: Error) => {
    // The writer stopped: memory may be ahead of the journal. Exit so a supervisor restarts us
    // and recovery rebuilds exactly the committed state.
    console.error(`malipo: ${error.message}; exiting`);
    process.exit(70);
  });
  const address = await app.listen({ host: config.host, port: config.port });
  return {
    app,
    ledger,
    url: address,
    async close() {
      await app.close();
      await ledger.close();
    },
  };
}
