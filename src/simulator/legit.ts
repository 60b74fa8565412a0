// Ordinary life: what customers do when nothing is wrong. Discretionary spending (buy goods,
// airtime, bills, sending to their people, cash in and out at their local agents) arrives through
// the day following the traffic profile; salaries, rent, remittances upcountry and savings-group
// (chama) rounds follow the pay calendar. It also makes the legitimate look-alikes of fraud that a
// detector must not flag: SIM swaps after a lost phone, big one-off payments to a new recipient,
// a chama treasurer's fan-in and pass-through, traders' many small receipts, and a real wrong
// number followed by a reversal request.

import { KES, type SimCommand } from './model.ts';
import { DAY_MS, type Persona, type SimCustomer, wholeKes } from './population.ts';
import { mixSeed, type SimRandom } from './random.ts';
import {
  affordable,
  balanceOf,
  canReceive,
  emit,
  type PaidKind,
  type SimWorld,
  schedule,
  series,
} from './world.ts';

const HOUR_MS = 3_600_000;
const MINUTE_MS = 60_000;

type Habit = 'buy_goods' | 'send' | 'airtime' | 'paybill' | 'withdraw' | 'deposit';
const HABITS: readonly Habit[] = ['buy_goods', 'send', 'airtime', 'paybill', 'withdraw', 'deposit'];
type PaidHabit = Exclude<Habit, 'deposit'>;

/** Weights of each habit, in HABITS order. */
const HABIT_WEIGHTS: Readonly<Record<Persona, readonly number[]>> = {
  salaried: [34, 20, 15, 13, 12, 6],
  casual: [30, 14, 20, 5, 14, 17],
  trader: [8, 26, 8, 10, 18, 30],
  dependent: [25, 10, 30, 3, 32, 0],
  mule: [40, 10, 40, 0, 10, 0],
};

/** Median amount in shillings and log-normal spread per habit. */
const AMOUNTS: Readonly<Record<Habit, readonly [number, number]>> = {
  buy_goods: [220, 0.9],
  send: [700, 1],
  airtime: [60, 0.7],
  paybill: [1_500, 0.8],
  withdraw: [1_500, 0.85],
  deposit: [1_200, 0.9],
};
const TRADER_SCALE: Partial<Record<Habit, number>> = { send: 4, deposit: 3, withdraw: 2 };

/** Local-hour weights for life events that happen while people are awake. */
export const DAYTIME_HOURS = [
  1, 0.5, 0.3, 0.3, 0.5, 1, 3, 6, 8, 8, 8, 8, 9, 8, 8, 8, 8, 9, 10, 9, 7, 5, 3, 2,
];

/** A moment of the local day drawn by hour weights. */
export function timeInDay(random: SimRandom, dayStartMs: number, hourWeights: readonly number[]) {
  const hour = random.weighted(hourWeights);
  return dayStartMs + hour * HOUR_MS + Math.floor(random.next() * HOUR_MS);
}

function amountFor(random: SimRandom, habit: Habit, persona: Persona): number {
  const [median, sigma] = AMOUNTS[habit];
  const scale = persona === 'trader' ? (TRADER_SCALE[habit] ?? 1) : 1;
  const kes = random.logNormal(median * scale, sigma);
  // People type round amounts above a hundred shillings.
  return wholeKes(kes > 100 ? Math.round(kes / 10) * 10 : kes);
}

/**
 * Everyday habits the fraud typologies also show, so a detector cannot learn them as fraud on
 * their own (issue 14): some people habitually spend their balance down to nothing, pay the
 * moment money lands (cash in at the agent and pay at the counter), send to people they have
 * never paid, or pay twice in a minute. Each customer's propensity is a fixed trait.
 */
const HABITUAL = { drain: 0.25, quickSpend: 0.3, explorer: 0.2 } as const;
const HABIT_CHANCES = {
  drain: [0.3, 0.04],
  quickSpend: [0.6, 0.1],
  newRecipient: [0.35, 0.1],
  repeat: 0.04,
  /** Chance an action opens a session: one to three more within minutes (airtime, then the till). */
  session: 0.2,
} as const;

