// One market's product configuration: currency, numbering plan, tariffs, excise, commissions,
// overdraft charges, limits, PIN policy and SMS wording. Kenya's M-Pesa (config/ke.json) is the
// default; an operator elsewhere loads its own file. Everything is validated on load and
// returned deeply frozen, so the payments service can trust it without re-checking.
//
// The validation is hand-written rather than a schema library: the document is small, the
// checks that matter are semantic (contiguous bands, commissions within fees, limits covered by
// tariffs), and an operator needs every problem at once, each with the exact path to fix.
// Keys starting with '_' are comments (e.g. "_note") and are ignored; any other unknown key is
// an error, because a misspelt key would otherwise silently fall back to nothing.
import { readFileSync, statSync } from 'node:fs';
import { KENYA_MSISDN_CONFIG, type MsisdnConfig } from '../identity/msisdn.ts';
import {
  PIN_LENGTH_DIGITS_MAX,
  PIN_LENGTH_DIGITS_MIN,
  type PinConfig,
  scryptParamsProblem,
} from '../identity/pin.ts';
import { MINOR_UNIT_SCALES } from '../money/format.ts';
import { SMS_TYPES, type SmsConfig, type SmsType, smsConfigProblems } from '../sms/templates.ts';
import { type LimitsConfig, limitsProblems, type TypeLimits } from './limits.ts';
import {
  BAND_CENTS_MAX,
  BASIS_POINTS_PER_UNIT,
  bandProblems,
  bandsCover,
  COMMISSION_SOURCES,
  COMMISSION_TYPES,
  type CommissionBand,
  type CommissionConfig,
  type CommissionTable,
  commissionWithinFeeProblems,
  EXCISE_MODES,
  FEE_PAYERS,
  type FeePayer,
  type FeeRule,
  FREE,
  OVERDRAFT_FREE_DAYS_MAX,
  type OverdraftConfig,
  type OverdraftDailyFeeBand,
  PAYBILL_TARIFFS,
  TARIFF_BANDS_MAX,
  type TariffBand,
  type TariffConfig,
  type TariffTable,
  type TariffTables,
  TRANSACTION_TYPES,
  type TransactionType,
} from './tariffs.ts';

export interface CurrencyConfig {
  /** ISO 4217 code: 'KES'. */
  readonly code: string;
  /** The ledger (currency) number transfers carry; KE uses the ISO 4217 numeric code, 404. */
  readonly ledger: number;
  /** Minor units per major unit: 100. */
  readonly minorUnitScale: number;
}

export interface MarketConfig {
  readonly market: { readonly code: string; readonly name: string };
  readonly currency: CurrencyConfig;
  /** Local time of the market (Nairobi: +180), for SMS dates, receipt letters and daily limits. */
  readonly utcOffsetMinutes: number;
  readonly msisdn: MsisdnConfig;
  readonly receipts: { readonly epochYear: number };
  readonly tariffs: TariffConfig;
  readonly commissions: CommissionConfig;
  readonly overdraft: OverdraftConfig;
  readonly limits: LimitsConfig;
  readonly pin: PinConfig;
  readonly sms: SmsConfig;
}

export class MarketConfigError extends Error {
  constructor(
    readonly source: string,
    readonly problems: readonly string[],
  ) {
    const shown = problems.slice(0, CONFIG_PROBLEMS_SHOWN_MAX).map((p) => `  - ${p}`);
    const more =
      problems.length > shown.length ? [`  … and ${problems.length - shown.length} more`] : [];
    super(
      [`invalid market config ${source}: ${problems.length} problem(s)`, ...shown, ...more].join(
        '\n',
      ),
    );
    this.name = 'MarketConfigError';
  }
}

/** A market config is a few tens of kilobytes; refuse to read anything absurdly larger. */
export const CONFIG_FILE_BYTES_MAX = 1024 * 1024;
export const CONFIG_PROBLEMS_SHOWN_MAX = 50;
const MOBILE_PREFIXES_MAX = 16;
const BLOCKED_PINS_MAX = 1000;
const PIN_ATTEMPTS_MAX_LIMIT = 10;
const UTC_OFFSET_MINUTES_MIN = -12 * 60;
const UTC_OFFSET_MINUTES_MAX = 14 * 60;
const LEDGER_MAX = 2 ** 32 - 1;
const E164_DIGITS_MAX = 15;
const CURRENCY_PREFIX_CHARS_MAX = 8;
const DAYS_MAX = 366;

