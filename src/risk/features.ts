// Fraud features kept incrementally in memory from the committed stream (ARCHITECTURE.md §6).
//
// `vector` computes a transaction's features BEFORE it commits and changes nothing (not even the
// LRU order), so a refused or held payment leaves no trace; `observe` learns from a transaction
// AFTER it committed. Every value is computed from what the platform knows at decision time:
// the transaction, earlier committed transactions, and operator events (SIM swaps, device
// changes). State is bounded: a fixed-size slot per party (party-table.ts) and a capped number of
// parties, the least recently active evicted first.
//
// Windows are computed from each party's ring of its last RING_EVENTS events in each direction,
// so a count saturates at RING_EVENTS: "at least 32 in the last hour" is already an extreme value
// for a customer, and busy tills and agents are told apart by type and fan-in anyway. Distinct
// counts (fan-in, fan-out) are exact within the ring. Counterparties are compared by a 32-bit
// hash of their key; a collision among a party's 32 remembered counterparties is negligible.

import { KENYA_MSISDN_CONFIG, type MsisdnConfig, normaliseMsisdn } from '../identity/msisdn.ts';
import { TRANSACTION_TYPE_NUMBERS } from '../payments/commands.ts';
import {
  DAY_MS,
  HISTORY_WEIGHT_MAX,
  HOUR_MS,
  MINUTE_MS,
  NEAR_BAND_TOP_POSITION,
  PARTIES_TRACKED_DEFAULT,
  RATIO_MAX,
  RING_EVENTS,
  SAME_AMOUNT_TOLERANCE,
  TAKEOVER_SIGNAL_MAX_MS,
  WINDOW_1H_MS,
  WINDOW_1M_MS,
  WINDOW_10M_MS,
  WINDOW_24H_MS,
} from './limits.ts';
import type { FeatureSpec } from './model/model-file.ts';
import type { OperatorEvent, PartyRef, RiskTransaction } from './model.ts';
import {
  OUT_FLAG_DRAIN,
  OUT_FLAG_NEAR_BAND_TOP,
  OUT_FLAG_NEW_RECIPIENT,
  OUT_FLAG_QUICK,
  PartyTable,
} from './party-table.ts';
import { FEATURE_INDEX as F, FEATURE_COUNT, FEATURE_SCHEMA_HASH, FEATURE_SPECS } from './schema.ts';

/** One commission band as the market configuration has it (src/payments/tariffs.ts). */
export interface AmountBand {
  readonly minCents: number;
  readonly maxCents: number;
}

export interface FeatureStoreOptions {
  /** Parties tracked at most; the least recently active is forgotten first. */
  readonly capacity?: number;
  /** Local time for hour-of-day features (Nairobi, +180, by default). */
  readonly utcOffsetMinutes?: number;
  /** Commission bands by transaction type (the market's `commissions`), for band_position. */
  readonly commissionBands?: Readonly<Record<string, { readonly bands: readonly AmountBand[] }>>;
  /**
   * When a customer's account was opened (the registry's registeredAtMs). Without it, or when it
   * answers undefined, account age is measured from the first time this store saw the customer.
   * Only customers have an account age: a business's, till's or agent's is missing (NaN), so no
   * deployment can disagree with training on how old a till is.
   */
  readonly accountOpenedAtMs?: (party: PartyRef) => number | undefined;
  /** Numbering plan for operator events' MSISDNs (Kenya by default). */
  readonly msisdn?: MsisdnConfig;
}

/** Whose state a transaction teaches: both parties (a live commit), or one of them. */
export type ObservedSide = 'both' | 'payer' | 'recipient';

export interface FeatureStoreStats {
  readonly parties: number;
  readonly capacity: number;
  readonly slotsAllocated: number;
  readonly columnBytes: number;
  readonly evictions: number;
  readonly observed: number;
  readonly skipped: number;
  readonly events: number;
}

