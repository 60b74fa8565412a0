// The payments domain's public surface: the commands channels submit, the queries they ask, the
// typed outcomes they get back, and the records other domains read from the journal. Channels
// (Daraja, USSD, admin, portal, interop, simulator, risk, ops) import this module and the
// service's type, never payments' internals, and never build or parse ledger account ids
// (decision 0022). Commands and answers are plain data so the surface can cross a process
// boundary, and later a shard boundary, as it is; the one exception is `outbox` (records
// committed with a transaction), which the caller's side of such a boundary must supply as a
// registered builder instead of a function (decision 0022).

import type { OrgAccount } from './accounts.ts';
import type { TransactionRecord } from './chains.ts';
import type {
  B2BCommand,
  B2CCommand,
  DepositCommand,
  FundingCommand,
  OrgTransferCommand,
} from './disbursements.ts';
import type {
  InteropPayer,
  InteropReserveCommand,
  InteropReserved,
  InteropResolution,
  InteropResolveCommand,
  InteropSettleCommand,
} from './interop-transit.ts';
import type { LimitRefusal } from './limits.ts';
import type { MarketConfig } from './market-config.ts';
import type {
  Agent,
  Authorization,
  Customer,
  Organization,
  Outcome,
  PartyStatus,
  Receipt,
  Till,
} from './model.ts';
import type { RepayCommand } from './overdraft.ts';
import type {
  AgentInput,
  CustomerImportInput,
  CustomerInput,
  OrganizationInput,
  TillInput,
} from './parties.ts';
import type { CustomerAccountView, OrgAccountView, TransactionView } from './queries.ts';
import type { BusinessReversalCommand, CustomerReversalCommand } from './reversals.ts';
import type { HeldTransaction } from './review.ts';
import type { StatementRow } from './statements.ts';
import type { TransactionType } from './tariffs.ts';
import type {
  AirtimeCommand,
  BuyGoodsCommand,
  PayBillCommand,
  SendMoneyCommand,
  WithdrawCommand,
} from './transactions.ts';

export { ORG_ACCOUNTS, type OrgAccount, TRANSACTION_TYPE_NUMBERS } from './accounts.ts';
/** Checks a 'txn' record read back from the journal (with parseRecord, records/parse.ts). */
export {
  isTransactionRecord,
  SMS_STREAM,
  type SmsIntent,
  type TransactionRecord,
  TXN_STREAM,
} from './chains.ts';
export type { BusinessPayment, CommitRecords, PaymentsHooks } from './context.ts';
export {
  INTEROP_TRANSIT_ACCOUNT_CODE,
  type InteropPayer,
  type InteropReserveCommand,
  type InteropReserved,
  type InteropResolution,
  type InteropResolveCommand,
  type InteropSettleCommand,
  interopSmsRecord,
} from './interop-transit.ts';
export type { LimitRefusal } from './limits.ts';
export type * from './model.ts';
export type { CustomerAccountView, OrgAccountView, PartyView, TransactionView } from './queries.ts';
export type { HeldTransaction, HoldEnd, RiskVerdict } from './review.ts';
export { DECISION_STREAM, HOLD_TIMEOUT_MS_DEFAULT } from './review.ts';
export type { StatementRow, StatementStatus } from './statements.ts';
export type { TransactionType } from './tariffs.ts';
export type {
  AgentInput,
  AirtimeCommand,
  B2BCommand,
  B2CCommand,
  BusinessReversalCommand,
  BuyGoodsCommand,
  CustomerImportInput,
  CustomerInput,
  CustomerReversalCommand,
  DepositCommand,
  FundingCommand,
  OrganizationInput,
  OrgTransferCommand,
  PayBillCommand,
  RepayCommand,
  SendMoneyCommand,
  TillInput,
  WithdrawCommand,
};

/** An account the operator may fund directly (e-money issued against the trust account). */
export type FundingTarget =
  | { kind: 'org'; shortcode: string; account: OrgAccount }
  | { kind: 'agent'; agentNumber: string };

