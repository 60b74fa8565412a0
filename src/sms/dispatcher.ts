// The SMS dispatcher: the outbox engine on the journal's 'sms' stream, sending through a gateway.
// Each attempt renders the committed record afresh; rendering is a pure function of the record
// (the intent plus the balances stored at commit), so every retry sends the identical text.

import type { StoredRecord } from '../journal/journal.ts';
import type { AttemptResult, Clock, DeliveryContext, RandomSource } from '../outbox/model.ts';
import {
  createOutbox,
  type LocalOutbox,
  type OutboxLog,
  type OutboxOptions,
  type RecordSource,
} from '../outbox/service.ts';
import type { SmsGateway } from './gateway.ts';
import { SMS_STREAM } from './intent.ts';
import { renderSmsRecord } from './outbox.ts';
import type { SmsMarket } from './templates.ts';

export interface SmsDispatcherDeps {
  /** The ledger client (only its record reads are used). */
  ledger: RecordSource;
  market: SmsMarket;
  gateway: SmsGateway;
  /** The delivery state file, e.g. `<data>/sms-outbox.db`. */
  stateFile: string;
  /** Sender id or shortcode, e.g. 'MPESA'; '' lets the gateway use its account default. */
  senderId: string;
  clock?: Clock;
  random?: RandomSource;
  log?: OutboxLog;
  options?: OutboxOptions;
  /** Records are pushed by the commit feed (the delivery worker); the ledger is read to catch up. */
  fed?: boolean;
}

/** Where the SMS outbox keeps its delivery state, in the data folder. */
export const SMS_OUTBOX_STATE_FILE = 'sms-outbox.db';

/** SMS need not wait long: a confirmation minutes late is still useful, hours late is noise. */
export const SMS_OUTBOX_DEFAULTS: OutboxOptions = {
  baseDelayMs: 2_000,
  backoffFactor: 2,
  maxDelayMs: 5 * 60_000,
  maxAttempts: 10,
  attemptTimeoutMs: 15_000,
};

export function createSmsDispatcher(deps: SmsDispatcherDeps): LocalOutbox {
  return createOutbox(
    {
      stream: SMS_STREAM,
      source: deps.ledger,
      stateFile: deps.stateFile,
      deliver: (record, context) => deliverSms(deps, record, context),
      // One gateway, one endpoint: its concurrency limit is the gateway's.
      endpointOf: () => deps.gateway.name,
      clock: deps.clock,
      random: deps.random,
      log: deps.log,
      fed: deps.fed,
    },
    { ...SMS_OUTBOX_DEFAULTS, ...concurrencyOf(deps.gateway), ...deps.options },
  );
}

/**
 * A gateway that wants more sends in flight than the outbox's defaults (the file gateway, whose
 * sends share a write and an fsync) gets them: it is the only endpoint of this outbox.
 */
function concurrencyOf(gateway: SmsGateway): OutboxOptions {
  const max = gateway.concurrencyMax;
  return max === undefined ? {} : { concurrencyMax: max, endpointConcurrencyMax: max };
}

/** The gateway message id: the journal seq, the same on every retry. */
export function smsMessageId(record: StoredRecord): string {
  return `${record.stream}-${record.seq}`;
}

async function deliverSms(
  deps: SmsDispatcherDeps,
  record: StoredRecord,
  context: DeliveryContext,
): Promise<AttemptResult> {
  let rendered: ReturnType<typeof renderSmsRecord>;
  try {
    rendered = renderSmsRecord(deps.market, record);
  } catch (error) {
    // A record that cannot be rendered now never will (the text depends on nothing else).
    const reason = error instanceof Error ? error.message : String(error);
    return { ok: false, latencyMs: 0, retryable: false, error: `cannot render: ${reason}` };
  }
  const message = {
    to: rendered.to,
    text: rendered.text,
    from: deps.senderId,
    id: smsMessageId(record),
  };
  return deps.gateway.send(message, context);
}
