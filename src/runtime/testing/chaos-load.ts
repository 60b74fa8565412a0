// The chaos test's steady, bounded load: a few partner loops, each sending one request at a time
// (C2B paybill payments through the sandbox simulator, whose validation and confirmation go to
// the partner's receiver; B2C v3 payments with a partner-chosen OriginatorConversationID;
// transaction status queries about earlier B2C payments). What each request was answered with
// is kept for the checks. A B2C cut off mid-flight (connection lost, or 503 while the owner
// restarts) is retried by its partner with the same OriginatorConversationID until it gets an
// answer, as Daraja's documentation tells partners to; a C2B simulation carries no partner id to
// retry with, and a status query moves no money, so those are noted as cut and not retried.

import type { World } from './chaos-world.ts';

export type Kind = 'c2b' | 'b2c' | 'status';

/** One request and what became of it. */
export interface Sent {
  readonly kind: Kind;
  /** BillRefNumber (C2B) or OriginatorConversationID (B2C, status). */
  readonly id: string;
  readonly msisdn: string;
  readonly amountCents: number;
  /** 'acked': answered 200 (for a B2C retry: 200, or 409 as a duplicate of an earlier accept). */
  outcome: 'acked' | 'cut' | 'unexpected';
  /** The answer's ConversationID, when acked with one. */
  conversationId?: string;
  /** How many times it was cut off before its answer. */
  cuts: number;
  /** The last status and text, for failure messages. */
  last: string;
}

export interface LoadOptions {
  readonly base: string;
  readonly world: World;
  readonly receiverUrl: string;
  readonly partners: number;
  readonly random: () => number;
  /** Pause between one partner's requests, so the load is steady and well below capacity. */
  readonly pauseMs: number;
}

export interface RunningLoad {
  readonly sent: Sent[];
  /** Requests answered 200 so far. */
  acked(): number;
  /** Stops after each partner's request in hand (and its retries) is answered. */
  stop(): Promise<void>;
}

const REQUEST_TIMEOUT_MS = 30_000;
const RETRY_PAUSE_MS = 250;
/** A B2C retried this often without an answer fails the test (the platform never came back). */
const RETRIES_MAX = 400;
const C2B_KES = { min: 10, max: 300 };
const B2C_KES = { min: 10, max: 400 };

export function startLoad(options: LoadOptions): RunningLoad {
  const sent: Sent[] = [];
  let stopping = false;
  let counter = 0;
  const partner = async (p: number) => {
    while (!stopping) {
      const request = makeRequest(options, sent, `P${p}N${counter++}`);
      sent.push(request.sent);
      await send(options, request);
      await sleep(options.pauseMs);
    }
  };
  const loops = Array.from({ length: options.partners }, (_, p) => partner(p));
  return {
    sent,
    acked: () => sent.filter((s) => s.outcome === 'acked').length,
    async stop() {
      stopping = true;
      await Promise.all(loops);
    },
  };
}

interface Request {
  readonly sent: Sent;
  readonly path: string;
  readonly body: string;
}

function makeRequest(options: LoadOptions, sent: readonly Sent[], id: string): Request {
  const { world, random, receiverUrl } = options;
  const msisdn = world.msisdns[Math.floor(random() * world.msisdns.length)] as string;
  const draw = random();
  const known = sent.filter((s) => s.kind === 'b2c' && s.outcome === 'acked');
  if (draw < 0.5 || (draw >= 0.85 && known.length === 0)) {
    const amountCents = kes(random, C2B_KES) * 100;
    const body = {
      ShortCode: world.shortcode,
      CommandID: 'CustomerPayBillOnline',
      Amount: amountCents / 100,
      Msisdn: msisdn,
      BillRefNumber: id,
    };
    return request('c2b', id, msisdn, amountCents, '/mpesa/c2b/v1/simulate', body);
  }
  const initiator = {
    SecurityCredential: world.credential,
    PartyA: world.shortcode,
    QueueTimeOutURL: `${receiverUrl}/timeout`,
    ResultURL: `${receiverUrl}/result`,
  };
  if (draw < 0.85) {
    const amountCents = kes(random, B2C_KES) * 100;
    const body = {
      ...initiator,
      OriginatorConversationID: id,
      InitiatorName: world.initiatorName,
      CommandID: 'BusinessPayment',
      Amount: amountCents / 100,
      PartyB: msisdn,
      Remarks: 'chaos payout',
      Occasion: 'chaos',
    };
    return request('b2c', id, msisdn, amountCents, '/mpesa/b2c/v3/paymentrequest', body);
  }
  const asked = known[Math.floor(random() * known.length)] as Sent;
  const body = {
    ...initiator,
    Initiator: world.initiatorName,
    CommandID: 'TransactionStatusQuery',
    OriginalConversationID: asked.id,
    IdentifierType: '4',
    Remarks: 'chaos status',
    Occasion: 'chaos',
  };
  return request('status', id, asked.msisdn, 0, '/mpesa/transactionstatus/v1/query', body);
}

function request(
  kind: Kind,
  id: string,
  msisdn: string,
  amountCents: number,
  path: string,
  body: unknown,
): Request {
  const sent: Sent = { kind, id, msisdn, amountCents, outcome: 'cut', cuts: 0, last: '' };
  return { sent, path, body: JSON.stringify(body) };
}

/** Sends a request; a cut-off B2C is sent again, unchanged, until it is answered. */
async function send(options: LoadOptions, { sent, path, body }: Request): Promise<void> {
  for (let attempt = 0; ; attempt++) {
    const answer = await post(options, path, body);
    sent.last = `${answer.status} ${answer.text}`;
    const cut = answer.status === 0 || answer.status === 503;
    if (!cut) {
      const duplicate = sent.kind === 'b2c' && sent.cuts > 0 && answer.status === 409;
      sent.outcome = answer.status === 200 || duplicate ? 'acked' : 'unexpected';
      sent.conversationId = /"ConversationID":"([^"]+)"/.exec(answer.text)?.[1];
      return;
    }
    sent.cuts++;
    if (sent.kind !== 'b2c') return;
    if (attempt >= RETRIES_MAX) throw new Error(`B2C ${sent.id} never answered: ${sent.last}`);
    await sleep(RETRY_PAUSE_MS);
  }
}

async function post(
  { base, world }: LoadOptions,
  path: string,
  body: string,
): Promise<{ status: number; text: string }> {
  try {
    const response = await fetch(`${base}${path}`, {
      method: 'POST',
      headers: { authorization: `Bearer ${world.token}`, 'content-type': 'application/json' },
      body,
      signal: AbortSignal.timeout(REQUEST_TIMEOUT_MS),
    });
    return { status: response.status, text: await response.text() };
  } catch (error) {
    // The connection was cut (a channel died) or the answer never came.
    return { status: 0, text: String((error as Error).cause ?? error) };
  }
}

function kes(random: () => number, range: { min: number; max: number }): number {
  return range.min + Math.floor(random() * (range.max - range.min + 1));
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
