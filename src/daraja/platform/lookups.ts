// Read-only look-ups behind Transaction Status and Account Balance: what a receipt was, who its
// parties are, and which accounts an organisation's balance lists. Reads the ledger's committed
// transfers by id (`<receipt>:<tag>`), never a read model.
import type { LedgerClient } from '../../journal/client.ts';
import type { Transfer } from '../../ledger/model.ts';
import { orgAccountId, TRANSACTION_TYPE_NUMBERS } from '../../payments/accounts.ts';
import { legTransferId, PRINCIPAL_TAG } from '../../payments/chains.ts';
import type { Registry } from '../../payments/registry.ts';
import { type ChargeLine, publicName, type TransactionStatusDetails } from '../shapes.ts';

/** Fee legs a transaction may have: the payer's, and the business's on the other side. */
const FEE_TAGS = ['f', 'x', 'bf', 'bx', 'mf', 'mx'] as const;

const REASON_TYPES: Readonly<Record<number, string>> = {
  [TRANSACTION_TYPE_NUMBERS.send_money]: 'Customer Transfer',
  [TRANSACTION_TYPE_NUMBERS.paybill]: 'Pay Bill Online',
  [TRANSACTION_TYPE_NUMBERS.buy_goods]: 'Pay Merchant Online',
  [TRANSACTION_TYPE_NUMBERS.b2c]: 'Business Payment to Customer via API',
  [TRANSACTION_TYPE_NUMBERS.b2b]: 'Business Pay Bill',
  [TRANSACTION_TYPE_NUMBERS.org_transfer]: 'Organization Account Transfer',
  [TRANSACTION_TYPE_NUMBERS.reversal]: 'Reversal',
};

const ACCOUNT_TYPES: Readonly<Record<string, string>> = {
  wallet: 'MMF Account For Customer',
  utility: 'Utility Account',
  working: 'Working Account',
  charges: 'Charges Paid Account',
};

/** An organisation's accounts in the Account Balance sample's order; null: not kept by Malipo. */
export function balanceAccounts(shortcode: string) {
  return [
    { name: 'Working Account', accountId: orgAccountId(shortcode, 'working') },
    { name: 'Float Account', accountId: null },
    { name: 'Utility Account', accountId: orgAccountId(shortcode, 'utility') },
    { name: 'Charges Paid Account', accountId: orgAccountId(shortcode, 'charges') },
    { name: 'Organization Settlement Account', accountId: null },
  ];
}

/** "<number> - <NAME>" for a ledger account's owner, as Daraja's public names read. */
export function partyName(registry: Registry, accountId: string): string {
  const [kind, id = ''] = accountId.split(':');
  if (kind === 'wallet') {
    const c = registry.customers.get(id);
    return publicName(id, c === undefined ? '' : `${c.firstName} ${c.lastName}`);
  }
  if (kind === 'org') return publicName(id, registry.orgs.get(id)?.name ?? '');
  return publicName(id, registry.agents.get(id)?.name ?? '');
}

/** Whether `party` (a shortcode, till or MSISDN) is on either side of the transfer. */
export function isPartyTo(registry: Registry, transfer: Transfer, party: string): boolean {
  const owners = [party, registry.tills.get(party)?.shortcode].filter((p) => p !== undefined);
  return [transfer.debitAccountId, transfer.creditAccountId].some((account) =>
    owners.some((owner) => account === `wallet:${owner}` || account.startsWith(`org:${owner}:`)),
  );
}

export interface StatusContext {
  readonly receipt: string;
  readonly conversationId: string;
  readonly originatorConversationId: string;
  readonly occasion: string | null;
  readonly currency: string;
}

/** The Transaction Status details of a committed receipt, or null when there is none. */
export async function statusDetails(
  ledger: LedgerClient,
  registry: Registry,
  context: StatusContext,
  party: string,
): Promise<TransactionStatusDetails | null> {
  const { receipt } = context;
  const ids = [PRINCIPAL_TAG, ...FEE_TAGS].map((tag) => legTransferId(receipt, tag));
  const transfers = await ledger.lookupTransfers(ids);
  const principal = transfers.find((t) => t.id === ids[0]);
  if (principal === undefined || !isPartyTo(registry, principal, party)) return null;
  const debitOwner = principal.debitAccountId.split(':').slice(0, 2).join(':');
  const chargesCents = transfers
    .filter((t) => t.id !== principal.id && t.debitAccountId.startsWith(`${debitOwner}:`))
    .reduce((sum, t) => sum + t.amount, 0);
  const atMs = Math.floor(principal.timestamp / 1000);
  const charge: ChargeLine | null =
    chargesCents === 0
      ? null
      : {
          label:
            principal.userData === TRANSACTION_TYPE_NUMBERS.b2c
              ? 'Fee For B2C Payment'
              : 'Transaction Fee',
          currency: context.currency,
          cents: chargesCents,
        };
  const accountKind = principal.debitAccountId.startsWith('wallet:')
    ? 'wallet'
    : (principal.debitAccountId.split(':')[2] ?? '');
  return {
    receiptNo: receipt,
    conversationId: context.conversationId,
    originatorConversationId: context.originatorConversationId,
    initiatedAtMs: atMs,
    finalisedAtMs: atMs,
    amountCents: principal.amount,
    transactionStatus: 'Completed',
    reasonType: REASON_TYPES[principal.userData] ?? 'Payment',
    transactionReason: null,
    debitPartyName: partyName(registry, principal.debitAccountId),
    creditPartyName: partyName(registry, principal.creditAccountId),
    debitAccountType: ACCOUNT_TYPES[accountKind] ?? 'Utility Account',
    debitPartyCharges: charge,
    occasion: context.occasion,
  };
}

/** The principal transfer of a receipt, if it was committed. */
export async function principalOf(ledger: LedgerClient, receipt: string): Promise<Transfer | null> {
  const [principal] = await ledger.lookupTransfers([legTransferId(receipt, PRINCIPAL_TAG)]);
  return principal ?? null;
}
