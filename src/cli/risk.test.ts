import assert from 'node:assert/strict';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { paysimToItem, readHistory } from '../risk/history.ts';
import { DEFAULT_RULES } from '../risk/rules.ts';
import { replayHistory, runRiskCommand } from './risk.ts';
import { localMidnightOf } from './train.ts';

const timeout = 30_000;
const PAYSIM = fileURLToPath(new URL('../risk/testdata/paysim-sample.csv', import.meta.url));
const JSONL = fileURLToPath(new URL('../risk/testdata/history-sample.jsonl', import.meta.url));
const START = localMidnightOf('2025-03-03');
const HOUR = 3_600_000;

function collector() {
  const out: string[] = [];
  const err: string[] = [];
  return { io: { log: (l: string) => out.push(l), error: (l: string) => err.push(l) }, out, err };
}

describe('malipo risk replay', () => {
  test('PaySim rows become the platform transactions, on the history clock', () => {
    const cashIn = paysimToItem(
      ['1', 'CASH_IN', '2100.00', 'C1', '10.0', '2110.0', 'C9', '0', '0', '0', '0'],
      START,
      2,
    );
    assert.ok(typeof cashIn !== 'string' && cashIn.kind === 'txn');
    assert.deepEqual(cashIn.txn, {
      type: 'agent_deposit',
      from: { kind: 'agent', id: 'C9' },
      to: { kind: 'customer', id: 'C1' },
      amountCents: 210_000,
      timestampMs: START + HOUR + 200,
    });
    const payment = paysimToItem(
      ['3', 'PAYMENT', '9.99', 'C1', '100.5', '90.51', 'M7', '0', '0', '1', '0'],
      START,
      0,
    );
    assert.ok(typeof payment !== 'string' && payment.kind === 'txn');
    assert.deepEqual(payment.txn.to, { kind: 'till', id: 'M7' });
    assert.equal(payment.txn.fromBalanceCents, 10_050);
    assert.equal(payment.label?.role, 'loss');
    assert.equal(
      typeof paysimToItem(['1', 'BOGUS', '1', 'C1', '1', '0', 'C2', '0', '0', '0', '0'], START, 0),
      'string',
    );
  });

  test('a PaySim file replays through the engine: decisions, labels and metrics', {
    timeout,
  }, async () => {
    const { io, out, err } = collector();
    const summary = await replayHistory(
      {
        path: PAYSIM,
        model: null,
        paysimStartMs: START,
        print: 'flagged',
        rules: { ...DEFAULT_RULES, blockedPayers: ['customer:C999'] },
      },
      io,
    );
    assert.equal(summary.transactions, 16);
    assert.equal(summary.skipped, 1);
    assert.match(err[0], /paysim-sample\.csv:18: skipped: unknown PaySim type BOGUS/);
    assert.equal(summary.fraud, 4);
    // Rules only, and only C999 blocked: its three payments, nothing labelled fraud caught.
    assert.deepEqual(summary.actions, { allow: 13, step_up: 0, hold: 0, block: 3 });
    assert.equal(summary.recallByValue, 0);
    assert.equal(summary.legitBlockRate, 3 / 12);
    assert.deepEqual(Object.keys(summary.frictionByType).sort(), [
      'agent_deposit',
      'agent_withdrawal',
      'buy_goods',
      'send_money',
    ]);
    assert.equal(out.length, 3);
    const first = JSON.parse(out[0]);
    assert.deepEqual(
      [first.from, first.action, first.rule],
      ['customer:C999', 'block', 'blocked_payer'],
    );
    // Third row of step 2: 200 ms into the hour (rows of a step keep file order 100 ms apart).
    assert.equal(first.at, new Date(START + 2 * HOUR + 200).toISOString());
  });

  test('JSON lines: flat records, labelled-stream lines and operator events', {
    timeout,
  }, async () => {
    const lines = [];
    for await (const line of readHistory(JSONL, { paysimStartMs: START })) lines.push(line);
    assert.deepEqual(
      lines.map((l) => (l.kind === 'item' ? l.item.kind : l.kind)),
      ['opened', 'txn', 'txn', 'event', 'txn', 'skipped'],
    );
    const send = lines[2];
    assert.ok(send.kind === 'item' && send.item.kind === 'txn');
    assert.equal(send.item.txn.amountCents, 30_000);
    assert.equal(send.item.txn.fromBalanceCents, 500_000);
    assert.equal(send.item.txn.timestampMs, Date.parse('2025-04-07T09:01:00Z'));
  });

  test("a fraudster's own setup moves shape the features but are not scored, as in eval:fraud", {
    timeout,
  }, async () => {
    const dir = await mkdtemp(join(tmpdir(), 'malipo-replay-'));
    try {
      const path = join(dir, 'labelled.jsonl');
      const txn = (kes: number, atMs: number) => ({
        type: 'send_money',
        from: { kind: 'customer', id: '254711000009' },
        to: { kind: 'customer', id: '254711000001' },
        amountCents: kes * 100,
        timestampMs: atMs,
      });
      const at = Date.parse('2025-04-07T10:00:00Z');
      const lines = [
        {
          item: {
            kind: 'txn',
            txn: txn(500, at),
            label: { typology: 'wrong_send_scam', role: 'setup', campaign: 1 },
          },
        },
        {
          item: {
            kind: 'txn',
            txn: txn(700, at + 60_000),
            label: { typology: 'wrong_send_scam', role: 'loss', campaign: 1 },
          },
        },
      ];
      await writeFile(path, `${lines.map((l) => JSON.stringify(l)).join('\n')}\n`);
      const { io } = collector();
      const summary = await replayHistory(
        { path, model: null, paysimStartMs: START, print: 'none' },
        io,
      );
      assert.deepEqual([summary.transactions, summary.fraud], [1, 1]);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });

  test('velocity is measured on the history time, not the wall clock', { timeout }, async () => {
    const dir = await mkdtemp(join(tmpdir(), 'malipo-replay-'));
    try {
      const path = join(dir, 'burst.csv');
      const at = Date.parse('2025-04-07T20:00:00Z');
      // Sixteen payments 20 s apart (a burst), then one an hour later.
      const rows = Array.from(
        { length: 16 },
        (_, k) => `${at + k * 20_000},buy_goods,C1,till:7${k},50`,
      );
      rows.push(`${at + HOUR},buy_goods,C1,till:70,50`);
      await writeFile(path, `timestampMs,type,from,to,amount\n${rows.join('\n')}\n`);
      const { io, out } = collector();
      const summary = await replayHistory(
        { path, model: null, paysimStartMs: START, print: 'flagged' },
        io,
      );
      assert.deepEqual(summary.actions, { allow: 16, step_up: 0, hold: 1, block: 0 });
      assert.equal(JSON.parse(out[0]).rule, 'velocity_count_10m');
      const { io: io2, out: out2 } = collector();
      assert.equal(
        await runRiskCommand(['replay', path, '--model', 'none', '--print', 'none'], io2),
        0,
      );
      assert.match(out2.join('\n'), /replayed 17 transactions/);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});