/** A customer's fixed trait in [0, 1): the same for a seed, whatever else the stream does. */
function trait(world: SimWorld, c: SimCustomer, salt: number): number {
  if (c.mule) return 1;
  return mixSeed(mixSeed(world.seed, c.index), salt) / 0x1_0000_0000;
}

function chanceOf(world: SimWorld, c: SimCustomer, which: 'drain' | 'quickSpend'): number {
  const [habitual, others] = HABIT_CHANCES[which];
  return trait(world, c, which === 'drain' ? 11 : 12) < HABITUAL[which] ? habitual : others;
}

/** The smallest amount of a habit (spend() pays at least this much). */
function minimumOf(habit: Habit): number {
  return habit === 'withdraw' ? 50 * KES : habit === 'airtime' ? 5 * KES : KES;
}

/** Most of what is left, whole shillings, as much as the fees allow. */
function drainAmount(world: SimWorld, index: number, kind: PaidKind): number {
  let amount = wholeKes((balanceOf(world, index) / KES) * world.random.uniform(0.8, 1));
  for (let step = 0; step < 20 && amount > KES; step++) {
    if (affordable(world, index, kind, amount)) return amount;
    amount = wholeKes((amount / KES) * 0.97);
  }
  return 0;
}

/** One discretionary transaction by customer `index` at `atMs`; sometimes a few more follow. */
export function legitAction(world: SimWorld, index: number, atMs: number): void {
  const c = world.population.customers[index];
  if (c.registeredAtMs > atMs) return;
  oneAction(world, c, index);
  if (!world.random.chance(HABIT_CHANCES.session)) return;
  let at = atMs;
  for (let k = world.random.int(1, 3); k > 0; k--) {
    at += world.random.uniform(20_000, 3 * MINUTE_MS);
    schedule(world, at, (w) => oneAction(w, c, index));
  }
}

function oneAction(world: SimWorld, c: SimCustomer, index: number): void {
  const { random } = world;
  const habit = HABITS[random.weighted(HABIT_WEIGHTS[c.persona])];
  let amount = amountFor(random, habit, c.persona);
  if (habit === 'deposit') {
    deposit(world, c, amount);
    if (random.chance(chanceOf(world, c, 'quickSpend'))) payAfterCashIn(world, c, null);
    return;
  }
  const kind = habit === 'send' ? 'send_money' : habit;
  const minimum = minimumOf(habit);
  if (random.chance(chanceOf(world, c, 'drain'))) {
    const drained = drainAmount(world, index, kind);
    if (drained >= minimum) amount = drained;
  }
  if (!affordable(world, index, kind, amount)) {
    // Short of money: pay what is left of the wish, or go and cash in first and pay at once.
    amount = wholeKes((balanceOf(world, index) / KES) * random.uniform(0.3, 0.8));
    if (amount < minimum || !affordable(world, index, kind, amount)) {
      if (c.persona === 'casual' || c.persona === 'trader') {
        deposit(world, c, amountFor(random, 'deposit', c.persona));
        payAfterCashIn(world, c, habit);
      }
      return;
    }
  }
  emit(world, spend(world, c, habit, amount));
  if (random.chance(HABIT_CHANCES.repeat)) payAgainSoon(world, c, habit);
}

/** 10–60 s after a cash-in, the payment it was for (a habit drawn afresh when not given). */
function payAfterCashIn(world: SimWorld, c: SimCustomer, wanted: PaidHabit | null): void {
  const at = world.nowMs + world.random.uniform(10_000, 60_000);
  schedule(world, at, (w) => {
    const habit =
      wanted ?? (HABITS[w.random.weighted(HABIT_WEIGHTS[c.persona].slice(0, 5))] as PaidHabit);
    const kind = habit === 'send' ? 'send_money' : habit;
    let amount = Math.max(minimumOf(habit), amountFor(w.random, habit, c.persona));
    if (!affordable(w, c.index, kind, amount)) amount = drainAmount(w, c.index, kind);
    if (amount >= minimumOf(habit) && affordable(w, c.index, kind, amount))
      emit(w, spend(w, c, habit, amount));
  });
}