const DEFAULT_CONFIG_URL = new URL('./config/ke.json', import.meta.url);

/** Kenya (M-Pesa), the default market. Read and validated on each call: call it once at startup. */
export function defaultMarketConfig(): MarketConfig {
  return loadMarketConfig(DEFAULT_CONFIG_URL);
}

/** Loads a market config from a JSON file (path or URL) or an already-parsed object. */
export function loadMarketConfig(source: string | URL | object): MarketConfig {
  if (typeof source === 'string' || source instanceof URL) {
    const name = String(source);
    return validateMarketConfig(readConfigFile(source, name), name);
  }
  return validateMarketConfig(source, '(object)');
}

function readConfigFile(file: string | URL, name: string): unknown {
  const sizeBytes = statSync(file).size;
  if (sizeBytes > CONFIG_FILE_BYTES_MAX) {
    throw new MarketConfigError(name, [
      `file is ${sizeBytes} bytes, more than ${CONFIG_FILE_BYTES_MAX}`,
    ]);
  }
  try {
    return JSON.parse(readFileSync(file, 'utf8'));
  } catch (error) {
    throw new MarketConfigError(name, [`not valid JSON: ${(error as Error).message}`]);
  }
}

/** Validates a parsed document; throws MarketConfigError listing every problem with its path. */
export function validateMarketConfig(raw: unknown, sourceName = '(object)'): MarketConfig {
  const r = new Reader();
  const config = readMarketConfig(r, raw);
  // Semantic checks assume well-typed values, so run them only on a structurally clean document.
  if (r.problems.length === 0) r.problems.push(...semanticProblems(config));
  if (r.problems.length > 0) throw new MarketConfigError(sourceName, r.problems);
  return deepFreeze(config);
}

function readMarketConfig(r: Reader, raw: unknown): MarketConfig {
  const doc = r.section(raw, '', [
    'market',
    'currency',
    'utcOffsetMinutes',
    'msisdn',
    'receipts',
    'tariffs',
    'commissions',
    'overdraft',
    'limits',
    'pin',
    'sms',
  ]);
  const market = r.section(doc.market, 'market', ['code', 'name']);
  const currency = r.section(doc.currency, 'currency', ['code', 'ledger', 'minorUnitScale']);
  const receipts = r.section(doc.receipts, 'receipts', ['epochYear']);
  return {
    market: {
      code: r.text(market.code, 'market.code', /^[A-Z]{2}$/, 'an ISO 3166 alpha-2 code such as KE'),
      name: r.text(market.name, 'market.name', /^.{1,64}$/, '1..64 characters'),
    },
    currency: {
      code: r.text(currency.code, 'currency.code', /^[A-Z]{3}$/, 'an ISO 4217 code such as KES'),
      ledger: r.integer(currency.ledger, 'currency.ledger', 1, LEDGER_MAX),
      minorUnitScale: r.oneOf(
        currency.minorUnitScale,
        'currency.minorUnitScale',
        MINOR_UNIT_SCALES,
      ),
    },
    utcOffsetMinutes: r.integer(
      doc.utcOffsetMinutes,
      'utcOffsetMinutes',
      UTC_OFFSET_MINUTES_MIN,
      UTC_OFFSET_MINUTES_MAX,
    ),
    msisdn: readMsisdn(r, doc.msisdn, 'msisdn'),
    receipts: { epochYear: r.integer(receipts.epochYear, 'receipts.epochYear', 1970, 2100) },
    tariffs: readTariffs(r, doc.tariffs, 'tariffs'),
    commissions: readCommissions(r, doc.commissions, 'commissions'),
    overdraft: readOverdraft(r, doc.overdraft, 'overdraft'),
    limits: readLimits(r, doc.limits, 'limits'),
    pin: readPin(r, doc.pin, 'pin'),
    sms: readSms(r, doc.sms, 'sms'),
  };
}

