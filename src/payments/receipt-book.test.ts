import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { LedgerClient } from '../journal/client.ts';
import { ReceiptBook } from './receipt-book.ts';

const dir = mkdtempSync(join(tmpdir(), 'malipo-receipts-'));
after(() => rmSync(dir, { recursive: true, force: true }));
const options = {
  shard: 0,
  key: 'receipt-book-test-key-0123',
  utcOffsetMinutes: 180,
  epochYear: 2006,
};
const DAY = 86_400_000;
const midnight = Date.UTC(2026, 10, 27, 21, 0); // 00:00 in Nairobi on 28 November

test('receipts stay unique when days interleave around midnight and across a restart', {
  timeout: 30_000,
}, async () => {
  const ledger = await LedgerClient.open({ journal: { kind: 'sqlite', path: join(dir, 'j.db') } });
  const book = new ReceiptBook(ledger, options);
  await book.load();
  const seen = new Set<string>();
  const take = async (ms: number) => {
    const receipt = await book.issue(ms);
    assert.ok(!seen.has(receipt), `duplicate ${receipt}`);
    seen.add(receipt);
    return receipt;
  };
  // Stamped before midnight, stamped after, stamped before again (planned before, issued after).
  await take(midnight - 1000);
  await take(midnight + 1000);
  await take(midnight - 500);
  for (let i = 0; i < 50; i++) await take(midnight + (i % 2 === 0 ? -i : i) * 100);
  await ledger.close();
  const again = await LedgerClient.open({ journal: { kind: 'sqlite', path: join(dir, 'j.db') } });
  const restarted = new ReceiptBook(again, options);
  await restarted.load();
  for (let i = 0; i < 20; i++) {
    const receipt = await restarted.issue(midnight + (i % 2 === 0 ? -1 : 1) * (i + 1) * 1000);
    assert.ok(!seen.has(receipt), `duplicate after restart ${receipt}`);
    seen.add(receipt);
  }
  assert.notEqual((await restarted.issue(midnight + DAY)).slice(0, 3), [...seen][0].slice(0, 3));
  await again.close();
});