/** A second payment within a minute: the rest of a bill, another till, a top-up. */
function payAgainSoon(world: SimWorld, c: SimCustomer, habit: PaidHabit): void {
  schedule(world, world.nowMs + world.random.uniform(5_000, 55_000), (w) => {
    const kind = habit === 'send' ? 'send_money' : habit;
    const amount = wholeKes((balanceOf(w, c.index) / KES) * w.random.uniform(0.05, 0.4));
    if (amount >= 50 * KES && affordable(w, c.index, kind, amount))
      emit(w, spend(w, c, habit, amount));
  });
}

/** Traders sometimes cash in their takings in a few parts (the agent is short of change). */
const SPLIT_DEPOSIT_CHANCE = 0.08;

function deposit(world: SimWorld, c: SimCustomer, amountCents: number): void {
  const { random } = world;
  const amount = Math.max(amountCents, 50 * KES);
  if (!canReceive(world, c.index, amount)) return;
  const agent = world.population.agents[random.pick(c.agents)];
  const parts =
    c.persona === 'trader' && random.chance(SPLIT_DEPOSIT_CHANCE) ? random.int(2, 4) : 1;
  const part = parts === 1 ? amount : wholeKes(amount / KES / parts);
  series(
    world,
    parts,
    () => random.uniform(30_000, 4 * MINUTE_MS),
    (w) => {
      if (!canReceive(w, c.index, part)) return false;
      emit(w, {
        kind: 'deposit',
        agentNumber: agent.agentNumber,
        storeNumber: agent.storeNumber,
        to: c.msisdn,
        amountCents: part,
      });
      return true;
    },
  );
}

function spend(world: SimWorld, c: SimCustomer, habit: Habit, amountCents: number): SimCommand {
  const { random, population: p } = world;
  switch (habit) {
    case 'send': {
      // Mostly the people they know; now and then somebody new (a fundi, a new friend).
      const [explorer, others] = HABIT_CHANCES.newRecipient;
      const fresh = trait(world, c, 13) < HABITUAL.explorer ? explorer : others;
      const to = random.chance(fresh) ? strangerOf(world, c.index) : random.pick(c.contacts);
      return { kind: 'send_money', from: c.msisdn, to: p.customers[to].msisdn, amountCents };
    }
    case 'paybill': {
      const biller = p.billers[random.pick(c.bills)];
      const via = random.chance(0.2) ? 'c2b' : 'ussd';
      const accountReference = `A${c.index}`;
      return {
        kind: 'paybill',
        from: c.msisdn,
        shortcode: biller.shortcode,
        accountReference,
        amountCents,
        via,
      };
    }
    case 'buy_goods': {
      const till = random.chance(0.85) ? random.pick(c.tills) : random.int(0, p.tills.length - 1);
      return {
        kind: 'buy_goods',
        from: c.msisdn,
        tillNumber: p.tills[till].tillNumber,
        amountCents,
      };
    }
    case 'withdraw': {
      const at = random.chance(0.9) ? random.pick(c.agents) : random.int(0, p.agents.length - 1);
      const agent = p.agents[at];
      const amount = Math.max(amountCents, 50 * KES);
      return {
        kind: 'withdraw',
        from: c.msisdn,
        agentNumber: agent.agentNumber,
        storeNumber: agent.storeNumber,
        amountCents: amount,
      };
    }
    default:
      return { kind: 'airtime', from: c.msisdn, amountCents: Math.max(amountCents, 5 * KES) };
  }
}

/** A customer who is not `index` and not a mule. */
export function strangerOf(world: SimWorld, index: number): number {
  const { customers } = world.population;
  for (;;) {
    const other = world.random.int(0, customers.length - 1);
    if (other !== index && !customers[other].mule) return other;
  }
}

/** Pays a send if affordable; returns the key or null. */
function trySend(
  world: SimWorld,
  atMs: number,
  from: SimCustomer,
  to: SimCustomer,
  amountCents: number,
) {
  if (from.registeredAtMs > atMs || !affordable(world, from.index, 'send_money', amountCents))
    return null;
  if (!canReceive(world, to.index, amountCents)) return null;
  return emit(world, { kind: 'send_money', from: from.msisdn, to: to.msisdn, amountCents });
}

