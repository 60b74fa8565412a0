import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { createFeatureStore } from './features.ts';
import { HOUR_MS, MINUTE_MS, RING_EVENTS } from './limits.ts';
import type { RiskTransaction } from './model.ts';
import { replayFromJournal, replayTransactions } from './replay.ts';
import { FEATURE_INDEX as F, FEATURE_COUNT, FEATURE_SCHEMA_HASH } from './schema.ts';

const T0 = Date.UTC(2025, 3, 7, 9); // 12:00 in Nairobi
const KES = 100;
const timeout = 30_000;

function send(
  from: string,
  to: string,
  kes: number,
  atMs: number,
  extra: Partial<RiskTransaction> = {},
): RiskTransaction {
  return {
    type: 'send_money',
    from: { kind: 'customer', id: from },
    to: { kind: 'customer', id: to },
    amountCents: kes * KES,
    timestampMs: atMs,
    ...extra,
  };
}

const A = '254711000001';
const B = '254711000002';
const C = '254711000003';

function close(actual: number, expected: number): void {
  assert.ok(Math.abs(actual - expected) < 1e-12, `${actual} is not ${expected}`);
}

function features(store: ReturnType<typeof createFeatureStore>, txn: RiskTransaction) {
  return store.vector(txn, new Float64Array(FEATURE_COUNT));
}

