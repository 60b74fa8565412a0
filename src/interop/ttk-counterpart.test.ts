// The real Mojaloop Testing Toolkit as the other provider (and the hub): Malipo's USSD customer
// pays a party the toolkit owns. The toolkit answers our GET /parties, POST /quotes and
// POST /transfers with its own callbacks (rules in testing/ttk-rules.ts); the fulfilment it sends
// is the one its ILP secret derives from the packet it quoted, so a transfer only commits if our
// condition, packet and amounts went through unaltered, which the toolkit checks too
// (TRANSFERS_VALIDATION_ILP_PACKET / _CONDITION). Then the toolkit is the payer: a test case run
// through its outbound API sends lookup, quote and transfer (twice) to Malipo as payee and asserts
// on the callbacks it receives; the customer is credited once. Runs when the toolkit is installed
// (scripts/ttk-setup.sh); skipped with the reason otherwise.

import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { conditionOf } from './ilp.ts';
import {
  admin,
  CUSTOMER_FUNDED_CENTS,
  closeFsp,
  type Fsp,
  type Hub,
  startFsp,
  transit,
  ussd,
  walletCents,
} from './testing/pair.ts';
import {
  actAsCounterpart,
  type RunningToolkit,
  runOutbound,
  startToolkit,
  toolkitDir,
} from './testing/ttk.ts';
import {
  counterpartRules,
  counterpartValidationRules,
  TTK_FEE,
  TTK_PARTY,
  TTK_UNKNOWN_MSISDN,
} from './testing/ttk-rules.ts';

const TTK_FSP = 'testingtoolkitdfsp';
const ZAWADI = {
  msisdn: '254711000303',
  local: '0711000303',
  pin: '4826',
  firstName: 'Zawadi',
  lastName: 'Kamau',
};
/** A number nobody at Malipo holds: the toolkit owns it. */
const TTK_PAYEE_LOCAL = '0733000404';

const dir = toolkitDir();
const skip = dir === null ? 'the Testing Toolkit is not installed (scripts/ttk-setup.sh)' : false;

