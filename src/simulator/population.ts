// The simulated population (PaySim-style agents): customers with personas, income and habits and
// a social graph, plus billers, employers, betting firms, digital lenders, delivery platforms,
// merchants' tills and agents. Built deterministically from the seed; the same population is registered on a live
// platform by `simulate --setup`.
//
// Mules and rogue agents are ordinary parties here: they have names, ages and (for most mules)
// some ordinary activity. Only the simulator's own fields (`mule`, `rogue`) mark them, and those
// never reach the platform or the feature store.

import { isTrivialPin } from '../identity/pin.ts';
import type { PartyRef } from '../risk/model.ts';
import { KES } from './model.ts';
import { createSimRandom, mixSeed, type SimRandom } from './random.ts';

export const DAY_MS = 86_400_000;

export type Persona = 'salaried' | 'casual' | 'trader' | 'dependent' | 'mule';

export interface SimCustomer {
  readonly index: number;
  /** E.164 digits without '+'. */
  readonly msisdn: string;
  readonly firstName: string;
  readonly lastName: string;
  readonly idNumber: string;
  readonly pin: string;
  readonly registeredAtMs: number;
  readonly persona: Persona;
  /** Discretionary transactions per day on an average day. */
  readonly activityPerDay: number;
  readonly contacts: readonly number[];
  readonly agents: readonly number[];
  readonly tills: readonly number[];
  readonly bills: readonly number[];
  readonly employer: number;
  readonly salaryCents: number;
  readonly rentCents: number;
  readonly family: readonly number[];
  readonly chama: number;
  /** The betting firm they stake with, or -1 for somebody who does not bet. */
  readonly bookmaker: number;
  /** Stakes placed on an average weekday (more at weekends); 0 for non-bettors. */
  readonly stakesPerDay: number;
  /** The digital lender they borrow from, or -1 for somebody who does not borrow on the phone. */
  readonly lender: number;
  /** The delivery or ride-hailing platform they ride for, or -1. */
  readonly gigPlatform: number;
  readonly mule: boolean;
  readonly initialBalanceCents: number;
}

export interface SimOrg {
  readonly shortcode: string;
  readonly name: string;
  /** Pays salaries on the mid-month payday as well as month-end. */
  readonly midMonth: boolean;
}

export interface SimTill {
  readonly tillNumber: string;
  readonly storeNumber: string;
  readonly name: string;
}

export interface SimAgent {
  readonly agentNumber: string;
  readonly storeNumber: string;
  readonly name: string;
  readonly location: string;
  /** Splits deposits for commission when a campaign picks it. */
  readonly rogue: boolean;
}

export interface Chama {
  readonly treasurer: number;
  readonly members: readonly number[];
  /** The SACCO paybill the pot is banked with. */
  readonly biller: number;
}

export interface PopulationConfig {
  readonly seed: number;
  readonly customers: number;
  readonly startMs: number;
  readonly days: number;
}

export interface Population {
  readonly config: PopulationConfig;
  readonly customers: readonly SimCustomer[];
  readonly billers: readonly SimOrg[];
  readonly employers: readonly SimOrg[];
  /** Continuous B2C disbursers: winnings at any hour, in bursts when matches end. */
  readonly bookmakers: readonly SimOrg[];
  /** Continuous B2C disbursers: loans at any hour, repaid by paybill. */
  readonly lenders: readonly SimOrg[];
  /** Bulk B2C disbursers: riders' and drivers' earnings in one run every night. */
  readonly gigPlatforms: readonly SimOrg[];
  readonly tills: readonly SimTill[];
  readonly agents: readonly SimAgent[];
  readonly chamas: readonly Chama[];
  readonly mules: readonly number[];
  readonly byMsisdn: ReadonlyMap<string, number>;
}

/** Customers in one population: enough for any test or evaluation, small enough for setup. */
export const CUSTOMERS_MAX = 200_000;
/** Customers in one neighbourhood: most contacts, agents and tills are local. */
const VILLAGE_SIZE = 50;

const PERSONA_SHARES: readonly [Persona, number][] = [
  ['salaried', 0.3],
  ['casual', 0.42],
  ['trader', 0.08],
  ['dependent', 0.17],
  ['mule', 0.03],
];
const ACTIVITY_PER_DAY: Readonly<Record<Persona, number>> = {
  salaried: 2.6,
  casual: 2.2,
  trader: 5,
  dependent: 1.1,
  mule: 0.4,
};
const INITIAL_BALANCE_MEDIAN_KES: Readonly<Record<Persona, number>> = {
  salaried: 6_000,
  casual: 1_500,
  trader: 15_000,
  dependent: 800,
  mule: 300,
};

