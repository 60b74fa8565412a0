// Callback rules that make the Mojaloop Testing Toolkit behave as a payee FSP for Malipo: it owns
// every MSISDN party it is asked about, quotes a fixed fee, and fulfils
// transfers. The ILP parts are the toolkit's own: for a FIXED_CALLBACK to POST /quotes it builds the
// ILP packet and condition from the quote (its ILP secret), and for POST /transfers it derives the
// fulfilment from the packet the transfer carries, so a transfer that altered the packet fails.

/** The toolkit's party name, as Malipo shows it on the confirmation screen. */
export const TTK_PARTY = { firstName: 'Chris', lastName: 'Jones' };
/** A number the toolkit says it does not know: its validation rule answers 3204. */
export const TTK_UNKNOWN_MSISDN = '254733000999';
/** The toolkit's payee FSP fee on every quote, in shillings. */
export const TTK_FEE = '2';

const API = { minorVersion: 0, majorVersion: 1, type: 'fspiop', asynchronous: true };

function headers(resource: string) {
  return {
    'Content-Type': `application/vnd.interoperability.${resource}+json;version=1.1`,
    Date: '{$request.headers.date}',
    'FSPIOP-Source': '{$config.FSPID}',
    'FSPIOP-Destination': '{$request.headers.fspiop-source}',
  };
}

function rule(ruleId: number, conditions: unknown[], event: Record<string, unknown>) {
  return {
    ruleId,
    priority: 1,
    description: `malipo counterpart ${ruleId}`,
    apiVersion: API,
    conditions: { all: conditions },
    event,
    type: 'callback',
    version: 1,
  };
}

const operation = (method: string, path: string) => [
  { fact: 'operationPath', operator: 'equal', value: path },
  { fact: 'method', operator: 'equal', value: method },
];

/** Validation rules answer with an error callback instead of the callback rules' answer. */
export function counterpartValidationRules(): unknown[] {
  return [
    {
      ...rule(
        1,
        [
          ...operation('get', '/parties/{Type}/{ID}'),
          { fact: 'pathParams', operator: 'equal', path: 'ID', value: TTK_UNKNOWN_MSISDN },
        ],
        {
          method: 'put',
          path: '/parties/{Type}/{ID}/error',
          params: {
            headers: headers('parties'),
            body: { errorInformation: { errorCode: '3204', errorDescription: 'Party not found' } },
          },
          type: 'FIXED_ERROR_CALLBACK',
        },
      ),
      type: 'validation',
    },
  ];
}

export function counterpartRules(): unknown[] {
  const quoteScript = [
    'const quote = JSON.parse(request.body)',
    `environment.quoteFee = '${TTK_FEE}'`,
    'environment.quoteReceive = quote.amount.amount',
    `environment.quoteTransfer = String(Number(quote.amount.amount) + Number('${TTK_FEE}'))`,
    'environment.quoteExpiration = new Date(Date.now() + 10 * 60 * 1000).toISOString()',
  ];
  return [
    rule(2, operation('get', '/parties/{Type}/{ID}'), {
      method: 'put',
      path: '/parties/{Type}/{ID}',
      params: {
        headers: headers('parties'),
        body: {
          party: {
            partyIdInfo: {
              partyIdType: '{$request.params.Type}',
              partyIdentifier: '{$request.params.ID}',
              fspId: '{$config.FSPID}',
            },
            name: `${TTK_PARTY.firstName} ${TTK_PARTY.lastName}`,
            personalInfo: { complexName: TTK_PARTY },
          },
        },
      },
      type: 'FIXED_CALLBACK',
    }),
    rule(3, operation('post', '/quotes'), {
      method: 'put',
      path: '/quotes/{ID}',
      params: {
        headers: headers('quotes'),
        scripts: { exec: quoteScript, scriptingEngine: 'javascript' },
        body: {
          transferAmount: {
            currency: '{$request.body.amount.currency}',
            amount: '{$environment.quoteTransfer}',
          },
          payeeReceiveAmount: {
            currency: '{$request.body.amount.currency}',
            amount: '{$environment.quoteReceive}',
          },
          payeeFspFee: {
            currency: '{$request.body.amount.currency}',
            amount: '{$environment.quoteFee}',
          },
          expiration: '{$environment.quoteExpiration}',
        },
      },
      type: 'FIXED_CALLBACK',
    }),
    rule(4, operation('post', '/transfers'), {
      method: 'put',
      path: '/transfers/{ID}',
      params: {
        headers: headers('transfers'),
        body: { transferState: 'COMMITTED', completedTimestamp: '{$function.generic.curDateISO}' },
      },
      type: 'FIXED_CALLBACK',
    }),
  ];
}
