// The building blocks every menu path is made of: a list of choices, a typed input, an amount,
// a yes/no confirmation and the PIN. Each validates its own input and answers with a retry and a
// short error line instead of failing, so no input a customer can type ends a session by surprise.

import type { TransactionType } from '../payments/tariffs.ts';
import { amountProblemText } from './messages.ts';
import {
  BACK_INPUT,
  HOME_INPUT,
  type MenuDeps,
  type RunResult,
  type Screen,
  type Transition,
} from './model.ts';

/** Shown under every screen but the main menu, so customers learn the way out. */
export const NAVIGATION_FOOTER = `${BACK_INPUT} Back ${HOME_INPUT} Home`;
/** Whole shillings up to 999,999,999: beyond any limit, and far inside a safe integer of cents. */
export const AMOUNT_DIGITS_MAX = 9;
/** An input longer than this is never a menu choice, number, amount or PIN. */
export const INPUT_CHARS_MAX = 40;

export type Next = () => Transition | Promise<Transition>;

export interface Choice {
  key: string;
  label: string;
  next: Next;
}

export function push(screen: Screen): Transition {
  return { to: 'push', screen };
}

export function retry(error: string): Transition {
  return { to: 'retry', error };
}

export function end(text: string): Transition {
  return { to: 'end', text };
}

function withFooter(text: string, footer: boolean): string {
  return footer ? `${text}\n${NAVIGATION_FOOTER}` : text;
}

/** A title and numbered choices. */
export function choices(title: string, items: readonly Choice[], footer = true): Screen {
  const lines = [title, ...items.map((item) => `${item.key} ${item.label}`)];
  return {
    text: withFooter(lines.join('\n'), footer),
    handle(input) {
      const chosen = items.find((item) => item.key === input);
      return chosen === undefined ? retry('Invalid choice') : chosen.next();
    },
  };
}

/** A free input; `next` validates it and says what comes after. */
export function prompt(
  text: string,
  next: (input: string) => Transition | Promise<Transition>,
): Screen {
  return {
    text: withFooter(text, true),
    handle(input) {
      if (input.length === 0 || input.length > INPUT_CHARS_MAX) return retry('Invalid input');
      return next(input);
    },
  };
}

/** A number the customer types: digits only (agent, store, till and business numbers). */
export function numberPrompt(text: string, next: (digits: string) => Transition): Screen {
  return prompt(text, (input) =>
    /^[0-9]+$/.test(input) ? next(input) : retry('Enter digits only'),
  );
}

/**
 * Whole shillings, as customers type them: '1000' is Ksh1,000.00. Zero, decimals and anything
 * but digits are refused here; the product's limits (when `type` has them) are checked too, so a
 * too-small amount is caught before the PIN rather than after.
 */
export function amountPrompt(
  deps: MenuDeps,
  type: TransactionType | null,
  next: (amountCents: number) => Transition,
): Screen {
  return prompt('Enter Amount', (input) => {
    const amountCents = parseShillings(input, deps.format.money.minorUnitScale);
    if (typeof amountCents === 'string') return retry(amountCents);
    const problem = type === null ? null : deps.payments.amountProblem(type, amountCents);
    return problem === null ? next(amountCents) : retry(amountProblemText(problem, deps.format));
  });
}

/** Minor units for a typed whole amount, or the error line to show. */
export function parseShillings(input: string, minorUnitScale: number): number | string {
  if (/^[0-9]*\.[0-9]*$/.test(input)) return 'Enter a whole amount';
  if (!/^[0-9]+$/.test(input)) return 'Invalid amount';
  const digits = input.replace(/^0+/, '');
  if (digits.length === 0) return 'Amount must be more than 0';
  if (digits.length > AMOUNT_DIGITS_MAX) return 'Amount is too large';
  return Number(digits) * minorUnitScale;
}

/** The last look before the PIN: what will happen, to whom, for how much. */
export function confirm(question: string, onYes: Next): Screen {
  return choices(question, [
    { key: '1', label: 'Yes', next: onYes },
    { key: '2', label: 'No', next: () => end('Transaction cancelled') },
  ]);
}

/**
 * The PIN, always the session's last input: a well-formed PIN runs the action. The shape is
 * checked here so a slip of the finger (a letter, a digit short) does not cost a PIN attempt.
 */
export function pinPrompt(
  deps: MenuDeps,
  action: (pin: string, requestKey: string) => Promise<RunResult>,
  resume?: (pin: string) => Screen,
): Screen {
  const digits = deps.format.pinLengthDigits;
  return prompt('Enter M-PESA PIN', (input) => {
    if (!new RegExp(`^[0-9]{${digits}}$`).test(input)) return retry(`PIN must be ${digits} digits`);
    const run: Transition = { to: 'run', action: (requestKey) => action(input, requestKey) };
    return resume === undefined ? run : { ...run, resume: resume(input) };
  });
}
