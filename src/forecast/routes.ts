// The operator's forecast API: the next 24 h per slot with the capacity to provision, and
// whether live traffic has left the forecast band.

import type { FastifyInstance } from 'fastify';
import { requireAdminToken } from '../admin/auth.ts';
import type { LiveTraffic } from './live.ts';

export function registerForecastRoutes(
  app: FastifyInstance,
  deps: { live: LiveTraffic; adminToken: string },
): void {
  app.register(async (scoped) => {
    scoped.addHook('onRequest', requireAdminToken(deps.adminToken));
    scoped.get('/admin/forecast', async (_request, reply) => {
      const outcome = deps.live.forecast();
      if (!outcome.ok) return reply.code(409).send({ ok: false, error: outcome.error });
      return { ok: true, forecast: outcome.value };
    });
    scoped.get('/admin/forecast/anomalies', async () => deps.live.anomalies());
  });
}
