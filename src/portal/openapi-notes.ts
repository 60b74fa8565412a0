// What a partner must know that no single endpoint says: where Malipo's HTTP statuses differ from
// Daraja's, the rate limit, the callback URL rules, what each risk decision answers, and which
// answers carry ResponseCode "0". Served inside the OpenAPI document (`x-malipo-notes`) and shown
// at the top of the portal's API reference; built from the same tables the code answers with.
import {
  GATEWAY_ERRORS,
  RESULT_CODES,
  RETRY_AFTER_SECONDS,
  STATUS_DIFFERENCES,
} from '../daraja/errors.ts';
import { APP_RATE_BURST_DEFAULT, APP_RATE_PER_SECOND_DEFAULT } from '../daraja/platform/model.ts';
import { OTHER_NETWORK_RESULTS } from '../daraja/platform/other-networks.ts';
import { HOLD_TIMEOUT_MS_DEFAULT } from '../payments/commands.ts';

export interface PortalNote {
  readonly title: string;
  readonly items: readonly string[];
}

const result = (spec: { code: number | string; desc: string }) => `${spec.code} "${spec.desc}"`;

export function portalNotes(): PortalNote[] {
  return [statusNote(), rateLimitNote(), callbackUrlNote(), resultsNote(), otherNetworksNote()];
}

function statusNote(): PortalNote {
  return {
    title: 'HTTP status codes that differ from Daraja',
    items: [
      'Malipo answers a client’s fault with a 4xx and keeps Daraja’s errorCode in the body ' +
        '(match on errorCode, as Daraja’s own clients do). The differences:',
      ...STATUS_DIFFERENCES.map((d) => {
        const spec = GATEWAY_ERRORS[d.error];
        return `${spec.errorCode} ${spec.errorMessage}: HTTP ${spec.httpStatus} (Daraja: ${d.darajaStatus}) — ${d.why}.`;
      }),
      `Errors of the HTTP layer itself, which Daraja documents no code for: ` +
        `${GATEWAY_ERRORS.requestTooLarge.errorCode} (413, body over 16 KiB), ` +
        `${GATEWAY_ERRORS.unsupportedMediaType.errorCode} (415, not application/json), ` +
        `${GATEWAY_ERRORS.headersTooLarge.errorCode} (431, headers too large); unknown paths ` +
        `are 404 ${GATEWAY_ERRORS.resourceNotFound.errorCode}, a wrong method 405 ` +
        `${GATEWAY_ERRORS.methodNotAllowed.errorCode}, malformed JSON 400 ` +
        `${GATEWAY_ERRORS.invalidRequestPayload.errorCode}. All in the {requestId, errorCode, errorMessage} shape.`,
    ],
  };
}

function rateLimitNote(): PortalNote {
  const spike = GATEWAY_ERRORS.spikeArrestViolation;
  return {
    title: 'Rate limit',
    items: [
      `Each app may send ${APP_RATE_PER_SECOND_DEFAULT} requests per second, in bursts of up to ` +
        `${APP_RATE_BURST_DEFAULT}, unless the operator set another allowance; your app’s page ` +
        'shows its own. Past it: HTTP 429, errorCode ' +
        `${spike.errorCode} "${spike.errorMessage}", Retry-After: ${RETRY_AFTER_SECONDS}.`,
      'Before a load test, ask the operator to raise your app’s allowance ' +
        '(PUT /daraja/admin/apps/{appId}/rate-limit).',
    ],
  };
}

function callbackUrlNote(): PortalNote {
  return {
    title: 'Callback URLs',
    items: [
      'Every URL field (CallBackURL, ResultURL, QueueTimeOutURL, ConfirmationURL, ValidationURL) ' +
        'must be http or https (https only in production), without user:password@, and without ' +
        'control characters (CR, LF, TAB, NUL), spaces or backslashes. Otherwise the request is ' +
        'refused with 400.002.02 "Bad Request - Invalid <field>" before anything runs: no money ' +
        'moves and no callback is sent.',
    ],
  };
}

function resultsNote(): PortalNote {
  return {
    title: 'Acknowledgements and results',
    items: [
      'Every acknowledgement carries ResponseCode "0", a ResponseDescription and the ids Daraja ' +
        'sends (ConversationID/OriginatorConversationID; MerchantRequestID/CheckoutRequestID for ' +
        'M-Pesa Express; OriginatorCoversationID for C2B, v1 included). Pull query (1000/1001) ' +
        'and dynamic QR answer with their own documented codes.',
      'Every accepted request ends in exactly one result callback, whatever the fraud engine ' +
        'decides:',
      `Blocked: ${result(RESULT_CODES.declinedByRisk)}.`,
      `Verification needed on an M-Pesa Express push (the customer cannot enter a one-time code ` +
        `on the prompt): ${result(RESULT_CODES.verificationRequired)}. ` +
        'The customer can pay from the M-PESA menu, where the code is asked.',
      'Held for review (B2C, B2B, reversal, M-Pesa Express): nothing is sent yet and a query ' +
        'answers "being processed"; the result follows the decision: success when released, ' +
        `${result(RESULT_CODES.rejectedAfterReview)} when rejected, and ` +
        `${result(RESULT_CODES.transactionExpired)} when no decision comes within ` +
        `${HOLD_TIMEOUT_MS_DEFAULT / 60_000} minutes (the operator may change the bound); the ` +
        'money is then back where it was.',
      'C2B: Daraja defines no failure notification, so your ValidationURL is asked only after ' +
        "the risk decision: a blocked payment, or one waiting for the customer's code, is never " +
        'sent for validation. A held one is validated, then confirmed on release; if it is ' +
        `rejected or no decision comes within ${HOLD_TIMEOUT_MS_DEFAULT / 60_000} minutes, no ` +
        'confirmation follows: treat a validation without a confirmation within that bound as ' +
        'not paid.',
    ],
  };
}

function otherNetworksNote(): PortalNote {
  return {
    title: 'B2C to a customer of another provider',
    items: [
      'Where Malipo is in an interoperability scheme, a B2C (v1 or v3) whose PartyB is not a ' +
        'Malipo customer is looked up in the scheme and, if another provider serves the number, ' +
        'paid there: the amount plus that provider’s quoted fee leaves your utility account and ' +
        'your B2C charge your charges account, as for a local B2C.',
      'The result callback comes once the other provider has answered, not before: success with ' +
        'the usual ResultParameters (the receipt, the amount, the receiver’s number and name), ' +
        'or a failure, and the money is back: a number no provider serves ' +
        `${result(OTHER_NETWORK_RESULTS.party_not_found)} (as a local B2C to an unknown number), ` +
        `the other provider refused ${result(OTHER_NETWORK_RESULTS.payee_refused)}, no answer ` +
        `in time ${result(OTHER_NETWORK_RESULTS.expired)}, the scheme unreachable ` +
        `${result(OTHER_NETWORK_RESULTS.scheme_unavailable)}.`,
      'A v3 request repeated with the same OriginatorConversationID is refused as a duplicate ' +
        'and pays nothing twice; a restart of Malipo while the transfer is on its way does not ' +
        'send a queue time-out: the result still follows the other provider’s answer.',
    ],
  };
}
