// Two Malipo providers end to end: A's USSD customer sends to B's customer through an FSPIOP
// switch, and B's customer sends back; then the balances, the interop transit accounts and both
// settlement views reconcile, before and after settlement. It runs through the in-repo switch
// always, and again with every message in transit validated by the Mojaloop Testing Toolkit when
// it is installed (scripts/ttk-setup.sh; skipped with the reason otherwise).

import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { orgAccountId } from '../payments/accounts.ts';
import {
  admin,
  CUSTOMER_FUNDED_CENTS,
  closeFsp,
  type Fsp,
  ORG_FUNDED_CENTS,
  settlementOrgCents,
  startFsp,
  transit,
  ussd,
  walletCents,
} from './testing/pair.ts';
import { type FspiopSwitch, startSwitch } from './testing/switch.ts';
import { type RunningToolkit, startToolkit, toolkitDir } from './testing/ttk.ts';

const AMINA = {
  msisdn: '254711000101',
  local: '0711000101',
  pin: '2468',
  firstName: 'Amina',
  lastName: 'Otieno',
};
const BAKARI = {
  msisdn: '254722000202',
  local: '0722000202',
  pin: '1357',
  firstName: 'Bakari',
  lastName: 'Mwita',
};

interface PositionView {
  positions: {
    fsp: string;
    owedToUsCents: number;
    owedByUsCents: number;
    netCents: number;
    inboundTransfers: number;
    outboundTransfers: number;
  }[];
  reconciliation: { reconciled: boolean };
}

const dir = toolkitDir();
const modes: [string, boolean | string][] = [
  ['through the in-repo FSPIOP switch', false],
  [
    'through the switch, every message validated by the Mojaloop Testing Toolkit',
    dir === null ? 'the Testing Toolkit is not installed (scripts/ttk-setup.sh)' : false,
  ],
];