function tryWithdraw(world: SimWorld, c: SimCustomer, amountCents: number): void {
  if (amountCents < 50 * KES || !affordable(world, c.index, 'withdraw', amountCents)) return;
  const agent = world.population.agents[world.random.pick(c.agents)];
  emit(world, {
    kind: 'withdraw',
    from: c.msisdn,
    agentNumber: agent.agentNumber,
    storeNumber: agent.storeNumber,
    amountCents,
  });
}

function tryPaybill(world: SimWorld, c: SimCustomer, biller: number, amountCents: number) {
  if (!affordable(world, c.index, 'paybill', amountCents)) return;
  const { shortcode } = world.population.billers[biller];
  emit(world, {
    kind: 'paybill',
    from: c.msisdn,
    shortcode,
    accountReference: `A${c.index}`,
    amountCents,
    via: 'ussd',
  });
}

/** Salary day: each employer pays its staff by B2C, then rent and family remittances follow. */
export function scheduleSalaries(world: SimWorld, dayStartMs: number, midMonth: boolean): void {
  const { random, population: p } = world;
  p.employers.forEach((employer, e) => {
    if (midMonth && !employer.midMonth) return;
    let at = dayStartMs + 9 * HOUR_MS + random.uniform(0, 3 * HOUR_MS);
    for (const c of p.customers) {
      if (c.employer !== e || c.registeredAtMs > at) continue;
      at += random.uniform(2_000, 10_000);
      const amountCents = midMonth ? wholeKes(c.salaryCents / KES / 2) : c.salaryCents;
      schedule(world, at, (w, when) => {
        if (!canReceive(w, c.index, amountCents)) return;
        const command = {
          kind: 'b2c',
          shortcode: employer.shortcode,
          to: c.msisdn,
          amountCents,
          commandId: 'SalaryPayment',
        } as const;
        emit(w, command);
        schedulePayday(w, c, when, amountCents);
      });
    }
  });
}

function schedulePayday(world: SimWorld, c: SimCustomer, paidAtMs: number, salaryCents: number) {
  const { random } = world;
  if (c.rentCents > 0 && salaryCents >= c.rentCents) {
    const landlord = world.population.billers.length - 1 - (c.index % 2);
    schedule(world, paidAtMs + random.uniform(2 * HOUR_MS, 3 * DAY_MS), (w) =>
      tryPaybill(w, c, landlord, c.rentCents),
    );
  }
  for (const member of c.family) {
    const amount = wholeKes((salaryCents / KES) * random.uniform(0.04, 0.12));
    schedule(world, paidAtMs + random.uniform(HOUR_MS, 2 * DAY_MS), (w, at) => {
      const dependent = w.population.customers[member];
      if (trySend(w, at, c, dependent, amount) === null) return;
      // Upcountry, remittances are cashed out at the agent soon after they land.
      const withdrawAt = at + w.random.uniform(30 * MINUTE_MS, DAY_MS);
      schedule(w, withdrawAt, (w2) =>
        tryWithdraw(w2, dependent, wholeKes((amount / KES) * w2.random.uniform(0.6, 1))),
      );
    });
  }
}

/** After payday members pay into their chama; a few days later the pot goes out in one move. */
export function scheduleChamas(world: SimWorld, dayStartMs: number): void {
  const { random, population: p } = world;
  for (const chama of p.chamas) {
    const treasurer = p.customers[chama.treasurer];
    const share = wholeKes(random.pick([500, 1_000, 1_500, 2_000, 3_000]));
    for (const member of chama.members) {
      const at = dayStartMs + random.uniform(7 * HOUR_MS, 2 * DAY_MS);
      schedule(world, at, (w, when) => {
        trySend(w, when, w.population.customers[member], treasurer, share);
      });
    }
    const payoutAt = dayStartMs + 2 * DAY_MS + random.uniform(8 * HOUR_MS, 20 * HOUR_MS);
    schedule(world, payoutAt, (w, at) =>
      chamaPayout(w, at, chama.treasurer, chama.members, chama.biller),
    );
  }
}