describe('the Testing Toolkit as the other provider', { skip, timeout: 420_000 }, () => {
  let toolkit: RunningToolkit;
  let restore: (() => Promise<void>) | undefined;
  let malipo: Fsp;

  before(async () => {
    toolkit = await startToolkit(dir as string, Number(process.env.MALIPO_TTK_PORT ?? 8201));
    // The toolkit is the hub: Malipo sends everything to it and it calls Malipo back directly.
    let callbackUrl = '';
    const hub: Hub = {
      url: toolkit.url,
      join: (_fspId, url) => {
        callbackUrl = url;
      },
      ownParty: () => {},
    };
    malipo = await startFsp(hub, 'malipo', ZAWADI);
    restore = await actAsCounterpart(
      toolkit,
      callbackUrl,
      { callback: counterpartRules(), validation: counterpartValidationRules() },
      {
        TRANSFERS_VALIDATION_ILP_PACKET: true,
        TRANSFERS_VALIDATION_CONDITION: true,
      },
    );
  });

  after(async () => {
    await restore?.();
    await closeFsp(malipo);
    await toolkit?.stop();
  });

  test("a USSD customer pays the toolkit's party; wallet, transit and positions reconcile", async () => {
    const session = 'ttk-payee-1';
    assert.match(await ussd(malipo, session, ''), /8 Send to other networks/);
    await ussd(malipo, session, '8');
    assert.match(await ussd(malipo, session, `8*${TTK_PAYEE_LOCAL}`), /^CON Enter Amount/);
    const confirm = await ussd(malipo, session, `8*${TTK_PAYEE_LOCAL}*300`);
    const name = `${TTK_PARTY.firstName} ${TTK_PARTY.lastName}`.toUpperCase();
    assert.match(
      confirm,
      new RegExp(
        // Malipo's own otherNetworks tariff for KES 300 (7.00), then the toolkit's quoted fee.
        `^CON Send Ksh300\\.00 to ${name} \\d+ \\(${TTK_FSP}\\)\\? Fee Ksh7\\.00 \\+ ${TTK_FSP} fee Ksh${TTK_FEE}\\.00`,
      ),
    );
    await ussd(malipo, session, `8*${TTK_PAYEE_LOCAL}*300*1`);
    const done = await ussd(malipo, session, `8*${TTK_PAYEE_LOCAL}*300*1*${ZAWADI.pin}`);
    assert.match(done, new RegExp(`^END \\w+ Confirmed\\. Ksh300\\.00 sent to ${name}`));

    // Transit carries what the toolkit is owed; Malipo's fee is earned apart, never in transit.
    const paidCents = 30_000 + Number(TTK_FEE) * 100;
    const malipoFeeCents = 700;
    assert.equal(await walletCents(malipo), CUSTOMER_FUNDED_CENTS - paidCents - malipoFeeCents);
    assert.deepEqual(await transit(malipo), { postedCents: paidCents, pendingCents: 0 });
    const view = await admin(malipo, 'GET', '/admin/interop/positions');
    assert.equal(view.status, 200);
    assert.deepEqual(view.body.positions, [
      {
        fsp: TTK_FSP,
        owedToUsCents: 0,
        owedByUsCents: paidCents,
        netCents: -paidCents,
        inboundTransfers: 0,
        outboundTransfers: 1,
      },
    ]);
    assert.equal((view.body.reconciliation as { reconciled: boolean }).reconciled, true);

    const settled = await admin(malipo, 'POST', '/admin/interop/settlements', { fsp: TTK_FSP });
    assert.equal(settled.status, 200, JSON.stringify(settled.body));
    assert.deepEqual(await transit(malipo), { postedCents: 0, pendingCents: 0 });
  });

  test('a number the toolkit does not know is refused at lookup with its 3204; nothing moves', async () => {
    const before = await walletCents(malipo);
    const sent = await admin(malipo, 'POST', '/admin/interop/transfers', {
      from: ZAWADI.msisdn,
      to: TTK_UNKNOWN_MSISDN,
      amountCents: 10_000,
      pin: ZAWADI.pin,
    });
    assert.equal(sent.status, 409, JSON.stringify(sent.body));
    assert.equal(sent.body.phase, 'lookup');
    assert.equal((sent.body.error as { errorCode: string }).errorCode, '3204');
    assert.equal(await walletCents(malipo), before);
  });

  test('the toolkit as payer: its lookup, quote and transfer reach Malipo; our callbacks reach it', async () => {
    const before = await walletCents(malipo);
    const results = await runOutbound(toolkit, 'malipo-payee', payerRequests(ZAWADI.msisdn));
    assert.deepEqual(
      results.map((r) => [r.description, r.status, r.failed]),
      [
        ['lookup', 'SUCCESS', []],
        ['quote', 'SUCCESS', []],
        ['transfer', 'SUCCESS', []],
        ['transfer again', 'SUCCESS', []],
      ],
      JSON.stringify(results.map((r) => [r.response, r.callback?.body])),
    );
    // Our callbacks reached the toolkit signed, and the fulfilment matches the condition we quoted.
    const [lookup, quote, transfer, again] = results;
    const party = lookup.callback?.body?.party as { name?: string } | undefined;
    assert.equal(party?.name, 'ZAWADI KAMAU');
    assert.ok(transfer.callback?.headers?.['fspiop-signature'], 'the fulfilment is signed');
    const fulfilment = String(transfer.callback?.body?.fulfilment);
    assert.equal(conditionOf(fulfilment), quote.callback?.body?.condition);
    assert.equal(
      again.callback?.body?.fulfilment,
      fulfilment,
      'a repeated transfer gets the same answer',
    );
    // Credited once: the receive amount, though the transfer was sent twice.
    assert.equal(await walletCents(malipo), before + 25_000);
    // The settlement view: the toolkit owes us the transfer amount, once, and it reconciles.
    const quoted = quote.callback?.body?.transferAmount as { amount: string };
    const owedCents = Math.round(Number(quoted.amount) * 100);
    assert.ok(owedCents >= 25_000, 'the transfer amount is the receive amount plus our fee');
    const view = await admin(malipo, 'GET', '/admin/interop/positions');
    assert.deepEqual(view.body.positions, [
      {
        fsp: TTK_FSP,
        owedToUsCents: owedCents,
        owedByUsCents: 0,
        netCents: owedCents,
        inboundTransfers: 1,
        outboundTransfers: 0,
      },
    ]);
    assert.equal((view.body.reconciliation as { reconciled: boolean }).reconciled, true);
  });
});

