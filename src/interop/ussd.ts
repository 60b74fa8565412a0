// "Send to other networks" on the USSD main menu: the number, the recipient's name from the hub
// (GET /parties), the amount, Malipo's fee and the payee FSP's fee from its quote, the
// confirmation, and the PIN.
// The menu rebuilds its screens from the session's inputs on every request, so the lookup and the
// quote are awaited inside the request (bounded by the payer's wait) and their answers kept per
// session: a later request of the same session replays the same name and the same quote, never
// a new one, and the transfer the PIN starts is the one the customer confirmed.

import { normaliseMsisdn } from '../identity/msisdn.ts';
import type { PaymentsService } from '../payments/service.ts';
import { money, refusalText, shownName } from '../ussd/messages.ts';
import type { Dialler, MainMenuItem, Screen, UssdFormat } from '../ussd/model.ts';
import { ussdFormatFrom } from '../ussd/payments.ts';
import { confirm, parseShillings, prompt, push, retry } from '../ussd/screens.ts';
import type { Failed, Party, PayerFsp, Quote } from './payer.ts';

/** The main-menu key; 1 to 6 are standard, 7 is the STK prompt item. */
export const INTEROP_MENU_KEY = '8';
export const INTEROP_MENU_LABEL = 'Send to other networks';
/** How long the USSD request waits for the fulfilment before saying the transfer is on its way. */
const SEND_WAIT_MS = 6_000;
const SESSIONS_CACHED_MAX = 5_000;

interface MenuParts {
  payer: PayerFsp;
  payments: PaymentsService;
  fspId: string;
}

export function interopMenuItem(parts: MenuParts): MainMenuItem {
  const format = ussdFormatFrom(parts.payments);
  const answers = new SessionAnswers();
  return {
    key: INTEROP_MENU_KEY,
    label: INTEROP_MENU_LABEL,
    open: (dialler) => numberScreen(parts, format, answers, dialler),
  };
}

/** Lookups and quotes per session and input, so replays of the session reuse them. */
class SessionAnswers {
  private readonly cache = new Map<string, Promise<unknown>>();

  get<T>(key: string, make: () => Promise<T>): Promise<T> {
    const found = this.cache.get(key);
    if (found !== undefined) return found as Promise<T>;
    if (this.cache.size >= SESSIONS_CACHED_MAX) this.cache.clear();
    const made = make();
    this.cache.set(key, made);
    // A failure is not kept: the customer may correct the input and the answer may differ.
    made.then(
      (value) => {
        if ((value as { ok?: boolean }).ok === false) this.cache.delete(key);
      },
      () => this.cache.delete(key),
    );
    return made;
  }
}

function numberScreen(
  parts: MenuParts,
  format: UssdFormat,
  answers: SessionAnswers,
  dialler: Dialler,
): Screen {
  return prompt('Enter phone no. on the other network', async (input) => {
    const msisdn = recipientNumber(input, parts, format);
    if (msisdn === null) return retry('Invalid phone number');
    if (parts.payments.customer(msisdn).ok)
      return retry('This is an M-PESA number. Use Send Money');
    const found = await answers.get(`${dialler.sessionId}:party:${msisdn}`, () =>
      parts.payer.lookup(msisdn),
    );
    if (!found.ok) return retry(failedText(found, 'Recipient not found on other networks'));
    return push(amountScreen(parts, format, answers, dialler, found.party));
  });
}

/** A local number in the market's format, or an international one as typed (digits only). */
function recipientNumber(input: string, parts: MenuParts, format: UssdFormat): string | null {
  const local = normaliseMsisdn(input, format.msisdn);
  if (local.ok) return local.msisdn;
  return /^[1-9]\d{7,14}$/.test(input) && parts.payments.customer(input).ok === false
    ? input
    : null;
}

function amountScreen(
  parts: MenuParts,
  format: UssdFormat,
  answers: SessionAnswers,
  dialler: Dialler,
  party: Party,
): Screen {
  const who = `${shownName(party.name)} ${party.msisdn} (${party.fspId})`;
  return prompt('Enter Amount', async (input) => {
    const amountCents = parseShillings(input, format.money.minorUnitScale);
    if (typeof amountCents === 'string') return retry(amountCents);
    const quoted = await answers.get(
      `${dialler.sessionId}:quote:${party.msisdn}:${amountCents}`,
      () => parts.payer.quote(dialler.msisdn, party, amountCents),
    );
    if (!quoted.ok) return retry(failedText(quoted, 'The other network refused this amount'));
    const { quote } = quoted;
    // Both fees before the PIN: ours (the market's tariff) and the payee FSP's from its quote.
    const question = `Send ${money(quote.amountCents, format)} to ${who}? Fee ${money(quote.malipoFeeCents ?? 0, format)} + ${party.fspId} fee ${money(quote.feeCents, format)}`;
    return push(confirm(question, () => push(pinScreen(parts, format, dialler, who, quote))));
  });
}

/** The PIN, the session's last input: it starts the transfer the customer just confirmed. */
function pinScreen(
  parts: MenuParts,
  format: UssdFormat,
  dialler: Dialler,
  who: string,
  quote: Quote,
): Screen {
  const digits = format.pinLengthDigits;
  return prompt('Enter M-PESA PIN', (pin) => {
    if (!new RegExp(`^[0-9]{${digits}}$`).test(pin)) return retry(`PIN must be ${digits} digits`);
    return {
      to: 'run',
      action: (requestKey) => sendText(parts, format, dialler, who, quote, pin, requestKey),
    };
  });
}

async function sendText(
  parts: MenuParts,
  format: UssdFormat,
  dialler: Dialler,
  who: string,
  quote: Quote,
  pin: string,
  requestKey: string,
): Promise<string> {
  const sent = await parts.payer.send({
    from: dialler.msisdn,
    quote,
    auth: { kind: 'pin', pin },
    requestKey,
    waitMs: SEND_WAIT_MS,
  });
  // The risk engine's refusal says why (interop has no holds: a review also refuses).
  if (!sent.ok) return sent.error === 'blocked' ? `Failed. ${sent.message}` : refusalText(sent);
  const { transfer } = sent;
  const amount = money(quote.amountCents, format);
  const ref = transfer.receipt ?? transfer.transferId.slice(0, 8).toUpperCase();
  if (transfer.state === 'committed')
    return `${ref} Confirmed. ${amount} sent to ${who}. Fees ${money(quote.feeCents + (quote.malipoFeeCents ?? 0), format)}`;
  if (transfer.state === 'aborted')
    return `${ref} Failed. ${quote.payee.fspId} did not accept the transfer. Your money was returned`;
  return `${ref} ${amount} to ${who} is being processed`;
}

function failedText(outcome: Failed, fallback: string): string {
  return outcome.error.errorCode === '3204' ? fallback : 'Other network unavailable. Try later';
}