function chamaPayout(
  world: SimWorld,
  atMs: number,
  treasurer: number,
  members: readonly number[],
  biller: number,
) {
  const t = world.population.customers[treasurer];
  const pot = wholeKes((balanceOf(world, treasurer) / KES) * world.random.uniform(0.6, 0.9));
  if (pot < 1_000 * KES) return;
  // Merry-go-round: the whole pot to this round's member; otherwise banked with the SACCO.
  if (world.random.chance(0.5)) {
    trySend(world, atMs, t, world.population.customers[world.random.pick(members)], pot);
  } else {
    tryPaybill(world, t, biller, Math.min(pot, world.market.limits.transactionMaxCents));
  }
}

/** Rare events of ordinary life, per customer per day. */
const LIFE_EVENT_RATES = {
  simSwap: 0.0004,
  deviceChange: 0.0006,
  bigPayment: 0.001,
  wrongNumber: 0.0003,
};

export function scheduleLifeEvents(world: SimWorld, dayStartMs: number): void {
  const { random, population: p } = world;
  for (const c of p.customers) {
    if (c.mule) continue;
    if (random.chance(LIFE_EVENT_RATES.simSwap)) {
      // A lost phone: a replacement SIM, often in a new handset, then life goes on.
      const at = timeInDay(random, dayStartMs, DAYTIME_HOURS);
      schedule(world, at, (w) =>
        emit(w, { kind: 'operator_event', msisdn: c.msisdn, type: 'sim_swap' }),
      );
      if (random.chance(0.6)) {
        const deviceAt = at + random.uniform(10 * MINUTE_MS, 5 * HOUR_MS);
        schedule(world, deviceAt, (w) =>
          emit(w, { kind: 'operator_event', msisdn: c.msisdn, type: 'device_change' }),
        );
      }
      // Back online, some settle something big that waited: the takeover look-alike.
      if (random.chance(0.3))
        schedule(world, at + random.uniform(HOUR_MS, DAY_MS), (w, when) => bigPayment(w, when, c));
    }
    if (random.chance(LIFE_EVENT_RATES.deviceChange)) {
      const at = timeInDay(random, dayStartMs, DAYTIME_HOURS);
      schedule(world, at, (w) =>
        emit(w, { kind: 'operator_event', msisdn: c.msisdn, type: 'device_change' }),
      );
    }
    if (random.chance(LIFE_EVENT_RATES.bigPayment))
      schedule(world, timeInDay(random, dayStartMs, DAYTIME_HOURS), (w, at) =>
        bigPayment(w, at, c),
      );
    if (random.chance(LIFE_EVENT_RATES.wrongNumber))
      schedule(world, timeInDay(random, dayStartMs, DAYTIME_HOURS), (w, at) =>
        wrongNumber(w, at, c),
      );
  }
}

/** A motorbike, hospital bill or plot: most of the savings to someone new, or school fees. */
function bigPayment(world: SimWorld, atMs: number, c: SimCustomer): void {
  const balance = balanceOf(world, c.index);
  if (balance < 5_000 * KES) return;
  const amount = wholeKes(Math.min(250_000, (balance / KES) * world.random.uniform(0.3, 0.95)));
  if (world.random.chance(0.7)) {
    trySend(world, atMs, c, world.population.customers[strangerOf(world, c.index)], amount);
  } else {
    tryPaybill(world, c, world.random.int(6, 9), amount);
  }
}

/** A genuine wrong number: the sender notices and asks for the money back. */
function wrongNumber(world: SimWorld, atMs: number, c: SimCustomer): void {
  const amount = wholeKes(world.random.logNormal(1_000, 0.8));
  const stranger = world.population.customers[strangerOf(world, c.index)];
  const key = trySend(world, atMs, c, stranger, amount);
  if (key === null) return;
  schedule(world, atMs + world.random.uniform(5 * MINUTE_MS, HOUR_MS), (w) => {
    if (balanceOf(w, stranger.index) < amount) return;
    emit(w, {
      kind: 'reversal',
      requester: c.msisdn,
      from: stranger.msisdn,
      originalKey: key,
      amountCents: amount,
    });
  });
}