export interface FeatureStore {
  readonly schema: readonly FeatureSpec[];
  readonly schemaHash: string;
  /** Fills `into` (length FEATURE_COUNT) with the features of a transaction about to commit. */
  vector(txn: RiskTransaction, into: Float64Array): Float64Array;
  /**
   * Learns from a committed transaction; `side` limits the learning to the payer's or the
   * recipient's state (an imported history speaks for one customer only: its counterparties'
   * own histories arrive with them, so learning both sides would count a payment twice).
   */
  observe(txn: RiskTransaction, side?: ObservedSide): void;
  /** Learns from an operator event. Returns false for an MSISDN that is not valid. */
  recordEvent(event: OperatorEvent): boolean;
  stats(): FeatureStoreStats;
}

/**
 * Moves between an operator's own accounts and fee postings: not a party's behaviour, and
 * counting them would make every overdraft user look busy.
 */
const NOT_BEHAVIOUR = new Set([
  'funding',
  'org_transfer',
  'overdraft_daily_fee',
  'overdraft_repayment',
]);

/** Population prior for a payer's ln(1 + shillings): a typical payment of about KES 500. */
const AMOUNT_PRIOR_LOG_MEAN = Math.log1p(500);
const AMOUNT_PRIOR_LOG_SD = 1.2;
/** Weight of the prior in pseudo-transactions: a new customer's z-score starts near the prior's. */
const AMOUNT_PRIOR_WEIGHT = 5;
/** A share of the payer's habits starts at this prior, worth this many payments. */
const HABIT_PRIOR = 0.2;
const HABIT_PRIOR_WEIGHT = 3;
/**
 * Prior for a payer's rate: one payment an hour, worth one day of history. Generous on purpose:
 * a newcomer's habit is unknown, so a busy first evening is not a departure from it; the ratio
 * speaks once the customer's own days outweigh the prior (trust that grows with history).
 */
const RATE_PRIOR_PER_DAY = 24;
/** Spending this share of the balance or more counts as spending it down. */
const DRAIN_SHARE = 0.8;

export function partyKey(party: PartyRef): string {
  return `${party.kind}:${party.id}`;
}

function fnv1a(hash: number, text: string): number {
  let h = hash;
  for (let k = 0; k < text.length; k++) {
    h ^= text.charCodeAt(k);
    h = Math.imul(h, 0x01000193);
  }
  return h;
}

/** FNV-1a over `kind:id`: counterparties are remembered as 32-bit hashes. */
export function peerHash(party: PartyRef): number {
  return fnv1a(fnv1a(fnv1a(0x811c9dc5, party.kind), ':'), party.id) | 0;
}

/** An open-addressing set of ints cleared by a generation bump, for distinct counts in a ring. */
class DistinctSet {
  private readonly values = new Int32Array(128);
  private readonly marks = new Int32Array(128);
  private generation = 1;
  size = 0;

  clear(): void {
    this.size = 0;
    this.generation += 1;
    if (this.generation === 0x3fffffff) {
      this.marks.fill(0);
      this.generation = 1;
    }
  }

  add(value: number): void {
    let h = Math.imul(value, 0x9e3779b1) >>> 25;
    while (this.marks[h] === this.generation) {
      if (this.values[h] === value) return;
      h = (h + 1) & 127;
    }
    this.marks[h] = this.generation;
    this.values[h] = value;
    this.size += 1;
  }
}

function ratio(numerator: number, denominator: number): number {
  if (!(denominator > 0)) return Number.NaN;
  return Math.min(RATIO_MAX, numerator / denominator);
}

const centsLog = (cents: number) => Math.log1p(cents / 100);

/** Scratch state for one vector computation; reused so scoring allocates nothing. */
interface Scratch {
  /** Counts and amounts for the 1 min, 10 min, 1 h and 24 h windows. */
  readonly counts: Float64Array;
  readonly amounts: Float64Array;
  readonly fanOut1h: DistinctSet;
  readonly fanOut24h: DistinctSet;
  readonly fanIn1h: DistinctSet;
  readonly fanIn24h: DistinctSet;
}