const FIRST_NAMES = [
  'Wanjiru',
  'Otieno',
  'Achieng',
  'Kamau',
  'Njeri',
  'Mwangi',
  'Chebet',
  'Kiprop',
];
const MORE_FIRST_NAMES = ['Akinyi', 'Mutua', 'Wambui', 'Ochieng', 'Nyambura', 'Kibet', 'Auma'];
const LAST_NAMES = ['Kariuki', 'Odhiambo', 'Wafula', 'Mutiso', 'Kimani', 'Omondi', 'Koech'];
const MORE_LAST_NAMES = ['Njoroge', 'Barasa', 'Cheruiyot', 'Muthoni', 'Onyango', 'Kiptoo'];
const BILLERS = ['Kenya Power', 'Nairobi Water', 'DSTV Kenya', 'Zuku Fibre', 'NHIF', 'KCB Loans'];
const MORE_BILLERS = ['Stima Sacco', 'Mwalimu Sacco', 'Jubilee Insurance', 'Bright School Fees'];
const LANDLORDS = ['Pangani Properties', 'Umoja Estates'];
// A few firms hold most of each market, so their number does not grow with the population: their
// customers, and so their daily payouts, do.
const BOOKMAKERS = ['Shinda Bet', 'Goli Sports', 'Bahati Bet'];
const LENDERS = ['Haraka Loans', 'Pesa Mkononi Credit', 'Chapchap Lending'];
const GIG_PLATFORMS = ['Boda Express', 'Chakula Delivery'];
/** Share of each persona who bet on their phone, and who borrow from a digital lender. */
const BETTOR_SHARE: Readonly<Record<Persona, number>> = {
  salaried: 0.25,
  casual: 0.3,
  trader: 0.2,
  dependent: 0.1,
  mule: 0,
};
const BORROWER_SHARE: Readonly<Record<Persona, number>> = {
  salaried: 0.15,
  casual: 0.2,
  trader: 0.25,
  dependent: 0.05,
  mule: 0,
};
/** Share of each persona who ride or drive for a platform (young men on boda bodas, mostly). */
const GIG_WORKER_SHARE: Readonly<Record<Persona, number>> = {
  salaried: 0,
  casual: 0.1,
  trader: 0.03,
  dependent: 0.02,
  mule: 0,
};
/** Median stakes per weekday of a bettor, and the log-normal spread between bettors. */
const STAKES_PER_DAY: readonly [number, number] = [0.4, 0.8];
const STAKES_PER_DAY_MAX = 6;
const PLACES = ['Kibera', 'Githurai', 'Kawangware', 'Eastleigh', 'Ruiru', 'Thika', 'Kisumu'];

/** Unique per index for any population size (7919 is prime, coprime with 8e7). */
export function msisdnOf(index: number): string {
  return `2547${20_000_000 + ((index * 7_919) % 80_000_000)}`;
}

/** The same MSISDN always gets the same PIN, whatever the seed, so re-runs keep working. */
export function pinOf(msisdn: string): string {
  for (let salt = 0; ; salt++) {
    const pin = String(mixSeed(Number(msisdn.slice(-8)), salt) % 10_000).padStart(4, '0');
    if (!isTrivialPin(pin)) return pin;
  }
}

export function createPopulation(config: PopulationConfig): Population {
  if (
    !Number.isInteger(config.customers) ||
    config.customers < 200 ||
    config.customers > CUSTOMERS_MAX
  )
    throw new RangeError(`customers must be an integer in [200, ${CUSTOMERS_MAX}]`);
  const random = createSimRandom(mixSeed(config.seed, 1));
  // Drawn in this order (businesses, then personas): a seed keeps giving the same population.
  const { billers, employers, tills, agents } = businessesOf(config.customers, random);
  const personas = Array.from(
    { length: config.customers },
    () => PERSONA_SHARES[random.weighted(PERSONA_SHARES.map(([, share]) => share))][0],
  );
  const disbursers = {
    bookmakers: orgsNamed(BOOKMAKERS, 600_100),
    lenders: orgsNamed(LENDERS, 610_100),
    gigPlatforms: orgsNamed(GIG_PLATFORMS, 620_100),
  };
  const world = { config, random, personas, billers, employers, tills, agents };
  const customers = personas.map((persona, index) => buildCustomer(world, index, persona));
  const chamas = buildChamas(random, customers, billers.length);
  // Betting and borrowing draw from their own stream, so they leave the rest of the population as
  // it was.
  const habits = createSimRandom(mixSeed(config.seed, 4));
  const withChamas = customers.map((c) => ({
    ...c,
    chama: chamaOf(chamas, c.index),
    ...disburserHabits(habits, c.persona, disbursers),
  }));
  return {
    config,
    customers: withChamas,
    billers,
    employers,
    ...disbursers,
    tills,
    agents,
    chamas,
    mules: withChamas.filter((c) => c.mule).map((c) => c.index),
    byMsisdn: new Map(withChamas.map((c) => [c.msisdn, c.index])),
  };
}

