// The risk domain's model: the transaction it scores (the shape of a committed TransactionRecord,
// so the committed 'txn' stream feeds it unchanged), the operator events it learns from, and the
// decision it returns.

/** Who pays or is paid, as TransactionRecord names them: a kind and the party's own id. */
export interface PartyRef {
  readonly kind: string;
  readonly id: string;
}

/**
 * A transaction to score (before commit) or to learn from (after commit). The same fields as
 * TransactionRecord in src/payments/chains.ts, plus the payer's balance when the caller knows it.
 */
export interface RiskTransaction {
  readonly receipt?: string;
  readonly type: string;
  readonly from: PartyRef;
  readonly to: PartyRef;
  readonly amountCents: number;
  readonly channel?: string;
  readonly timestampMs: number;
  /** The paying account's available balance before this transaction, when known. */
  readonly fromBalanceCents?: number;
  readonly meta?: Readonly<Record<string, string | number>>;
}

export const OPERATOR_EVENT_TYPES = ['sim_swap', 'device_change'] as const;
export type OperatorEventType = (typeof OPERATOR_EVENT_TYPES)[number];

/** What the telco (or a CAMARA SIM-swap API) tells us about a subscriber. */
export interface OperatorEvent {
  readonly msisdn: string;
  readonly type: OperatorEventType;
  readonly atMs: number;
}

/** Ordered by severity: a later action overrides an earlier one. */
export const RISK_ACTIONS = ['allow', 'step_up', 'hold', 'block'] as const;
export type RiskAction = (typeof RISK_ACTIONS)[number];
export type RuleAction = Exclude<RiskAction, 'allow'>;

export function severityOf(action: RiskAction): number {
  return RISK_ACTIONS.indexOf(action);
}

/** One reason behind a decision: a feature and how far it pushed the score (log-odds). */
export interface RiskReason {
  readonly name: string;
  readonly value: number;
  /** Model contribution in log-odds; for a rule, 0 (the rule decided, not the score). */
  readonly contribution: number;
}

/** Shaped to be the payments hook's verdict as it is (src/payments/review.ts RiskVerdict). */
export interface RiskDecision {
  readonly action: RiskAction;
  /** Fraud probability from the model; 0 when no model is loaded. */
  readonly score: number;
  /** Empty for an allowed transaction: only a flagged decision pays for its explanation. */
  readonly reasons: RiskReason[];
  /** The rule that decided, when a rule was at least as severe as the score band. */
  readonly rule?: string;
  /** The model that scored; absent when none is loaded (rules alone). */
  readonly modelVersion?: string;
}

export interface Clock {
  nowMs(): number;
}
