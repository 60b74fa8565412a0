// Continuous business disbursers: the B2C that runs round the clock in the Kenyan market, next to
// the twice-monthly salary runs.
//
// - Betting firms: bettors stake by paybill (evenings and weekends most, some at any hour). Casino
//   and virtual games settle within minutes, one payout at a time; sports bets settle when their
//   match ends, and the firm's settlement engine pays every winner of that match back to back
//   within a minute or two. Winnings are odd amounts (stake times odds, less the 20 % withholding
//   tax on the gain), mostly KES 10–2,000, now and then a multibet pays far more.
// - Digital lenders: loans of round amounts disbursed by B2C seconds after the application, at any
//   hour; repaid with the fee by paybill one to four weeks later, in part when money is short.
// - Delivery and ride-hailing platforms: a nightly batch job pays each rider who worked that day
//   their earnings (odd amounts), back to back, a payment every second or two.
//
// Their draws come from the world's business stream, so ordinary life and fraud keep theirs.

import { DAYTIME_HOURS, timeInDay } from './legit.ts';
import { KES } from './model.ts';
import { DAY_MS, type SimCustomer, type SimOrg, wholeKes } from './population.ts';
import { affordable, balanceOf, canReceive, emit, type SimWorld, schedule } from './world.ts';

const MINUTE_MS = 60_000;
const HOUR_MS = 60 * MINUTE_MS;

/** Local-hour weights of stakes: after work, and late evening for European football. */
const STAKE_HOURS = [
  3, 2, 1.5, 1, 0.8, 0.8, 1.5, 3, 4, 4, 4, 5, 6, 6, 5, 5, 6, 8, 10, 12, 13, 12, 9, 5,
];
/** When matches end: European evenings, weekend afternoons, and leagues in other time zones. */
const MATCH_END_HOURS = [4, 3, 2, 2, 2, 1, 1, 1, 1, 1, 1, 1, 2, 2, 3, 4, 5, 6, 7, 7, 8, 8, 9, 7];
/** Loans are applied for at any hour, most in the day, a good share late at night. */
const LOAN_HOURS = [2, 1.5, 1, 1, 1, 1.5, 3, 5, 7, 7, 7, 7, 7, 6, 6, 6, 6, 6, 6, 6, 5, 5, 4, 3];

const WEEKEND_STAKE_FACTOR = 1.6;
const MATCH_ENDS_PER_DAY = { weekday: 10, weekend: 18 } as const;
/** Share of stakes on casino and virtual games (settled in minutes, at any hour). */
const INSTANT_GAME_SHARE = 0.35;
/** Share of sports stakes that are multibets (long odds, rare, large wins). */
const MULTIBET_SHARE = 0.08;
/** What the firm pays back per shilling staked, on average (its margin is the rest). */
const RETURN_TO_PLAYER = 0.9;
const WITHHOLDING_TAX_ON_GAIN = 0.2;
/** Stakes: median KES and log-normal spread; betting firms take from KES 10. */
const STAKE_KES: readonly [number, number] = [80, 0.9];
const STAKE_MIN_KES = 10;
/** The smallest payout sent by B2C (the B2C minimum); less stays in the betting wallet. */
const PAYOUT_MIN_CENTS = 10 * KES;

const LOAN_CHANCE_PER_DAY = 1 / 25;
const LOAN_AMOUNTS_KES = [500, 1_000, 1_500, 2_000, 3_000, 5_000, 7_500, 10_000, 15_000, 20_000];
const LOAN_AMOUNT_WEIGHTS = [18, 22, 10, 14, 10, 10, 5, 5, 3, 3];
/** Fee on a loan, as a share of the principal. */
const LOAN_FEE: readonly [number, number] = [0.08, 0.15];
const LOAN_TERM_DAYS: readonly [number, number] = [7, 30];
/** A short borrower repays what they can, if it is at least this much. */
const PARTIAL_REPAYMENT_MIN_CENTS = 100 * KES;

/** Local hours the platforms' nightly payout jobs start in. */
const PAYOUT_RUN_HOURS = [4, 3, 3, 2, 2, 1, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1, 3];
/** Share of riders who worked on a given day, and their day's earnings (median KES, spread). */
const RIDER_WORKED_CHANCE = 0.75;
const RIDER_EARNINGS_KES: readonly [number, number] = [700, 0.7];
/** Seconds between two payments of a payout run. */
const PAYOUT_RUN_GAP_MS: readonly [number, number] = [300, 3_000];

/** A day of betting: every bettor's stakes; each firm's matches end at their own moments. */
export function scheduleBetting(world: SimWorld, dayStartMs: number, weekend: boolean): void {
  const random = world.businessRandom;
  const { customers, bookmakers } = world.population;
  const matchEnds = bookmakers.map(() => matchEndsOf(world, dayStartMs, weekend));
  const factor = weekend ? WEEKEND_STAKE_FACTOR : 1;
  for (const c of customers) {
    if (c.bookmaker < 0) continue;
    const stakes = random.poisson(c.stakesPerDay * factor);
    for (let k = 0; k < stakes; k++) {
      const at = timeInDay(random, dayStartMs, STAKE_HOURS);
      schedule(world, at, (w, when) => stake(w, when, c, matchEnds[c.bookmaker]));
    }
  }
}

/** Sorted end times of a firm's matches from this day until the small hours of the next. */
function matchEndsOf(world: SimWorld, dayStartMs: number, weekend: boolean): number[] {
  const random = world.businessRandom;
  const count = random.poisson(MATCH_ENDS_PER_DAY[weekend ? 'weekend' : 'weekday']);
  const ends = Array.from({ length: count + 2 }, (_, k) =>
    k < count
      ? timeInDay(random, dayStartMs, MATCH_END_HOURS)
      : dayStartMs + DAY_MS + random.uniform(0, 4 * HOUR_MS),
  );
  return ends.sort((a, b) => a - b);
}

