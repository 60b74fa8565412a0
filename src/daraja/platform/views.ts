// What the admin and portal APIs show: apps without their secret hashes, and delivery-log pages.
import type { FastifyReply } from 'fastify';
import type { DeliveriesQuery, DeliveryStatus, ReplayResult } from '../../outbox/index.ts';

export const DELIVERY_STATUS_CODES: readonly DeliveryStatus[] = [
  'pending',
  'delivering',
  'delivered',
  'dead',
];
const DELIVERIES_PAGE_DEFAULT = 50;

export const deliveriesQuerySchema = {
  type: 'object',
  additionalProperties: false,
  properties: {
    status: { type: 'string', enum: DELIVERY_STATUS_CODES },
    limit: { type: 'integer', minimum: 1, maximum: 500 },
    beforeSeq: { type: 'integer', minimum: 1 },
  },
};

export function deliveriesQuery(q: {
  status?: DeliveryStatus;
  limit?: number;
  beforeSeq?: number;
}): DeliveriesQuery {
  return {
    status: q.status,
    limit: q.limit ?? DELIVERIES_PAGE_DEFAULT,
    order: 'desc',
    beforeSeq: q.beforeSeq,
  };
}

export function replayAnswer(reply: FastifyReply, result: ReplayResult) {
  if (result.ok) return reply.code(200).send(result);
  return reply.code(result.error === 'not_found' ? 404 : 409).send(result);
}

export function appView(
  app: {
    id: string;
    name: string;
    consumerKey: string;
    shortcodes: readonly string[];
    products: readonly string[];
  },
  rateLimit: { perSecond: number; burst: number },
  consumerSecret?: string,
) {
  return {
    appId: app.id,
    name: app.name,
    consumerKey: app.consumerKey,
    ...(consumerSecret === undefined ? {} : { consumerSecret }),
    shortcodes: app.shortcodes,
    products: app.products,
    // Shown on the app's page: a partner's load test must know its allowance before it starts.
    rateLimit: { perSecond: rateLimit.perSecond, burst: rateLimit.burst },
  };
}