/**
 * The admin API's wire form of a funding target (`POST /admin/funding {accountId}`). Payments
 * owns the format; callers of that API build it here rather than spelling ledger ids themselves.
 */
export function fundingAccountId(target: FundingTarget): string {
  return target.kind === 'org'
    ? `org:${target.shortcode}:${target.account}`
    : `agent:${target.agentNumber}:float`;
}

type Result = Promise<Outcome<{ receipt: Receipt }>>;
type Balance = Outcome<{
  availableCents: number;
  overdraftLimitCents: number;
  overdraftOwedCents: number;
}>;

/** Everything a channel may ask of payments: commands with typed outcomes, and read-only queries. */
export interface PaymentsApi {
  /** The market this shard runs (currency, limits, tariffs, MSISDN and PIN rules): configuration. */
  readonly market: MarketConfig;
  readonly shard: number;
  nowMs(): number;
  /** The local day number (days since the epoch, in the market's time zone). */
  localDay(timestampMs: number): number;

  // ---- Parties -------------------------------------------------------------------------------
  registerCustomer(input: CustomerInput): Promise<Outcome<{ customer: Customer }>>;
  importCustomers(
    inputs: CustomerImportInput[],
  ): Promise<Outcome<{ imported: number; skipped: string[] }>>;
  registerOrganization(input: OrganizationInput): Promise<Outcome<{ org: Organization }>>;
  registerTill(input: TillInput): Promise<Outcome<{ till: Till }>>;
  registerAgent(input: AgentInput): Promise<Outcome<{ agent: Agent }>>;
  setCustomerStatus(msisdn: string, status: PartyStatus): Promise<Outcome<{ customer: Customer }>>;
  resetPin(msisdn: string, pin: string): Promise<Outcome<{ customer: Customer }>>;
  /** Clears failed PIN attempts (the operator unlocks a locked PIN without changing it). */
  unlockPin(msisdn: string): Promise<Outcome<{ customer: Customer }>>;
  changePin(msisdn: string, oldPin: string, newPin: string): Promise<Outcome<object>>;
  offerOverdraft(msisdn: string, limitCents: number): Promise<Outcome<object>>;
  optInOverdraft(msisdn: string, auth: Authorization): Promise<Outcome<{ limitCents: number }>>;

  // ---- Money ---------------------------------------------------------------------------------
  sendMoney(command: SendMoneyCommand): Result;
  payBill(command: PayBillCommand): Result;
  buyGoods(command: BuyGoodsCommand): Result;
  withdrawCash(command: WithdrawCommand): Result;
  buyAirtime(command: AirtimeCommand): Result;
  depositCash(command: DepositCommand): Result;
  businessToCustomer(command: B2CCommand): Result;
  businessToBusiness(command: B2BCommand): Result;
  moveBetweenOrgAccounts(command: OrgTransferCommand): Result;
  fundAccount(command: FundingCommand): Result;
  repayOverdraft(command: RepayCommand): Result;
  chargeDailyOverdraftFees(nowMs: number): Promise<{ charged: number; totalCents: number }>;
  reverseByCustomer(command: CustomerReversalCommand): Result;
  reverseByBusiness(command: BusinessReversalCommand): Result;

  // ---- Interoperability transit (src/interop's payer side; decisions 0021, 0027) ---------------
  /** Opens the account outbound interop money waits in; idempotent. */
  openInteropTransit(): Promise<void>;
  /** Malipo's own fee on sending `amountCents` (what the recipient gets) to another network. */
  interopFee(payer: InteropPayer['kind'], amountCents: number): Outcome<{ feeCents: number }>;
  /** Reserves an outbound transfer's money and fee (pending, with a timeout) with its records. */
  reserveInterop(command: InteropReserveCommand): Promise<Outcome<InteropReserved>>;
  /** Posts (fulfilled: the fee is earned) or voids (the money and fee come back) a reservation. */
  resolveInterop(command: InteropResolveCommand): Promise<InteropResolution>;
  /** Moves a counterpart's settled outbound money from transit to the settlement organization. */
  settleInterop(command: InteropSettleCommand): Promise<'done' | 'already' | 'failed'>;
  /** Transit's posted (fulfilled, unsettled) and pending (prepared) money, for reconciliation. */
  interopTransitBalance(): Promise<{ postedCents: number; pendingCents: number }>;
  /** What a customer may still send today, counting everything committed or reserved. */
  remainingDailyCents(msisdn: string, atMs: number): Promise<number>;

