// The *334#-style menu engine. It keeps no session state: every request carries the whole
// session's inputs ('1*0712000001*1000*1*4829'), and the engine replays them as events against a
// stack of screens — an input opens the next screen, '0' pops one, '00' returns to the main menu,
// a bad input stays put with an error line. Only the session's last input may do anything (move
// money, read a balance), so replaying earlier inputs on the next request is harmless, and a
// telco retry of the same request reaches the payments service with the same request key, which
// refuses it as a duplicate. An action may keep the session open instead (a risk step-up asks
// for the code sent by SMS): a later request replays that step by opening the screen it
// continued on, never by running the action again (see step-up.ts).

import { loansScreen, myAccountScreen } from './account.ts';
import { fitScreen, SESSION_OVER_TEXT } from './messages.ts';
import {
  BACK_INPUT,
  type Dialler,
  HOME_INPUT,
  type MainMenuItem,
  type MenuDeps,
  type Screen,
  USSD_INPUTS_MAX,
  USSD_TEXT_CHARS_MAX,
  type UssdReply,
  type UssdRequest,
} from './model.ts';
import { choices, push } from './screens.ts';
import { airtimeScreen, lipaScreen, sendMoneyScreen, withdrawScreen } from './transactions.ts';

export const NOT_REGISTERED_TEXT = 'You are not registered for M-PESA';
export const NOT_ACTIVE_TEXT = 'Your M-PESA account is not active. Call customer care';
export { SESSION_OVER_TEXT } from './messages.ts';
export const SESSION_TOO_LONG_TEXT = 'Session too long. Please dial again';

const STANDARD_ITEMS: readonly Omit<MainMenuItem, 'open'>[] = [
  { key: '1', label: 'Send Money' },
  { key: '2', label: 'Withdraw Cash' },
  { key: '3', label: 'Buy Airtime' },
  { key: '4', label: 'Loans and Savings' },
  { key: '5', label: 'Lipa na M-PESA' },
  { key: '6', label: 'My Account' },
];

interface Frame {
  screen: Screen;
  error?: string;
}

/** Answers one gateway request: the next screen (CON) or the session's result (END). */
export async function handleUssd(deps: MenuDeps, request: UssdRequest): Promise<UssdReply> {
  const found = deps.payments.customer(request.phoneNumber);
  if (!found.ok) {
    const registered = found.error !== 'unknown_customer' && found.error !== 'invalid_msisdn';
    return endReply(deps, registered ? NOT_ACTIVE_TEXT : NOT_REGISTERED_TEXT);
  }
  const inputs = splitInputs(request.text);
  if (inputs === null) return endReply(deps, SESSION_TOO_LONG_TEXT);
  const dialler: Dialler = {
    msisdn: found.customer.msisdn,
    sessionId: request.sessionId,
    optedInOverdraft: found.customer.overdraft !== null,
  };
  return replay(deps, dialler, inputs);
}

/** The reply as the gateway wants it: 'CON …' or 'END …'. */
export function replyText(reply: UssdReply): string {
  return `${reply.kind} ${reply.text}`;
}

/** The session's inputs in order; null when there are more than any real session has. */
export function splitInputs(text: string): string[] | null {
  if (text.length > USSD_TEXT_CHARS_MAX) return null;
  if (text === '') return [];
  const inputs = text.split('*').map((input) => input.trim());
  return inputs.length > USSD_INPUTS_MAX ? null : inputs;
}

/**
 * Same session, same step, same key: a retried request is a duplicate to the payments service.
 * The number of inputs marks the step, because the text only ever grows within a session.
 */
export function requestKeyFor(dialler: Dialler, inputCount: number): string {
  return `ussd:${dialler.msisdn}:${dialler.sessionId}:${inputCount}`;
}

async function replay(deps: MenuDeps, dialler: Dialler, inputs: string[]): Promise<UssdReply> {
  const extra = (await deps.extraItems?.(dialler)) ?? [];
  const stack: Frame[] = [{ screen: mainMenu(deps, dialler, extra) }];
  for (let i = 0; i < inputs.length; i++) {
    const input = inputs[i];
    const last = i === inputs.length - 1;
    if (input === HOME_INPUT) {
      stack.length = 1;
      stack[0].error = undefined;
      continue;
    }
    if (input === BACK_INPUT) {
      if (stack.length > 1) stack.pop();
      stack[stack.length - 1].error = undefined;
      continue;
    }
    const top = stack[stack.length - 1];
    const step = await top.screen.handle(input);
    if (step.to === 'push') {
      top.error = undefined;
      stack.push({ screen: step.screen });
    } else if (step.to === 'retry') {
      top.error = step.error;
    } else if (!last) {
      // Only an action that kept the session open (a step-up) can have inputs after it.
      if (step.to !== 'run' || step.resume === undefined) return endReply(deps, SESSION_OVER_TEXT);
      top.error = undefined;
      stack.push({ screen: step.resume });
    } else if (step.to === 'end') {
      return endReply(deps, step.text);
    } else {
      const result = await step.action(requestKeyFor(dialler, inputs.length));
      if (typeof result === 'string') return endReply(deps, result);
      // An action answers 'resume' only when its transition has one: anything else is a menu bug.
      if (step.resume === undefined) throw new Error('USSD action went on without a next screen');
      top.error = undefined;
      stack.push({ screen: step.resume, error: result.error });
    }
  }
  const top = stack[stack.length - 1];
  const text = top.error === undefined ? top.screen.text : `${top.error}\n${top.screen.text}`;
  return { kind: 'CON', text: fitScreen(text, deps.onScreenOverflow) };
}

function endReply(deps: MenuDeps, text: string): UssdReply {
  return { kind: 'END', text: fitScreen(text, deps.onScreenOverflow) };
}

function mainMenu(deps: MenuDeps, dialler: Dialler, extra: readonly MainMenuItem[]): Screen {
  const opens: Record<string, () => Screen> = {
    '1': () => sendMoneyScreen(deps, dialler),
    '2': () => withdrawScreen(deps, dialler),
    '3': () => airtimeScreen(deps, dialler),
    '4': () => loansScreen(deps, dialler),
    '5': () => lipaScreen(deps, dialler),
    '6': () => myAccountScreen(deps, dialler),
  };
  const taken = new Set([BACK_INPUT, HOME_INPUT, ...STANDARD_ITEMS.map((item) => item.key)]);
  for (const item of extra) {
    // A clash would silently hide a standard item: a wiring bug, not a customer's mistake.
    if (taken.has(item.key)) throw new Error(`USSD main menu: key '${item.key}' is already used`);
    taken.add(item.key);
  }
  const items = [
    ...extra.map((item) => ({
      key: item.key,
      label: item.label,
      next: () => push(item.open(dialler)),
    })),
    ...STANDARD_ITEMS.map((item) => ({ ...item, next: () => push(opens[item.key]()) })),
  ];
  return choices('M-PESA', items, false);
}