for (const [name, skip] of modes) {
  describe(`two Malipo providers ${name}`, { skip, timeout: 240_000 }, () => {
    let toolkit: RunningToolkit | undefined;
    let hub: FspiopSwitch;
    let a: Fsp;
    let b: Fsp;

    before(async () => {
      const validated = name.includes('Toolkit');
      if (validated)
        toolkit = await startToolkit(dir as string, Number(process.env.MALIPO_TTK_PORT ?? 8201));
      hub = await startSwitch(toolkit?.url);
      a = await startFsp(hub, 'malipoa', AMINA);
      b = await startFsp(hub, 'malipob', BAKARI);
    });

    after(async () => {
      await closeFsp(a);
      await closeFsp(b);
      await hub?.close();
      await toolkit?.stop();
    });

    test('a USSD customer sends to the other provider and back; balances, transit and positions reconcile', async () => {
      const there = await sendByUssd(a, 'sess-a1', BAKARI.local, 500, 'BAKARI MWITA');
      const back = await sendByUssd(b, 'sess-b1', AMINA.local, 200, 'AMINA OTIENO');

      // The payee got exactly the amount; the payer paid the amount plus both fees (the payee
      // FSP's and Malipo's own); what moves between the providers excludes Malipo's fee.
      assert.equal(await walletCents(a), CUSTOMER_FUNDED_CENTS - there.paidCents + 20_000);
      assert.equal(await walletCents(b), CUSTOMER_FUNDED_CENTS + 50_000 - back.paidCents);
      assert.equal(there.malipoFeeCents, 700, 'the otherNetworks tariff for KES 500');
      there.paidCents -= there.malipoFeeCents;
      back.paidCents -= back.malipoFeeCents;

      // Before settlement: each side's view is the other's, mirrored, and matches its ledger.
      const viewA = await positions(a);
      const viewB = await positions(b);
      assert.deepEqual(viewA.positions, [
        {
          fsp: 'malipob',
          owedToUsCents: back.paidCents,
          owedByUsCents: there.paidCents,
          netCents: back.paidCents - there.paidCents,
          inboundTransfers: 1,
          outboundTransfers: 1,
        },
      ]);
      assert.equal(viewB.positions[0].owedToUsCents, viewA.positions[0].owedByUsCents);
      assert.equal(viewB.positions[0].owedByUsCents, viewA.positions[0].owedToUsCents);
      assert.equal(viewB.positions[0].netCents, -viewA.positions[0].netCents);
      assert.equal(viewA.reconciliation.reconciled, true);
      assert.equal(viewB.reconciliation.reconciled, true);
      assert.deepEqual(await transit(a), { postedCents: there.paidCents, pendingCents: 0 });
      assert.deepEqual(await transit(b), { postedCents: back.paidCents, pendingCents: 0 });
      // What left each settlement organization is what its counterpart owes it.
      assert.equal(await settlementOrgCents(a), 2 * ORG_FUNDED_CENTS - back.paidCents);
      assert.equal(await settlementOrgCents(b), 2 * ORG_FUNDED_CENTS - there.paidCents);

      // Settlement empties transit into the settlement organization on both sides.
      for (const [fsp, other] of [
        [a, 'malipob'],
        [b, 'malipoa'],
      ] as const) {
        const settled = await admin(fsp, 'POST', '/admin/interop/settlements', { fsp: other });
        assert.equal(settled.status, 200, JSON.stringify(settled.body));
        assert.deepEqual(await transit(fsp), { postedCents: 0, pendingCents: 0 });
        const after = await positions(fsp);
        assert.deepEqual(after.positions, []);
        assert.equal(after.reconciliation.reconciled, true);
      }
      // The net is what the settlement bank moves: A's org is down by what B is owed net.
      const netA = back.paidCents - there.paidCents;
      assert.equal(await settlementOrgCents(a), 2 * ORG_FUNDED_CENTS - netA);
      assert.equal(await settlementOrgCents(b), 2 * ORG_FUNDED_CENTS + netA);
      const again = await admin(a, 'POST', '/admin/interop/settlements', { fsp: 'malipob' });
      assert.equal(again.status, 404);

      if (toolkit !== undefined) {
        await hub.validated();
        const refused = hub.log.filter((m) => {
          const status = m.validation?.status ?? 0;
          return status < 200 || status >= 300;
        });
        assert.deepEqual(
          refused.map((m) => `${m.method} ${m.path}: ${m.validation?.body}`),
          [],
        );
        assert.ok(hub.log.length >= 12, 'every phase went through the toolkit');
      }
    });

    test('USSD: an unknown number and an M-PESA number are caught before the amount', async () => {
      const session = 'sess-a-unknown';
      assert.match(
        await ussd(a, session, '8*0733999999'),
        /^CON Recipient not found on other networks\nEnter phone no\./,
      );
      assert.match(
        await ussd(a, session, `8*0733999999*${AMINA.local}`),
        /^CON This is an M-PESA number\. Use Send Money/,
      );
    });

    test('the admin API sends to the other provider; an unknown number is refused at lookup', async () => {
      const before = await walletCents(a);
      const sent = await admin(a, 'POST', '/admin/interop/transfers', {
        from: AMINA.msisdn,
        to: BAKARI.msisdn,
        amountCents: 30_000,
        pin: AMINA.pin,
        requestId: 'admin-1',
      });
      assert.equal(sent.status, 200, JSON.stringify(sent.body));
      assert.equal(sent.body.state, 'committed');
      assert.deepEqual(sent.body.to, {
        msisdn: BAKARI.msisdn,
        fspId: 'malipob',
        name: 'BAKARI MWITA',
      });
      const paid = sent.body.transferAmountCents as number;
      assert.equal(paid, 30_000 + (sent.body.feeCents as number));
      assert.equal(sent.body.malipoFeeCents, 700);
      assert.equal(await walletCents(a), before - paid - 700);

      const retried = await admin(a, 'POST', '/admin/interop/transfers', {
        from: AMINA.msisdn,
        to: BAKARI.msisdn,
        amountCents: 30_000,
        pin: AMINA.pin,
        requestId: 'admin-1',
      });
      assert.equal(retried.status, 200);
      assert.equal(retried.body.transferId, sent.body.transferId);
      assert.equal(await walletCents(a), before - paid - 700, 'a retried request sends once');

      const unknown = await admin(a, 'POST', '/admin/interop/transfers', {
        from: AMINA.msisdn,
        to: '254733999999',
        amountCents: 30_000,
        pin: AMINA.pin,
      });
      assert.equal(unknown.status, 409);
      assert.equal(unknown.body.phase, 'lookup');
      assert.equal((unknown.body.error as { errorCode: string }).errorCode, '3204');
      assert.equal(await walletCents(a), before - paid - 700);
    });

    test("B2C to another network: a business pays the other provider's customer", async () => {
      const balanceOf = async (account: 'utility' | 'charges') => {
        const [found] = await a.server.ledger.lookupAccounts([orgAccountId('600100', account)]);
        return found.creditsPosted - found.debitsPosted - found.debitsPending;
      };
      const utility = () => balanceOf('utility');
      const orgBefore = await utility();
      const chargesBefore = await balanceOf('charges');
      const payeeBefore = await walletCents(b);
      const sent = await admin(a, 'POST', '/admin/interop/b2c', {
        shortcode: '600100',
        to: BAKARI.msisdn,
        amountCents: 15_000,
        requestId: 'b2c-1',
      });
      assert.equal(sent.status, 200, JSON.stringify(sent.body));
      assert.equal(sent.body.state, 'committed');
      assert.equal(sent.body.payerKind, 'business');
      assert.equal(await utility(), orgBefore - (sent.body.transferAmountCents as number));
      // Malipo's fee is the market's B2C tariff, from the charges account as for a local B2C.
      assert.equal(sent.body.malipoFeeCents, 500);
      assert.equal(await balanceOf('charges'), chargesBefore - 500);
      assert.equal(await walletCents(b), payeeBefore + 15_000);
      const view = await positions(a);
      assert.equal(view.reconciliation.reconciled, true);
      assert.equal(view.positions[0].outboundTransfers, 2, 'the admin send and the B2C');
    });
  });
}

