// The payments service's refusals in Daraja's result codes: one table, so every API answers the
// same refusal the same way. The switch is exhaustive (the compiler checks it against
// RefusalCode), so a new refusal cannot fall through to "System internal error.". A few refusals
// depend on the API (an unknown customer is "cannot be reached" to an STK push but "operator does
// not exist" to a B2C payment).
import type { RefusalCode } from '../../payments/model.ts';
import { C2B_VALIDATION_REJECTIONS, RESULT_CODES, type ResultCodeSpec } from '../errors.ts';

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
  return resultForCode(context, refusal.error);
}

/** Every refusal's result; `never` in the default makes a missing case a compile error. */
export function resultForCode(context: ResultContext, error: RefusalCode): ResultCodeSpec {
  switch (error) {
    case 'insufficient_funds':
    case 'overdraft_limit_exceeded':
    case 'recipient_insufficient_funds':
      return RESULT_CODES.insufficientBalance;
    case 'daily_limit_exceeded':
      return RESULT_CODES.dailyLimitExceeded;
    case 'amount_below_minimum':
    case 'amount_invalid_step':
      return RESULT_CODES.belowMinimumAmount;
    case 'amount_above_maximum':
    case 'amount_outside_tariff':
      return RESULT_CODES.aboveMaximumAmount;
    case 'payee_balance_limit_exceeded':
      return RESULT_CODES.maximumBalanceExceeded;
    // M-Pesa reports a wrong STK PIN as 2001, the same code as bad initiator credentials.
    case 'wrong_pin':
    case 'pin_locked':
    case 'pin_policy':
      return RESULT_CODES.initiatorInformationInvalid;
    case 'invalid_msisdn':
    case 'unknown_customer':
      return context === 'stk' ? RESULT_CODES.userUnreachable : RESULT_CODES.operatorDoesNotExist;
    case 'unknown_business':
    case 'unknown_till':
    case 'unknown_agent':
      return RESULT_CODES.unresolvedReceiverParty;
    case 'party_frozen':
    case 'party_closed':
      return RESULT_CODES.accountStatusDisallows;
    // Requests the product cannot carry out as asked (overdraft and agent rules, a malformed
    // command the payments service refused): "not permitted according to product assignment".
    case 'same_party':
    case 'agent_store_mismatch':
    case 'not_opted_in':
    case 'already_opted_in':
    case 'no_overdraft_offer':
    case 'nothing_to_repay':
    case 'invalid_request':
      return RESULT_CODES.notPermittedByProductAssignment;
    case 'duplicate_request':
    case 'already_registered':
      return RESULT_CODES.duplicateDetected;
    // The reversal API has its own codes (§1.10); anything that cannot be reversed is "invalid".
    case 'reversal_not_found':
    case 'reversal_not_allowed':
    case 'reversal_window_expired':
    case 'reversal_attempts_exceeded':
    case 'review_not_found':
      return RESULT_CODES.originalTransactionInvalid;
    case 'reversal_already_done':
      return RESULT_CODES.alreadyReversed;
    case 'rejected_by_business':
      return validationRejection('C2B00016');
    case 'blocked':
      return RESULT_CODES.declinedByRisk;
    case 'step_up_required':
      return RESULT_CODES.verificationRequired;
    case 'review_expired':
      return RESULT_CODES.transactionExpired;
    case 'busy':
      return RESULT_CODES.systemBusy;
    default:
      return unreachable(error);
  }
}

function unreachable(error: never): never {
  throw new Error(`no Daraja result for refusal ${String(error)}`);
}

/**
 * A payment the business's Validation URL rejected: its own code (C2B00011..16, or whatever it
 * sent) is the result, since that is what the partner's reconciliation understands.
 */
function validationRejection(code: string): ResultCodeSpec {
  const known = (C2B_VALIDATION_REJECTIONS as Record<string, string>)[code];
  return { code, desc: known ?? 'Rejected by the business' };
}