export function createFeatureStore(options: FeatureStoreOptions = {}): FeatureStore {
  const table = new PartyTable(options.capacity ?? PARTIES_TRACKED_DEFAULT);
  const deps: StoreDeps = {
    table,
    offsetMs: (options.utcOffsetMinutes ?? 180) * MINUTE_MS,
    bands: options.commissionBands ?? {},
    openedAtMs: options.accountOpenedAtMs,
    msisdn: options.msisdn ?? KENYA_MSISDN_CONFIG,
    scratch: {
      counts: new Float64Array(4),
      amounts: new Float64Array(4),
      fanOut1h: new DistinctSet(),
      fanOut24h: new DistinctSet(),
      fanIn1h: new DistinctSet(),
      fanIn24h: new DistinctSet(),
    },
  };
  const counters = { observed: 0, skipped: 0, events: 0 };
  return {
    schema: FEATURE_SPECS,
    schemaHash: FEATURE_SCHEMA_HASH,
    vector: (txn, into) => computeVector(deps, txn, into),
    observe(txn, side) {
      if (observeTransaction(deps, txn, side)) counters.observed += 1;
      else counters.skipped += 1;
    },
    recordEvent(event) {
      const recorded = recordOperatorEvent(deps, event);
      if (recorded) counters.events += 1;
      return recorded;
    },
    stats: () => ({
      parties: table.size,
      capacity: table.capacity,
      slotsAllocated: table.slotsAllocated,
      columnBytes: table.columnBytes,
      evictions: table.evictions,
      ...counters,
    }),
  };
}

interface StoreDeps {
  readonly table: PartyTable;
  readonly offsetMs: number;
  readonly bands: Readonly<Record<string, { readonly bands: readonly AmountBand[] }>>;
  readonly openedAtMs: ((party: PartyRef) => number | undefined) | undefined;
  readonly msisdn: MsisdnConfig;
  readonly scratch: Scratch;
}

/** Where the amount sits in its commission band: 0 at the bottom, 1 just under the next band. */
function bandPosition(deps: StoreDeps, type: string, amountCents: number): number {
  const table = deps.bands[type];
  if (table === undefined) return Number.NaN;
  for (const band of table.bands) {
    if (amountCents < band.minCents || amountCents > band.maxCents) continue;
    const width = band.maxCents - band.minCents;
    return width <= 0 ? 1 : (amountCents - band.minCents) / width;
  }
  return Number.NaN;
}

function computeVector(deps: StoreDeps, txn: RiskTransaction, into: Float64Array): Float64Array {
  if (into.length !== FEATURE_COUNT) {
    throw new RangeError(`feature buffer has ${into.length} slots, schema has ${FEATURE_COUNT}`);
  }
  const { table } = deps;
  const payer = table.find(txn.from.kind, txn.from.id);
  const recipient = table.find(txn.to.kind, txn.to.id);
  const peer = peerHash(txn.to);
  fillTransaction(deps, txn, into);
  fillPayerOut(deps, payer, txn, peer, into);
  fillPayerHistory(table, payer, txn, into);
  fillPayerIn(deps, payer, txn, peer, into);
  fillTakeover(deps, payer, txn, into);
  fillRecipient(deps, recipient, txn, into);
  into[F.new_recipient] = payer >= 0 && table.knowsPeer(payer, peer) ? 0 : 1;
  return into;
}

function fillTransaction(deps: StoreDeps, txn: RiskTransaction, into: Float64Array): void {
  into[F.amount_log] = centsLog(txn.amountCents);
  into[F.type_code] = (TRANSACTION_TYPE_NUMBERS as Readonly<Record<string, number>>)[txn.type] ?? 0;
  into[F.band_position] = bandPosition(deps, txn.type, txn.amountCents);
  const balance = txn.fromBalanceCents;
  const known = balance !== undefined && Number.isFinite(balance);
  into[F.drain_ratio] = known ? ratio(txn.amountCents, balance) : Number.NaN;
}

