// How parties map onto ledger accounts, and the codes that name account kinds and transfer
// reasons. One place, so every product builds the same accounts and statements can read them.

import { AccountFlags, type AccountInput } from '../ledger/model.ts';
import type { TransactionType } from './tariffs.ts';

/** Account kinds (the ledger's account `code`). */
export const AccountCode = {
  wallet: 1,
  overdraft: 2,
  orgUtility: 10,
  orgWorking: 11,
  orgCharges: 12,
  agentFloat: 20,
  agentCommission: 21,
  feeRevenue: 30,
  exciseDuty: 31,
  suspense: 32,
  trust: 33,
  airtimeSales: 34,
  commissionExpense: 35,
} as const;

/** Transfer reasons (the ledger's transfer `code`). */
export const TransferCode = {
  principal: 1,
  fee: 2,
  excise: 3,
  commission: 4,
  overdraftDraw: 5,
  overdraftAccessFee: 6,
  overdraftAccessExcise: 7,
  overdraftRepayment: 8,
  overdraftDailyFee: 9,
  overdraftDailyExcise: 10,
  reversal: 11,
  funding: 12,
  orgTransfer: 13,
  /** A pending reservation of a payer's money while a transaction is held for review. */
  riskHold: 14,
} as const;
export type TransferReason = (typeof TransferCode)[keyof typeof TransferCode];

/** Transaction types, numbered for the transfer's `userData` so statements know what a leg was. */
export const TRANSACTION_TYPE_NUMBERS: Readonly<
  Record<TransactionType | 'overdraft' | 'funding' | 'org_transfer', number>
> = {
  send_money: 1,
  send_unregistered: 2,
  paybill: 3,
  buy_goods: 4,
  agent_withdrawal: 5,
  atm_withdrawal: 6,
  agent_deposit: 7,
  b2c: 8,
  b2b: 9,
  airtime: 10,
  reversal: 11,
  overdraft: 12,
  funding: 13,
  org_transfer: 14,
};

export type OrgAccount = 'utility' | 'working' | 'charges';
export const ORG_ACCOUNTS: readonly OrgAccount[] = ['utility', 'working', 'charges'];
const ORG_CODES: Readonly<Record<OrgAccount, number>> = {
  utility: AccountCode.orgUtility,
  working: AccountCode.orgWorking,
  charges: AccountCode.orgCharges,
};

export const walletId = (msisdn: string) => `wallet:${msisdn}`;
export const overdraftId = (msisdn: string) => `overdraft:${msisdn}`;
export const orgAccountId = (shortcode: string, account: OrgAccount) =>
  `org:${shortcode}:${account}`;
export const agentFloatId = (agentNumber: string) => `agent:${agentNumber}:float`;
export const agentCommissionId = (agentNumber: string) => `agent:${agentNumber}:commission`;

/**
 * The operator's accounts. System accounts are per shard (ARCHITECTURE.md §3), so a
 * transaction's fee legs stay on the payer's shard; reports sum them across shards.
 */
export interface OperatorAccounts {
  fees: string;
  excise: string;
  suspense: string;
  trust: string;
  airtime: string;
  commission: string;
}

export function operatorAccounts(shard: number): OperatorAccounts {
  const prefix = `operator:${shard}`;
  return {
    fees: `${prefix}:fees`,
    excise: `${prefix}:excise`,
    suspense: `${prefix}:suspense`,
    trust: `${prefix}:trust`,
    airtime: `${prefix}:airtime`,
    commission: `${prefix}:commission`,
  };
}

const bounded = AccountFlags.debitsMustNotExceedCredits;

export function operatorAccountInputs(shard: number, ledger: number): AccountInput[] {
  const ids = operatorAccounts(shard);
  return [
    { id: ids.fees, ledger, code: AccountCode.feeRevenue, flags: bounded, ownerId: 'operator' },
    { id: ids.excise, ledger, code: AccountCode.exciseDuty, flags: bounded, ownerId: 'operator' },
    { id: ids.suspense, ledger, code: AccountCode.suspense, ownerId: 'operator' },
    // E-money is issued against the trust account: it is the one account allowed to go "negative".
    { id: ids.trust, ledger, code: AccountCode.trust, ownerId: 'operator' },
    {
      id: ids.airtime,
      ledger,
      code: AccountCode.airtimeSales,
      flags: bounded,
      ownerId: 'operator',
    },
    { id: ids.commission, ledger, code: AccountCode.commissionExpense, ownerId: 'operator' },
  ];
}

export function walletInput(msisdn: string, ledger: number): AccountInput {
  return {
    id: walletId(msisdn),
    ledger,
    code: AccountCode.wallet,
    flags: bounded,
    ownerId: msisdn,
  };
}

/** The customer's overdraft debt: debits are draws and fees, credits are repayments, never more. */
export function overdraftInput(msisdn: string, ledger: number): AccountInput {
  return {
    id: overdraftId(msisdn),
    ledger,
    code: AccountCode.overdraft,
    flags: AccountFlags.creditsMustNotExceedDebits,
    ownerId: msisdn,
  };
}

export function orgAccountInputs(shortcode: string, ledger: number): AccountInput[] {
  return ORG_ACCOUNTS.map((account) => ({
    id: orgAccountId(shortcode, account),
    ledger,
    code: ORG_CODES[account],
    flags: bounded,
    ownerId: `org:${shortcode}`,
  }));
}

export function agentAccountInputs(agentNumber: string, ledger: number): AccountInput[] {
  return [
    {
      id: agentFloatId(agentNumber),
      ledger,
      code: AccountCode.agentFloat,
      flags: bounded,
      ownerId: `agent:${agentNumber}`,
    },
    {
      id: agentCommissionId(agentNumber),
      ledger,
      code: AccountCode.agentCommission,
      flags: bounded,
      ownerId: `agent:${agentNumber}`,
    },
  ];
}
