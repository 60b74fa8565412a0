// Callbacks as journal records. A callback is committed in the same ledger submission as what it
// reports (or, for a refusal, appended before the request is answered), so none is lost and none
// is sent for something that did not happen. The record holds the facts and the URL; values only
// the commit knows (balances after it) come from the record's `balancesOf`. The JSON a partner
// receives is rendered from the record at delivery, by the pure builders in ../shapes.ts, so every
// retry and replay sends exactly the same bytes.

import type { JournalRecord, StoredRecord } from '../../journal/journal.ts';
import type { Balance } from '../../ledger/model.ts';
import { type Guard, isObject, parseRecord } from '../../records/parse.ts';
import type { ResultCodeSpec } from '../errors.ts';
import {
  accountBalanceResult,
  b2bResult,
  b2cResult,
  type C2bPayment,
  c2bNotification,
  failureResult,
  type OrgAccountBalance,
  queueTimeoutResult,
  type ResultApi,
  type ResultIds,
  reversalResult,
  type StkIds,
  stkCallbackFailure,
  stkCallbackSuccess,
  type TransactionStatusDetails,
  transactionStatusResult,
} from '../shapes.ts';
import { CALLBACK_STREAM } from './model.ts';

export interface StkPaymentDetail {
  readonly amountCents: number;
  readonly receipt: string;
  readonly completedAtMs: number;
  readonly phoneNumber: string;
}

export type C2bConfirmationDetail = Omit<C2bPayment, 'orgAccountBalanceCents'> & {
  /** The utility account whose post-credit balance is OrgAccountBalance. */
  readonly balanceAccountId: string;
};

export type ResultDetail =
  | {
      readonly type: 'b2c';
      readonly amountCents: number;
      readonly receipt: string;
      readonly receiverMsisdn: string;
      readonly receiverName: string;
      readonly completedAtMs: number;
      readonly utilityAccountId: string;
      readonly workingAccountId: string;
      readonly chargesAccountId: string;
    }
  | {
      readonly type: 'b2b';
      readonly amountCents: number;
      readonly currency: string;
      readonly debitAccountId: string;
      readonly debitAccountName: string;
      readonly completedAtMs: number;
      readonly chargesCents: number | null;
      readonly receiverPartyPublicName: string;
      readonly billReferenceNumber: string;
    }
  | {
      readonly type: 'balance';
      readonly currency: string;
      readonly completedAtMs: number;
      /** In the sample's order; null for accounts Malipo does not keep (always zero). */
      readonly accounts: readonly { readonly name: string; readonly accountId: string | null }[];
    }
  | { readonly type: 'status'; readonly details: TransactionStatusDetails }
  | {
      readonly type: 'reversal';
      readonly currency: string;
      readonly debitAccountId: string;
      readonly debitAccountName: string;
      readonly amountCents: number;
      readonly completedAtMs: number;
      readonly originalTransactionId: string;
      readonly creditPartyPublicName: string;
      readonly debitPartyPublicName: string;
    };

export type CallbackBody =
  | {
      readonly kind: 'stk';
      readonly url: string;
      readonly ids: StkIds;
      readonly result: ResultCodeSpec;
      readonly payment: StkPaymentDetail | null;
    }
  | {
      readonly kind: 'c2b_confirmation';
      readonly url: string;
      readonly payment: C2bConfirmationDetail;
    }
  | {
      readonly kind: 'result';
      readonly url: string;
      readonly api: ResultApi;
      readonly ids: ResultIds;
      readonly result: ResultCodeSpec;
      readonly queueTimeOutUrl: string;
      /** Null for a failure: no ResultParameters, as in Daraja's failure samples. */
      readonly detail: ResultDetail | null;
    }
  | {
      readonly kind: 'queue_timeout';
      readonly url: string;
      readonly api: ResultApi;
      readonly ids: ResultIds;
      readonly result: ResultCodeSpec;
    };

/**
 * The record for one callback. The key starts with the app's id so the portal can list an app's
 * deliveries; `balancesOf` names the accounts whose post-commit balances the JSON needs.
 */
export function callbackRecord(appId: string, id: string, body: CallbackBody): JournalRecord {
  return {
    stream: CALLBACK_STREAM,
    key: `${appId}:${id}`,
    body: JSON.stringify(body),
    balancesOf: balanceAccountsOf(body),
  };
}

function balanceAccountsOf(body: CallbackBody): string[] {
  if (body.kind === 'c2b_confirmation') return [body.payment.balanceAccountId];
  if (body.kind !== 'result' || body.detail === null) return [];
  const d = body.detail;
  switch (d.type) {
    case 'b2c':
      return [d.utilityAccountId, d.workingAccountId, d.chargesAccountId];
    case 'b2b':
    case 'reversal':
      return [d.debitAccountId];
    case 'balance':
      return d.accounts.flatMap((a) => (a.accountId === null ? [] : [a.accountId]));
    case 'status':
      return [];
  }
}

/**
 * The body of each record object as last parsed. The delivery thread reads one record up to three
 * times per POST (its endpoint, its URL, its JSON); parsing it once is what the cache is for. Keyed
 * by the record object, so it lives no longer than the record; the text is compared, so a record
 * object given another body is parsed again. The parsed body is read-only for every caller.
 */
const parsedBodies = new WeakMap<object, { text: string; body: CallbackBody }>();

