// Labelled fraud, injected as campaigns that unfold over minutes to hours, after the Kenyan
// typologies of the reference doc (fraud-and-forecasting.md, A2):
//
// - SIM-swap account takeover: a replacement SIM (often in a new handset), then the wallet is
//   drained to one to three mules, who cash out at agents.
// - "Wrong send" scams: a fake "you have received" SMS and a call asking for the money back to a
//   mule; or real money sent from one mule, returned by the victim to another mule, then reversed
//   through customer care as well, so the victim pays twice.
// - Agent deposit splitting: a rogue agent splits one deposit into many just under a commission
//   band's top, to one or a few customers, within minutes.
// - Mule rings: cash placed with many mules at agents, collected by one mule (fan-in), forwarded to
//   a controller and cashed out across agents (fan-out).
// - Velocity bursts: a stolen, unlocked phone emptied in minutes through airtime, tills and sends.
//
// Campaign parameters live here only; the feature store never sees them, nor the labels.

import { DAYTIME_HOURS, timeInDay } from './legit.ts';
import { type FraudLabel, type FraudRole, KES, type Typology } from './model.ts';
import { type SimCustomer, wholeKes } from './population.ts';
import {
  affordable,
  balanceOf,
  canReceive,
  emit,
  type SimWorld,
  schedule,
  series,
} from './world.ts';

const MINUTE_MS = 60_000;
const HOUR_MS = 60 * MINUTE_MS;

/** Campaigns per simulated day per 5,000 customers. */
export interface FraudRates {
  readonly simSwapTakeover: number;
  readonly wrongSendScam: number;
  readonly depositSplitting: number;
  readonly muleRing: number;
  readonly velocityBurst: number;
}

export const DEFAULT_FRAUD_RATES: FraudRates = {
  simSwapTakeover: 3,
  wrongSendScam: 5,
  depositSplitting: 2,
  muleRing: 1,
  velocityBurst: 2.5,
};

/** The default rates times `scale` (more fraud for a demonstration or a test). */
export function scaledFraudRates(scale: number): FraudRates {
  if (!(scale >= 0 && scale <= 1_000)) throw new RangeError('fraud scale must be in [0, 1000]');
  const rates = { ...DEFAULT_FRAUD_RATES };
  for (const key of Object.keys(rates) as (keyof FraudRates)[]) rates[key] *= scale;
  return rates;
}

const EVENING_HOURS = [3, 2, 1, 1, 1, 1, 1, 2, 3, 3, 3, 3, 3, 3, 3, 4, 5, 7, 9, 10, 10, 9, 7, 5];
const NIGHT_HEAVY_HOURS = [8, 8, 7, 6, 4, 2, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 2, 2, 3, 4, 5, 6, 7, 8];
const BUSINESS_HOURS = [0, 0, 0, 0, 0, 0, 1, 4, 8, 9, 9, 9, 9, 9, 9, 9, 8, 7, 5, 2, 1, 0, 0, 0];
const SCAM_AMOUNTS_KES = [1_000, 1_500, 2_000, 2_500, 3_000, 4_000, 5_000, 6_000, 7_500, 10_000];
/** Cash handed over at one agent in one go; bigger sums are spread over several agents. */
const CASH_OUT_CHUNK_MAX = 70_000 * KES;

function label(typology: Typology, role: FraudRole, campaign: number): FraudLabel {
  return { typology, role, campaign };
}

/** Schedules the day's campaigns, their number scaled to the population. */
export function scheduleFraud(world: SimWorld, dayStartMs: number, rates: FraudRates): void {
  const r = world.fraudRandom;
  const scale = world.population.customers.length / 5_000;
  const plan: [number, (w: SimWorld, at: number, campaign: number) => void, readonly number[]][] = [
    [rates.simSwapTakeover, simSwapTakeover, EVENING_HOURS],
    [rates.wrongSendScam, wrongSendScam, DAYTIME_HOURS],
    [rates.depositSplitting, depositSplitting, BUSINESS_HOURS],
    [rates.muleRing, muleRing, DAYTIME_HOURS],
    [rates.velocityBurst, velocityBurst, NIGHT_HEAVY_HOURS],
  ];
  for (const [rate, start, hours] of plan) {
    const count = r.poisson(rate * scale);
    for (let k = 0; k < count; k++) {
      const at = timeInDay(r, dayStartMs, hours);
      schedule(world, at, (w, when) => {
        w.campaigns += 1;
        start(w, when, w.campaigns);
      });
    }
  }
}

