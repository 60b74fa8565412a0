// B2C to a customer of another provider (issue 13; decision 0027): when a B2C's PartyB is not a
// Malipo customer and Malipo is in an interoperability scheme, the Daraja platform pays through
// this port, which src/interop implements with its payer FSP. Defined here, on the caller's side,
// so Daraja does not depend on src/interop and the interop side is connected when it starts.

import type { JournalRecord } from '../../journal/journal.ts';
import type { Refusal } from '../../payments/model.ts';
import { RESULT_CODES, type ResultCodeSpec } from '../errors.ts';

/** Why a transfer to another network did not complete, in the scheme's terms. */
export type OtherNetworkFailure =
  /** The scheme's oracle knows no provider for the number (FSPIOP 3204). */
  | 'party_not_found'
  /** The payee FSP refused the quote or the transfer (FSPIOP 5xxx). */
  | 'payee_refused'
  /** Nobody fulfilled the transfer before its expiry (FSPIOP 3303). */
  | 'expired'
  /** The hub or the payee FSP could not be reached, or answered with another error. */
  | 'scheme_unavailable';

/**
 * The business's failure result for each: an unknown number as a local B2C to an unknown number
 * answers; a refusal as a credit party that cannot take the money; a time-out as an expired
 * transaction; anything else as busy, which a partner retries.
 */
export const OTHER_NETWORK_RESULTS: Readonly<Record<OtherNetworkFailure, ResultCodeSpec>> = {
  party_not_found: RESULT_CODES.operatorDoesNotExist,
  payee_refused: RESULT_CODES.creditPartyInvalidState,
  expired: RESULT_CODES.transactionExpired,
  scheme_unavailable: RESULT_CODES.systemBusy,
};

export type OtherNetworkEnd =
  | {
      readonly ok: true;
      readonly receipt: string;
      readonly amountCents: number;
      readonly receiverMsisdn: string;
      readonly receiverName: string;
      readonly completedAtMs: number;
    }
  | { readonly ok: false; readonly failure: OtherNetworkFailure; readonly atMs: number };

export interface OtherNetworkB2cCommand {
  readonly shortcode: string;
  readonly to: string;
  readonly amountCents: number;
  /** Idempotency: the same key finds the same transfer (a Daraja retry, a restart). */
  readonly requestKey: string;
  /** Committed with the reservation: what tells a restart the request is still open. */
  readonly prepared: JournalRecord[];
  /** Committed with the transfer's post or void: the result callback, written exactly once. */
  readonly onEnd: (end: OtherNetworkEnd) => JournalRecord[];
  /** Called once `onEnd`'s records are committed (the platform wakes its callback deliverer). */
  readonly onEndCommitted: () => void;
}

export type OtherNetworkB2cOutcome =
  /** Payments refused before anything moved (funds, limits, risk): a result as for a local B2C. */
  | { readonly status: 'refused'; readonly refusal: Refusal }
  /** Prepared: `onEnd`'s records commit with the fulfilment or the error. */
  | { readonly status: 'pending' }
  /** Ended without `onEnd` being committed (a lookup or quote failed, or ended while we were down). */
  | { readonly status: 'ended'; readonly end: OtherNetworkEnd };

export interface OtherNetworksB2c {
  send(command: OtherNetworkB2cCommand): Promise<OtherNetworkB2cOutcome>;
}
