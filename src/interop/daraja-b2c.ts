// The interop side of a Daraja B2C to another network (decision 0027): lookup through the hub's
// oracle, quote as a BUSINESS payer, and the transfer through the payer FSP, whose post or void
// commits the business's result callback. Routing is by the oracle, not by number ranges: a
// PartyB that is not a Malipo customer is looked up in the scheme (numbers move between
// providers, and the oracle is the scheme's own answer).

import type {
  OtherNetworkB2cCommand,
  OtherNetworkB2cOutcome,
  OtherNetworkEnd,
  OtherNetworkFailure,
  OtherNetworksB2c,
} from '../daraja/platform/other-networks.ts';
import type { ErrorInformation } from './model.ts';
import type { OutboundTransfer, PayerFsp } from './payer.ts';

export function otherNetworksB2c(payer: PayerFsp): OtherNetworksB2c {
  return {
    async send(command: OtherNetworkB2cCommand): Promise<OtherNetworkB2cOutcome> {
      const onEnd = (transfer: OutboundTransfer) => command.onEnd(endOf(transfer));
      // A repeat of a request key (a restart re-running the request) finds its transfer first.
      const known = payer.transferOf(command.requestKey);
      if (known !== undefined) return resumed(payer, command, onEnd);
      const party = await payer.lookup(command.to);
      if (!party.ok) return failed(party.error, payer);
      const quote = await payer.quote(
        command.shortcode,
        party.party,
        command.amountCents,
        'business',
      );
      if (!quote.ok) return failed(quote.error, payer);
      const sent = await payer.send({
        from: command.shortcode,
        quote: quote.quote,
        auth: 'business',
        requestKey: command.requestKey,
        waitMs: 0,
        prepared: command.prepared,
        onEnd,
        onEndCommitted: command.onEndCommitted,
      });
      if (!sent.ok) return { status: 'refused', refusal: sent };
      return { status: 'pending' };
    },
  };
}

async function resumed(
  payer: PayerFsp,
  command: OtherNetworkB2cCommand,
  onEnd: (transfer: OutboundTransfer) => ReturnType<OtherNetworkB2cCommand['onEnd']>,
): Promise<OtherNetworkB2cOutcome> {
  const again = await payer.send({
    from: command.shortcode,
    quote: (payer.transferOf(command.requestKey) as OutboundTransfer).quote,
    auth: 'business',
    requestKey: command.requestKey,
    waitMs: 0,
    onEnd,
    onEndCommitted: command.onEndCommitted,
  });
  if (!again.ok) return { status: 'refused', refusal: again };
  const { transfer } = again;
  return transfer.state === 'prepared'
    ? { status: 'pending' }
    : { status: 'ended', end: endOf(transfer) };
}

function endOf(transfer: OutboundTransfer): OtherNetworkEnd {
  const atMs = transfer.endedMs ?? transfer.preparedMs;
  if (transfer.state === 'committed')
    return {
      ok: true,
      receipt: transfer.receipt ?? transfer.transferId,
      amountCents: transfer.quote.amountCents,
      receiverMsisdn: transfer.quote.payee.msisdn,
      receiverName: transfer.quote.payee.name,
      completedAtMs: atMs,
    };
  return { ok: false, failure: failureOf(transfer.error), atMs };
}

function failed(error: ErrorInformation, payer: PayerFsp): OtherNetworkB2cOutcome {
  return { status: 'ended', end: { ok: false, failure: failureOf(error), atMs: payer.nowMs() } };
}

/** FSPIOP error codes, by their families (the API definition's section 7.6). */
function failureOf(error: ErrorInformation | null): OtherNetworkFailure {
  const code = error?.errorCode ?? '';
  if (code === '3204') return 'party_not_found';
  if (code === '3303') return 'expired';
  if (code.startsWith('5')) return 'payee_refused';
  return 'scheme_unavailable';
}
