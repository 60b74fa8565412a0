// Tariffs: what a transaction costs, who pays it, how much of it is excise duty, what an agent
// earns, and what an overdraft costs. Every number comes from the market configuration (see
// market-config.ts and config/ke.json); this module only knows how to read banded tables.
//
// Rounding, defined once for the whole module: every division (basis-point fees, excise
// extracted from an excise-inclusive fee) rounds to the nearest cent, halves up. Fee parts are
// derived by subtraction (net = charged − excise), so the parts always sum to the charged fee
// exactly: no cent is created or lost.

export const TRANSACTION_TYPES = [
  'send_money',
  'send_unregistered',
  'paybill',
  'buy_goods',
  'agent_withdrawal',
  'atm_withdrawal',
  'agent_deposit',
  'b2c',
  'b2b',
  'airtime',
  'reversal',
] as const;
export type TransactionType = (typeof TRANSACTION_TYPES)[number];

/**
 * A paybill's tariff is the biller's choice: 'customer_pays' ("Business Bouquet"), 'shared'
 * ("Mgao": both pay a part) or 'business_pays' ("Customer Bouquet").
 */
export const PAYBILL_TARIFFS = ['customer_pays', 'shared', 'business_pays'] as const;
export type PaybillTariff = (typeof PAYBILL_TARIFFS)[number];

export const FEE_PAYERS = ['sender', 'receiver', 'split'] as const;
export type FeePayer = (typeof FEE_PAYERS)[number];

/**
 * 'inclusive': the quoted fee already contains the excise duty (Kenya's M-Pesa tariffs), so
 * excise = fee × rate / (1 + rate). 'exclusive': excise is charged on top, fee × rate.
 */
export const EXCISE_MODES = ['inclusive', 'exclusive'] as const;
export type ExciseMode = (typeof EXCISE_MODES)[number];

export const BASIS_POINTS_PER_UNIT = 10_000;
/** Bands per table: real tariffs have about fifteen; more is a configuration mistake. */
export const TARIFF_BANDS_MAX = 64;
/** Largest band bound: keeps every amount and fee a safe integer with a wide margin. */
export const BAND_CENTS_MAX = 1_000_000_000_000_000;
export const OVERDRAFT_FREE_DAYS_MAX = 366;

export interface Band {
  readonly minCents: number;
  readonly maxCents: number;
}

export type FeeRule =
  | { readonly kind: 'fixed'; readonly feeCents: number }
  | { readonly kind: 'rate'; readonly rateBasisPoints: number; readonly capCents: number | null };

export const FREE: FeeRule = Object.freeze({ kind: 'fixed', feeCents: 0 });

export interface TariffBand extends Band {
  readonly senderFee: FeeRule;
  readonly receiverFee: FeeRule;
}

export interface TariffTable {
  readonly payer: FeePayer;
  readonly bands: readonly TariffBand[];
}

export type TariffTables = Readonly<Record<Exclude<TransactionType, 'paybill'>, TariffTable>>;

export interface TariffConfig {
  readonly exciseRateBasisPoints: number;
  readonly exciseMode: ExciseMode;
  readonly tables: TariffTables;
  readonly paybill: Readonly<Record<PaybillTariff, TariffTable>>;
  /**
   * Malipo's own fee for a send to another provider over the interoperability scheme, charged to
   * the sender on top of the payee FSP's quoted fee (decision 0027); null: no fee of our own.
   */
  readonly otherNetworks: TariffTable | null;
}

export type FeeRequest =
  | { readonly type: Exclude<TransactionType, 'paybill'>; readonly amountCents: number }
  | {
      readonly type: 'paybill';
      readonly amountCents: number;
      readonly paybillTariff: PaybillTariff;
    };

/** A fee taken apart: what is charged, the excise duty inside it, and the operator's revenue. */
export interface FeeSplit {
  readonly feeCents: number;
  readonly exciseCents: number;
  readonly netFeeCents: number;
}