export function parseCallbackBody(record: Pick<StoredRecord, 'body'>): CallbackBody {
  const known = parsedBodies.get(record);
  if (known !== undefined && known.text === record.body) return known.body;
  const body = parseRecord(record.body, isCallbackBody, 'callback record');
  parsedBodies.set(record, { text: record.body, body });
  return body;
}

/** The JSON a partner receives, a pure function of the committed record. */
export function renderCallback(
  record: Pick<StoredRecord, 'body' | 'balances'>,
  utcOffsetMinutes: number,
): unknown {
  const body = parseCallbackBody(record);
  const balances = record.balances ?? {};
  switch (body.kind) {
    case 'stk':
      return body.payment === null
        ? stkCallbackFailure(body.ids, body.result)
        : stkCallbackSuccess(body.ids, body.payment, utcOffsetMinutes);
    case 'c2b_confirmation': {
      const { balanceAccountId, ...payment } = body.payment;
      const balance = orgBalance('', '', balances[balanceAccountId]);
      return c2bNotification(
        { ...payment, orgAccountBalanceCents: balance.availableCents },
        utcOffsetMinutes,
      );
    }
    case 'queue_timeout':
      return queueTimeoutResult(body.api, body.ids, body.result);
    case 'result':
      return body.detail === null
        ? failureResult(body.api, body.result, body.ids, body.queueTimeOutUrl)
        : renderResult(body, body.detail, balances, utcOffsetMinutes);
  }
}

function renderResult(
  body: Extract<CallbackBody, { kind: 'result' }>,
  d: ResultDetail,
  balances: Record<string, Balance>,
  utcOffsetMinutes: number,
): unknown {
  const { ids, queueTimeOutUrl } = body;
  switch (d.type) {
    case 'b2c':
      return renderB2c(ids, queueTimeOutUrl, d, balances, utcOffsetMinutes);
    case 'b2b': {
      const debitAccount = orgBalance(d.debitAccountName, d.currency, balances[d.debitAccountId]);
      return b2bResult(
        body.api === 'taxRemittance' ? 'taxRemittance' : 'b2b',
        ids,
        {
          amountCents: d.amountCents,
          currency: d.currency,
          debitAccount,
          completedAtMs: d.completedAtMs,
          debitPartyChargesCents: d.chargesCents,
          receiverPartyPublicName: d.receiverPartyPublicName,
          initiatorAccountCurrentCents: debitAccount.currentCents,
          billReferenceNumber: d.billReferenceNumber,
          queueTimeOutUrl,
        },
        utcOffsetMinutes,
      );
    }
    case 'balance': {
      const accounts = d.accounts.map((a) =>
        orgBalance(a.name, d.currency, a.accountId === null ? undefined : balances[a.accountId]),
      );
      return accountBalanceResult(
        ids,
        accounts,
        d.completedAtMs,
        queueTimeOutUrl,
        utcOffsetMinutes,
      );
    }
    case 'status':
      return transactionStatusResult(ids, d.details, utcOffsetMinutes);
    case 'reversal':
      return reversalResult(
        ids,
        {
          debitAccount: orgBalance(d.debitAccountName, d.currency, balances[d.debitAccountId]),
          amountCents: d.amountCents,
          completedAtMs: d.completedAtMs,
          originalTransactionId: d.originalTransactionId,
          chargeCents: 0,
          creditPartyPublicName: d.creditPartyPublicName,
          debitPartyPublicName: d.debitPartyPublicName,
          queueTimeOutUrl,
        },
        utcOffsetMinutes,
      );
  }
}

function renderB2c(
  ids: ResultIds,
  queueTimeOutUrl: string,
  d: Extract<ResultDetail, { type: 'b2c' }>,
  balances: Record<string, Balance>,
  utcOffsetMinutes: number,
): unknown {
  const available = (accountId: string) => orgBalance('', '', balances[accountId]).availableCents;
  return b2cResult(
    { originatorConversationId: ids.originatorConversationId, conversationId: ids.conversationId },
    {
      amountCents: d.amountCents,
      receipt: d.receipt,
      receiverMsisdn: d.receiverMsisdn,
      receiverName: d.receiverName,
      completedAtMs: d.completedAtMs,
      utilityAvailableCents: available(d.utilityAccountId),
      workingAvailableCents: available(d.workingAccountId),
      // Malipo's payments service refuses B2C to an unregistered number (SFC_IC0003).
      recipientIsRegistered: true,
      chargesPaidAvailableCents: available(d.chargesAccountId),
      queueTimeOutUrl,
    },
    utcOffsetMinutes,
  );
}

/**
 * One account in Daraja's 6-field form: current (posted), available (less reserved), reserved
 * (pending debits), uncleared (pending credits). An account the commit did not see is zero.
 */
export function orgBalance(
  name: string,
  currency: string,
  balance: Balance | undefined,
): OrgAccountBalance {
  const b = balance ?? { debitsPending: 0, debitsPosted: 0, creditsPending: 0, creditsPosted: 0 };
  const currentCents = b.creditsPosted - b.debitsPosted;
  return {
    name,
    currency,
    currentCents,
    availableCents: currentCents - b.debitsPending,
    reservedCents: b.debitsPending,
    unclearedCents: b.creditsPending,
  };
}

const CALLBACK_KINDS = new Set(['stk', 'c2b_confirmation', 'result', 'queue_timeout']);

export const isCallbackBody: Guard<CallbackBody> = (value): value is CallbackBody =>
  isObject(value) &&
  typeof value.kind === 'string' &&
  CALLBACK_KINDS.has(value.kind) &&
  typeof value.url === 'string';
