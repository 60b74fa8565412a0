// The world the chaos test (src/runtime/chaos.test.ts) drives, set up through the server's own
// admin and Daraja APIs as an operator and a partner would: one paybill business with funded
// accounts, a Daraja app and initiator for it, C2B URLs (validation and confirmation) and B2C
// result URLs pointing at the partner's callback receiver, and a few funded customers.

import { once } from 'node:events';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { encryptInitiatorPassword } from '../../daraja/security-credential.ts';
import { DEFAULT_SCRYPT_PARAMS, hashPin } from '../../identity/pin.ts';
import { orgAccountId } from '../../payments/accounts.ts';

/** One callback as the partner received it. */
export interface ReceivedCallback {
  readonly path: string;
  /** The outbox's seq (x-malipo-delivery); undefined for the synchronous C2B validation. */
  readonly seq: number | undefined;
  readonly body: Record<string, unknown>;
}

export interface PartnerReceiver {
  readonly url: string;
  readonly port: number;
  readonly received: ReceivedCallback[];
  close(): Promise<void>;
}

export interface World {
  readonly shortcode: string;
  readonly appId: string;
  readonly token: string;
  readonly credential: string;
  readonly initiatorName: string;
  readonly msisdns: readonly string[];
  /** Each customer's wallet balance before the load, in cents. */
  readonly openingCents: ReadonlyMap<string, number>;
}

const SHORTCODE = '865001';
const INITIATOR = { name: 'chaospartner', password: 'Chaos#Partner2026' } as const;
const FIRST_MSISDN = 254_786_500_000;
const CUSTOMER_OPENING_CENTS = 50_000_00;
const BUSINESS_FUNDING_CENTS = 10_000_000_00;
/** Well above the load's rate: the per-app limit is not what this test is about. */
const RATE_PER_SECOND = 2_000;
const DAY_MS = 86_400_000;
const ADMIN_TIMEOUT_MS = 60_000;

/** The partner's callback server: answers every callback 200 and accepts every validation. */
export async function startPartnerReceiver(): Promise<PartnerReceiver> {
  const received: ReceivedCallback[] = [];
  const server: Server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => {
      const header = req.headers['x-malipo-delivery'];
      let body: Record<string, unknown> = {};
      try {
        body = JSON.parse(Buffer.concat(chunks).toString('utf8')) as Record<string, unknown>;
      } catch {
        // Kept with an empty body: the checks then miss its ids and say so.
      }
      received.push({
        path: (req.url ?? '/').split('?')[0] as string,
        seq: header === undefined ? undefined : Number(header),
        body,
      });
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end(JSON.stringify({ ResultCode: '0', ResultDesc: 'Accepted' }));
    });
  });
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    port,
    received,
    async close() {
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

type Call = (
  method: string,
  path: string,
  authorization: string,
  body?: unknown,
) => Promise<Record<string, unknown>>;

function caller(base: string): Call {
  return async (method, path, authorization, body) => {
    const response = await fetch(`${base}${path}`, {
      method,
      headers: {
        authorization,
        ...(body === undefined ? {} : { 'content-type': 'application/json' }),
      },
      body: body === undefined ? undefined : JSON.stringify(body),
      signal: AbortSignal.timeout(ADMIN_TIMEOUT_MS),
    });
    const text = await response.text();
    if (!response.ok) throw new Error(`${method} ${path}: HTTP ${response.status} ${text}`);
    return JSON.parse(text) as Record<string, unknown>;
  };
}

/** Sets the world up on a running server; `customers` funded customers pay and are paid. */
export async function setUpWorld(
  base: string,
  adminToken: string,
  receiverUrl: string,
  customers: number,
): Promise<World> {
  const call = caller(base);
  const admin = `Bearer ${adminToken}`;
  await call('POST', '/admin/organizations', admin, {
    shortcode: SHORTCODE,
    name: 'Chaos Partner',
    kind: 'paybill',
  });
  for (const account of ['utility', 'working', 'charges'] as const) {
    await call('POST', '/admin/funding', admin, {
      accountId: orgAccountId(SHORTCODE, account),
      amountCents: BUSINESS_FUNDING_CENTS,
    });
  }
  const app = await call('POST', '/daraja/admin/apps', admin, {
    name: 'Chaos Partner App',
    shortcodes: [SHORTCODE],
  });
  const appId = String(app.id ?? app.appId);
  await call('PUT', `/daraja/admin/apps/${appId}/rate-limit`, admin, {
    perSecond: RATE_PER_SECOND,
    burst: RATE_PER_SECOND,
  });
  await call('POST', '/daraja/admin/initiators', admin, {
    shortcode: SHORTCODE,
    ...INITIATOR,
    roles: ['b2c', 'status'],
  });
  const basic = Buffer.from(`${String(app.consumerKey)}:${String(app.consumerSecret)}`).toString(
    'base64',
  );
  const oauth = await call(
    'GET',
    '/oauth/v1/generate?grant_type=client_credentials',
    `Basic ${basic}`,
  );
  const token = String(oauth.access_token);
  await call('POST', '/mpesa/c2b/v1/registerurl', `Bearer ${token}`, {
    ShortCode: SHORTCODE,
    ResponseType: 'Completed',
    ConfirmationURL: `${receiverUrl}/confirm`,
    ValidationURL: `${receiverUrl}/validate`,
  });
  const msisdns = await addCustomers(call, admin, customers);
  const certificate = await (await fetch(`${base}/daraja/certificate.cer`)).text();
  return {
    shortcode: SHORTCODE,
    appId,
    token,
    credential: encryptInitiatorPassword(certificate, INITIATOR.password),
    initiatorName: INITIATOR.name,
    msisdns,
    openingCents: new Map(msisdns.map((msisdn) => [msisdn, CUSTOMER_OPENING_CENTS])),
  };
}

/** Imports established customers and pays each its opening balance by B2C. */
async function addCustomers(call: Call, admin: string, count: number): Promise<string[]> {
  const pinHash = await hashPin('4826', DEFAULT_SCRYPT_PARAMS);
  const msisdns = Array.from({ length: count }, (_, i) => String(FIRST_MSISDN + i));
  await call('POST', '/admin/customers/import', admin, {
    customers: msisdns.map((msisdn, i) => ({
      msisdn,
      firstName: 'Chaos',
      lastName: `Customer${String.fromCharCode(65 + i)}`,
      idNumber: String(30_000_000 + i),
      pinHash,
      registeredAtMs: Date.now() - 400 * DAY_MS,
    })),
  });
  for (const msisdn of msisdns) {
    await call('POST', '/admin/transactions/b2c', admin, {
      shortcode: SHORTCODE,
      to: msisdn,
      amountCents: CUSTOMER_OPENING_CENTS,
    });
  }
  return msisdns;
}
