// The settlement view, both directions: per counterpart FSP, what it owes us (inbound transfers
// we fulfilled as the payee FSP, paid out of the settlement organization) and what we owe it
// (outbound transfers it fulfilled, whose money waits in the interop transit account), since the
// last settlement with it. Settling a counterpart closes that window: in one ledger transfer the
// outbound money leaves transit for the settlement organization's utility account (which paid the
// inbound credits), committed with the settlement record naming every transfer it covers; the net
// (inbound − outbound) is what the scheme's settlement bank moves between the two providers.
//
// Reconciliation is by construction and checked, not assumed: the transit account's posted
// balance must equal the sum of unsettled outbound positions, and its pending credits the sum of
// transfers still prepared.

import type { LedgerClient } from '../journal/client.ts';
import type { PaymentsApi } from '../payments/commands.ts';
import type { PayeeFsp } from './payee.ts';
import type { PayerFsp } from './payer.ts';

export const INTEROP_SETTLEMENT_STREAM = 'interop-settlement';
const LOAD_PAGE = 1000;

export interface Position {
  fsp: string;
  /** Inbound transfers we fulfilled: the counterpart owes us. */
  owedToUsCents: number;
  /** Outbound transfers it fulfilled: we owe the counterpart. */
  owedByUsCents: number;
  /** owedToUs − owedByUs: positive means the counterpart pays us at settlement. */
  netCents: number;
  inboundTransfers: number;
  outboundTransfers: number;
}

interface SettlementRecord {
  settlementId: string;
  fsp: string;
  atMs: number;
  inbound: string[];
  outbound: string[];
  owedToUsCents: number;
  owedByUsCents: number;
}

export interface Reconciliation {
  transitPostedCents: number;
  transitPendingCents: number;
  outboundUnsettledCents: number;
  outboundPreparedCents: number;
  reconciled: boolean;
}

export class Settlement {
  private readonly settled = new Set<string>();
  readonly history: SettlementRecord[] = [];
  private settling: Promise<unknown> = Promise.resolve();

  constructor(
    private readonly deps: {
      payments: PaymentsApi;
      ledger: LedgerClient;
      payee: PayeeFsp;
      payer: PayerFsp;
      settlementShortcode: string;
      clock: { nowMs(): number };
    },
  ) {}

  async start(): Promise<void> {
    for (let after = 0; ; ) {
      const page = await this.deps.ledger.readRecords(INTEROP_SETTLEMENT_STREAM, after, LOAD_PAGE);
      for (const record of page) this.apply(JSON.parse(record.body) as SettlementRecord);
      if (page.length < LOAD_PAGE) break;
      after = page[page.length - 1].seq;
    }
  }

  private apply(record: SettlementRecord): void {
    this.history.push(record);
    for (const id of [...record.inbound, ...record.outbound])
      this.settled.add(`${record.fsp}:${id}`);
  }

  /** The unsettled transfers per counterpart, with their ids (what a settlement would cover). */
  private open(): Map<string, Position & { inbound: string[]; outbound: string[] }> {
    const byFsp = new Map<string, Position & { inbound: string[]; outbound: string[] }>();
    const entry = (fsp: string) => {
      let found = byFsp.get(fsp);
      if (found === undefined) {
        found = {
          fsp,
          owedToUsCents: 0,
          owedByUsCents: 0,
          netCents: 0,
          inboundTransfers: 0,
          outboundTransfers: 0,
          inbound: [],
          outbound: [],
        };
        byFsp.set(fsp, found);
      }
      return found;
    };
    for (const t of this.deps.payee.inbound()) {
      if (this.settled.has(`${t.fsp}:${t.transferId}`)) continue;
      const p = entry(t.fsp);
      p.owedToUsCents += t.amountCents;
      p.inboundTransfers++;
      p.inbound.push(t.transferId);
    }
    for (const t of this.deps.payer.transfers.values()) {
      const fsp = t.quote.payee.fspId;
      if (t.state !== 'committed' || this.settled.has(`${fsp}:${t.transferId}`)) continue;
      const p = entry(fsp);
      p.owedByUsCents += t.quote.transferAmountCents;
      p.outboundTransfers++;
      p.outbound.push(t.transferId);
    }
    for (const p of byFsp.values()) p.netCents = p.owedToUsCents - p.owedByUsCents;
    return byFsp;
  }

  positions(): Position[] {
    return [...this.open().values()]
      .map(({ inbound: _i, outbound: _o, ...position }) => position)
      .sort((a, b) => a.fsp.localeCompare(b.fsp));
  }

  async reconcile(): Promise<Reconciliation> {
    const transit = await this.deps.payments.interopTransitBalance();
    const outboundUnsettledCents = this.positions().reduce((s, p) => s + p.owedByUsCents, 0);
    let outboundPreparedCents = 0;
    for (const t of this.deps.payer.transfers.values())
      if (t.state === 'prepared') outboundPreparedCents += t.quote.transferAmountCents;
    const transitPostedCents = transit.postedCents;
    const transitPendingCents = transit.pendingCents;
    return {
      transitPostedCents,
      transitPendingCents,
      outboundUnsettledCents,
      outboundPreparedCents,
      reconciled:
        transitPostedCents === outboundUnsettledCents &&
        transitPendingCents === outboundPreparedCents,
    };
  }

  /** Closes the window with `fsp`: one at a time, so two calls cannot cover a transfer twice. */
  settle(fsp: string): Promise<SettlementRecord | null> {
    const run = this.settling.then(() => this.settleOnce(fsp));
    this.settling = run.catch(() => undefined);
    return run;
  }

  private async settleOnce(fsp: string): Promise<SettlementRecord | null> {
    const open = this.open().get(fsp);
    if (open === undefined) return null;
    const atMs = this.deps.clock.nowMs();
    const record: SettlementRecord = {
      settlementId: `${fsp}:${atMs}:${this.history.length}`,
      fsp,
      atMs,
      inbound: open.inbound,
      outbound: open.outbound,
      owedToUsCents: open.owedToUsCents,
      owedByUsCents: open.owedByUsCents,
    };
    const outcome = await this.deps.payments.settleInterop({
      settlementId: record.settlementId,
      settlementShortcode: this.deps.settlementShortcode,
      amountCents: record.owedByUsCents,
      records: [{ stream: INTEROP_SETTLEMENT_STREAM, key: fsp, body: JSON.stringify(record) }],
    });
    if (outcome !== 'done') throw new Error(`interop settlement with ${fsp}: ${outcome}`);
    this.apply(record);
    return record;
  }
}
