// The real Mojaloop Testing Toolkit as the other provider (and the hub): Malipo's USSD customer
// pays a party the toolkit owns. The toolkit answers our GET /parties, POST /quotes and
// POST /transfers with its own callbacks (rules in testing/ttk-rules.ts); the fulfilment it sends
// is the one its ILP secret derives from the packet it quoted, so a transfer only commits if our
// condition, packet and amounts went through unaltered, which the toolkit checks too
// (TRANSFERS_VALIDATION_ILP_PACKET / _CONDITION). Runs when the toolkit is installed
// (scripts/ttk-setup.sh); skipped with the reason otherwise.

import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
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
import { actAsCounterpart, type RunningToolkit, startToolkit, toolkitDir } from './testing/ttk.ts';
import { counterpartRules, TTK_FEE, TTK_PARTY } from './testing/ttk-rules.ts';

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

describe('the Testing Toolkit as the payee provider', { skip, timeout: 240_000 }, () => {
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
    restore = await actAsCounterpart(toolkit, callbackUrl, counterpartRules(), {
      TRANSFERS_VALIDATION_ILP_PACKET: true,
      TRANSFERS_VALIDATION_CONDITION: true,
    });
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
        `^CON Send Ksh300\\.00 to ${name} \\d+ \\(${TTK_FSP}\\)\\? Fee Ksh${TTK_FEE}\\.00`,
      ),
    );
    await ussd(malipo, session, `8*${TTK_PAYEE_LOCAL}*300*1`);
    const done = await ussd(malipo, session, `8*${TTK_PAYEE_LOCAL}*300*1*${ZAWADI.pin}`);
    assert.match(done, new RegExp(`^END \\w+ Confirmed\\. Ksh300\\.00 sent to ${name}`));

    const paidCents = 30_000 + Number(TTK_FEE) * 100;
    assert.equal(await walletCents(malipo), CUSTOMER_FUNDED_CENTS - paidCents);
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
});
