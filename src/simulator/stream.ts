// The generated stream as the risk domain sees it offline: each command becomes the transaction
// record the platform would commit (type, parties, amount, time, the payer's balance) or an
// operator event. Labels stay outside: they are returned next to the record, never inside it.
//
// Also the stream's file form (JSON lines) for `malipo simulate --offline` and
// `malipo train --from`: the period it covers, one line per customer with the day their account
// opened, then one line per event.

import { once } from 'node:events';
import { createReadStream, createWriteStream } from 'node:fs';
import { createInterface } from 'node:readline';
import type { OperatorEvent, PartyRef, RiskTransaction } from '../risk/model.ts';
import type { FraudLabel, SimCommand, SimEvent } from './model.ts';
import type { Population } from './population.ts';

/** The channel each command reaches the platform through when driven live. */
export function channelOf(command: SimCommand): string {
  switch (command.kind) {
    case 'paybill':
      return command.via === 'c2b' ? 'c2b' : 'ussd';
    case 'b2c':
      return 'daraja';
    case 'deposit':
    case 'reversal':
      return 'admin';
    default:
      return 'ussd';
  }
}

const customer = (msisdn: string): PartyRef => ({ kind: 'customer', id: msisdn });

function partiesOf(command: SimCommand): { type: string; from: PartyRef; to: PartyRef } | null {
  switch (command.kind) {
    case 'send_money':
      return { type: 'send_money', from: customer(command.from), to: customer(command.to) };
    case 'paybill':
      return {
        type: 'paybill',
        from: customer(command.from),
        to: { kind: 'org', id: command.shortcode },
      };
    case 'buy_goods':
      return {
        type: 'buy_goods',
        from: customer(command.from),
        to: { kind: 'till', id: command.tillNumber },
      };
    case 'withdraw':
      return {
        type: 'agent_withdrawal',
        from: customer(command.from),
        to: { kind: 'agent', id: command.agentNumber },
      };
    case 'airtime':
      return {
        type: 'airtime',
        from: customer(command.from),
        to: { kind: 'operator', id: command.from },
      };
    case 'deposit':
      return {
        type: 'agent_deposit',
        from: { kind: 'agent', id: command.agentNumber },
        to: customer(command.to),
      };
    case 'b2c':
      return {
        type: 'b2c',
        from: { kind: 'org', id: command.shortcode },
        to: customer(command.to),
      };
    case 'reversal':
      return { type: 'reversal', from: customer(command.from), to: customer(command.requester) };
    case 'operator_event':
      return null;
  }
}

/** The record the platform would commit for this event; null for an operator event. */
export function toRiskTransaction(event: SimEvent): RiskTransaction | null {
  const parties = partiesOf(event.command);
  if (parties === null || event.command.kind === 'operator_event') return null;
  return {
    receipt: event.key,
    ...parties,
    amountCents: event.command.amountCents,
    channel: channelOf(event.command),
    timestampMs: event.atMs,
    ...(event.fromBalanceCents === undefined ? {} : { fromBalanceCents: event.fromBalanceCents }),
  };
}

export function toOperatorEvent(event: SimEvent): OperatorEvent | null {
  const { command } = event;
  if (command.kind !== 'operator_event') return null;
  return { msisdn: command.msisdn, type: command.type, atMs: event.atMs };
}

/** One item of a labelled stream, as the trainer and the evaluation consume it. */
export type LabelledItem =
  | { readonly kind: 'txn'; readonly txn: RiskTransaction; readonly label?: FraudLabel }
  | { readonly kind: 'event'; readonly event: OperatorEvent };

export function* labelledItems(events: Iterable<SimEvent>): Generator<LabelledItem> {
  for (const event of events) {
    const txn = toRiskTransaction(event);
    if (txn !== null) {
      yield event.label === undefined
        ? { kind: 'txn', txn }
        : { kind: 'txn', txn, label: event.label };
      continue;
    }
    const operatorEvent = toOperatorEvent(event);
    if (operatorEvent !== null) yield { kind: 'event', event: operatorEvent };
  }
}

/** A labelled stream and when each party's account opened (the account-age dependency). */
/** The simulated period a stream covers: its days start at local midnights from startMs. */
export interface StreamPeriod {
  readonly startMs: number;
  readonly days: number;
}

export interface LabelledStream {
  readonly period: StreamPeriod;
  readonly openedAtMs: (party: PartyRef) => number | undefined;
  readonly items: Iterable<LabelledItem>;
}

type FileLine =
  | { readonly period: StreamPeriod }
  | { readonly party: string; readonly openedAtMs: number }
  | { readonly item: LabelledItem };

/** Writes a population's account ages and its labelled stream as JSON lines. */
export async function writeLabelledStream(
  path: string,
  population: Population,
  events: Iterable<SimEvent>,
): Promise<number> {
  const { startMs, days } = population.config;
  const out = createWriteStream(path, { encoding: 'utf8' });
  const write = async (line: FileLine) => {
    if (!out.write(`${JSON.stringify(line)}\n`)) await once(out, 'drain');
  };
  await write({ period: { startMs, days } });
  for (const c of population.customers)
    await write({ party: `customer:${c.msisdn}`, openedAtMs: c.registeredAtMs });
  let count = 0;
  for (const item of labelledItems(events)) {
    await write({ item });
    count += 1;
  }
  out.end();
  await once(out, 'finish');
  return count;
}

/** Reads a file written by writeLabelledStream. */
export async function readLabelledStream(path: string, itemsMax: number): Promise<LabelledStream> {
  const opened = new Map<string, number>();
  const items: LabelledItem[] = [];
  let period: StreamPeriod | null = null;
  const lines = createInterface({
    input: createReadStream(path, { encoding: 'utf8' }),
    crlfDelay: Infinity,
  });
  for await (const text of lines) {
    if (text.trim() === '') continue;
    const line = JSON.parse(text) as FileLine;
    if ('period' in line) period = line.period;
    else if ('party' in line) opened.set(line.party, line.openedAtMs);
    else if (items.length < itemsMax) items.push(line.item);
    else throw new RangeError(`${path} holds more than ${itemsMax} items`);
  }
  if (period === null) throw new RangeError(`${path} does not say which period it covers`);
  return {
    period,
    openedAtMs: (party) => opened.get(`${party.kind}:${party.id}`),
    items,
  };
}