export interface FeeQuote extends FeeSplit {
  readonly ok: true;
  readonly payer: FeePayer;
  readonly senderFeeCents: number;
  readonly receiverFeeCents: number;
  /** Each side's part taken apart; ledger legs are built from these, never re-split. */
  readonly sender: FeeSplit;
  readonly receiver: FeeSplit;
}

export interface BandRefusal {
  readonly ok: false;
  readonly error: 'amount_outside_tariff';
  readonly message: string;
}

/** a × b / c rounded to the nearest integer, halves up, exactly (no float on the way). */
export function mulDivRoundHalfUp(a: number, b: number, c: number): number {
  assertCents(a, 'a');
  assertCents(b, 'b');
  if (!Number.isSafeInteger(c) || c <= 0) throw new RangeError(`divisor must be positive: ${c}`);
  return Number((BigInt(a) * BigInt(b) * 2n + BigInt(c)) / (BigInt(c) * 2n));
}

function assertCents(value: number, name: string): void {
  if (!Number.isSafeInteger(value) || value < 0) {
    throw new RangeError(`${name} must be a non-negative integer number of cents: ${value}`);
  }
}

/** The band holding the amount, or undefined. Bands are validated ascending and contiguous. */
export function findBand<B extends Band>(bands: readonly B[], amountCents: number): B | undefined {
  return bands.find((band) => amountCents >= band.minCents && amountCents <= band.maxCents);
}

function outsideBands(what: string, amountCents: number, bands: readonly Band[]): BandRefusal {
  const first = bands[0];
  const last = bands[bands.length - 1];
  const range = first && last ? `${first.minCents}..${last.maxCents}` : 'none';
  return {
    ok: false,
    error: 'amount_outside_tariff',
    message: `${what}: no band holds ${amountCents} cents (bands cover ${range} cents)`,
  };
}

/** Takes the excise out of (inclusive) or adds it to (exclusive) a quoted fee. */
export function splitExcise(
  quotedCents: number,
  rateBasisPoints: number,
  mode: ExciseMode,
): FeeSplit {
  if (mode === 'inclusive') {
    const exciseCents = mulDivRoundHalfUp(
      quotedCents,
      rateBasisPoints,
      BASIS_POINTS_PER_UNIT + rateBasisPoints,
    );
    return { feeCents: quotedCents, exciseCents, netFeeCents: quotedCents - exciseCents };
  }
  const exciseCents = mulDivRoundHalfUp(quotedCents, rateBasisPoints, BASIS_POINTS_PER_UNIT);
  return { feeCents: quotedCents + exciseCents, exciseCents, netFeeCents: quotedCents };
}

/** The fee a rule quotes for an amount, before excise is taken out or added. */
export function ruleFeeCents(rule: FeeRule, amountCents: number): number {
  if (rule.kind === 'fixed') return rule.feeCents;
  const feeCents = mulDivRoundHalfUp(amountCents, rule.rateBasisPoints, BASIS_POINTS_PER_UNIT);
  return rule.capCents === null ? feeCents : Math.min(feeCents, rule.capCents);
}

export function tariffTableFor(tariffs: TariffConfig, request: FeeRequest): TariffTable {
  return request.type === 'paybill'
    ? tariffs.paybill[request.paybillTariff]
    : tariffs.tables[request.type];
}

/**
 * The fee for one transaction. Excise is computed on each payer's part separately, so each
 * side's ledger legs stand on their own; exciseCents is their sum.
 */
export function quoteFee(tariffs: TariffConfig, request: FeeRequest): FeeQuote | BandRefusal {
  assertCents(request.amountCents, 'amountCents');
  const table = tariffTableFor(tariffs, request);
  const band = findBand(table.bands, request.amountCents);
  if (band === undefined)
    return outsideBands(`tariff ${request.type}`, request.amountCents, table.bands);
  const { exciseRateBasisPoints: rate, exciseMode: mode } = tariffs;
  const sender = splitExcise(ruleFeeCents(band.senderFee, request.amountCents), rate, mode);
  const receiver = splitExcise(ruleFeeCents(band.receiverFee, request.amountCents), rate, mode);
  return {
    ok: true,
    payer: table.payer,
    feeCents: sender.feeCents + receiver.feeCents,
    senderFeeCents: sender.feeCents,
    receiverFeeCents: receiver.feeCents,
    sender,
    receiver,
    exciseCents: sender.exciseCents + receiver.exciseCents,
    netFeeCents: sender.netFeeCents + receiver.netFeeCents,
  };
}

