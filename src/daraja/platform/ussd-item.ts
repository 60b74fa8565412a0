// The customer's side of M-Pesa Express on the USSD menu: an item that shows the PIN prompt
// waiting on the dialler's handset and answers it. Built on the USSD channel's public menu types
// only (MainMenuItem, Screen, Transition), so the menu engine stays unaware of Daraja.
//
// Wiring: registerUssdRoutes(app, { payments, extraItems: [stkPromptMenuItem(platform)] }).
import type { Dialler, MainMenuItem, Screen } from '../../ussd/model.ts';
import type { PromptAnswer, PromptAnswerOutcome } from './stk.ts';

/** The main-menu key; the standard items use 1 to 6. */
export const STK_MENU_KEY = '7';
export const CANCEL_INPUT = '9';
export const NO_PROMPT_TEXT = 'You have no pending payment requests';
/** Telcos cut USSD screens longer than this. */
const SCREEN_CHARS_MAX = 182;
const CANCEL_LINE = `${CANCEL_INPUT} Cancel`;

export interface PromptPort {
  pendingPromptFor(msisdn: string): { checkoutRequestId: string; text: string } | null;
  answerPrompt(checkoutRequestId: string, answer: PromptAnswer): Promise<PromptAnswerOutcome>;
}

export function stkPromptMenuItem(prompts: PromptPort, pinLengthDigits = 4): MainMenuItem {
  return {
    key: STK_MENU_KEY,
    label: 'Payment requests',
    open: (dialler: Dialler) => promptScreen(prompts, dialler, pinLengthDigits),
  };
}

function promptScreen(prompts: PromptPort, dialler: Dialler, pinLengthDigits: number): Screen {
  const prompt = prompts.pendingPromptFor(dialler.msisdn);
  if (prompt === null) {
    return { text: NO_PROMPT_TEXT, handle: () => ({ to: 'end', text: NO_PROMPT_TEXT }) };
  }
  const room = SCREEN_CHARS_MAX - CANCEL_LINE.length - 1;
  const pin = new RegExp(`^[0-9]{${pinLengthDigits}}$`);
  return {
    text: `${prompt.text.slice(0, room)}\n${CANCEL_LINE}`,
    handle(input) {
      if (input === CANCEL_INPUT) {
        return {
          to: 'run',
          action: async () =>
            answerText(await prompts.answerPrompt(prompt.checkoutRequestId, 'cancel')),
        };
      }
      if (!pin.test(input))
        return { to: 'retry', error: `Enter your ${pinLengthDigits}-digit PIN or ${CANCEL_INPUT}` };
      return {
        to: 'run',
        action: async () =>
          answerText(await prompts.answerPrompt(prompt.checkoutRequestId, { pin: input })),
      };
    },
  };
}

/** What the customer reads once the answer is in. */
export function answerText(outcome: PromptAnswerOutcome): string {
  switch (outcome.status) {
    case 'paid':
      return `${outcome.receipt} Confirmed. Payment sent. You will receive an M-PESA message`;
    case 'cancelled':
      return 'Payment request cancelled';
    case 'failed':
      return outcome.resultCode === 2001
        ? 'Wrong PIN. Payment request failed'
        : `Payment failed: ${outcome.resultDesc}`;
    case 'expired':
    case 'not_found':
      return 'This payment request has expired';
    case 'in_progress':
      return 'This payment request is being processed';
    case 'held':
      return `${outcome.receipt} Pending review. Your money is reserved; you will receive an M-PESA message when it is decided`;
  }
}