/** The richest of a few random, non-mule customers who hold at least `minCents`. */
function pickVictim(world: SimWorld, atMs: number, minCents: number): SimCustomer | null {
  const r = world.fraudRandom;
  const { customers } = world.population;
  let best: SimCustomer | null = null;
  for (let tries = 0; tries < 12; tries++) {
    const c = customers[r.int(0, customers.length - 1)];
    if (c.mule || c.registeredAtMs > atMs || balanceOf(world, c.index) < minCents) continue;
    if (best === null || balanceOf(world, c.index) > balanceOf(world, best.index)) best = c;
  }
  return best;
}

/** Distinct mules whose SIMs are registered by `atMs`. */
function pickMules(world: SimWorld, atMs: number, count: number): SimCustomer[] {
  const r = world.fraudRandom;
  const { mules, customers } = world.population;
  const chosen = new Map<number, SimCustomer>();
  for (let tries = 0; chosen.size < count && tries < count * 20; tries++) {
    const m = customers[r.pick(mules)];
    if (m.registeredAtMs <= atMs) chosen.set(m.index, m);
  }
  return [...chosen.values()];
}

/** The biggest whole-shilling amount up to `wishCents` the payer can afford with fees. */
function largestAffordable(
  world: SimWorld,
  payer: number,
  kind: 'send_money' | 'withdraw' | 'buy_goods' | 'airtime',
  wishCents: number,
): number {
  let amount = wholeKes(Math.min(wishCents, world.market.limits.transactionMaxCents) / KES);
  for (let step = 0; step < 30 && amount >= KES; step++) {
    if (affordable(world, payer, kind, amount)) return amount;
    amount = wholeKes((amount / KES) * 0.97);
  }
  return 0;
}

function fraudSend(
  world: SimWorld,
  from: SimCustomer,
  to: SimCustomer,
  wishCents: number,
  tag: FraudLabel,
): string | null {
  const amount = largestAffordable(world, from.index, 'send_money', wishCents);
  if (amount < KES || !canReceive(world, to.index, amount)) return null;
  const command = {
    kind: 'send_money',
    from: from.msisdn,
    to: to.msisdn,
    amountCents: amount,
  } as const;
  return emit(world, command, tag);
}

/** Cash out at a random agent; returns the amount taken (0 when there was too little). */
function fraudWithdraw(
  world: SimWorld,
  c: SimCustomer,
  wishCents: number,
  tag: FraudLabel,
): number {
  const amount = largestAffordable(world, c.index, 'withdraw', wishCents);
  if (amount < 50 * KES) return 0;
  const agents = world.population.agents;
  const agent = agents[world.fraudRandom.int(0, agents.length - 1)];
  emit(
    world,
    {
      kind: 'withdraw',
      from: c.msisdn,
      agentNumber: agent.agentNumber,
      storeNumber: agent.storeNumber,
      amountCents: amount,
    },
    tag,
  );
  return amount;
}

/** A mule empties its wallet at one to four agents, a little later, visit by visit. */
function scheduleCashOut(world: SimWorld, mule: SimCustomer, typology: Typology, campaign: number) {
  const r = world.fraudRandom;
  const tag = label(typology, 'laundering', campaign);
  schedule(world, world.nowMs + r.uniform(5 * MINUTE_MS, 2 * HOUR_MS), (w) => {
    let left = balanceOf(w, mule.index) * w.fraudRandom.uniform(0.9, 1);
    series(
      w,
      4,
      () => w.fraudRandom.uniform(5 * MINUTE_MS, 20 * MINUTE_MS),
      (w2) => {
        if (left < 500 * KES) return false;
        const taken = fraudWithdraw(w2, mule, Math.min(left, CASH_OUT_CHUNK_MAX), tag);
        left -= taken;
        return taken > 0;
      },
    );
  });
}

/** Share of takeovers by patient fraudsters: days after the swap, a part of the balance, one mule. */
const STEALTH_TAKEOVER_SHARE = 0.2;

function simSwapTakeover(world: SimWorld, atMs: number, campaign: number): void {
  const r = world.fraudRandom;
  const victim = pickVictim(world, atMs, 3_000 * KES);
  if (victim === null) return;
  emit(world, { kind: 'operator_event', msisdn: victim.msisdn, type: 'sim_swap' });
  const stealthy = r.chance(STEALTH_TAKEOVER_SHARE);
  if (!stealthy && r.chance(0.8)) {
    schedule(world, atMs + r.uniform(MINUTE_MS, 30 * MINUTE_MS), (w) =>
      emit(w, { kind: 'operator_event', msisdn: victim.msisdn, type: 'device_change' }),
    );
  }
  const delay = stealthy
    ? r.uniform(1, 4) * 24 * HOUR_MS
    : Math.min(12 * HOUR_MS, Math.max(5 * MINUTE_MS, r.logNormal(45 * MINUTE_MS, 1)));
  const share = stealthy ? r.uniform(0.4, 0.7) : r.uniform(0.85, 1);
  schedule(world, atMs + delay, (w, at) => drain(w, at, victim, campaign, share));
}