function readMsisdn(r: Reader, raw: unknown, path: string): MsisdnConfig {
  const s = r.section(raw, path, Object.keys(KENYA_MSISDN_CONFIG));
  return {
    countryCode: r.text(s.countryCode, `${path}.countryCode`, /^[1-9]\d{0,2}$/, '1..3 digits'),
    trunkPrefix: r.text(s.trunkPrefix, `${path}.trunkPrefix`, /^\d{0,2}$/, '0..2 digits'),
    nationalNumberDigits: r.integer(s.nationalNumberDigits, `${path}.nationalNumberDigits`, 4, 14),
    mobilePrefixes: r.list(
      s.mobilePrefixes,
      `${path}.mobilePrefixes`,
      MOBILE_PREFIXES_MAX,
      (v, p) => r.text(v, p, /^\d{1,4}$/, '1..4 digits'),
    ),
  };
}

// ---------------------------------------------------------------------------------------------
// Tariffs, commissions, overdraft

function readTariffs(r: Reader, raw: unknown, path: string): TariffConfig {
  const s = r.section(raw, path, [
    'exciseRateBasisPoints',
    'exciseMode',
    'tables',
    'paybill',
    'otherNetworks',
  ]);
  const typesWithTables = TRANSACTION_TYPES.filter((t) => t !== 'paybill');
  const tablesRaw = r.section(s.tables, `${path}.tables`, typesWithTables);
  const paybillRaw = r.section(s.paybill, `${path}.paybill`, PAYBILL_TARIFFS);
  const tables = Object.fromEntries(
    typesWithTables.map((t) => [t, readTariffTable(r, tablesRaw[t], `${path}.tables.${t}`)]),
  ) as unknown as TariffTables;
  const paybill = Object.fromEntries(
    PAYBILL_TARIFFS.map((t) => [t, readTariffTable(r, paybillRaw[t], `${path}.paybill.${t}`)]),
  ) as unknown as TariffConfig['paybill'];
  return {
    exciseRateBasisPoints: r.integer(
      s.exciseRateBasisPoints,
      `${path}.exciseRateBasisPoints`,
      0,
      BASIS_POINTS_PER_UNIT,
    ),
    exciseMode: r.oneOf(s.exciseMode, `${path}.exciseMode`, EXCISE_MODES),
    tables,
    paybill,
    otherNetworks: readOtherNetworks(r, s.otherNetworks, `${path}.otherNetworks`),
  };
}

/** Optional (a market outside an interoperability scheme has none); the sender pays it. */
function readOtherNetworks(r: Reader, raw: unknown, path: string): TariffTable | null {
  if (raw === undefined) return null;
  const table = readTariffTable(r, raw, path);
  if (table.payer !== 'sender') r.problems.push(`${path}.payer: must be 'sender'`);
  return table;
}

function readTariffTable(r: Reader, raw: unknown, path: string): TariffTable {
  const s = r.section(raw, path, ['payer', 'bands']);
  const payer = r.oneOf(s.payer, `${path}.payer`, FEE_PAYERS);
  const bands = r.list(s.bands, `${path}.bands`, TARIFF_BANDS_MAX, (v, p) =>
    readTariffBand(r, v, p, payer),
  );
  return { payer, bands };
}

/**
 * A single-payer row carries its fee inline ({minCents, maxCents, feeCents} or
 * {…, rateBasisPoints, capCents?}); a split row has a rule per side ({…, sender: {…}, receiver: {…}}).
 */