/** The whole USSD session: menu, number, amount (the name and the fee on the confirmation), PIN. */
async function sendByUssd(
  from: Fsp,
  session: string,
  to: string,
  shillings: number,
  shownName: string,
): Promise<{ paidCents: number; malipoFeeCents: number }> {
  const menu = await ussd(from, session, '');
  assert.match(menu, /^CON[\s\S]*8 Send to other networks/);
  assert.match(await ussd(from, session, '8'), /^CON Enter phone no\. on the other network/);
  assert.match(await ussd(from, session, `8*${to}`), /^CON Enter Amount/);
  const confirm = await ussd(from, session, `8*${to}*${shillings}`);
  const shown = new RegExp(
    `^CON Send Ksh${shillings}\\.00 to ${shownName} \\d+ \\(malipo[ab]\\)\\? Fee Ksh([\\d,]+\\.\\d\\d) \\+ malipo[ab] fee Ksh([\\d,]+\\.\\d\\d)`,
  );
  const fee = shown.exec(confirm);
  assert.ok(fee !== null, confirm);
  const cents = (shown: string) => Math.round(Number(shown.replace(/,/g, '')) * 100);
  const malipoFeeCents = cents(fee[1]);
  const feeCents = cents(fee[2]) + malipoFeeCents;
  assert.match(await ussd(from, session, `8*${to}*${shillings}*1`), /^CON Enter M-PESA PIN/);
  const done = await ussd(from, session, `8*${to}*${shillings}*1*${from.customer.pin}`);
  assert.match(
    done,
    new RegExp(`^END \\w+ Confirmed\\. Ksh${shillings}\\.00 sent to ${shownName}`),
  );
  return { paidCents: shillings * 100 + feeCents, malipoFeeCents };
}

async function positions(fsp: Fsp): Promise<PositionView> {
  const view = await admin(fsp, 'GET', '/admin/interop/positions');
  assert.equal(view.status, 200);
  return view.body as unknown as PositionView;
}