  // ---- Risk review ---------------------------------------------------------------------------
  heldTransactions(): HeldTransaction[];
  releaseHeld(receipt: string, by: string): Promise<Outcome<{ receipt: Receipt }>>;
  rejectHeld(receipt: string, by: string): Promise<Outcome<{ receipt: Receipt }>>;
  /** Voids the holds nobody decided on within the bound; returns how many it closed. */
  expireHolds(): Promise<number>;
  /** An analyst's verdict on a transaction, kept for retraining the model. */
  labelTransaction(receipt: string, label: 'fraud' | 'legit', by: string): Promise<void>;

  // ---- Customer queries ----------------------------------------------------------------------
  /** Hakikisha: the recipient's registered name, shown before the customer enters the PIN. */
  recipientName(msisdn: string): Outcome<{ name: string; msisdn: string }>;
  customer(msisdn: string): Outcome<{ customer: Customer }>;
  balance(msisdn: string, auth: Authorization): Promise<Balance>;
  miniStatement(msisdn: string, auth: Authorization): Promise<Outcome<{ rows: StatementRow[] }>>;
  statement(
    msisdn: string,
    fromMs: number,
    toMs: number,
  ): Promise<Outcome<{ rows: StatementRow[]; openingBalanceCents: number; truncated: boolean }>>;
  statementCsv(rows: StatementRow[]): string;
  /** A customer with balances and newest wallet legs (operator console); null when unknown. */
  customerAccount(msisdn: string, rowsMax: number): Promise<CustomerAccountView | null>;

  // ---- Look-ups ------------------------------------------------------------------------------
  /** A number in any accepted format, as the market's canonical MSISDN. */
  normaliseMsisdn(raw: string): Outcome<{ msisdn: string }>;
  /** Why an amount cannot be sent for this type (min, max, step); null when it can. */
  amountProblem(type: TransactionType, amountCents: number): LimitRefusal | null;
  organization(shortcode: string): Readonly<Organization> | undefined;
  till(tillNumber: string): Readonly<Till> | undefined;
  /** An organisation that can be paid now (registered and active). */
  activeOrganization(shortcode: string): Outcome<{ org: Organization }>;
  activeTill(tillNumber: string): Outcome<{ till: Till; org: Organization }>;
  activeAgent(agentNumber: string, storeNumber?: string): Outcome<{ agent: Agent }>;
  /** "<first> <last>" of a registered customer; '' when unknown. */
  customerName(msisdn: string): string;
  /** When a registered customer's account was opened; undefined when unknown. */
  customerSinceMs(msisdn: string): number | undefined;
  /** The name of an organisation or till with this number; '' when unknown. */
  businessName(number: string): string;
  /** The organisation a shortcode or till number pays into; undefined when unknown. */
  businessShortcodeOf(party: string): string | undefined;
  /** Opaque references to an organisation's accounts (for balances at a record's commit). */
  orgAccountRefs(shortcode: string): Readonly<Record<OrgAccount, string>>;
  orgBalances(shortcode: string, accounts?: readonly OrgAccount[]): Promise<OrgAccountView[]>;
  /** A committed receipt as `party` may see it; null when unknown or not this party's. */
  transactionStatus(receipt: string, party: string): Promise<TransactionView | null>;
  /** The amount a committed receipt moved; null when it was not committed. */
  principalAmount(receipt: string): Promise<number | null>;
  /** The newest committed transactions, oldest first, checked as they are read. */
  recentTransactions(limit: number): Promise<TransactionRecord[]>;
}