function stake(world: SimWorld, atMs: number, c: SimCustomer, matchEnds: readonly number[]) {
  const random = world.businessRandom;
  if (c.registeredAtMs > atMs) return;
  const amount = wholeKes(Math.max(STAKE_MIN_KES, random.logNormal(...STAKE_KES)));
  if (!affordable(world, c.index, 'paybill', amount)) return;
  const bookmaker = world.population.bookmakers[c.bookmaker];
  emit(world, {
    kind: 'paybill',
    from: c.msisdn,
    shortcode: bookmaker.shortcode,
    accountReference: c.msisdn,
    amountCents: amount,
    // The firm's STK prompt or C2B integration, or the customer's own paybill menu.
    via: random.chance(0.5) ? 'c2b' : 'ussd',
  });
  const instant = random.chance(INSTANT_GAME_SHARE);
  const odds =
    !instant && random.chance(MULTIBET_SHARE)
      ? 3 + random.logNormal(20, 1.2)
      : 1.1 + random.logNormal(1, 0.6);
  if (!random.chance(RETURN_TO_PLAYER / odds)) return;
  const gross = (amount / KES) * odds;
  const winnings = Math.min(
    wholeKes(gross - WITHHOLDING_TAX_ON_GAIN * (gross - amount / KES)),
    world.market.limits.transactionMaxCents,
  );
  if (winnings < PAYOUT_MIN_CENTS) return;
  const settledAt = instant
    ? atMs + random.uniform(MINUTE_MS, 20 * MINUTE_MS)
    : matchEndAfter(matchEnds, atMs + random.uniform(30 * MINUTE_MS, 3 * HOUR_MS)) +
      random.uniform(2_000, 90_000);
  schedule(world, settledAt, (w) => payOut(w, bookmaker, c, winnings, 'BusinessPayment'));
}

function matchEndAfter(matchEnds: readonly number[], atMs: number): number {
  for (const end of matchEnds) if (end >= atMs) return end;
  return atMs;
}

function payOut(
  world: SimWorld,
  org: SimOrg,
  c: SimCustomer,
  amountCents: number,
  commandId: 'BusinessPayment',
): boolean {
  if (!canReceive(world, c.index, amountCents)) return false;
  emit(world, { kind: 'b2c', shortcode: org.shortcode, to: c.msisdn, amountCents, commandId });
  return true;
}

/** A day of digital lending: some borrowers take a loan, repaid with its fee weeks later. */
export function scheduleLending(world: SimWorld, dayStartMs: number): void {
  const random = world.businessRandom;
  for (const c of world.population.customers) {
    if (c.lender < 0 || !random.chance(LOAN_CHANCE_PER_DAY)) continue;
    const at = timeInDay(random, dayStartMs, LOAN_HOURS);
    schedule(world, at, (w, when) => lend(w, when, c));
  }
}

function lend(world: SimWorld, atMs: number, c: SimCustomer): void {
  const random = world.businessRandom;
  if (c.registeredAtMs > atMs) return;
  const kes = LOAN_AMOUNTS_KES[random.weighted(LOAN_AMOUNT_WEIGHTS)];
  // The lender's scoring gives salaried people and traders bigger limits.
  const scale = c.persona === 'salaried' || c.persona === 'trader' ? 2 : 1;
  const principal = Math.min(20_000, kes * scale) * KES;
  const lender = world.population.lenders[c.lender];
  if (!payOut(world, lender, c, principal, 'BusinessPayment')) return;
  const due = wholeKes((principal / KES) * (1 + random.uniform(...LOAN_FEE)));
  const dueDayMs = atMs + random.uniform(...LOAN_TERM_DAYS) * DAY_MS;
  const dayStartMs = dueDayMs - ((dueDayMs - world.startMs) % DAY_MS);
  schedule(world, timeInDay(random, dayStartMs, DAYTIME_HOURS), (w) => repay(w, c, lender, due));
}

function repay(world: SimWorld, c: SimCustomer, lender: SimOrg, dueCents: number): void {
  const amount = affordable(world, c.index, 'paybill', dueCents)
    ? dueCents
    : wholeKes((balanceOf(world, c.index) / KES) * world.businessRandom.uniform(0.5, 0.8));
  if (amount < PARTIAL_REPAYMENT_MIN_CENTS || !affordable(world, c.index, 'paybill', amount))
    return;
  emit(world, {
    kind: 'paybill',
    from: c.msisdn,
    shortcode: lender.shortcode,
    accountReference: c.msisdn,
    amountCents: amount,
    via: 'ussd',
  });
}

/** The platforms' nightly runs: every rider who worked gets the day's earnings, one after another. */
export function schedulePayoutRuns(world: SimWorld, dayStartMs: number): void {
  const random = world.businessRandom;
  const { customers, gigPlatforms } = world.population;
  gigPlatforms.forEach((platform, g) => {
    let at = timeInDay(random, dayStartMs, PAYOUT_RUN_HOURS);
    for (const c of customers) {
      if (c.gigPlatform !== g || !random.chance(RIDER_WORKED_CHANCE)) continue;
      const earnings = wholeKes(random.logNormal(...RIDER_EARNINGS_KES));
      at += random.uniform(...PAYOUT_RUN_GAP_MS);
      schedule(world, at, (w, when) => {
        if (c.registeredAtMs <= when) payOut(w, platform, c, earnings, 'BusinessPayment');
      });
    }
  });
}