/** The drain: sometimes cash at an agent first, then a send to each mule, minutes apart. */
function drain(
  world: SimWorld,
  atMs: number,
  victim: SimCustomer,
  campaign: number,
  share: number,
) {
  const r = world.fraudRandom;
  const mules = pickMules(world, atMs, share < 0.8 ? 1 : r.weighted([50, 35, 15]) + 1);
  if (mules.length === 0) return;
  const tag = label('sim_swap_ato', 'loss', campaign);
  let left = balanceOf(world, victim.index) * share;
  // The fraudster may walk into an agent with the victim's new SIM for part of it.
  const moves: ('cash' | SimCustomer)[] = [...(r.chance(0.25) ? ['cash' as const] : []), ...mules];
  series(
    world,
    moves.length,
    () => r.uniform(MINUTE_MS, 8 * MINUTE_MS),
    (w, _at, k) => {
      const move = moves[k];
      if (move === 'cash') {
        left -= fraudWithdraw(w, victim, Math.min(left * 0.5, CASH_OUT_CHUNK_MAX), tag);
        return true;
      }
      const wish = left / (moves.length - k);
      if (fraudSend(w, victim, move, wish, tag) !== null) {
        scheduleCashOut(w, move, 'sim_swap_ato', campaign);
        left -= wish;
      }
      return true;
    },
  );
}

function wrongSendScam(world: SimWorld, atMs: number, campaign: number): void {
  const r = world.fraudRandom;
  const amount = r.pick(SCAM_AMOUNTS_KES) * KES;
  const victim = pickVictim(world, atMs, amount + 200 * KES);
  const [collector, sender] = pickMules(world, atMs, 2);
  if (victim === null || collector === undefined) return;
  if (sender === undefined || r.chance(0.6)) {
    // A fake "you have received" SMS, then a call: the victim "returns" money never received.
    schedule(world, atMs + r.uniform(2 * MINUTE_MS, 30 * MINUTE_MS), (w) => {
      if (fraudSend(w, victim, collector, amount, label('wrong_send_scam', 'loss', campaign)))
        scheduleCashOut(w, collector, 'wrong_send_scam', campaign);
    });
    return;
  }
  realMoneyScam(world, { victim, collector, sender, amount, campaign });
}

interface RealMoneyScam {
  readonly victim: SimCustomer;
  readonly collector: SimCustomer;
  readonly sender: SimCustomer;
  readonly amount: number;
  readonly campaign: number;
}

/**
 * Real money in from one mule (cash the fraudster deposits first), "returned" by the victim to
 * another mule, then reversed through customer care as well: the victim pays twice.
 */
function realMoneyScam(world: SimWorld, s: RealMoneyScam): void {
  const r = world.fraudRandom;
  const setup = label('wrong_send_scam', 'setup', s.campaign);
  const loss = label('wrong_send_scam', 'loss', s.campaign);
  const agent = world.population.agents[r.int(0, world.population.agents.length - 1)];
  if (!canReceive(world, s.sender.index, s.amount)) return;
  emit(
    world,
    {
      kind: 'deposit',
      agentNumber: agent.agentNumber,
      storeNumber: agent.storeNumber,
      to: s.sender.msisdn,
      amountCents: s.amount,
    },
    setup,
  );
  schedule(world, world.nowMs + r.uniform(MINUTE_MS, 10 * MINUTE_MS), (w) => {
    const original = fraudSend(w, s.sender, s.victim, s.amount, setup);
    if (original === null) return;
    schedule(w, w.nowMs + w.fraudRandom.uniform(3 * MINUTE_MS, 20 * MINUTE_MS), (w2) => {
      if (fraudSend(w2, s.victim, s.collector, s.amount, loss) === null) return;
      scheduleCashOut(w2, s.collector, 'wrong_send_scam', s.campaign);
      schedule(w2, w2.nowMs + w2.fraudRandom.uniform(15 * MINUTE_MS, 2 * HOUR_MS), (w3) => {
        if (balanceOf(w3, s.victim.index) < s.amount) return;
        emit(
          w3,
          {
            kind: 'reversal',
            requester: s.sender.msisdn,
            from: s.victim.msisdn,
            originalKey: original,
            amountCents: s.amount,
          },
          loss,
        );
        scheduleCashOut(w3, s.sender, 'wrong_send_scam', s.campaign);
      });
    });
  });
}

