// History walks that find recent entries in the writer's memory give exactly what the journal
// gives: the same transfers, balances and chain links, for transfers and expiries, whether the
// walk stays in memory or runs past it into the journal.

import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { TransferFlags, type TransferInput } from '../ledger/model.ts';
import { accountTransfers, balanceAt } from './history.ts';
import type { AccountHead } from './journal.ts';
import { SqliteJournal } from './sqlite/journal.ts';
import { Writer } from './writer.ts';

const KES = 404;
const dirs: string[] = [];
after(() => {
  for (const dir of dirs) rmSync(dir, { recursive: true, force: true });
});

const pay = (id: string, from: string, to: string, amount: number, flags = 0): TransferInput => ({
  id,
  debitAccountId: from,
  creditAccountId: to,
  amount,
  ledger: KES,
  code: 1,
  flags,
  timeoutSeconds: flags & TransferFlags.pending ? 1 : undefined,
});

/** Accounts, 150 entries between them (past two anchors), and one pending that expires. */
async function scenario(recentEntriesMax: number) {
  const dir = mkdtempSync(join(tmpdir(), 'malipo-recent-entries-'));
  dirs.push(dir);
  const journal = new SqliteJournal({ path: join(dir, 'journal.db') });
  let clockUs = 1_800_000_000_000_000;
  const writer = await Writer.open({ journal, recentEntriesMax, clockUs: () => clockUs });
  await writer.submit([
    {
      kind: 'accounts',
      events: ['bank', 'alice', 'bob'].map((id) => ({ id, ledger: KES, code: 1 })),
    },
  ]);
  for (let i = 0; i < 150; i++) {
    const [from, to] =
      i % 3 === 0 ? ['bank', 'alice'] : i % 3 === 1 ? ['alice', 'bob'] : ['bob', 'bank'];
    const flags = i === 100 ? TransferFlags.pending : 0;
    await writer.submit([{ kind: 'transfers', events: [pay(`p${i}`, from, to, 10 + i, flags)] }]);
    clockUs += 1_000;
  }
  clockUs += 5_000_000;
  await writer.tick(); // p100 expires: an expiry entry in alice's and bob's chains
  await writer.submit([{ kind: 'transfers', events: [pay('last', 'alice', 'bob', 7)] }]);
  return { writer, journal };
}

function headOf(writer: Writer, accountId: string): AccountHead {
  const head = writer.headOf(accountId);
  assert.ok(head !== null, `${accountId} exists`);
  return head;
}

for (const recentEntriesMax of [32_768, 5]) {
  test(`history from memory equals history from the journal (${recentEntriesMax} entries kept)`, async () => {
    const { writer, journal } = await scenario(recentEntriesMax);
    for (const accountId of ['alice', 'bob']) {
      const head = headOf(writer, accountId);
      const all = await writer.accountTransfers({ accountId, limit: 1_000 });
      assert.deepEqual(all, await accountTransfers(journal, head, { accountId, limit: 1_000 }));
      assert.equal(all.length, 101, `${accountId}: 100 transfers and the last one`);
      const middle = {
        accountId,
        fromTimestamp: all[20].transfer.timestamp,
        toTimestamp: all[90].transfer.timestamp,
        limit: 30,
        reversed: true,
      };
      assert.deepEqual(
        await writer.accountTransfers(middle),
        await accountTransfers(journal, head, middle),
      );
      // Balances as of every entry, just before it, and after the expiry (no transfer there).
      const instants = all.flatMap((e) => [e.transfer.timestamp, e.transfer.timestamp - 1]);
      instants.push(all[100].transfer.timestamp - 2);
      for (const at of instants) {
        assert.deepEqual(
          await writer.balanceAt(accountId, at),
          await balanceAt(journal, head, at),
          `${accountId} at ${at}`,
        );
      }
    }
    assert.ok(writer.recent.hits > 0, 'walks found entries in memory');
    if (recentEntriesMax < 10) assert.ok(writer.recent.misses > 0, 'and past it in the journal');
    else assert.equal(writer.recent.misses, 0, 'every entry committed here is in memory');
    await writer.close();
  });
}
