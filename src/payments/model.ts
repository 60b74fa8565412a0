// The payments domain's model: parties, commands, outcomes and the typed refusals every
// channel maps to its own wording (USSD text, Daraja result codes, admin API errors).

export type PartyStatus = 'active' | 'frozen' | 'closed';

export interface Customer {
  msisdn: string;
  firstName: string;
  lastName: string;
  idNumber: string;
  status: PartyStatus;
  pinHash: string;
  pinFailures: number;
  registeredAtMs: number;
  overdraft: OverdraftState | null;
  /** The limit the operator offers this customer (set before or after opt-in). */
  overdraftLimitOfferCents: number | null;
}

export interface OverdraftState {
  limitCents: number;
  optedInAtMs: number;
  /** When the current debt started (first draw after being fully repaid); null when nothing is owed. */
  owingSinceMs: number | null;
}

export type OrgKind = 'paybill' | 'buygoods';

export interface Organization {
  shortcode: string;
  name: string;
  kind: OrgKind;
  status: PartyStatus;
  /** Who pays paybill fees: the biller's choice of tariff. */
  paybillTariff: 'customer_pays' | 'shared' | 'business_pays';
  /** Where payment notifications go (an MSISDN), if anywhere. */
  notifyMsisdn: string | null;
}

export interface Till {
  tillNumber: string;
  name: string;
  storeNumber: string;
  /** The organization whose utility account receives the till's payments (its head office). */
  shortcode: string;
  status: PartyStatus;
  notifyMsisdn: string | null;
}

export interface Agent {
  agentNumber: string;
  storeNumber: string;
  name: string;
  location: string;
  status: PartyStatus;
  notifyMsisdn: string | null;
}

/** A successful money movement. */
export interface Receipt {
  receipt: string;
  type: string;
  amountCents: number;
  /** What the paying party was charged, excise included. */
  feeCents: number;
  timestampMs: number;
  /** The engine timestamp of the principal leg (for status queries). */
  ledgerTimestamp: number;
  overdraftDrawCents?: number;
  overdraftRepaidCents?: number;
  /**
   * 'held' while the transaction awaits review (the payer's money is reserved); an analyst's
   * decision answers 'completed' (released: the money moved) or 'rejected' (the money is back).
   */
  status?: 'held' | 'completed' | 'rejected';
}

export const refusalCodes = [
  'insufficient_funds',
  'overdraft_limit_exceeded',
  'daily_limit_exceeded',
  'amount_below_minimum',
  'amount_above_maximum',
  'amount_invalid_step',
  'amount_outside_tariff',
  'payee_balance_limit_exceeded',
  'wrong_pin',
  'pin_locked',
  'pin_policy',
  'invalid_msisdn',
  'unknown_customer',
  'unknown_business',
  'unknown_till',
  'unknown_agent',
  'party_frozen',
  'party_closed',
  'same_party',
  'agent_store_mismatch',
  'duplicate_request',
  'not_opted_in',
  'already_opted_in',
  'no_overdraft_offer',
  'nothing_to_repay',
  'reversal_not_found',
  'reversal_not_allowed',
  'reversal_window_expired',
  'reversal_attempts_exceeded',
  'reversal_already_done',
  'recipient_insufficient_funds',
  'rejected_by_business',
  'blocked',
  'step_up_required',
  'review_not_found',
  'review_expired',
  'already_registered',
  'invalid_request',
  'busy',
] as const;
export type RefusalCode = (typeof refusalCodes)[number];

export interface Refusal {
  ok: false;
  error: RefusalCode;
  message: string;
  /** For duplicate_request: the receipt of the original transaction, if it completed. */
  receipt?: string;
  /** For step_up_required: answer with { challengeId, code } in the command's authorization. */
  challengeId?: string;
}

export type Outcome<T> = ({ ok: true } & T) | Refusal;

export function refuse(error: RefusalCode, message: string, extra: Partial<Refusal> = {}): Refusal {
  return { ok: false, error, message, ...extra };
}

/** How the channel authenticated the customer for this command. */
export type Authorization = (
  | { kind: 'pin'; pin: string }
  /** The channel already verified the customer (an STK prompt answered with the PIN, a test harness). */
  | { kind: 'verified'; by: string }
) & {
  /** The answer to a risk step-up challenge (a one-time code sent by SMS). */
  stepUp?: StepUpProof;
};

export interface StepUpProof {
  challengeId: string;
  code: string;
}
