import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { RunResult, Screen, Transition } from '../../ussd/model.ts';
import {
  accessToken,
  darajaCall,
  type Receiver,
  startReceiver,
  startTestServer,
  stkAuth,
  type TestServer,
} from './testing/harness.ts';
import { NO_PROMPT_TEXT, STK_MENU_KEY, stkPromptMenuItem } from './ussd-item.ts';

const dialler = (msisdn: string) => ({ msisdn, sessionId: 's1', optedInOverdraft: false });

async function run(screen: Screen, input: string): Promise<Transition | RunResult> {
  const transition = await screen.handle(input);
  return transition.to === 'run' ? transition.action('ussd:test') : transition;
}

describe('the USSD menu item for M-Pesa Express prompts', { timeout: 60_000 }, () => {
  let server: TestServer;
  let receiver: Receiver;
  before(async () => {
    server = await startTestServer();
    receiver = await startReceiver();
  });
  after(async () => {
    await server?.close();
    await receiver?.close();
  });

  const push = async (msisdn: string, path: string) => {
    const token = await accessToken(
      server,
      server.sandbox.consumerKey,
      server.sandbox.consumerSecret,
    );
    const answer = await darajaCall(server, token)('/mpesa/stkpush/v1/processrequest', {
      BusinessShortCode: '600000',
      ...stkAuth('600000', server.sandbox.passkey),
      TransactionType: 'CustomerPayBillOnline',
      Amount: 4,
      PartyA: msisdn,
      PartyB: '600000',
      PhoneNumber: msisdn,
      CallBackURL: `${receiver.url}${path}`,
      AccountReference: 'USSD',
    });
    assert.equal(answer.status, 200);
  };

  it('shows the pending prompt, refuses a malformed PIN, and pays with the right one', async () => {
    const item = stkPromptMenuItem(server.platform);
    assert.equal(item.key, STK_MENU_KEY);
    const empty = item.open(dialler('254733000222'));
    assert.equal(empty.text, NO_PROMPT_TEXT);
    await push('254733000222', '/ussd/paid');
    const screen = item.open(dialler('254733000222'));
    assert.equal(
      screen.text,
      'Do you want to pay KES 4.00 to MALIPO SANDBOX BUSINESS? Account no. USSD. Enter M-PESA PIN:\n9 Cancel',
    );
    assert.ok(screen.text.length <= 182);
    assert.deepEqual(await run(screen, '12a4'), {
      to: 'retry',
      error: 'Enter your 4-digit PIN or 9',
    });
    assert.match(String(await run(screen, '5172')), /^[A-Z0-9]{10} Confirmed\. Payment sent/);
    const [callback] = await receiver.waitFor('/ussd/paid');
    assert.equal(
      (callback!.body as { Body: { stkCallback: { ResultCode: number } } }).Body.stkCallback
        .ResultCode,
      0,
    );
  });

  it('cancels with 9 and tells a wrong PIN apart', async () => {
    const item = stkPromptMenuItem(server.platform);
    await push('254733000222', '/ussd/cancel');
    assert.equal(await run(item.open(dialler('254733000222')), '9'), 'Payment request cancelled');
    await push('254733000222', '/ussd/wrong');
    assert.equal(
      await run(item.open(dialler('254733000222')), '0000'),
      'Wrong PIN. Payment request failed',
    );
    await receiver.waitFor('/ussd/cancel');
    await receiver.waitFor('/ussd/wrong');
  });
});
