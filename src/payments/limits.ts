// Transaction limits: pure checks over the market's configured limits (config/ke.json holds the
// CBK/Safaricom values). Refusals are typed values because customers hit limits every day; the
// API layer maps each one to its Daraja result code.
import { TRANSACTION_TYPES, type TransactionType } from './tariffs.ts';

export interface TypeLimits {
  readonly minCents: number;
  readonly maxCents: number;
}

export interface LimitsConfig {
  /** Amounts must be whole multiples of this (M-Pesa takes whole shillings: 100 cents). */
  readonly amountStepCents: number;
  /** Ceiling for any single transaction; a type may only lower it. */
  readonly transactionMaxCents: number;
  /** Ceiling for the value a customer moves in one (local) day, across dailyLimitTypes. */
  readonly dailyValueMaxCents: number;
  /** Ceiling for a customer wallet's balance after a credit. */
  readonly walletBalanceMaxCents: number;
  readonly byType: Readonly<Record<TransactionType, TypeLimits>>;
  /** The transaction types whose amounts count toward dailyValueMaxCents (the sender's side). */
  readonly dailyLimitTypes: readonly TransactionType[];
}

export type LimitError =
  | 'amount_below_minimum'
  | 'amount_above_maximum'
  | 'amount_invalid_step'
  | 'daily_limit_exceeded'
  | 'payee_balance_limit_exceeded';

export interface LimitRefusal {
  readonly ok: false;
  readonly error: LimitError;
  /** The limit that was hit (for amount_invalid_step: the step). */
  readonly limitCents: number;
  readonly message: string;
}

export type LimitCheck = { readonly ok: true } | LimitRefusal;

const OK: LimitCheck = Object.freeze({ ok: true });

function refuse(error: LimitError, limitCents: number, message: string): LimitRefusal {
  return { ok: false, error, limitCents, message };
}

// Non-integers reaching a limit check mean a caller skipped input validation: a bug, not a refusal.
function assertInteger(value: number, name: string): void {
  if (!Number.isSafeInteger(value))
    throw new RangeError(`${name} must be an integer number of cents: ${value}`);
}

/** Minimum, maximum and step for one transaction of this type. */
export function checkAmount(
  limits: LimitsConfig,
  type: TransactionType,
  amountCents: number,
): LimitCheck {
  assertInteger(amountCents, 'amountCents');
  const { minCents, maxCents } = limits.byType[type];
  if (amountCents < minCents) {
    return refuse(
      'amount_below_minimum',
      minCents,
      `${type}: ${amountCents} cents is below the minimum of ${minCents} cents`,
    );
  }
  if (amountCents > maxCents) {
    return refuse(
      'amount_above_maximum',
      maxCents,
      `${type}: ${amountCents} cents is above the maximum of ${maxCents} cents`,
    );
  }
  if (amountCents % limits.amountStepCents !== 0) {
    const step = limits.amountStepCents;
    return refuse(
      'amount_invalid_step',
      step,
      `${type}: ${amountCents} cents is not a multiple of ${step} cents`,
    );
  }
  return OK;
}

/** Whether a transaction of this type counts toward the customer's daily value limit. */
export function countsTowardDailyLimit(limits: LimitsConfig, type: TransactionType): boolean {
  return limits.dailyLimitTypes.includes(type);
}

/** What the customer may still move today (shown in SMS as "Amount you can transact…"). */
export function remainingDailyCents(limits: LimitsConfig, usedTodayCents: number): number {
  assertInteger(usedTodayCents, 'usedTodayCents');
  return Math.max(0, limits.dailyValueMaxCents - Math.max(0, usedTodayCents));
}

/**
 * Whether moving amountCents more today stays within the daily limit. The caller decides what
 * "used today" sums (the principal of dailyLimitTypes, in the customer's local day).
 */
export function checkDailyValue(
  limits: LimitsConfig,
  usedTodayCents: number,
  amountCents: number,
): LimitCheck {
  assertInteger(amountCents, 'amountCents');
  const remaining = remainingDailyCents(limits, usedTodayCents);
  if (amountCents > remaining) {
    const max = limits.dailyValueMaxCents;
    return refuse(
      'daily_limit_exceeded',
      max,
      `${amountCents} cents would exceed the daily limit of ${max} cents (${remaining} cents left today)`,
    );
  }
  return OK;
}

/** Whether a customer wallet may receive incomingCents without passing the balance ceiling. */
export function checkPayeeBalance(
  limits: LimitsConfig,
  balanceCents: number,
  incomingCents: number,
): LimitCheck {
  assertInteger(balanceCents, 'balanceCents');
  assertInteger(incomingCents, 'incomingCents');
  const max = limits.walletBalanceMaxCents;
  if (balanceCents + incomingCents > max) {
    return refuse(
      'payee_balance_limit_exceeded',
      max,
      `a balance of ${balanceCents} cents plus ${incomingCents} cents would exceed the wallet limit of ${max} cents`,
    );
  }
  return OK;
}

/** Problems with a limits table, each prefixed with its path (called by the config loader). */
export function limitsProblems(limits: LimitsConfig, path: string): string[] {
  const problems: string[] = [];
  const step = limits.amountStepCents;
  for (const type of TRANSACTION_TYPES) {
    const { minCents, maxCents } = limits.byType[type];
    const at = `${path}.byType.${type}`;
    if (minCents < 1) problems.push(`${at}.minCents: must be at least 1`);
    if (minCents > maxCents)
      problems.push(`${at}: minCents ${minCents} is greater than maxCents ${maxCents}`);
    if (maxCents > limits.transactionMaxCents) {
      problems.push(
        `${at}.maxCents: ${maxCents} is above transactionMaxCents ${limits.transactionMaxCents}`,
      );
    }
    if (minCents % step !== 0)
      problems.push(`${at}.minCents: ${minCents} is not a multiple of amountStepCents ${step}`);
    if (maxCents % step !== 0)
      problems.push(`${at}.maxCents: ${maxCents} is not a multiple of amountStepCents ${step}`);
  }
  if (new Set(limits.dailyLimitTypes).size !== limits.dailyLimitTypes.length) {
    problems.push(`${path}.dailyLimitTypes: lists a type more than once`);
  }
  if (limits.transactionMaxCents > limits.dailyValueMaxCents) {
    problems.push(
      `${path}.transactionMaxCents: is above dailyValueMaxCents, so one payment could never pass`,
    );
  }
  return problems;
}
