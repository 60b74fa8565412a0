// Interoperability over Mojaloop's FSPIOP API, as the server runs it. Off unless a hub is
// configured (MALIPO_INTEROP_HUB_URL): a Malipo that is not in a scheme serves no FSPIOP routes.

import { createPublicKey, type KeyObject } from 'node:crypto';
import { join } from 'node:path';
import type { FastifyInstance } from 'fastify';
import type { OtherNetworksB2c } from '../daraja/platform/other-networks.ts';
import type { LedgerClient } from '../journal/client.ts';
import type { Outbox, OutboxOptions } from '../outbox/index.ts';
import type { PaymentsService } from '../payments/service.ts';
import { persistentSecret } from '../secrets/persistent-secret.ts';
import type { MainMenuItem } from '../ussd/model.ts';
import { registerInteropAdminRoutes } from './admin.ts';
import { createCourier, FSPIOP_OUTBOX_STATE_FILE } from './courier.ts';
import { otherNetworksB2c } from './daraja-b2c.ts';
import { HubClient } from './hub-client.ts';
import { signingKey, verificationKeyPems } from './jws.ts';
import { PayeeFsp } from './payee.ts';
import { PayerFsp } from './payer.ts';
import { registerInteropRoutes } from './routes.ts';
import { Settlement } from './settlement.ts';
import { interopMenuItem } from './ussd.ts';
import { Wire } from './wire.ts';

export interface InteropConfig {
  /** Our participant id at the hub. */
  fspId: string;
  /** Where callbacks go: the hub's FSPIOP base URL (or the Testing Toolkit's inbound port). */
  hubUrl: string;
  /** The organization that pays incoming transfers out; funded by the operator like any float. */
  settlementShortcode: string;
  ilpSecret: string;
  /** How long the hub has to fulfil our outbound transfers; default 60 s. */
  transferExpiryMs?: number;
  /** Counterpart FSPs we send the transfer phase to in ISO 20022 (pacs.008 / pacs.002). */
  iso20022Fsps?: string[];
  /** Sign what we send (FSPIOP-Signature) with the key in the data folder; default true. */
  jwsSigning?: boolean;
  /** Counterparts' public keys (PEM) by FSP id: what they send must carry a valid signature. */
  jwsVerificationKeys?: Record<string, string>;
}

const DEFAULT_FSP_ID = 'malipo';
/** The ILP fulfilment secret is a 256-bit HMAC key. */
const ILP_SECRET_BYTES = 32;
const DEFAULT_SETTLEMENT_SHORTCODE = '999000';

/** Null when no hub is configured. The ILP secret is generated once and kept in the data folder. */
export function interopConfigFromEnv(
  env: NodeJS.ProcessEnv,
  dataDir: string,
): InteropConfig | null {
  const hubUrl = env.MALIPO_INTEROP_HUB_URL;
  if (hubUrl === undefined || hubUrl === '') return null;
  if (!/^https?:\/\/[^\s]+$/.test(hubUrl))
    throw new Error(`invalid MALIPO_INTEROP_HUB_URL: ${hubUrl}`);
  return {
    fspId: env.MALIPO_INTEROP_FSP_ID ?? DEFAULT_FSP_ID,
    hubUrl: hubUrl.replace(/\/+$/, ''),
    settlementShortcode: env.MALIPO_INTEROP_SETTLEMENT_SHORTCODE ?? DEFAULT_SETTLEMENT_SHORTCODE,
    ilpSecret:
      env.MALIPO_INTEROP_ILP_SECRET ??
      persistentSecret(dataDir, 'interop-ilp-secret', ILP_SECRET_BYTES),
    transferExpiryMs: expiryFromEnv(env.MALIPO_INTEROP_TRANSFER_EXPIRY_MS),
    iso20022Fsps: (env.MALIPO_INTEROP_ISO20022_FSPS ?? '')
      .split(',')
      .map((id) => id.trim())
      .filter((id) => id !== ''),
    jwsSigning: env.MALIPO_INTEROP_JWS_SIGN !== '0',
    jwsVerificationKeys:
      env.MALIPO_INTEROP_JWS_KEYS_DIR === undefined || env.MALIPO_INTEROP_JWS_KEYS_DIR === ''
        ? undefined
        : verificationKeyPems(env.MALIPO_INTEROP_JWS_KEYS_DIR),
  };
}

