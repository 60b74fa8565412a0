// Hands out receipt numbers. Each shard numbers its receipts per local day; blocks of sequence
// numbers are reserved durably (a 'receipt-block' record) before any of them is used, so a
// restart continues after the last reserved block and never issues a receipt twice.

import type { LedgerClient } from '../journal/client.ts';
import { createReceiptIssuer, localDate, type ReceiptIssuer } from './receipts.ts';

const STREAM = 'receipt-block';
/** Sequence numbers reserved at a time: one small commit per this many transactions. */
const BLOCK_SIZE = 50_000;

interface Block {
  day: string;
  start: number;
  end: number;
}

export class ReceiptBook {
  private readonly issuer: ReceiptIssuer;
  private block: Block = { day: '', start: 0, end: 0 };
  private next = 0;
  private reserving: Promise<void> | null = null;

  constructor(
    private readonly ledger: LedgerClient,
    private readonly options: {
      shard: number;
      key: string;
      utcOffsetMinutes: number;
      epochYear: number;
    },
  ) {
    this.issuer = createReceiptIssuer({
      key: options.key,
      utcOffsetMinutes: options.utcOffsetMinutes,
      epochYear: options.epochYear,
    });
  }

  /** Continues after the newest reserved block (which may have been partly used before a crash). */
  async load(): Promise<void> {
    const [latest] = await this.ledger.latestRecords(STREAM, 1);
    if (latest !== undefined) {
      const block = JSON.parse(latest.body) as Block;
      this.block = { ...block, start: block.end, end: block.end };
      this.next = block.end;
    }
  }

  async issue(timestampMs: number): Promise<string> {
    const day = dayOf(timestampMs, this.options.utcOffsetMinutes);
    while (this.block.day !== day || this.next >= this.block.end) {
      this.reserving ??= this.reserve(day).finally(() => {
        this.reserving = null;
      });
      await this.reserving;
    }
    const result = this.issuer.issue({
      shardId: this.options.shard,
      sequence: this.next++,
      timestampMs,
    });
    if (!result.ok) throw new Error(result.message);
    return result.receipt;
  }

  private async reserve(day: string): Promise<void> {
    const start = this.block.day === day ? this.block.end : 0;
    const block: Block = { day, start, end: start + BLOCK_SIZE };
    await this.ledger.appendRecords([
      { stream: STREAM, key: `${this.options.shard}:${day}`, body: JSON.stringify(block) },
    ]);
    this.block = block;
    this.next = start;
  }
}

function dayOf(timestampMs: number, utcOffsetMinutes: number): string {
  const { year, month, day } = localDate(timestampMs, utcOffsetMinutes);
  return `${year}-${month}-${day}`;
}