/**
 * Malipo's fee for sending `amountCents` (what the recipient gets) to another network, banded on
 * that amount and taken apart like any sender's fee; zero when the market has no such tariff.
 */
export function otherNetworksFee(
  tariffs: TariffConfig,
  amountCents: number,
): FeeSplit | BandRefusal {
  assertCents(amountCents, 'amountCents');
  const table = tariffs.otherNetworks;
  if (table === null) return { feeCents: 0, exciseCents: 0, netFeeCents: 0 };
  const band = findBand(table.bands, amountCents);
  if (band === undefined) return outsideBands('tariff otherNetworks', amountCents, table.bands);
  const quoted = ruleFeeCents(band.senderFee, amountCents);
  return splitExcise(quoted, tariffs.exciseRateBasisPoints, tariffs.exciseMode);
}

// ---------------------------------------------------------------------------------------------
// Agent commissions

/** Where an agent's commission is paid from: the transaction's fee, or the operator's budget. */
export const COMMISSION_SOURCES = ['fee_revenue', 'operator'] as const;
export type CommissionSource = (typeof COMMISSION_SOURCES)[number];

export interface CommissionBand extends Band {
  readonly commissionCents: number;
}

export interface CommissionTable {
  readonly source: CommissionSource;
  readonly bands: readonly CommissionBand[];
}

export type CommissionType = 'agent_withdrawal' | 'agent_deposit';
export const COMMISSION_TYPES: readonly CommissionType[] = ['agent_withdrawal', 'agent_deposit'];

export type CommissionConfig = Readonly<Record<CommissionType, CommissionTable>>;

export interface CommissionQuote {
  readonly ok: true;
  readonly commissionCents: number;
  readonly source: CommissionSource;
}

export function agentCommission(
  commissions: CommissionConfig,
  type: CommissionType,
  amountCents: number,
): CommissionQuote | BandRefusal {
  assertCents(amountCents, 'amountCents');
  const table = commissions[type];
  const band = findBand(table.bands, amountCents);
  if (band === undefined) return outsideBands(`commission ${type}`, amountCents, table.bands);
  return { ok: true, commissionCents: band.commissionCents, source: table.source };
}

// ---------------------------------------------------------------------------------------------
// Overdraft (Fuliza-style) charges

export interface OverdraftDailyFeeBand extends Band {
  readonly dailyFeeCents: number;
  /** Days (counted in midnights since the draw) on which this band charges nothing. */
  readonly freeDays: number;
}

export interface OverdraftConfig {
  /** One-off fee on each draw, in basis points of the amount drawn. */
  readonly accessFeeBasisPoints: number;
  /** Excise on overdraft fees, which is a different rate from transfer fees in Kenya. */
  readonly exciseRateBasisPoints: number;
  readonly exciseMode: ExciseMode;
  readonly limitMaxCents: number;
  /** Days after a draw by which it is due (shown in the draw SMS). */
  readonly repaymentDays: number;
  readonly dailyFeeBands: readonly OverdraftDailyFeeBand[];
}

/** The access fee for one draw. */
export function overdraftAccessFee(overdraft: OverdraftConfig, drawCents: number): FeeSplit {
  const quoted = mulDivRoundHalfUp(
    drawCents,
    overdraft.accessFeeBasisPoints,
    BASIS_POINTS_PER_UNIT,
  );
  return splitExcise(quoted, overdraft.exciseRateBasisPoints, overdraft.exciseMode);
}

/**
 * The maintenance fee for one day. `daysOutstanding` counts the midnights passed since the
 * draw: the fee is charged from the first midnight, so day 0 is free, and a band with
 * freeDays = 3 charges from day 4.
 */