/** One pass over the payer's outgoing ring: velocity, fan-out, pair counts, repeats. */
function fillPayerOut(
  deps: StoreDeps,
  payer: number,
  txn: RiskTransaction,
  peer: number,
  into: Float64Array,
): void {
  const { table, scratch } = deps;
  const { counts, amounts } = scratch;
  counts.fill(0);
  amounts.fill(0);
  let newRecipients1h = 0;
  let sameAmount1h = 0;
  let nearTop1h = 0;
  let pairNearTop1h = 0;
  let pair1h = 0;
  let pair24h = 0;
  let newestMs = Number.NaN;
  let oldestMs = Number.NaN;
  const habits = { newRecipient: 0, drain: 0, quick: 0 };
  scratch.fanOut1h.clear();
  scratch.fanOut24h.clear();
  const length = payer >= 0 ? table.outLength[payer] : 0;
  for (let k = 0; k < length; k++) {
    const at = payer * RING_EVENTS + k;
    const atMs = table.outMs[at];
    if (!(atMs <= newestMs)) newestMs = atMs;
    if (!(atMs >= oldestMs)) oldestMs = atMs;
    const flags = table.outFlags[at];
    if ((flags & OUT_FLAG_NEW_RECIPIENT) !== 0) habits.newRecipient += 1;
    if ((flags & OUT_FLAG_DRAIN) !== 0) habits.drain += 1;
    if ((flags & OUT_FLAG_QUICK) !== 0) habits.quick += 1;
    const age = txn.timestampMs - atMs;
    if (age >= WINDOW_24H_MS) continue;
    const amount = table.outAmountCents[at];
    const other = table.outPeer[at];
    countWindows(age, amount, counts, amounts);
    scratch.fanOut24h.add(other);
    if (other === peer) pair24h += 1;
    if (age >= WINDOW_1H_MS) continue;
    scratch.fanOut1h.add(other);
    if (other === peer) pair1h += 1;
    if ((flags & OUT_FLAG_NEW_RECIPIENT) !== 0) newRecipients1h += 1;
    if ((flags & OUT_FLAG_NEAR_BAND_TOP) !== 0) {
      nearTop1h += 1;
      if (other === peer) pairNearTop1h += 1;
    }
    if (Math.abs(amount - txn.amountCents) <= SAME_AMOUNT_TOLERANCE * txn.amountCents)
      sameAmount1h += 1;
  }
  into[F.payer_count_1m] = counts[0];
  into[F.payer_count_10m] = counts[1];
  into[F.payer_count_1h] = counts[2];
  into[F.payer_count_24h] = counts[3];
  into[F.payer_amount_1m_log] = centsLog(amounts[0]);
  into[F.payer_amount_10m_log] = centsLog(amounts[1]);
  into[F.payer_amount_1h_log] = centsLog(amounts[2]);
  into[F.payer_amount_24h_log] = centsLog(amounts[3]);
  into[F.payer_fan_out_1h] = scratch.fanOut1h.size;
  into[F.payer_fan_out_24h] = scratch.fanOut24h.size;
  into[F.payer_new_recipients_1h] = newRecipients1h;
  into[F.payer_same_amount_1h] = sameAmount1h;
  into[F.payer_near_band_top_1h] = nearTop1h;
  into[F.pair_count_1h] = pair1h;
  into[F.pair_near_band_top_1h] = pairNearTop1h;
  into[F.pair_count_24h] = pair24h;
  into[F.payer_idle_days_log] =
    length === 0 ? Number.NaN : Math.log1p(Math.max(0, txn.timestampMs - newestMs) / DAY_MS);
  const share = (count: number) =>
    (count + HABIT_PRIOR * HABIT_PRIOR_WEIGHT) / (length + HABIT_PRIOR_WEIGHT);
  into[F.payer_rate_ratio_1h] = rateRatio(counts[2], length, txn.timestampMs - oldestMs);
  into[F.payer_new_recipient_share] = share(habits.newRecipient);
  into[F.payer_drain_share] = share(habits.drain);
  into[F.payer_quick_spend_share] = share(habits.quick);
}