describe('feature store', () => {
  test('velocity windows count and sum what came before, by window', { timeout }, () => {
    const store = createFeatureStore();
    store.observe(send(A, B, 100, T0 - 23 * HOUR_MS));
    store.observe(send(A, B, 200, T0 - 30 * MINUTE_MS));
    store.observe(send(A, C, 300, T0 - 5 * MINUTE_MS));
    store.observe(send(A, C, 400, T0 - 30_000));
    store.observe(send(A, C, 999, T0 - 25 * HOUR_MS));
    const x = features(store, send(A, B, 50, T0));
    assert.deepEqual(
      [x[F.payer_count_1m], x[F.payer_count_10m], x[F.payer_count_1h], x[F.payer_count_24h]],
      [1, 2, 3, 4],
    );
    assert.equal(x[F.payer_amount_10m_log], Math.log1p(700));
    assert.equal(x[F.payer_amount_24h_log], Math.log1p(1000));
    assert.equal(x[F.payer_fan_out_1h], 2);
    assert.equal(x[F.pair_count_1h], 1);
    assert.equal(x[F.pair_count_24h], 2);
    assert.equal(x[F.new_recipient], 0);
    assert.equal(features(store, send(A, '254711000009', 50, T0))[F.new_recipient], 1);
  });

  test('vector changes nothing: same answer twice, stats and recency untouched', {
    timeout,
  }, () => {
    const store = createFeatureStore({ capacity: 2 });
    store.observe(send(A, B, 100, T0 - HOUR_MS));
    const before = store.stats();
    const first = features(store, send(A, C, 5_000, T0));
    const second = features(store, send(A, C, 5_000, T0));
    assert.deepEqual(Array.from(second), Array.from(first));
    assert.deepEqual(store.stats(), before);
    // Had vector touched A, adding C would evict B instead of A.
    store.observe(send(C, B, 10, T0 + 1));
    assert.equal(store.stats().evictions, 1);
    assert.ok(
      Number.isNaN(features(store, send(A, B, 100, T0 + 2))[F.payer_idle_days_log]),
      'A was evicted',
    );
  });

  test('amount against own history: a new customer is judged by the prior', { timeout }, () => {
    const store = createFeatureStore();
    for (let k = 0; k < 30; k++)
      store.observe(send(A, B, 200 + (k % 5) * 20, T0 - (30 - k) * HOUR_MS));
    const usual = features(store, send(A, B, 220, T0));
    const large = features(store, send(A, B, 20_000, T0));
    const stranger = features(store, send(C, B, 20_000, T0));
    assert.ok(Math.abs(usual[F.amount_z]) < 1, `usual z ${usual[F.amount_z]}`);
    assert.ok(large[F.amount_z] > 5, `large z ${large[F.amount_z]}`);
    assert.ok(large[F.amount_to_max_ratio] > 50);
    // Without history the prior (about KES 500, wide) tempers the same amount.
    assert.ok(stranger[F.amount_z] > 1 && stranger[F.amount_z] < large[F.amount_z]);
    assert.ok(Number.isNaN(stranger[F.payer_idle_days_log]), 'C has paid nobody');
  });

  test('SIM swap and device change recency, balance drain, missing values as NaN', {
    timeout,
  }, () => {
    const store = createFeatureStore();
    assert.equal(
      store.recordEvent({ msisdn: '0711000001', type: 'sim_swap', atMs: T0 - 2 * HOUR_MS }),
      true,
    );
    assert.equal(store.recordEvent({ msisdn: 'not a number', type: 'sim_swap', atMs: T0 }), false);
    const x = features(store, send(A, B, 900, T0, { fromBalanceCents: 1_000 * KES }));
    assert.equal(x[F.sim_swap_age_h_log], Math.log1p(2));
    assert.ok(Number.isNaN(x[F.device_change_age_h_log]));
    assert.equal(x[F.drain_ratio], 0.9);
    const unknown = features(store, send(B, A, 900, T0));
    assert.ok(Number.isNaN(unknown[F.drain_ratio]) && Number.isNaN(unknown[F.sim_swap_age_h_log]));
  });

  test('fan-in, pass-through and the last money received', { timeout }, () => {
    const store = createFeatureStore();
    const mule = '254711000099';
    for (let k = 0; k < 6; k++)
      store.observe(send(`25471100010${k}`, mule, 1_000, T0 - (40 - k) * MINUTE_MS));
    const out = features(store, send(mule, C, 5_500, T0));
    assert.equal(out[F.payer_fan_in_1h], 6);
    assert.equal(out[F.payer_in_count_24h], 6);
    assert.ok(Math.abs(out[F.pass_through_ratio] - 5_500 / 6_000) < 1e-9);
    assert.equal(out[F.amount_to_last_in_ratio], 5.5);
    assert.equal(out[F.recipient_is_last_sender], 0);
    const into = features(store, send(B, mule, 100, T0));
    assert.equal(into[F.recipient_fan_in_1h], 6);
  });

  test('agent deposits just under a commission band are counted', { timeout }, () => {
    const bands = { agent_deposit: { bands: [{ minCents: 10_001, maxCents: 250_000 }] } };
    const store = createFeatureStore({ commissionBands: bands });
    const deposit = (kes: number, atMs: number): RiskTransaction => ({
      type: 'agent_deposit',
      from: { kind: 'agent', id: '400100' },
      to: { kind: 'customer', id: A },
      amountCents: kes * KES,
      timestampMs: atMs,
    });
    for (let k = 0; k < 5; k++) store.observe(deposit(2_490, T0 - (5 - k) * MINUTE_MS));
    const x = features(store, deposit(2_495, T0));
    assert.ok(x[F.band_position] > 0.99);
    assert.equal(x[F.payer_near_band_top_1h], 5);
    assert.equal(x[F.payer_same_amount_1h], 5);
    assert.equal(x[F.pair_count_1h], 5);
    assert.equal(x[F.pair_near_band_top_1h], 5);
    // The same agent's near-top deposits to other customers are not split amounts to this one.
    const other = features(store, { ...deposit(2_495, T0), to: { kind: 'customer', id: B } });
    assert.equal(other[F.payer_near_band_top_1h], 5);
    assert.equal(other[F.pair_near_band_top_1h], 0);
  });

  test('velocity is measured against the payer own hourly rate, with a prior while new', {
    timeout,
  }, () => {
    const store = createFeatureStore();
    // A payment a day for ten days, then three in the last hour.
    for (let d = 10; d >= 1; d--) store.observe(send(A, B, 100, T0 - d * 24 * HOUR_MS));
    for (let k = 3; k >= 1; k--) store.observe(send(A, B, 100, T0 - k * 10 * MINUTE_MS));
    const x = features(store, send(A, B, 100, T0));
    // (10 + 3 remembered + a prior day's 24) over (240 h + the prior day): 37 / 264 per hour.
    close(x[F.payer_rate_ratio_1h], 3 / (37 / 264));
    // Three payments in a newcomer's first hour are no departure from a habit nobody knows yet.
    for (let k = 3; k >= 1; k--) store.observe(send(C, B, 100, T0 - k * 10 * MINUTE_MS));
    close(features(store, send(C, B, 100, T0))[F.payer_rate_ratio_1h], 3 / (27 / 48));
    // Nobody seen before: no payments in the hour, nothing to compare.
    assert.equal(features(store, send('254711000009', B, 100, T0))[F.payer_rate_ratio_1h], 0);
  });

  test('the balance is measured against the payer typical payment, not in shillings', {
    timeout,
  }, () => {
    const store = createFeatureStore();
    for (let k = 0; k < 50; k++) store.observe(send(A, B, 3_000, T0 - (k + 1) * HOUR_MS));
    const rich = features(store, send(A, B, 3_000, T0, { fromBalanceCents: 9_000 * KES }));
    // The typical payment is shrunk a little towards the KES 500 prior: a bit over three payments.
    const r = rich[F.balance_to_typical_ratio];
    assert.ok(r > 3 && r < 4, `${r} is not about three payments`);
    const unknown = features(store, send(A, B, 3_000, T0));
    assert.ok(Number.isNaN(unknown[F.balance_to_typical_ratio]));
  });

  test('memory is bounded: parties and windows never grow past their capacities', {
    timeout,
  }, () => {
    const capacity = 64;
    const store = createFeatureStore({ capacity });
    let bytesAtCapacity = 0;
    for (let k = 0; k < 20_000; k++) {
      store.observe(
        send(
          `2547${String(10_000_000 + (k % 500)).padStart(8, '0')}`,
          `2547${String(20_000_000 + (k % 300))}`,
          10,
          T0 + k,
        ),
      );
      if (k === 2_000) bytesAtCapacity = store.stats().columnBytes;
    }
    const stats = store.stats();
    assert.equal(stats.parties, capacity);
    assert.ok(stats.slotsAllocated <= capacity);
    assert.equal(stats.columnBytes, bytesAtCapacity);
    assert.ok(stats.evictions > 19_000);
    // One party's window holds at most RING_EVENTS events.
    const busy = createFeatureStore();
    for (let k = 0; k < 500; k++) busy.observe(send(A, B, 1, T0 - 1_000 + k));
    assert.equal(features(busy, send(A, B, 1, T0))[F.payer_count_1m], RING_EVENTS);
  });

  test("a customer's own habits: spending it all, paying at once, paying new people", {
    timeout,
  }, () => {
    const store = createFeatureStore();
    const fresh = features(store, send(A, B, 100, T0, { fromBalanceCents: 100 * KES }));
    // No history: every share is the prior.
    close(fresh[F.payer_drain_share], 0.2);
    close(fresh[F.payer_quick_spend_share], 0.2);
    // A cash-in, then the whole balance out 20 s later, to someone new, four times over.
    for (let k = 0; k < 4; k++) {
      const at = T0 - (k + 1) * HOUR_MS;
      store.observe({
        type: 'agent_deposit',
        from: { kind: 'agent', id: '400100' },
        to: { kind: 'customer', id: A },
        amountCents: 500 * KES,
        timestampMs: at,
      });
      store.observe(send(A, `25471100010${k}`, 480, at + 20_000, { fromBalanceCents: 500 * KES }));
    }
    const x = features(store, send(A, C, 100, T0, { fromBalanceCents: 100 * KES }));
    const habitual = (4 + 0.2 * 3) / (4 + 3);
    close(x[F.payer_drain_share], habitual);
    close(x[F.payer_quick_spend_share], habitual);
    close(x[F.payer_new_recipient_share], habitual);
    // Somebody who paid the same people slowly, from a large balance, has none of these habits.
    store.observe(send(B, C, 100, T0 - 3 * HOUR_MS, { fromBalanceCents: 10_000 * KES }));
    store.observe(send(B, C, 100, T0 - 2 * HOUR_MS, { fromBalanceCents: 10_000 * KES }));
    const y = features(store, send(B, C, 100, T0, { fromBalanceCents: 10_000 * KES }));
    close(y[F.payer_drain_share], (0 + 0.6) / 5);
    close(y[F.payer_quick_spend_share], (0 + 0.6) / 5);
    close(y[F.payer_new_recipient_share], (1 + 0.6) / 5);
  });

  test('the schema hash is fixed by names and types', { timeout }, () => {
    assert.equal(createFeatureStore().schemaHash, FEATURE_SCHEMA_HASH);
    assert.match(FEATURE_SCHEMA_HASH, /^[0-9a-f]{64}$/);
  });
});