function readTariffBand(r: Reader, raw: unknown, path: string, payer: FeePayer): TariffBand {
  const ruleFields = ['feeCents', 'rateBasisPoints', 'capCents'];
  const fields =
    payer === 'split'
      ? ['minCents', 'maxCents', 'sender', 'receiver']
      : ['minCents', 'maxCents', ...ruleFields];
  const s = r.section(raw, path, fields);
  const band = {
    minCents: r.cents(s.minCents, `${path}.minCents`),
    maxCents: r.cents(s.maxCents, `${path}.maxCents`),
  };
  if (payer === 'split') {
    const sender = readFeeRule(
      r,
      r.section(s.sender, `${path}.sender`, ruleFields),
      `${path}.sender`,
    );
    const receiver = readFeeRule(
      r,
      r.section(s.receiver, `${path}.receiver`, ruleFields),
      `${path}.receiver`,
    );
    return { ...band, senderFee: sender, receiverFee: receiver };
  }
  const rule = readFeeRule(r, s, path);
  return payer === 'sender'
    ? { ...band, senderFee: rule, receiverFee: FREE }
    : { ...band, senderFee: FREE, receiverFee: rule };
}

function readFeeRule(r: Reader, s: Readonly<Record<string, unknown>>, path: string): FeeRule {
  const hasFixed = s.feeCents !== undefined;
  const hasRate = s.rateBasisPoints !== undefined;
  if (hasFixed === hasRate) {
    r.problems.push(`${path}: give exactly one of feeCents or rateBasisPoints`);
    return FREE;
  }
  if (hasFixed) {
    if (s.capCents !== undefined)
      r.problems.push(`${path}.capCents: only a rateBasisPoints fee can have a cap`);
    return { kind: 'fixed', feeCents: r.cents(s.feeCents, `${path}.feeCents`, 0) };
  }
  return {
    kind: 'rate',
    rateBasisPoints: r.integer(
      s.rateBasisPoints,
      `${path}.rateBasisPoints`,
      0,
      BASIS_POINTS_PER_UNIT,
    ),
    capCents: s.capCents === undefined ? null : r.cents(s.capCents, `${path}.capCents`, 0),
  };
}

function readCommissions(r: Reader, raw: unknown, path: string): CommissionConfig {
  const s = r.section(raw, path, COMMISSION_TYPES);
  const table = (type: string): CommissionTable => {
    const at = `${path}.${type}`;
    const t = r.section(s[type], at, ['source', 'bands']);
    return {
      source: r.oneOf(t.source, `${at}.source`, COMMISSION_SOURCES),
      bands: r.list(t.bands, `${at}.bands`, TARIFF_BANDS_MAX, (v, p): CommissionBand => {
        const b = r.section(v, p, ['minCents', 'maxCents', 'commissionCents']);
        return {
          minCents: r.cents(b.minCents, `${p}.minCents`),
          maxCents: r.cents(b.maxCents, `${p}.maxCents`),
          commissionCents: r.cents(b.commissionCents, `${p}.commissionCents`, 0),
        };
      }),
    };
  };
  return { agent_withdrawal: table('agent_withdrawal'), agent_deposit: table('agent_deposit') };
}

function readOverdraft(r: Reader, raw: unknown, path: string): OverdraftConfig {
  const s = r.section(raw, path, [
    'accessFeeBasisPoints',
    'exciseRateBasisPoints',
    'exciseMode',
    'limitMaxCents',
    'repaymentDays',
    'dailyFeeBands',
  ]);
  return {
    accessFeeBasisPoints: r.integer(
      s.accessFeeBasisPoints,
      `${path}.accessFeeBasisPoints`,
      0,
      BASIS_POINTS_PER_UNIT,
    ),
    exciseRateBasisPoints: r.integer(
      s.exciseRateBasisPoints,
      `${path}.exciseRateBasisPoints`,
      0,
      BASIS_POINTS_PER_UNIT,
    ),
    exciseMode: r.oneOf(s.exciseMode, `${path}.exciseMode`, EXCISE_MODES),
    limitMaxCents: r.cents(s.limitMaxCents, `${path}.limitMaxCents`),
    repaymentDays: r.integer(s.repaymentDays, `${path}.repaymentDays`, 1, DAYS_MAX),
    dailyFeeBands: r.list(
      s.dailyFeeBands,
      `${path}.dailyFeeBands`,
      TARIFF_BANDS_MAX,
      (v, p): OverdraftDailyFeeBand => {
        const b = r.section(v, p, ['minCents', 'maxCents', 'dailyFeeCents', 'freeDays']);
        return {
          minCents: r.cents(b.minCents, `${p}.minCents`),
          maxCents: r.cents(b.maxCents, `${p}.maxCents`),
          dailyFeeCents: r.cents(b.dailyFeeCents, `${p}.dailyFeeCents`, 0),
          freeDays: r.integer(b.freeDays, `${p}.freeDays`, 0, OVERDRAFT_FREE_DAYS_MAX),
        };
      },
    ),
  };
}