/**
 * Payments in the last hour against the payer's own hourly rate over the remembered ring, shrunk
 * towards a prior rate while the history is short (decision 0025): a trader's tenth payment of the
 * hour is ordinary, a household's is not. The span is at least a day so a few payments close
 * together do not make their own baseline.
 */
function rateRatio(count1h: number, remembered: number, spanMs: number): number {
  const spanH = Math.max(24, (Number.isFinite(spanMs) ? spanMs : 0) / HOUR_MS);
  const perHour = (remembered + RATE_PRIOR_PER_DAY) / (spanH + 24);
  return Math.min(RATIO_MAX, count1h / perHour);
}

/** Adds one event of age `age` (< 24 h) to the 1 min / 10 min / 1 h / 24 h sums. */
function countWindows(age: number, amount: number, counts: Float64Array, amounts: Float64Array) {
  counts[3] += 1;
  amounts[3] += amount;
  if (age >= WINDOW_1H_MS) return;
  counts[2] += 1;
  amounts[2] += amount;
  if (age >= WINDOW_10M_MS) return;
  counts[1] += 1;
  amounts[1] += amount;
  if (age >= WINDOW_1M_MS) return;
  counts[0] += 1;
  amounts[0] += amount;
}

/** The amount against the payer's own history, shrunk towards a population prior. */
function fillPayerHistory(
  table: PartyTable,
  payer: number,
  txn: RiskTransaction,
  into: Float64Array,
): void {
  const n = payer >= 0 ? table.outTotal[payer] : 0;
  const mean = payer >= 0 ? table.logMean[payer] : 0;
  const m2 = payer >= 0 ? table.logM2[payer] : 0;
  const k = AMOUNT_PRIOR_WEIGHT;
  const shrunkMean = (n * mean + k * AMOUNT_PRIOR_LOG_MEAN) / (n + k);
  const spread = n === 0 ? 0 : ((n * k) / (n + k)) * (mean - AMOUNT_PRIOR_LOG_MEAN) ** 2;
  const variance = (m2 + k * AMOUNT_PRIOR_LOG_SD ** 2 + spread) / (n + k);
  const amountLog = centsLog(txn.amountCents);
  const typicalCents = Math.expm1(shrunkMean) * 100;
  const maxCents = Math.max(payer >= 0 ? table.amountMaxCents[payer] : 0, typicalCents);
  into[F.amount_z] = (amountLog - shrunkMean) / Math.sqrt(variance);
  into[F.amount_to_mean_ratio] = ratio(txn.amountCents, typicalCents);
  into[F.amount_to_max_ratio] = ratio(txn.amountCents, maxCents);
  // The balance against what this customer usually pays, not in shillings: a salaried household
  // keeping KES 8,000 is not at risk for it (decision 0025).
  const balance = txn.fromBalanceCents;
  into[F.balance_to_typical_ratio] =
    balance !== undefined && Number.isFinite(balance)
      ? ratio(Math.max(0, balance), typicalCents)
      : Number.NaN;
}

