// Two real Malipo servers (separate data folders, ephemeral ports, different FSP ids) joined
// through an FSPIOP switch, with one funded customer each: the fixture of the two-provider tests.

import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { orgAccountId, walletId } from '../../payments/accounts.ts';
import { INTEROP_TRANSIT_ACCOUNT } from '../../payments/interop-transit.ts';
import { type RunningServer, startServer } from '../../server/app.ts';
import { loadConfig } from '../../server/config.ts';
import { type RenderedSms, renderSmsRecord } from '../../sms/outbox.ts';
import type { InteropConfig } from '../index.ts';
import type { FspiopSwitch } from './switch.ts';

/** What a provider needs of the hub it joins: the in-repo switch, or the Testing Toolkit. */
export type Hub = Pick<FspiopSwitch, 'url' | 'join' | 'ownParty'>;

export const TOKEN = 'two-fsps-admin-token';
export const SETTLEMENT = '999000';
export const ORG_FUNDED_CENTS = 10_000_000;
export const CUSTOMER_FUNDED_CENTS = 2_000_000;

export interface Customer {
  msisdn: string;
  local: string;
  pin: string;
  firstName: string;
  lastName: string;
}

export interface Fsp {
  fspId: string;
  server: RunningServer;
  customer: Customer;
  dataDir: string;
  extra: FspExtra;
}

/** Interop settings a test varies per provider. */
export type FspExtra = Pick<
  InteropConfig,
  'transferExpiryMs' | 'iso20022Fsps' | 'jwsVerificationKeys' | 'jwsSigning'
>;

async function serve(hub: Hub, fspId: string, dataDir: string, extra: Fsp['extra']) {
  const config = loadConfig(
    { dataDir, port: 0 },
    { MALIPO_ADMIN_TOKEN: TOKEN, MALIPO_SMS_ECHO: '0', MALIPO_RISK_MODE: 'enforce' },
  );
  const server = await startServer(config, {
    interop: {
      fspId,
      hubUrl: hub.url,
      settlementShortcode: SETTLEMENT,
      ilpSecret: `${fspId}-ilp-secret`,
      ...extra,
    },
  });
  hub.join(fspId, server.url);
  return server;
}

/** Stops the server and starts it again on the same data folder (a new port, re-joined). */
export async function restartFsp(hub: Hub, fsp: Fsp): Promise<void> {
  await fsp.server.close();
  fsp.server = await serve(hub, fsp.fspId, fsp.dataDir, fsp.extra);
}

export async function startFsp(
  hub: Hub,
  fspId: string,
  customer: Customer,
  extra: FspExtra = {},
): Promise<Fsp> {
  const dataDir = mkdtempSync(join(tmpdir(), `malipo-${fspId}-`));
  const server = await serve(hub, fspId, dataDir, extra);
  hub.ownParty(customer.msisdn, fspId);
  const registered = await server.payments.registerCustomer({
    msisdn: customer.msisdn,
    firstName: customer.firstName,
    lastName: customer.lastName,
    idNumber: String(20_000_000 + Number(customer.msisdn.slice(-6))),
    pin: customer.pin,
  });
  assert.ok(registered.ok, JSON.stringify(registered));
  for (const account of ['utility', 'charges'] as const) {
    const funded = await server.payments.fundAccount({
      accountId: orgAccountId(SETTLEMENT, account),
      amountCents: ORG_FUNDED_CENTS,
      requestKey: `fund-${account}`,
    });
    assert.ok(funded.ok, JSON.stringify(funded));
  }
  // The customer's float: a B2C from another organization, so the settlement org stays as funded.
  const org = await server.payments.registerOrganization({
    shortcode: '600100',
    name: 'Payroll',
    kind: 'paybill',
  });
  assert.ok(org.ok, JSON.stringify(org));
  const payroll = await server.payments.fundAccount({
    accountId: orgAccountId('600100', 'utility'),
    amountCents: 2 * CUSTOMER_FUNDED_CENTS,
    requestKey: 'fund-payroll',
  });
  assert.ok(payroll.ok, JSON.stringify(payroll));
  await server.payments.fundAccount({
    accountId: orgAccountId('600100', 'charges'),
    amountCents: CUSTOMER_FUNDED_CENTS,
    requestKey: 'fund-payroll-charges',
  });
  const salary = await server.payments.businessToCustomer({
    shortcode: '600100',
    to: customer.msisdn,
    amountCents: CUSTOMER_FUNDED_CENTS,
    requestKey: 'salary',
  });
  assert.ok(salary.ok, JSON.stringify(salary));
  return { fspId, server, customer, dataDir, extra };
}

export async function closeFsp(fsp: Fsp | undefined): Promise<void> {
  if (fsp === undefined) return;
  await fsp.server.close();
  rmSync(fsp.dataDir, { recursive: true, force: true });
}

/** A wallet's balance straight from the ledger (posted credits − posted and pending debits). */
export async function walletCents(fsp: Fsp, msisdn = fsp.customer.msisdn): Promise<number> {
  const [account] = await fsp.server.ledger.lookupAccounts([walletId(msisdn)]);
  return account.creditsPosted - account.debitsPosted - account.debitsPending;
}

export async function transit(fsp: Fsp): Promise<{ postedCents: number; pendingCents: number }> {
  const [account] = await fsp.server.ledger.lookupAccounts([INTEROP_TRANSIT_ACCOUNT]);
  return {
    postedCents: account.creditsPosted - account.debitsPosted,
    pendingCents: account.creditsPending - account.debitsPending,
  };
}

/** Utility + charges of the settlement organization. */
export async function settlementOrgCents(fsp: Fsp): Promise<number> {
  const ids = (['utility', 'charges'] as const).map((a) => orgAccountId(SETTLEMENT, a));
  const accounts = await fsp.server.ledger.lookupAccounts(ids);
  return accounts.reduce((s, a) => s + a.creditsPosted - a.debitsPosted - a.debitsPending, 0);
}

export async function ussd(fsp: Fsp, sessionId: string, text: string): Promise<string> {
  const response = await fetch(`${fsp.server.url}/ussd`, {
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded' },
    body: new URLSearchParams({ sessionId, phoneNumber: fsp.customer.msisdn, text }).toString(),
  });
  return response.text();
}

export async function admin(fsp: Fsp, method: string, path: string, body?: unknown) {
  const response = await fetch(`${fsp.server.url}${path}`, {
    method,
    headers: {
      authorization: `Bearer ${TOKEN}`,
      ...(body === undefined ? {} : { 'content-type': 'application/json' }),
    },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  return { status: response.status, body: (await response.json()) as Record<string, unknown> };
}

/** `from`'s customer sends to `to` at the other provider through the admin API. */
export function sendToOtherFsp(
  from: Fsp,
  to: Customer,
  amountCents: number,
  requestId: string,
  waitMs?: number,
) {
  return admin(from, 'POST', '/admin/interop/transfers', {
    from: from.customer.msisdn,
    to: to.msisdn,
    amountCents,
    pin: from.customer.pin,
    requestId,
    ...(waitMs === undefined ? {} : { waitMs }),
  });
}

/** The provider's SMS about interop transfers (to `to` only, when given), rendered as sent. */
export async function interopSms(fsp: Fsp, to?: string): Promise<RenderedSms[]> {
  const records = await fsp.server.ledger.readRecords('sms', 0, 1000);
  return records
    .filter((r) =>
      (JSON.parse(r.body) as { message: { type: string } }).message.type.startsWith('interop_'),
    )
    .map((r) => renderSmsRecord(fsp.server.payments.market, r))
    .filter((sms) => to === undefined || sms.to === to);
}