export function overdraftDailyFee(
  overdraft: OverdraftConfig,
  outstandingCents: number,
  daysOutstanding: number,
): (FeeSplit & { readonly ok: true }) | BandRefusal {
  assertCents(outstandingCents, 'outstandingCents');
  if (!Number.isSafeInteger(daysOutstanding) || daysOutstanding < 0) {
    throw new RangeError(`daysOutstanding must be a non-negative integer: ${daysOutstanding}`);
  }
  if (outstandingCents === 0 || daysOutstanding === 0) {
    return { ok: true, feeCents: 0, exciseCents: 0, netFeeCents: 0 };
  }
  const band = findBand(overdraft.dailyFeeBands, outstandingCents);
  if (band === undefined) {
    return outsideBands('overdraft daily fee', outstandingCents, overdraft.dailyFeeBands);
  }
  const quoted = daysOutstanding <= band.freeDays ? 0 : band.dailyFeeCents;
  return {
    ok: true,
    ...splitExcise(quoted, overdraft.exciseRateBasisPoints, overdraft.exciseMode),
  };
}

// ---------------------------------------------------------------------------------------------
// Validation of loaded tables (called by the market-config loader)

/**
 * Problems with a banded table, each prefixed with its path: bands must be ascending,
 * contiguous to the cent (next.minCents = previous.maxCents + 1), non-overlapping, positive,
 * and min ≤ max.
 */
export function bandProblems(bands: readonly Band[], path: string): string[] {
  const problems: string[] = [];
  if (bands.length === 0) problems.push(`${path}: at least one band is required`);
  if (bands.length > TARIFF_BANDS_MAX)
    problems.push(`${path}: more than ${TARIFF_BANDS_MAX} bands`);
  bands.forEach((band, i) => {
    const at = `${path}[${i}]`;
    if (band.minCents < 1) problems.push(`${at}.minCents: must be at least 1`);
    if (band.maxCents > BAND_CENTS_MAX)
      problems.push(`${at}.maxCents: must be at most ${BAND_CENTS_MAX}`);
    if (band.minCents > band.maxCents) {
      problems.push(`${at}: minCents ${band.minCents} is greater than maxCents ${band.maxCents}`);
    }
    const previous = bands[i - 1];
    if (previous === undefined) return;
    const expected = previous.maxCents + 1;
    if (band.minCents < expected) {
      problems.push(
        `${at}.minCents: ${band.minCents} overlaps or precedes the band before (expected ${expected})`,
      );
    } else if (band.minCents > expected) {
      problems.push(
        `${at}.minCents: ${band.minCents} leaves a gap after the band before (expected ${expected})`,
      );
    }
  });
  return problems;
}

/** Whether bands cover every amount from minCents to maxCents (bands already validated). */
export function bandsCover(bands: readonly Band[], minCents: number, maxCents: number): boolean {
  const first = bands[0];
  const last = bands[bands.length - 1];
  return (
    first !== undefined &&
    last !== undefined &&
    first.minCents <= minCents &&
    last.maxCents >= maxCents
  );
}

/**
 * A commission paid out of the fee must never exceed the fee's net revenue, or every such
 * transaction loses money. Both tables are piecewise constant or non-decreasing within a band,
 * so checking at every band start of either table covers every amount.
 */
export function commissionWithinFeeProblems(
  commission: CommissionTable,
  tariffs: TariffConfig,
  type: CommissionType,
  path: string,
): string[] {
  if (commission.source !== 'fee_revenue') return [];
  const feeTable = tariffs.tables[type];
  const points = [...commission.bands, ...feeTable.bands].map((band) => band.minCents);
  const problems: string[] = [];
  for (const amountCents of new Set(points)) {
    const band = findBand(commission.bands, amountCents);
    const fee = quoteFee(tariffs, { type, amountCents });
    if (band === undefined || !fee.ok) continue;
    if (band.commissionCents > fee.netFeeCents) {
      problems.push(
        `${path}: commission ${band.commissionCents} cents at ${amountCents} cents exceeds the net fee ${fee.netFeeCents} cents`,
      );
    }
  }
  return problems;
}