const FSPIOP_1_1 = { minorVersion: 1, majorVersion: 1, type: 'fspiop', asynchronous: true };

function ttkHeaders(resource: string, withBody = true) {
  const type = `application/vnd.interoperability.${resource}+json;version=1.1`;
  return {
    Accept: type,
    ...(withBody ? { 'Content-Type': type } : {}),
    Date: '{$function.generic.curDate}',
    'FSPIOP-Source': TTK_FSP,
    'FSPIOP-Destination': 'malipo',
  };
}

function check(id: number, description: string, exec: string) {
  return { id, description, exec: [exec] };
}

/** The toolkit's payer test case: lookup, quote (RECEIVE 250), transfer with the quote's terms, and the transfer again. */
function payerRequests(msisdn: string) {
  const transfer = (id: number) => ({
    id,
    description: id === 3 ? 'transfer' : 'transfer again',
    apiVersion: FSPIOP_1_1,
    operationPath: '/transfers',
    path: '/transfers',
    method: 'post',
    headers: ttkHeaders('transfers'),
    body: {
      transferId:
        id === 3 ? '{$function.generic.generateUUID}' : '{$prev.3.request.body.transferId}',
      payerFsp: TTK_FSP,
      payeeFsp: 'malipo',
      amount: {
        amount: '{$prev.2.callback.body.transferAmount.amount}',
        currency: '{$prev.2.callback.body.transferAmount.currency}',
      },
      expiration: '{$prev.2.callback.body.expiration}',
      ilpPacket: '{$prev.2.callback.body.ilpPacket}',
      condition: '{$prev.2.callback.body.condition}',
    },
    tests: {
      assertions: [
        check(1, 'accepted', 'expect(response.status).to.equal(202)'),
        check(2, 'committed', "expect(callback.body.transferState).to.equal('COMMITTED')"),
        check(3, 'fulfilled', 'expect(callback.body.fulfilment).to.be.a("string")'),
      ],
    },
  });
  return [
    {
      id: 1,
      description: 'lookup',
      apiVersion: FSPIOP_1_1,
      operationPath: '/parties/{Type}/{ID}',
      path: `/parties/MSISDN/${msisdn}`,
      method: 'get',
      params: { Type: 'MSISDN', ID: msisdn },
      headers: ttkHeaders('parties', false),
      tests: {
        assertions: [
          check(1, 'accepted', 'expect(response.status).to.equal(202)'),
          check(
            2,
            'party at malipo',
            "expect(callback.body.party.partyIdInfo.fspId).to.equal('malipo')",
          ),
        ],
      },
    },
    {
      id: 2,
      description: 'quote',
      apiVersion: FSPIOP_1_1,
      operationPath: '/quotes',
      path: '/quotes',
      method: 'post',
      headers: ttkHeaders('quotes'),
      body: {
        quoteId: '{$function.generic.generateUUID}',
        transactionId: '{$function.generic.generateUUID}',
        payee: { partyIdInfo: { partyIdType: 'MSISDN', partyIdentifier: msisdn, fspId: 'malipo' } },
        payer: {
          partyIdInfo: { partyIdType: 'MSISDN', partyIdentifier: '255700000001', fspId: TTK_FSP },
        },
        amountType: 'RECEIVE',
        amount: { amount: '250', currency: 'KES' },
        transactionType: { scenario: 'TRANSFER', initiator: 'PAYER', initiatorType: 'CONSUMER' },
      },
      tests: {
        assertions: [
          check(1, 'accepted', 'expect(response.status).to.equal(202)'),
          check(2, 'quoted', "expect(callback.body.payeeReceiveAmount.amount).to.equal('250')"),
        ],
      },
    },
    transfer(3),
    transfer(4),
  ];
}