/** The wire to every counterpart: ISO 20022 where configured, our signature, their keys. */
export function interopWire(config: InteropConfig, dataDir: string): Wire {
  const keys = new Map<string, KeyObject>();
  for (const [fspId, pem] of Object.entries(config.jwsVerificationKeys ?? {}))
    keys.set(fspId, createPublicKey(pem));
  return new Wire({
    fspId: config.fspId,
    isoFsps: new Set(config.iso20022Fsps ?? []),
    signingKey: config.jwsSigning === false ? undefined : signingKey(dataDir),
    verificationKeys: keys,
  });
}

export interface InteropDeps {
  app: FastifyInstance;
  payments: PaymentsService;
  ledger: LedgerClient;
  adminToken: string;
  config: InteropConfig;
  /** Where the FSPIOP outbox keeps its delivery state. */
  dataDir: string;
  outboxOptions?: OutboxOptions;
}

export interface RunningInterop {
  payee: PayeeFsp;
  payer: PayerFsp;
  settlement: Settlement;
  outbox: Outbox;
  /** "Send to other networks" on the USSD main menu. */
  menuItem: MainMenuItem;
  /** Daraja B2C to a customer of another provider, through the payer (decision 0027). */
  otherNetworksB2c: OtherNetworksB2c;
  close(): Promise<void>;
}

const TRANSFER_EXPIRY_MS = 60_000;
const ANSWER_WAIT_MS = 8_000;
const EXPIRY_SWEEP_MS = 1_000;

export async function startInterop(deps: InteropDeps): Promise<RunningInterop> {
  const { config, payments } = deps;
  const currency = payments.market.currency.code;
  const clock = { nowMs: () => payments.nowMs() };
  const wire = interopWire(config, deps.dataDir);
  const { courier, outbox } = createCourier({
    wire,
    ledger: deps.ledger,
    stateFile: join(deps.dataDir, FSPIOP_OUTBOX_STATE_FILE),
    hubUrl: config.hubUrl,
    fspId: config.fspId,
    clock,
    options: deps.outboxOptions,
  });
  const payee = new PayeeFsp({
    payments,
    ledger: deps.ledger,
    fspId: config.fspId,
    currency,
    settlementShortcode: config.settlementShortcode,
    ilpSecret: config.ilpSecret,
    clock,
  });
  await payee.start();
  await payments.openInteropTransit();
  const payer = startPayer(deps, wire, courier, clock, currency);
  await payer.start();
  const settlement = new Settlement({
    payments,
    ledger: deps.ledger,
    payee,
    payer,
    settlementShortcode: config.settlementShortcode,
    clock,
  });
  await settlement.start();
  registerInteropRoutes(deps.app, {
    payee,
    payer,
    courier,
    fspId: config.fspId,
    currency,
    wire,
  });
  registerInteropAdminRoutes(deps, { payer, settlement, wire });
  await outbox.start();
  const sweep = setInterval(() => {
    payer.expireDue().catch((error) => console.error(`malipo interop: expiry: ${error.message}`));
  }, EXPIRY_SWEEP_MS);
  sweep.unref();
  const menuItem = interopMenuItem({ payer, payments, fspId: config.fspId });
  return {
    payee,
    payer,
    settlement,
    outbox,
    menuItem,
    otherNetworksB2c: otherNetworksB2c(payer),
    async close() {
      clearInterval(sweep);
      await outbox.stop();
    },
  };
}

/** The payer side: lookups and quotes straight to the hub, transfers through the courier. */
function startPayer(
  deps: InteropDeps,
  wire: ReturnType<typeof interopWire>,
  courier: ReturnType<typeof createCourier>['courier'],
  clock: { nowMs(): number },
  currency: string,
): PayerFsp {
  const { config } = deps;
  const hub = new HubClient({
    hubUrl: config.hubUrl,
    fspId: config.fspId,
    wire,
    onFailure: (path, reason) => console.warn(`malipo interop: ${path} failed: ${reason}`),
  });
  return new PayerFsp({
    payments: deps.payments,
    ledger: deps.ledger,
    hub,
    courier,
    fspId: config.fspId,
    currency,
    clock,
    transferExpiryMs: config.transferExpiryMs ?? TRANSFER_EXPIRY_MS,
    answerWaitMs: ANSWER_WAIT_MS,
  });
}

function expiryFromEnv(value: string | undefined): number | undefined {
  if (value === undefined || value === '') return undefined;
  const ms = Number(value);
  if (!Number.isSafeInteger(ms) || ms < 1_000 || ms > 24 * 3_600_000)
    throw new Error(`invalid MALIPO_INTEROP_TRANSFER_EXPIRY_MS: ${value}`);
  return ms;
}