// ---------------------------------------------------------------------------------------------
// Limits, PIN, SMS

function readLimits(r: Reader, raw: unknown, path: string): LimitsConfig {
  const s = r.section(raw, path, [
    'amountStepCents',
    'transactionMaxCents',
    'dailyValueMaxCents',
    'walletBalanceMaxCents',
    'byType',
    'dailyLimitTypes',
  ]);
  const transactionMaxCents = r.cents(s.transactionMaxCents, `${path}.transactionMaxCents`);
  const byTypeRaw = r.section(s.byType, `${path}.byType`, TRANSACTION_TYPES);
  const byType = Object.fromEntries(
    TRANSACTION_TYPES.map((type): [TransactionType, TypeLimits] => {
      const at = `${path}.byType.${type}`;
      const t = r.section(byTypeRaw[type], at, ['minCents', 'maxCents']);
      // A type without its own maximum gets the per-transaction ceiling.
      const maxCents =
        t.maxCents === undefined ? transactionMaxCents : r.cents(t.maxCents, `${at}.maxCents`);
      return [type, { minCents: r.cents(t.minCents, `${at}.minCents`), maxCents }];
    }),
  ) as Record<TransactionType, TypeLimits>;
  return {
    amountStepCents: r.cents(s.amountStepCents, `${path}.amountStepCents`),
    transactionMaxCents,
    dailyValueMaxCents: r.cents(s.dailyValueMaxCents, `${path}.dailyValueMaxCents`),
    walletBalanceMaxCents: r.cents(s.walletBalanceMaxCents, `${path}.walletBalanceMaxCents`),
    byType,
    dailyLimitTypes: r.list(
      s.dailyLimitTypes,
      `${path}.dailyLimitTypes`,
      TRANSACTION_TYPES.length,
      (v, p) => r.oneOf(v, p, TRANSACTION_TYPES),
    ),
  };
}

function readPin(r: Reader, raw: unknown, path: string): PinConfig {
  const s = r.section(raw, path, ['policy', 'scrypt']);
  const policy = r.section(s.policy, `${path}.policy`, [
    'lengthDigits',
    'rejectTrivial',
    'blockedPins',
    'attemptsMax',
  ]);
  const scrypt = r.section(s.scrypt, `${path}.scrypt`, [
    'cost',
    'blockSize',
    'parallelization',
    'keyLengthBytes',
    'saltLengthBytes',
  ]);
  const int = (value: unknown, name: string) =>
    r.integer(value, `${path}.scrypt.${name}`, 1, 2 ** 30);
  return {
    policy: {
      lengthDigits: r.integer(
        policy.lengthDigits,
        `${path}.policy.lengthDigits`,
        PIN_LENGTH_DIGITS_MIN,
        PIN_LENGTH_DIGITS_MAX,
      ),
      rejectTrivial: r.flag(policy.rejectTrivial, `${path}.policy.rejectTrivial`),
      blockedPins: r.list(
        policy.blockedPins,
        `${path}.policy.blockedPins`,
        BLOCKED_PINS_MAX,
        (v, p) => r.text(v, p, /^\d+$/, 'digits'),
      ),
      attemptsMax: r.integer(
        policy.attemptsMax,
        `${path}.policy.attemptsMax`,
        1,
        PIN_ATTEMPTS_MAX_LIMIT,
      ),
    },
    scrypt: {
      cost: int(scrypt.cost, 'cost'),
      blockSize: int(scrypt.blockSize, 'blockSize'),
      parallelization: int(scrypt.parallelization, 'parallelization'),
      keyLengthBytes: int(scrypt.keyLengthBytes, 'keyLengthBytes'),
      saltLengthBytes: int(scrypt.saltLengthBytes, 'saltLengthBytes'),
    },
  };
}

