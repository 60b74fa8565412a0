// The partner's channel: the Daraja API as an integrating business uses it. The driver provisions
// its own sandbox app through the developer portal (sign up, sign in, create an app, read the
// test credentials, download the certificate), then pays salaries with B2C v3 and simulates C2B
// paybill payments, authenticating with OAuth client credentials like any partner.

import { encryptInitiatorPassword } from '../../daraja/security-credential.ts';
import { type HttpAnswer, joinUrl, jsonOf, request } from './http.ts';

/** Developer portal and Daraja paths (src/daraja/platform). */
export const PORTAL_API = '/portal/api';
export const CERTIFICATE_PATH = '/daraja/certificate.cer';
const TOKEN_PATH = '/oauth/v1/generate?grant_type=client_credentials';
const B2C_PATH = '/mpesa/b2c/v3/paymentrequest';
const C2B_SIMULATE_PATH = '/mpesa/c2b/v1/simulate';
/** Renew the access token this long before Daraja says it expires. */
const TOKEN_RENEW_MARGIN_MS = 60_000;

export interface DarajaAccess {
  readonly consumerKey: string;
  readonly consumerSecret: string;
  /** The sandbox business: PartyA of B2C, ShortCode of C2B. */
  readonly shortcode: string;
  readonly initiatorName: string;
  readonly securityCredential: string;
}

export type DarajaOutcome =
  | { readonly kind: 'ok'; readonly body: Record<string, unknown> }
  | { readonly kind: 'refused'; readonly error: string }
  | { readonly kind: 'error'; readonly message: string };

function body(answer: HttpAnswer, what: string): Record<string, unknown> {
  if (!answer.ok) throw new Error(`${what}: ${answer.error}`);
  const parsed = jsonOf(answer.text) as Record<string, unknown> | undefined;
  if (answer.status >= 300 || parsed === undefined)
    throw new Error(`${what}: HTTP ${answer.status} ${answer.text.slice(0, 200)}`);
  return parsed;
}

async function portal(url: string, path: string, payload?: object, token?: string) {
  return request({
    method: payload === undefined ? 'GET' : 'POST',
    url: joinUrl(url, `${PORTAL_API}${path}`),
    headers: {
      'content-type': 'application/json',
      ...(token === undefined ? {} : { authorization: `Bearer ${token}` }),
    },
    ...(payload === undefined ? {} : { body: JSON.stringify(payload) }),
  });
}

/** A sandbox app of the driver's own, and the sandbox's test credentials. */
export async function provisionSandboxAccess(url: string, seed: number): Promise<DarajaAccess> {
  const developer = {
    email: `simulator-${seed}@malipo.test`,
    password: `simulator-${seed}-password`,
  };
  const signup = await portal(url, '/developers', developer);
  // 409: signed up by an earlier run; signing in below proves the password.
  if (!(signup.ok && signup.status === 409)) body(signup, 'portal sign-up');
  const { token } = body(await portal(url, '/sessions', developer), 'portal sign-in') as {
    token: string;
  };
  const app = body(await portal(url, '/apps', { name: `Simulator ${seed}` }, token), 'create app');
  const credentials = body(
    await portal(url, `/apps/${String(app.appId)}/test-credentials`, undefined, token),
    'test credentials',
  );
  const certificate = await request({ method: 'GET', url: joinUrl(url, CERTIFICATE_PATH) });
  if (!certificate.ok || certificate.status !== 200) throw new Error('certificate download failed');
  return {
    consumerKey: String(app.consumerKey),
    consumerSecret: String(app.consumerSecret),
    shortcode: String(credentials.shortcode),
    initiatorName: String(credentials.initiatorName),
    securityCredential: encryptInitiatorPassword(
      certificate.text,
      String(credentials.initiatorPassword),
    ),
  };
}

export interface DarajaClient {
  b2c(payment: {
    id: string;
    msisdn: string;
    amountCents: number;
    commandId: string;
  }): Promise<DarajaOutcome>;
  c2bSimulate(payment: {
    msisdn: string;
    amountCents: number;
    billRef: string;
  }): Promise<DarajaOutcome>;
}

/** `resultUrl` receives B2C results (the driver's own loopback listener). */
export function createDarajaClient(
  url: string,
  access: DarajaAccess,
  resultUrl: string,
): DarajaClient {
  let token: { value: string; expiresAtMs: number } | null = null;
  const bearer = async (): Promise<string> => {
    if (token !== null && Date.now() < token.expiresAtMs - TOKEN_RENEW_MARGIN_MS)
      return token.value;
    const basic = Buffer.from(`${access.consumerKey}:${access.consumerSecret}`).toString('base64');
    const answer = await request({
      method: 'GET',
      url: joinUrl(url, TOKEN_PATH),
      headers: { authorization: `Basic ${basic}` },
    });
    const granted = body(answer, 'oauth') as { access_token: string; expires_in: string | number };
    token = {
      value: granted.access_token,
      expiresAtMs: Date.now() + Number(granted.expires_in) * 1000,
    };
    return token.value;
  };
  const post = async (path: string, payload: object): Promise<DarajaOutcome> => {
    let authorization: string;
    try {
      authorization = `Bearer ${await bearer()}`;
    } catch (error) {
      return { kind: 'error', message: (error as Error).message };
    }
    const answer = await request({
      method: 'POST',
      url: joinUrl(url, path),
      headers: { authorization, 'content-type': 'application/json' },
      body: JSON.stringify(payload),
    });
    if (!answer.ok) return { kind: 'error', message: answer.error };
    const parsed = (jsonOf(answer.text) ?? {}) as Record<string, unknown>;
    // C2B simulate v1 acknowledges with ConversationID and no ResponseCode; the rest with "0".
    const code = parsed.ResponseCode;
    if (answer.status === 200 && (code === undefined || String(code) === '0'))
      return { kind: 'ok', body: parsed };
    if (answer.status >= 500 && parsed.errorCode === undefined)
      return { kind: 'error', message: `HTTP ${answer.status}` };
    return { kind: 'refused', error: String(parsed.errorCode ?? code ?? answer.status) };
  };
  return {
    b2c: (p) =>
      post(B2C_PATH, {
        OriginatorConversationID: p.id,
        InitiatorName: access.initiatorName,
        SecurityCredential: access.securityCredential,
        CommandID: p.commandId,
        Amount: Math.round(p.amountCents / 100),
        PartyA: access.shortcode,
        PartyB: p.msisdn,
        Remarks: 'Salary',
        QueueTimeOutURL: resultUrl,
        ResultURL: resultUrl,
        Occassion: 'Simulated payroll',
      }),
    c2bSimulate: (p) =>
      post(C2B_SIMULATE_PATH, {
        ShortCode: access.shortcode,
        CommandID: 'CustomerPayBillOnline',
        Amount: Math.round(p.amountCents / 100),
        Msisdn: p.msisdn,
        BillRefNumber: p.billRef,
      }),
  };
}
