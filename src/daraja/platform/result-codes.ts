// The payments service's refusals in Daraja's result codes: one table, so every API answers the
// same refusal the same way. A few refusals depend on the API (an unknown customer is "cannot be
// reached" to an STK push but "operator does not exist" to a B2C payment).
import type { RefusalCode } from '../../payments/model.ts';
import { C2B_VALIDATION_REJECTIONS, RESULT_CODES, type ResultCodeSpec } from '../errors.ts';

const BY_REFUSAL: Readonly<Partial<Record<RefusalCode, ResultCodeSpec>>> = {
  insufficient_funds: RESULT_CODES.insufficientBalance,
  overdraft_limit_exceeded: RESULT_CODES.insufficientBalance,
  recipient_insufficient_funds: RESULT_CODES.insufficientBalance,
  daily_limit_exceeded: RESULT_CODES.dailyLimitExceeded,
  amount_below_minimum: RESULT_CODES.belowMinimumAmount,
  amount_invalid_step: RESULT_CODES.belowMinimumAmount,
  amount_above_maximum: RESULT_CODES.aboveMaximumAmount,
  amount_outside_tariff: RESULT_CODES.aboveMaximumAmount,
  payee_balance_limit_exceeded: RESULT_CODES.maximumBalanceExceeded,
  // M-Pesa reports a wrong STK PIN as 2001, the same code as bad initiator credentials.
  wrong_pin: RESULT_CODES.initiatorInformationInvalid,
  pin_locked: RESULT_CODES.initiatorInformationInvalid,
  unknown_business: RESULT_CODES.unresolvedReceiverParty,
  unknown_till: RESULT_CODES.unresolvedReceiverParty,
  party_frozen: RESULT_CODES.accountStatusDisallows,
  party_closed: RESULT_CODES.accountStatusDisallows,
  same_party: RESULT_CODES.notPermittedByProductAssignment,
  duplicate_request: RESULT_CODES.duplicateDetected,
  // The reversal API has its own codes (§1.10); anything that cannot be reversed is "invalid".
  reversal_not_found: RESULT_CODES.originalTransactionInvalid,
  reversal_not_allowed: RESULT_CODES.originalTransactionInvalid,
  reversal_window_expired: RESULT_CODES.originalTransactionInvalid,
  reversal_already_done: RESULT_CODES.alreadyReversed,
  busy: RESULT_CODES.systemBusy,
};

export type ResultContext = 'stk' | 'b2c' | 'b2b' | 'reversal';

/** Marks a refusal that came from the business's Validation URL, with the code it answered. */
export const C2B_VALIDATION_REFUSAL_PREFIX = 'c2b-validation:';

export function resultForRefusal(
  context: ResultContext,
  refusal: { readonly error: RefusalCode; readonly message: string },
): ResultCodeSpec {
  if (refusal.message.startsWith(C2B_VALIDATION_REFUSAL_PREFIX)) {
    return validationRejection(refusal.message.slice(C2B_VALIDATION_REFUSAL_PREFIX.length));
  }
  if (refusal.error === 'unknown_customer' || refusal.error === 'invalid_msisdn') {
    return context === 'stk' ? RESULT_CODES.userUnreachable : RESULT_CODES.operatorDoesNotExist;
  }
  return BY_REFUSAL[refusal.error] ?? RESULT_CODES.internalFailure;
}

/**
 * A payment the business's Validation URL rejected: its own code (C2B00011..16, or whatever it
 * sent) is the result, since that is what the partner's reconciliation understands.
 */
function validationRejection(code: string): ResultCodeSpec {
  const known = (C2B_VALIDATION_REJECTIONS as Record<string, string>)[code];
  return { code, desc: known ?? 'Rejected by the business' };
}