function readSms(r: Reader, raw: unknown, path: string): SmsConfig {
  const s = r.section(raw, path, ['senderId', 'currencyPrefix', 'templates']);
  const templatesRaw = r.section(s.templates, `${path}.templates`, SMS_TYPES);
  const templates = Object.fromEntries(
    SMS_TYPES.map((type) => [
      type,
      r.text(templatesRaw[type], `${path}.templates.${type}`, /\S/, 'a non-blank text'),
    ]),
  ) as Record<SmsType, string>;
  return {
    senderId: r.text(s.senderId, `${path}.senderId`, /^.+$/, 'a non-empty text'),
    currencyPrefix: r.text(s.currencyPrefix, `${path}.currencyPrefix`, /^.*$/, 'a text'),
    templates,
  };
}

// ---------------------------------------------------------------------------------------------
// Semantic checks across sections

function semanticProblems(config: MarketConfig): string[] {
  const { tariffs, commissions, overdraft, limits, msisdn, pin } = config;
  const problems: string[] = [];
  for (const [type, table] of Object.entries(tariffs.tables)) {
    problems.push(...bandProblems(table.bands, `tariffs.tables.${type}.bands`));
  }
  for (const [tariff, table] of Object.entries(tariffs.paybill)) {
    problems.push(...bandProblems(table.bands, `tariffs.paybill.${tariff}.bands`));
  }
  if (tariffs.otherNetworks !== null)
    problems.push(...bandProblems(tariffs.otherNetworks.bands, 'tariffs.otherNetworks.bands'));
  for (const type of COMMISSION_TYPES) {
    problems.push(...bandProblems(commissions[type].bands, `commissions.${type}.bands`));
  }
  problems.push(...bandProblems(overdraft.dailyFeeBands, 'overdraft.dailyFeeBands'));
  problems.push(...limitsProblems(limits, 'limits'));
  problems.push(...smsConfigProblems(config.sms, 'sms'));
  problems.push(...pinProblems(pin, 'pin'));
  if (config.sms.currencyPrefix.length > CURRENCY_PREFIX_CHARS_MAX) {
    problems.push(`sms.currencyPrefix: longer than ${CURRENCY_PREFIX_CHARS_MAX} characters`);
  }
  if (msisdn.countryCode.length + msisdn.nationalNumberDigits > E164_DIGITS_MAX) {
    problems.push(
      `msisdn: countryCode plus nationalNumberDigits exceeds E.164's ${E164_DIGITS_MAX} digits`,
    );
  }
  // Coverage needs valid bands to mean anything.
  if (problems.length === 0) problems.push(...coverageProblems(config));
  return problems;
}

function pinProblems(pin: PinConfig, path: string): string[] {
  const problems: string[] = [];
  const scrypt = scryptParamsProblem(pin.scrypt);
  if (scrypt !== null) problems.push(`${path}.scrypt: ${scrypt}`);
  pin.policy.blockedPins.forEach((blocked, i) => {
    if (blocked.length !== pin.policy.lengthDigits) {
      problems.push(
        `${path}.policy.blockedPins[${i}]: '${blocked}' does not have ${pin.policy.lengthDigits} digits`,
      );
    }
  });
  return problems;
}

/**
 * Every amount the limits allow must have a tariff (and, for agent types, a commission), and
 * every overdraft balance up to the limit a daily-fee band; withdrawal commissions paid from the
 * fee must not exceed it.
 */
