// The operator's interop API: the settlement view (both directions, reconciled against the
// transit account), closing a settlement window with a counterpart, and sending to another
// provider's customer on a customer's behalf (lookup, quote and transfer in one call, with the
// customer's PIN or as a verified operator command, as /admin/transactions/send-money does).

import { randomUUID } from 'node:crypto';
import type { FastifyInstance, FastifyReply } from 'fastify';
import { requireAdminToken } from '../admin/auth.ts';
import type { LedgerClient } from '../journal/client.ts';
import type { PaymentsApi } from '../payments/commands.ts';
import type { Authorization } from '../payments/model.ts';
import type { OutboundTransfer, PayerFsp } from './payer.ts';
import type { Settlement } from './settlement.ts';
import type { Wire } from './wire.ts';

interface AdminDeps {
  app: FastifyInstance;
  payments: Pick<PaymentsApi, 'orgBalances'>;
  ledger: LedgerClient;
  adminToken: string;
  config: { fspId: string; settlementShortcode: string };
}

/** How long the admin call waits for the fulfilment before answering with the prepared state. */
const SEND_WAIT_MS = 10_000;

const sendSchema = {
  body: {
    type: 'object',
    additionalProperties: false,
    required: ['from', 'to', 'amountCents'],
    properties: {
      from: { type: 'string', maxLength: 32 },
      to: { type: 'string', pattern: '^[1-9][0-9]{4,14}$' },
      amountCents: { type: 'integer', minimum: 1, maximum: 1_000_000_000 },
      pin: { type: 'string', maxLength: 12 },
      requestId: { type: 'string', maxLength: 64 },
      /** How long to wait for the fulfilment (0: answer as soon as the transfer is prepared). */
      waitMs: { type: 'integer', minimum: 0, maximum: SEND_WAIT_MS },
    },
  },
};

const b2cSchema = {
  body: {
    type: 'object',
    additionalProperties: false,
    required: ['shortcode', 'to', 'amountCents'],
    properties: {
      shortcode: { type: 'string', pattern: '^[0-9]{5,7}$' },
      to: sendSchema.body.properties.to,
      amountCents: sendSchema.body.properties.amountCents,
      requestId: sendSchema.body.properties.requestId,
      waitMs: sendSchema.body.properties.waitMs,
    },
  },
};

export function registerInteropAdminRoutes(
  deps: AdminDeps,
  parts: { payer: PayerFsp; settlement: Settlement; wire: Wire },
): void {
  const { payer, settlement, wire } = parts;
  void deps.app.register(async (scoped) => {
    scoped.addHook('onRequest', requireAdminToken(deps.adminToken));
    scoped.get('/admin/interop/positions', async () => {
      const accounts = await deps.payments.orgBalances(deps.config.settlementShortcode, [
        'utility',
        'charges',
      ]);
      return {
        fspId: deps.config.fspId,
        positions: settlement.positions(),
        reconciliation: await settlement.reconcile(),
        settlementAccounts: accounts.map((a) => ({ id: a.ref, balanceCents: a.balanceCents })),
        settlements: settlement.history.length,
      };
    });
    scoped.post<{ Body: { fsp: string } }>(
      '/admin/interop/settlements',
      {
        schema: {
          body: {
            type: 'object',
            required: ['fsp'],
            properties: { fsp: { type: 'string', pattern: '^[A-Za-z0-9._-]{1,32}$' } },
          },
        },
      },
      async (request, reply) => {
        const record = await settlement.settle(request.body.fsp);
        if (record === null) return reply.code(404).send({ error: 'nothing_to_settle' });
        return record;
      },
    );
    // Which counterparts get ISO 20022, whose signatures we require, and our public key.
    scoped.get('/admin/interop/wire', async () => wire.describe());
    registerSendRoutes(scoped, payer);
  });
}

/** Sending to another provider's customer: for a customer (PIN or verified), or a business. */
function registerSendRoutes(scoped: FastifyInstance, payer: PayerFsp): void {
  scoped.post<{
    Body: {
      from: string;
      to: string;
      amountCents: number;
      pin?: string;
      requestId?: string;
      waitMs?: number;
    };
  }>('/admin/interop/transfers', { schema: sendSchema }, async (request, reply) => {
    const body = request.body;
    const auth: Authorization =
      body.pin === undefined ? { kind: 'verified', by: 'admin' } : { kind: 'pin', pin: body.pin };
    const party = await payer.lookup(body.to);
    if (!party.ok) return refused(reply, 'lookup', party);
    const quote = await payer.quote(body.from, party.party, body.amountCents);
    if (!quote.ok) return refused(reply, 'quote', quote);
    const sent = await payer.send({
      from: body.from,
      quote: quote.quote,
      auth,
      requestKey: `admin-interop:${body.requestId ?? randomUUID()}`,
      waitMs: body.waitMs ?? SEND_WAIT_MS,
    });
    if (!sent.ok) return reply.code(409).send(sent);
    return view(sent.transfer);
  });
  // B2C to another network: a business pays a customer of another provider from its utility.
  scoped.post<{
    Body: {
      shortcode: string;
      to: string;
      amountCents: number;
      requestId?: string;
      waitMs?: number;
    };
  }>('/admin/interop/b2c', { schema: b2cSchema }, async (request, reply) => {
    const body = request.body;
    const party = await payer.lookup(body.to);
    if (!party.ok) return refused(reply, 'lookup', party);
    const quote = await payer.quote(body.shortcode, party.party, body.amountCents, 'business');
    if (!quote.ok) return refused(reply, 'quote', quote);
    const sent = await payer.send({
      from: body.shortcode,
      quote: quote.quote,
      auth: 'business',
      requestKey: `admin-interop-b2c:${body.requestId ?? randomUUID()}`,
      waitMs: body.waitMs ?? SEND_WAIT_MS,
    });
    if (!sent.ok) return reply.code(409).send(sent);
    return view(sent.transfer);
  });
  scoped.get<{ Params: { id: string } }>('/admin/interop/transfers/:id', async (request, reply) => {
    const transfer = payer.transfers.get(request.params.id.toLowerCase());
    if (transfer === undefined) return reply.code(404).send({ error: 'not_found' });
    return view(transfer);
  });
}

function refused(reply: FastifyReply, phase: string, outcome: { ok: false; error: unknown }) {
  return reply.code(409).send({ ok: false, phase, error: outcome.error });
}

function view(transfer: OutboundTransfer) {
  const { quote } = transfer;
  return {
    ok: true,
    transferId: transfer.transferId,
    state: transfer.state,
    from: transfer.payer,
    payerKind: transfer.payerKind,
    to: { msisdn: quote.payee.msisdn, fspId: quote.payee.fspId, name: quote.payee.name },
    amountCents: quote.amountCents,
    feeCents: quote.feeCents,
    transferAmountCents: quote.transferAmountCents,
    /** Malipo's own fee, charged beside the transfer amount (decision 0027). */
    malipoFeeCents: quote.malipoFeeCents ?? 0,
    receipt: transfer.receipt ?? null,
    error: transfer.error,
  };
}