describe('rebuild from the committed stream', () => {
  const history = [
    send(A, B, 300, T0 - 3 * HOUR_MS),
    send(B, C, 200, T0 - 2 * HOUR_MS),
    send(A, C, 100, T0 - 10 * MINUTE_MS),
    send(C, A, 50, T0 - 5 * MINUTE_MS),
  ];

  test('replaying records gives the features live observation gave', { timeout }, () => {
    const live = createFeatureStore();
    for (const txn of history) live.observe(txn);
    const rebuilt = createFeatureStore();
    assert.equal(replayTransactions(rebuilt, history), history.length);
    const probe = send(A, B, 400, T0);
    assert.deepEqual(Array.from(features(rebuilt, probe)), Array.from(features(live, probe)));
  });

  test('from the journal: newest records, oldest first, within the window', {
    timeout,
  }, async () => {
    const records = history.map((txn, seq) => ({
      seq,
      stream: 'txn',
      key: `R${seq}`,
      body: JSON.stringify({ ...txn, receipt: `R${seq}` }),
      timestamp: txn.timestampMs,
      balances: null,
    }));
    const source = {
      latestRecords: async (_stream: string, limit: number) => records.slice(-limit).reverse(),
    };
    const store = createFeatureStore();
    const result = await replayFromJournal(store, source, { nowMs: T0, windowMs: 2.5 * HOUR_MS });
    assert.equal(result.read, 4);
    assert.equal(result.observed, 3, 'the record older than the window is skipped');
    assert.equal(features(store, send(A, B, 1, T0))[F.payer_count_24h], 1);
  });
});
