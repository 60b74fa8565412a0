// The money-moving paths of the menu: Send Money (with Hakikisha), Withdraw Cash, Buy Airtime and
// Lipa na M-PESA. Each gathers its inputs, shows who is paid and how much, asks for the PIN last,
// and hands one command to the payments service with a request key the session's step derives.

import type { Receipt, Refusal } from '../payments/model.ts';
import { heldText, localNumber, money, refusalText, shownName } from './messages.ts';
import type { Dialler, MenuDeps, Screen, Transition } from './model.ts';
import { amountPrompt, choices, confirm, numberPrompt, prompt, push, retry } from './screens.ts';
import { type Payment, paymentPinScreen } from './step-up.ts';

const CHANNEL = 'ussd';
/** Paybill account numbers (the payments service refuses longer ones). */
export const ACCOUNT_REFERENCE_CHARS_MAX = 20;

/** A look-up refusal as the error line over the screen where the number was typed. */
export function entryError(refusal: Refusal): Transition {
  return retry(refusalText(refusal).replace(/^Failed\. /, ''));
}

function cost(receipt: Receipt, deps: MenuDeps): string {
  return `Transaction cost ${money(receipt.feeCents, deps.format)}`;
}

/**
 * The amount, the confirmation and the PIN (with a step-up's code screens behind it): the tail
 * every payment path shares. `payment` is built once the amount is known.
 */
function payTail(
  deps: MenuDeps,
  dialler: Dialler,
  type: Parameters<MenuDeps['payments']['amountProblem']>[0],
  question: (amount: string) => string,
  payment: (amountCents: number) => Payment,
): Screen {
  return amountPrompt(deps, type, (amountCents) =>
    push(
      confirm(question(money(amountCents, deps.format)), () =>
        push(paymentPinScreen(deps, dialler, payment(amountCents))),
      ),
    ),
  );
}

/** What a held payment shows: the amount and to whom, pending review. */
function held(deps: MenuDeps, to: string): (r: Receipt) => string {
  return (r) => heldText(r.receipt, `${money(r.amountCents, deps.format)} ${to}`);
}

export function sendMoneyScreen(deps: MenuDeps, dialler: Dialler): Screen {
  return prompt('Enter phone no.', (input) => {
    const found = deps.payments.recipientName(input);
    if (!found.ok) return entryError(found);
    if (found.msisdn === dialler.msisdn) return retry('You cannot send money to yourself');
    const who = `${shownName(found.name)} ${localNumber(found.msisdn, deps.format)}`;
    return push(
      payTail(
        deps,
        dialler,
        'send_money',
        (amount) => `Send ${amount} to ${who}?`,
        (amountCents) => ({
          pay: (auth, requestKey) =>
            deps.payments.sendMoney({
              from: dialler.msisdn,
              to: found.msisdn,
              amountCents,
              auth,
              requestKey,
              channel: CHANNEL,
            }),
          confirmed: (r) =>
            `${r.receipt} Confirmed. ${money(r.amountCents, deps.format)} sent to ${who}. ${cost(r, deps)}`,
          held: held(deps, `to ${who}`),
        }),
      ),
    );
  });
}

export function withdrawScreen(deps: MenuDeps, dialler: Dialler): Screen {
  const fromAgent = numberPrompt('Enter agent no.', (agentNumber) => {
    const agent = deps.payments.agent(agentNumber);
    if (!agent.ok) return entryError(agent);
    return push(
      numberPrompt('Enter store no.', (storeNumber) => {
        const store = deps.payments.agent(agentNumber, storeNumber);
        if (!store.ok) return entryError(store);
        const who = `${agentNumber} ${shownName(store.name)}`;
        return push(
          payTail(
            deps,
            dialler,
            'agent_withdrawal',
            (amount) => `Withdraw ${amount} from ${who}?`,
            (amountCents) => ({
              pay: (auth, requestKey) =>
                deps.payments.withdrawCash({
                  from: dialler.msisdn,
                  agentNumber,
                  storeNumber,
                  amountCents,
                  auth,
                  requestKey,
                  channel: CHANNEL,
                }),
              confirmed: (r) =>
                `${r.receipt} Confirmed. Withdraw ${money(r.amountCents, deps.format)} from ${who}. ${cost(r, deps)}`,
              held: held(deps, `withdrawal from ${who}`),
            }),
          ),
        );
      }),
    );
  });
  return choices('Withdraw Cash', [{ key: '1', label: 'From Agent', next: () => push(fromAgent) }]);
}