/** One pass over the payer's incoming ring: fan-in, pass-through, the last money received. */
function fillPayerIn(
  deps: StoreDeps,
  payer: number,
  txn: RiskTransaction,
  peer: number,
  into: Float64Array,
): void {
  const { table, scratch } = deps;
  scratch.fanIn1h.clear();
  scratch.fanIn24h.clear();
  let count24h = 0;
  let amount24h = 0;
  let lastMs = Number.NaN;
  let lastAmount = 0;
  let lastPeer = 0;
  const length = payer >= 0 ? table.inLength[payer] : 0;
  for (let k = 0; k < length; k++) {
    const at = payer * RING_EVENTS + k;
    const atMs = table.inMs[at];
    if (!(atMs <= lastMs)) {
      lastMs = atMs;
      lastAmount = table.inAmountCents[at];
      lastPeer = table.inPeer[at];
    }
    const age = txn.timestampMs - atMs;
    if (age >= WINDOW_24H_MS) continue;
    count24h += 1;
    amount24h += table.inAmountCents[at];
    scratch.fanIn24h.add(table.inPeer[at]);
    if (age < WINDOW_1H_MS) scratch.fanIn1h.add(table.inPeer[at]);
  }
  const out24hCents = Math.expm1(into[F.payer_amount_24h_log]) * 100;
  into[F.payer_fan_in_1h] = scratch.fanIn1h.size;
  into[F.payer_fan_in_24h] = scratch.fanIn24h.size;
  into[F.payer_in_count_24h] = count24h;
  into[F.payer_in_amount_24h_log] = centsLog(amount24h);
  into[F.pass_through_ratio] = ratio(out24hCents + txn.amountCents, amount24h);
  const none = length === 0;
  into[F.last_in_age_min_log] = none
    ? Number.NaN
    : Math.log1p(Math.max(0, txn.timestampMs - lastMs) / MINUTE_MS);
  into[F.amount_to_last_in_ratio] = none ? Number.NaN : ratio(txn.amountCents, lastAmount);
  into[F.recipient_is_last_sender] = none ? Number.NaN : lastPeer === peer ? 1 : 0;
}

function ageOf(sinceMs: number, nowMs: number, unitMs: number): number {
  const age = nowMs - sinceMs;
  if (!(age >= 0 && age <= TAKEOVER_SIGNAL_MAX_MS)) return Number.NaN;
  return Math.log1p(age / unitMs);
}

/** ln(1 + account age in days) of a customer; NaN for any other kind of party. */
function ageDaysLog(deps: StoreDeps, party: PartyRef, slot: number, nowMs: number): number {
  if (party.kind !== 'customer') return Number.NaN;
  const given = deps.openedAtMs?.(party);
  const opened =
    given !== undefined && Number.isFinite(given)
      ? given
      : slot >= 0
        ? deps.table.firstSeenMs[slot]
        : nowMs;
  return Math.log1p(Math.max(0, nowMs - opened) / DAY_MS);
}

function fillTakeover(deps: StoreDeps, payer: number, txn: RiskTransaction, into: Float64Array) {
  const { table } = deps;
  const now = txn.timestampMs;
  into[F.sim_swap_age_h_log] =
    payer >= 0 ? ageOf(table.simSwapMs[payer], now, HOUR_MS) : Number.NaN;
  into[F.device_change_age_h_log] =
    payer >= 0 ? ageOf(table.deviceChangeMs[payer], now, HOUR_MS) : Number.NaN;
  into[F.payer_age_days_log] = ageDaysLog(deps, txn.from, payer, now);
}

function fillRecipient(
  deps: StoreDeps,
  recipient: number,
  txn: RiskTransaction,
  into: Float64Array,
): void {
  const { table, scratch } = deps;
  scratch.fanIn1h.clear();
  scratch.fanIn24h.clear();
  let count24h = 0;
  const length = recipient >= 0 ? table.inLength[recipient] : 0;
  for (let k = 0; k < length; k++) {
    const at = recipient * RING_EVENTS + k;
    const age = txn.timestampMs - table.inMs[at];
    if (age >= WINDOW_24H_MS) continue;
    count24h += 1;
    scratch.fanIn24h.add(table.inPeer[at]);
    if (age < WINDOW_1H_MS) scratch.fanIn1h.add(table.inPeer[at]);
  }
  into[F.recipient_fan_in_1h] = scratch.fanIn1h.size;
  into[F.recipient_fan_in_24h] = scratch.fanIn24h.size;
  into[F.recipient_in_count_24h] = count24h;
  into[F.recipient_age_days_log] = ageDaysLog(deps, txn.to, recipient, txn.timestampMs);
}