function depositSplitting(world: SimWorld, atMs: number, campaign: number): void {
  const r = world.fraudRandom;
  const { agents, customers } = world.population;
  const rogue = agents.filter((a) => a.rogue);
  if (rogue.length === 0) return;
  const agent = r.pick(rogue);
  // Chunks just under a band top: KES 2,500 (10 shillings commission each) or KES 100 (1 each).
  const bandTopKes = r.chance(0.7) ? 2_500 : 100;
  const totalKes = bandTopKes === 100 ? r.uniform(1_500, 3_000) : r.logNormal(12_000, 0.5);
  const count = Math.min(30, Math.max(3, Math.ceil(totalKes / bandTopKes)));
  const recipients = Array.from(
    { length: r.chance(0.8) ? 1 : r.int(2, 5) },
    () => customers[r.int(0, customers.length - 1)],
  ).filter((c) => c.registeredAtMs <= atMs);
  if (recipients.length === 0) return;
  const tag = label('agent_deposit_splitting', 'loss', campaign);
  series(
    world,
    count,
    () => r.uniform(15_000, 90_000),
    (w, _at, k) => {
      const to = recipients[k % recipients.length];
      const amount = wholeKes(bandTopKes * (1 - w.fraudRandom.uniform(0, 0.03)));
      if (canReceive(w, to.index, amount))
        emit(
          w,
          {
            kind: 'deposit',
            agentNumber: agent.agentNumber,
            storeNumber: agent.storeNumber,
            to: to.msisdn,
            amountCents: amount,
          },
          tag,
        );
      return true;
    },
  );
}

/** What victims of a fake job, loan or investment offer pay into the collecting mule. */
const RING_PAYMENTS_KES = [500, 1_000, 1_500, 2_000, 3_000, 5_000];

function muleRing(world: SimWorld, atMs: number, campaign: number): void {
  const r = world.fraudRandom;
  const [collector, controller] = pickMules(world, atMs, 2);
  if (controller === undefined) return;
  const loss = label('mule_fan_in_out', 'loss', campaign);
  const laundering = label('mule_fan_in_out', 'laundering', campaign);
  // Fan-in: many unrelated victims pay the same number within hours.
  for (let k = 0, victims = r.int(6, 20); k < victims; k++) {
    const amount = r.pick(RING_PAYMENTS_KES) * KES;
    schedule(world, atMs + r.uniform(0, 6 * HOUR_MS), (w, at) => {
      const victim = pickVictim(w, at, amount + 100 * KES);
      if (victim !== null) fraudSend(w, victim, collector, amount, loss);
    });
  }
  // Fan-out: part forwarded to the controller, the rest cashed out across agents.
  schedule(world, atMs + 6 * HOUR_MS + r.uniform(0, 2 * HOUR_MS), (w) => {
    const share = balanceOf(w, collector.index) * w.fraudRandom.uniform(0.4, 0.7);
    if (fraudSend(w, collector, controller, share, laundering) !== null)
      scheduleCashOut(w, controller, 'mule_fan_in_out', campaign);
    scheduleCashOut(w, collector, 'mule_fan_in_out', campaign);
  });
}

function velocityBurst(world: SimWorld, atMs: number, campaign: number): void {
  const r = world.fraudRandom;
  const victim = pickVictim(world, atMs, 2_000 * KES);
  if (victim === null) return;
  const mules = pickMules(world, atMs, r.int(1, 3));
  const tag = label('velocity_burst', 'loss', campaign);
  const { tills } = world.population;
  const floor = balanceOf(world, victim.index) * 0.05;
  series(
    world,
    r.int(6, 25),
    () => r.uniform(10_000, 90_000),
    (w) => {
      if (balanceOf(w, victim.index) <= floor) return false;
      burstStep(w, victim, mules, tills[w.fraudRandom.int(0, tills.length - 1)].tillNumber, tag);
      return true;
    },
  );
}

/** One move of a burst: airtime, a till, or a send to a mule. */
function burstStep(
  world: SimWorld,
  victim: SimCustomer,
  mules: readonly SimCustomer[],
  tillNumber: string,
  tag: FraudLabel,
): void {
  const r = world.fraudRandom;
  const choice = mules.length === 0 ? r.weighted([4, 3]) : r.weighted([4, 3, 3]);
  if (choice === 2) {
    const mule = r.pick(mules);
    if (fraudSend(world, victim, mule, wholeKes(r.uniform(1_000, 8_000)), tag) !== null)
      scheduleCashOut(world, mule, 'velocity_burst', tag.campaign);
    return;
  }
  const kind = choice === 0 ? 'airtime' : 'buy_goods';
  const wish = wholeKes(choice === 0 ? r.uniform(50, 500) : r.uniform(300, 3_000));
  const amount = largestAffordable(world, victim.index, kind, wish);
  if (amount < 5 * KES) return;
  const from = victim.msisdn;
  emit(
    world,
    kind === 'airtime'
      ? { kind, from, amountCents: amount }
      : { kind, from, tillNumber, amountCents: amount },
    tag,
  );
}