/** Paybills, employers, tills and agents, sized to the population. */
function businessesOf(customers: number, random: SimRandom) {
  const billers = orgsNamed([...BILLERS, ...MORE_BILLERS, ...LANDLORDS], 880_100);
  const employerCount = Math.max(3, Math.round(customers / 250));
  const employers = Array.from({ length: employerCount }, (_, i) => ({
    shortcode: String(900_100 + i),
    name: `Employer ${i + 1} Ltd`,
    midMonth: random.chance(0.25),
  }));
  const tills = Array.from({ length: Math.max(20, Math.round(customers / 40)) }, (_, i) => ({
    tillNumber: String(700_100 + i),
    storeNumber: String(710_100 + i),
    name: `Duka ${i + 1}`,
  }));
  const agents = Array.from({ length: Math.max(10, Math.round(customers / 120)) }, (_, i) => ({
    agentNumber: String(400_100 + i),
    storeNumber: String(450_100 + i),
    name: `Agent ${i + 1} Shop`,
    location: random.pick(PLACES),
    rogue: random.chance(0.06),
  }));
  return { billers, employers, tills, agents };
}

/** Organisations by name, numbered from `firstShortcode`; none pays mid-month. */
function orgsNamed(names: readonly string[], firstShortcode: number): SimOrg[] {
  return names.map((name, i) => ({ shortcode: String(firstShortcode + i), name, midMonth: false }));
}

interface Builder {
  readonly config: PopulationConfig;
  readonly random: SimRandom;
  readonly personas: readonly Persona[];
  readonly billers: readonly SimOrg[];
  readonly employers: readonly SimOrg[];
  readonly tills: readonly SimTill[];
  readonly agents: readonly SimAgent[];
}

function villageOf(index: number) {
  return Math.floor(index / VILLAGE_SIZE);
}

/** Mostly neighbours, some strangers; a local trader or two, as people pay the shop they know. */
function contactsOf(b: Builder, index: number): number[] {
  const { random, personas } = b;
  const n = personas.length;
  const village = villageOf(index) * VILLAGE_SIZE;
  const contacts = new Set<number>();
  const wanted = random.int(3, 8);
  for (let tries = 0; contacts.size < wanted && tries < 40; tries++) {
    const other = random.chance(0.7)
      ? Math.min(n - 1, village + random.int(0, VILLAGE_SIZE - 1))
      : random.int(0, n - 1);
    if (other !== index && personas[other] !== 'mule') contacts.add(other);
  }
  for (let k = 0; k < VILLAGE_SIZE && contacts.size < wanted + 2; k++) {
    const other = Math.min(n - 1, village + random.int(0, VILLAGE_SIZE - 1));
    if (personas[other] === 'trader' && other !== index) contacts.add(other);
  }
  return [...contacts];
}

/** Family upcountry: salaried people support one to three dependents elsewhere. */
function familyOf(b: Builder, index: number, persona: Persona): number[] {
  if (persona !== 'salaried') return [];
  const family: number[] = [];
  for (let tries = 0; family.length < 2 && tries < 30; tries++) {
    const other = b.random.int(0, b.personas.length - 1);
    if (b.personas[other] === 'dependent' && other !== index) family.push(other);
  }
  return family;
}

/** Share of ordinary customers who joined recently: new accounts are not only mules. */
const NEW_CUSTOMER_SHARE = 0.1;
/** Share of mules that are old accounts rented or bought from their owners. */
const RENTED_MULE_SHARE = 0.4;

function registeredAt(b: Builder, persona: Persona): number {
  const { random, config } = b;
  const fresh =
    persona === 'mule' ? !random.chance(RENTED_MULE_SHARE) : random.chance(NEW_CUSTOMER_SHARE);
  if (!fresh) return config.startMs - Math.round(random.uniform(60, 2_500)) * DAY_MS;
  // Fresh SIMs, some registered while the simulation runs (active from then on).
  const earliestDays = persona === 'mule' ? -45 : -120;
  return config.startMs + Math.round(random.uniform(earliestDays, config.days) * DAY_MS);
}

