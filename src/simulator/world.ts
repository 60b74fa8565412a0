// The simulated world while the generator runs: every customer's balance, the queue of scheduled
// steps (a salary run, the next move of a fraud campaign), and the emission of events.
//
// The generator only emits a payment the world can afford (balance, fees from the market's own
// tariff tables, the wallet ceiling), so a live platform driven with the same commands refuses
// few of them. Balances follow the emitted commands as if every one succeeded.

import type { MinHeap } from '../ledger/min-heap.ts';
import type { MarketConfig } from '../payments/market-config.ts';
import { quoteFee } from '../payments/tariffs.ts';
import type { FraudLabel, SimCommand, SimEvent } from './model.ts';
import type { Population } from './population.ts';
import type { SimRandom } from './random.ts';

/** Scheduled steps waiting at once; far above any run's need, it catches a runaway schedule. */
export const QUEUE_STEPS_MAX = 2_000_000;

export type Step = (world: SimWorld, atMs: number) => void;

/**
 * Heap keys: milliseconds since the run's start, then the order of scheduling, so two steps at
 * the same millisecond run in the order they were scheduled (the binary heap alone is not stable).
 */
const TIE_BREAK_SLOTS = 4_096;

export interface SimWorld {
  readonly population: Population;
  readonly market: MarketConfig;
  /** Draws for ordinary life; fraud has its own stream so changing one does not shift the other. */
  readonly random: SimRandom;
  readonly fraudRandom: SimRandom;
  /** Draws for the continuous disbursers (betting, lending), likewise on their own stream. */
  readonly businessRandom: SimRandom;
  readonly seed: number;
  readonly balances: Float64Array;
  readonly startMs: number;
  readonly queue: MinHeap<{ atMs: number; step: Step }>;
  /** Events of the step being run, in order; the generator hands them on after each step. */
  readonly output: SimEvent[];
  /** The instant of the step being run: events are emitted at it, never ahead of it. */
  nowMs: number;
  scheduled: number;
  emitted: number;
  campaigns: number;
}

function orderKey(world: SimWorld, atMs: number, counter: number): number {
  return (atMs - world.startMs) * TIE_BREAK_SLOTS + (counter % TIE_BREAK_SLOTS);
}

/** The heap key before which every step of an instant sorts (for draining up to it). */
export function firstKeyAt(world: SimWorld, atMs: number): number {
  return orderKey(world, atMs, 0);
}

export function schedule(world: SimWorld, atMs: number, step: Step): void {
  if (world.queue.size >= QUEUE_STEPS_MAX)
    throw new Error(`simulator queue exceeded ${QUEUE_STEPS_MAX} steps`);
  const at = Math.round(atMs);
  world.queue.push(orderKey(world, at, world.scheduled), { atMs: at, step });
  world.scheduled += 1;
}

export type PaidKind = 'send_money' | 'paybill' | 'buy_goods' | 'withdraw' | 'airtime';

const TARIFF_TYPE = {
  send_money: 'send_money',
  buy_goods: 'buy_goods',
  withdraw: 'agent_withdrawal',
  airtime: 'airtime',
} as const;

/** What the payer is charged on top of the amount; null when the tariff has no band for it. */
export function feeCents(world: SimWorld, kind: PaidKind, amountCents: number): number | null {
  const quote =
    kind === 'paybill'
      ? quoteFee(world.market.tariffs, {
          type: 'paybill',
          amountCents,
          paybillTariff: 'customer_pays',
        })
      : quoteFee(world.market.tariffs, { type: TARIFF_TYPE[kind], amountCents });
  return quote.ok ? quote.senderFeeCents : null;
}

export function balanceOf(world: SimWorld, index: number): number {
  return world.balances[index];
}

/** The largest amount the customer can pay with `kind` (fees included), in whole shillings. */
export function affordable(world: SimWorld, index: number, kind: PaidKind, amountCents: number) {
  const fee = feeCents(world, kind, amountCents);
  const limits = world.market.limits;
  if (fee === null || amountCents > limits.transactionMaxCents) return false;
  return world.balances[index] >= amountCents + fee;
}

/** Whether the wallet may receive the amount (the CBK balance ceiling). */
export function canReceive(world: SimWorld, index: number, amountCents: number): boolean {
  return world.balances[index] + amountCents <= world.market.limits.walletBalanceMaxCents;
}

function customerIndex(world: SimWorld, msisdn: string): number {
  const index = world.population.byMsisdn.get(msisdn);
  if (index === undefined) throw new Error(`simulator: unknown customer ${msisdn}`);
  return index;
}

/** Moves simulated money for a command; returns the payer's balance before it. */
function apply(world: SimWorld, command: SimCommand): number | undefined {
  const b = world.balances;
  switch (command.kind) {
    case 'send_money':
    case 'paybill':
    case 'buy_goods':
    case 'withdraw':
    case 'airtime': {
      const payer = customerIndex(world, command.from);
      const before = b[payer];
      b[payer] -= command.amountCents + (feeCents(world, command.kind, command.amountCents) ?? 0);
      if (command.kind === 'send_money') b[customerIndex(world, command.to)] += command.amountCents;
      return before;
    }
    case 'deposit':
    case 'b2c':
      b[customerIndex(world, command.to)] += command.amountCents;
      return undefined;
    case 'reversal': {
      const from = customerIndex(world, command.from);
      const before = b[from];
      b[from] -= command.amountCents;
      b[customerIndex(world, command.requester)] += command.amountCents;
      return before;
    }
    case 'operator_event':
      return undefined;
  }
}

/**
 * Emits one command now (the running step's instant) and applies it to the world. A later move
 * is a step of its own (see `series`), so every balance a command sees is the balance at its
 * instant. Returns the command's key, the simulator's request key.
 */
export function emit(world: SimWorld, command: SimCommand, label?: FraudLabel): string {
  const key = `sim-${world.seed}-${world.emitted}`;
  const fromBalanceCents = apply(world, command);
  world.output.push({
    seq: world.emitted,
    atMs: world.nowMs,
    key,
    command,
    ...(fromBalanceCents === undefined ? {} : { fromBalanceCents }),
    ...(label === undefined ? {} : { label }),
  });
  world.emitted += 1;
  return key;
}

/**
 * Runs `move` now and then again after each gap, up to `count` times, each at its own instant;
 * `move` returns false to stop early (the money ran out).
 */
export function series(
  world: SimWorld,
  count: number,
  gapMs: () => number,
  move: (world: SimWorld, atMs: number, k: number) => boolean | undefined,
  k = 0,
): void {
  if (k >= count || move(world, world.nowMs, k) === false || k + 1 >= count) return;
  schedule(world, world.nowMs + gapMs(), (w) => series(w, count, gapMs, move, k + 1));
}
