// Liveness and readiness: the server answers, and the ledger writer is running.

import type { FastifyInstance } from 'fastify';
import type { LedgerClient } from '../journal/client.ts';

export function registerHealthRoutes(
  app: FastifyInstance,
  deps: { ledger: LedgerClient; journalKind: string },
): void {
  app.get('/health', async () => {
    const stats = await deps.ledger.stats();
    return {
      status: 'ok',
      journal: deps.journalKind,
      ledger: {
        accounts: stats.accounts,
        transfers: stats.transferIds,
        openPendings: stats.openPendings,
      },
    };
  });
}