function coverageProblems(config: MarketConfig): string[] {
  const { tariffs, commissions, overdraft, limits } = config;
  const problems: string[] = [];
  const requireCover = (
    bands: TariffTable['bands'] | readonly CommissionBand[],
    type: TransactionType,
    path: string,
  ) => {
    const { minCents, maxCents } = limits.byType[type];
    if (!bandsCover(bands, minCents, maxCents)) {
      problems.push(
        `${path}: bands must cover limits.byType.${type} (${minCents}..${maxCents} cents)`,
      );
    }
  };
  for (const [type, table] of Object.entries(tariffs.tables)) {
    requireCover(table.bands, type as TransactionType, `tariffs.tables.${type}.bands`);
  }
  for (const [tariff, table] of Object.entries(tariffs.paybill)) {
    requireCover(table.bands, 'paybill', `tariffs.paybill.${tariff}.bands`);
  }
  // A send to another network is limited as a send: every amount a send allows has a fee.
  if (tariffs.otherNetworks !== null)
    requireCover(tariffs.otherNetworks.bands, 'send_money', 'tariffs.otherNetworks.bands');
  for (const type of COMMISSION_TYPES) {
    requireCover(commissions[type].bands, type, `commissions.${type}.bands`);
    problems.push(
      ...commissionWithinFeeProblems(commissions[type], tariffs, type, `commissions.${type}`),
    );
  }
  if (!bandsCover(overdraft.dailyFeeBands, 1, overdraft.limitMaxCents)) {
    problems.push(
      `overdraft.dailyFeeBands: bands must cover 1..limitMaxCents (${overdraft.limitMaxCents} cents)`,
    );
  }
  return problems;
}

// ---------------------------------------------------------------------------------------------
// A small reader that records a problem (with its path) instead of throwing, so that one load
// reports everything that is wrong. On a problem it returns a harmless placeholder value.

class Reader {
  readonly problems: string[] = [];

  section(
    value: unknown,
    path: string,
    fields: readonly string[],
  ): Readonly<Record<string, unknown>> {
    const where = path === '' ? '(root)' : path;
    if (typeof value !== 'object' || value === null || Array.isArray(value)) {
      this.problems.push(`${where}: ${value === undefined ? 'required' : 'must be an object'}`);
      return {};
    }
    for (const key of Object.keys(value)) {
      if (!key.startsWith('_') && !fields.includes(key)) {
        const prefix = path === '' ? '' : `${path}.`;
        this.problems.push(
          `${prefix}${key}: unknown field (expected one of: ${fields.join(', ')})`,
        );
      }
    }
    return value as Readonly<Record<string, unknown>>;
  }

  integer(value: unknown, path: string, min: number, max: number): number {
    if (typeof value !== 'number' || !Number.isSafeInteger(value) || value < min || value > max) {
      const got = value === undefined ? 'missing' : JSON.stringify(value);
      this.problems.push(`${path}: must be an integer from ${min} to ${max} (got ${got})`);
      return min;
    }
    return value;
  }

  /** An amount of money in integer minor units; at least 1 unless told otherwise. */
  cents(value: unknown, path: string, min = 1): number {
    return this.integer(value, path, min, BAND_CENTS_MAX);
  }

  text(value: unknown, path: string, pattern: RegExp, hint: string): string {
    if (typeof value !== 'string' || !pattern.test(value)) {
      const got = value === undefined ? 'missing' : JSON.stringify(value);
      this.problems.push(`${path}: must be ${hint} (got ${got})`);
      return '';
    }
    return value;
  }

  flag(value: unknown, path: string): boolean {
    if (typeof value !== 'boolean') {
      this.problems.push(`${path}: must be true or false`);
      return false;
    }
    return value;
  }

  oneOf<T extends string | number>(value: unknown, path: string, options: readonly T[]): T {
    if (!options.includes(value as T)) {
      this.problems.push(
        `${path}: must be one of ${options.map((o) => JSON.stringify(o)).join(', ')}`,
      );
      return options[0]!;
    }
    return value as T;
  }

  list<T>(
    value: unknown,
    path: string,
    itemsMax: number,
    item: (value: unknown, path: string) => T,
  ): T[] {
    if (!Array.isArray(value)) {
      this.problems.push(`${path}: ${value === undefined ? 'required' : 'must be a list'}`);
      return [];
    }
    if (value.length > itemsMax) {
      this.problems.push(`${path}: at most ${itemsMax} items (got ${value.length})`);
      return [];
    }
    return value.map((v, i) => item(v, `${path}[${i}]`));
  }
}

function deepFreeze<T>(value: T): T {
  if (typeof value === 'object' && value !== null && !Object.isFrozen(value)) {
    for (const child of Object.values(value)) deepFreeze(child);
    Object.freeze(value);
  }
  return value;
}