function buildCustomer(b: Builder, index: number, persona: Persona): SimCustomer {
  const { random } = b;
  const msisdn = msisdnOf(index);
  const village = villageOf(index);
  const localAgents = [village % b.agents.length, (village * 7 + 3) % b.agents.length];
  const localTills = [0, 1, 2].map((k) => (village * 5 + k * 3) % b.tills.length);
  const salaried = persona === 'salaried';
  // Family upcountry is also someone they send to between paydays.
  const family = familyOf(b, index, persona);
  return {
    index,
    msisdn,
    firstName: random.pick(random.chance(0.5) ? FIRST_NAMES : MORE_FIRST_NAMES),
    lastName: random.pick(random.chance(0.5) ? LAST_NAMES : MORE_LAST_NAMES),
    idNumber: String(20_000_000 + index),
    pin: pinOf(msisdn),
    registeredAtMs: registeredAt(b, persona),
    persona,
    activityPerDay: ACTIVITY_PER_DAY[persona] * random.logNormal(1, 0.4),
    contacts: [...contactsOf(b, index), ...family],
    agents: localAgents,
    tills: localTills,
    bills: [random.int(0, 5), random.int(0, 9)],
    employer: salaried ? random.int(0, b.employers.length - 1) : -1,
    salaryCents: salaried ? wholeKes(Math.min(250_000, random.logNormal(32_000, 0.5))) : 0,
    rentCents: salaried && random.chance(0.7) ? wholeKes(random.logNormal(12_000, 0.35)) : 0,
    family,
    chama: -1,
    bookmaker: -1,
    stakesPerDay: 0,
    lender: -1,
    gigPlatform: -1,
    mule: persona === 'mule',
    initialBalanceCents: wholeKes(
      Math.min(240_000, random.logNormal(INITIAL_BALANCE_MEDIAN_KES[persona], 0.8)),
    ),
  };
}

/** Who bets (with which firm, how often), who borrows (from which lender), who rides for whom. */
function disburserHabits(
  random: SimRandom,
  persona: Persona,
  orgs: Readonly<Record<'bookmakers' | 'lenders' | 'gigPlatforms', readonly SimOrg[]>>,
) {
  const bettor = random.chance(BETTOR_SHARE[persona]);
  const borrower = random.chance(BORROWER_SHARE[persona]);
  const rider = random.chance(GIG_WORKER_SHARE[persona]);
  const [median, sigma] = STAKES_PER_DAY;
  return {
    bookmaker: bettor ? random.int(0, orgs.bookmakers.length - 1) : -1,
    stakesPerDay: bettor ? Math.min(STAKES_PER_DAY_MAX, random.logNormal(median, sigma)) : 0,
    lender: borrower ? random.int(0, orgs.lenders.length - 1) : -1,
    gigPlatform: rider ? random.int(0, orgs.gigPlatforms.length - 1) : -1,
  };
}

/** Whole shillings in cents: M-Pesa amounts are whole shillings. */
export function wholeKes(shillings: number): number {
  return Math.max(1, Math.round(shillings)) * KES;
}

/** Savings groups of 8–15 neighbours with a treasurer: legitimate fan-in and pass-through. */
function buildChamas(
  random: SimRandom,
  customers: readonly SimCustomer[],
  billers: number,
): Chama[] {
  const chamas: Chama[] = [];
  const eligible = customers.filter((c) => c.persona === 'salaried' || c.persona === 'casual');
  for (let start = 0; start + 15 <= eligible.length; start += random.int(60, 160)) {
    const size = random.int(8, 15);
    const members = eligible.slice(start, start + size).map((c) => c.index);
    chamas.push({
      treasurer: members[0],
      members: members.slice(1),
      biller: random.int(6, billers - 3),
    });
  }
  return chamas;
}

function chamaOf(chamas: readonly Chama[], index: number): number {
  return chamas.findIndex((c) => c.treasurer === index || c.members.includes(index));
}

/** When a customer's account was opened: the feature store's account-age dependency. */
export function openedAtLookup(population: Population): (party: PartyRef) => number | undefined {
  return (party) => {
    if (party.kind !== 'customer') return undefined;
    const index = population.byMsisdn.get(party.id);
    return index === undefined ? undefined : population.customers[index].registeredAtMs;
  };
}