function observeTransaction(
  deps: StoreDeps,
  txn: RiskTransaction,
  side: ObservedSide = 'both',
): boolean {
  if (NOT_BEHAVIOUR.has(txn.type)) return false;
  if (!(Number.isFinite(txn.amountCents) && txn.amountCents > 0)) return false;
  if (!Number.isFinite(txn.timestampMs)) return false;
  if (side !== 'recipient') observePayer(deps, txn);
  // Airtime's "recipient" is the operator's sale account keyed by the phone topped up: no party.
  if (side !== 'payer' && txn.to.kind !== 'operator') observeRecipient(deps, txn);
  return true;
}

function observePayer(deps: StoreDeps, txn: RiskTransaction): void {
  const { table } = deps;
  const now = txn.timestampMs;
  const recipientPeer = peerHash(txn.to);
  const payer = table.acquire(txn.from.kind, txn.from.id, now);
  let flags = table.knowsPeer(payer, recipientPeer) ? 0 : OUT_FLAG_NEW_RECIPIENT;
  if (bandPosition(deps, txn.type, txn.amountCents) >= NEAR_BAND_TOP_POSITION)
    flags |= OUT_FLAG_NEAR_BAND_TOP;
  const balance = txn.fromBalanceCents;
  if (balance !== undefined && balance > 0 && txn.amountCents >= DRAIN_SHARE * balance)
    flags |= OUT_FLAG_DRAIN;
  if (now - newestInMs(table, payer) <= MINUTE_MS) flags |= OUT_FLAG_QUICK;
  table.pushOut(payer, now, txn.amountCents, recipientPeer, flags);
  table.rememberPeer(payer, recipientPeer, now);
  learnAmount(table, payer, txn.amountCents);
}

function observeRecipient(deps: StoreDeps, txn: RiskTransaction): void {
  const { table } = deps;
  const now = txn.timestampMs;
  const payerPeer = peerHash(txn.from);
  const recipient = table.acquire(txn.to.kind, txn.to.id, now);
  table.pushIn(recipient, now, txn.amountCents, payerPeer);
  // Someone who sent me money is not a stranger when I pay them back.
  table.rememberPeer(recipient, payerPeer, now);
}

/** When money last arrived in a party's wallet; NaN when never. */
function newestInMs(table: PartyTable, slot: number): number {
  let newest = Number.NaN;
  for (let k = 0; k < table.inLength[slot]; k++) {
    const atMs = table.inMs[slot * RING_EVENTS + k];
    if (!(atMs <= newest)) newest = atMs;
  }
  return newest;
}

/** Welford's update of the log-amount mean and spread, with the weight capped so habits can move. */
function learnAmount(table: PartyTable, slot: number, amountCents: number): void {
  const x = centsLog(amountCents);
  const n = Math.min(table.outTotal[slot] + 1, HISTORY_WEIGHT_MAX);
  const delta = x - table.logMean[slot];
  const mean = table.logMean[slot] + delta / n;
  const m2 = table.logM2[slot] * (n === HISTORY_WEIGHT_MAX ? (n - 1) / n : 1);
  table.logMean[slot] = mean;
  table.logM2[slot] = m2 + delta * (x - mean);
  table.outTotal[slot] = n;
  table.amountMaxCents[slot] = Math.max(table.amountMaxCents[slot], amountCents);
}

function recordOperatorEvent(deps: StoreDeps, event: OperatorEvent): boolean {
  const number = normaliseMsisdn(event.msisdn, deps.msisdn);
  if (!number.ok || !Number.isFinite(event.atMs)) return false;
  const { table } = deps;
  const slot = table.acquire('customer', number.msisdn, event.atMs);
  const column = event.type === 'sim_swap' ? table.simSwapMs : table.deviceChangeMs;
  // Events can arrive late or twice; the most recent one is the signal.
  if (!(column[slot] >= event.atMs)) column[slot] = event.atMs;
  return true;
}