export function airtimeScreen(deps: MenuDeps, dialler: Dialler): Screen {
  // `phone` is undefined for the buyer's own number, which the service then tops up.
  const tail = (phone: string | undefined): Screen => {
    const shown = localNumber(phone ?? dialler.msisdn, deps.format);
    return payTail(
      deps,
      dialler,
      'airtime',
      (amount) => `Buy ${amount} airtime for ${shown}?`,
      (amountCents) => ({
        pay: (auth, requestKey) =>
          deps.payments.buyAirtime({
            from: dialler.msisdn,
            phone,
            amountCents,
            auth,
            requestKey,
            channel: CHANNEL,
          }),
        confirmed: (r) =>
          `${r.receipt} Confirmed. You bought ${money(r.amountCents, deps.format)} of airtime for ${shown}`,
        held: held(deps, `airtime for ${shown}`),
      }),
    );
  };
  const otherPhone = prompt('Enter phone no.', (input) => {
    const number = deps.payments.phone(input);
    return number.ok ? push(tail(number.msisdn)) : entryError(number);
  });
  return choices('Buy Airtime', [
    { key: '1', label: 'My Phone', next: () => push(tail(undefined)) },
    { key: '2', label: 'Other Phone', next: () => push(otherPhone) },
  ]);
}

export function lipaScreen(deps: MenuDeps, dialler: Dialler): Screen {
  return choices('Lipa na M-PESA', [
    { key: '1', label: 'Pay Bill', next: () => push(payBillScreen(deps, dialler)) },
    { key: '2', label: 'Buy Goods and Services', next: () => push(buyGoodsScreen(deps, dialler)) },
  ]);
}

function payBillScreen(deps: MenuDeps, dialler: Dialler): Screen {
  return numberPrompt('Enter business no.', (shortcode) => {
    const business = deps.payments.business(shortcode);
    if (!business.ok) return entryError(business);
    const name = shownName(business.name);
    return push(
      prompt('Enter account no.', (accountReference) => {
        if (accountReference.length > ACCOUNT_REFERENCE_CHARS_MAX)
          return retry(`Account no. is at most ${ACCOUNT_REFERENCE_CHARS_MAX} characters`);
        if (!/^[A-Za-z0-9-]+$/.test(accountReference)) return retry('Use letters and digits only');
        return push(
          payTail(
            deps,
            dialler,
            'paybill',
            (amount) => `Pay ${amount} to ${name} account ${accountReference}?`,
            (amountCents) => ({
              pay: (auth, requestKey) =>
                deps.payments.payBill({
                  from: dialler.msisdn,
                  shortcode,
                  accountReference,
                  amountCents,
                  auth,
                  requestKey,
                  channel: CHANNEL,
                }),
              confirmed: (r) =>
                `${r.receipt} Confirmed. ${money(r.amountCents, deps.format)} sent to ${name} for account ${accountReference}. ${cost(r, deps)}`,
              held: held(deps, `to ${name}`),
            }),
          ),
        );
      }),
    );
  });
}

function buyGoodsScreen(deps: MenuDeps, dialler: Dialler): Screen {
  return numberPrompt('Enter till no.', (tillNumber) => {
    const till = deps.payments.till(tillNumber);
    if (!till.ok) return entryError(till);
    const name = shownName(till.name);
    return push(
      payTail(
        deps,
        dialler,
        'buy_goods',
        (amount) => `Pay ${amount} to ${name} till ${tillNumber}?`,
        (amountCents) => ({
          pay: (auth, requestKey) =>
            deps.payments.buyGoods({
              from: dialler.msisdn,
              tillNumber,
              amountCents,
              auth,
              requestKey,
              channel: CHANNEL,
            }),
          confirmed: (r) =>
            `${r.receipt} Confirmed. ${money(r.amountCents, deps.format)} paid to ${name}`,
          held: held(deps, `to ${name} till ${tillNumber}`),
        }),
      ),
    );
  });
}
