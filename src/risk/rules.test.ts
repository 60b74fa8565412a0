import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { defaultMarketConfig } from '../payments/market-config.ts';
import { createFeatureStore } from './features.ts';
import { HOUR_MS, MINUTE_MS } from './limits.ts';
import type { RiskTransaction } from './model.ts';
import { compileRules, DEFAULT_RULES, type RulesConfig } from './rules.ts';
import { FEATURE_COUNT } from './schema.ts';

const T0 = Date.UTC(2025, 3, 7, 9);
const KES = 100;
const VICTIM = '254722000001';
const MULE = '254722000099';
const timeout = 30_000;

function send(
  from: string,
  to: string,
  kes: number,
  atMs = T0,
  balanceKes?: number,
): RiskTransaction {
  return {
    type: 'send_money',
    from: { kind: 'customer', id: from },
    to: { kind: 'customer', id: to },
    amountCents: kes * KES,
    timestampMs: atMs,
    ...(balanceKes === undefined ? {} : { fromBalanceCents: balanceKes * KES }),
  };
}

function compiled(config: RulesConfig) {
  const result = compileRules(config);
  assert.ok(result.ok, result.ok ? '' : result.problems.join('; '));
  return result.rules;
}

function evaluate(
  config: RulesConfig,
  store: ReturnType<typeof createFeatureStore>,
  txn: RiskTransaction,
) {
  return compiled(config).evaluate(txn, store.vector(txn, new Float64Array(FEATURE_COUNT)));
}

describe('hard rules', () => {
  test('deposits split just under a band top to the same customer ask for a confirmation', {
    timeout,
  }, () => {
    const store = createFeatureStore({ commissionBands: defaultMarketConfig().commissions });
    const deposit = (to: string, kes: number, atMs: number): RiskTransaction => ({
      type: 'agent_deposit',
      from: { kind: 'agent', id: '400100' },
      to: { kind: 'customer', id: to },
      amountCents: kes * KES,
      timestampMs: atMs,
    });
    for (const [kes, ago] of [
      [2_490, 3],
      [2_470, 2],
    ]) {
      const earlier = deposit(VICTIM, kes, T0 - ago * MINUTE_MS);
      assert.equal(evaluate(DEFAULT_RULES, store, earlier), null);
      store.observe(earlier);
    }
    const third = deposit(VICTIM, 2_480, T0);
    assert.equal(evaluate(DEFAULT_RULES, store, third)?.name, 'agent_split_deposit_pair');
    // Another customer, or a second deposit in the middle of its band, is ordinary.
    assert.equal(evaluate(DEFAULT_RULES, store, deposit(MULE, 2_480, T0)), null);
    assert.equal(evaluate(DEFAULT_RULES, store, deposit(VICTIM, 1_700, T0)), null);
  });

  test("a busy agent's near-top deposits to many customers do not make a customer's cash-ins a split", {
    timeout,
  }, () => {
    const store = createFeatureStore({ commissionBands: defaultMarketConfig().commissions });
    const deposit = (to: string, kes: number, atMs: number): RiskTransaction => ({
      type: 'agent_deposit',
      from: { kind: 'agent', id: '400100' },
      to: { kind: 'customer', id: to },
      amountCents: kes * KES,
      timestampMs: atMs,
    });
    // Other customers' deposits just under the band top, and two ordinary ones to this customer.
    for (let k = 0; k < 6; k++)
      store.observe(deposit(`2547220000${String(10 + k)}`, 2_480, T0 - (30 - k) * MINUTE_MS));
    store.observe(deposit(VICTIM, 1_200, T0 - 20 * MINUTE_MS));
    store.observe(deposit(VICTIM, 1_800, T0 - 10 * MINUTE_MS));
    assert.equal(evaluate(DEFAULT_RULES, store, deposit(VICTIM, 2_480, T0)), null);
  });

  test('blocklists block payments from and to listed parties, in any number format', {
    timeout,
  }, () => {
    const config: RulesConfig = {
      blockedPayers: ['0722 000 001'],
      blockedRecipients: ['+254722000099', 'agent:400100'],
      rules: [],
    };
    const store = createFeatureStore();
    assert.equal(evaluate(config, store, send(VICTIM, '254722000005', 10))?.name, 'blocked_payer');
    assert.equal(evaluate(config, store, send('254722000005', MULE, 10))?.action, 'block');
    const toAgent: RiskTransaction = {
      ...send('254722000005', '0', 10),
      type: 'agent_withdrawal',
      to: { kind: 'agent', id: '400100' },
    };
    assert.equal(evaluate(config, store, toAgent)?.name, 'blocked_recipient');
    assert.equal(evaluate(config, store, send('254722000005', '254722000006', 10)), null);
  });

  test('a drain to a new recipient within hours of a SIM swap and a new device is blocked', {
    timeout,
  }, () => {
    const store = createFeatureStore();
    store.recordEvent({ msisdn: VICTIM, type: 'sim_swap', atMs: T0 - 3 * HOUR_MS });
    store.recordEvent({ msisdn: VICTIM, type: 'device_change', atMs: T0 - 2 * HOUR_MS });
    const hit = evaluate(DEFAULT_RULES, store, send(VICTIM, MULE, 9_000, T0, 10_000));
    assert.equal(hit?.name, 'sim_swap_new_device_drain');
    assert.equal(hit?.action, 'block');
    assert.deepEqual(
      hit?.reasons.map((r) => r.name),
      ['sim_swap_age_h_log', 'device_change_age_h_log', 'drain_ratio', 'new_recipient'],
    );
    assert.ok(
      Math.abs((hit?.reasons[0].value ?? 0) - 3) < 1e-9,
      'reasons are in natural units (hours)',
    );
  });

  test('without the new device the same drain is held; without the swap nothing fires', {
    timeout,
  }, () => {
    const swapped = createFeatureStore();
    swapped.recordEvent({ msisdn: VICTIM, type: 'sim_swap', atMs: T0 - 30 * HOUR_MS });
    assert.equal(
      evaluate(DEFAULT_RULES, swapped, send(VICTIM, MULE, 9_000, T0, 10_000))?.name,
      'sim_swap_drain',
    );
    assert.equal(
      evaluate(DEFAULT_RULES, createFeatureStore(), send(VICTIM, MULE, 9_000, T0, 10_000)),
      null,
    );
    // Balance unknown: drain_ratio is missing, and a missing value never triggers a rule.
    assert.equal(evaluate(DEFAULT_RULES, swapped, send(VICTIM, MULE, 9_000, T0)), null);
  });

  test('new device + new recipient + large amount asks for a step-up', { timeout }, () => {
    const store = createFeatureStore();
    store.recordEvent({ msisdn: VICTIM, type: 'device_change', atMs: T0 - 10 * HOUR_MS });
    assert.equal(
      evaluate(DEFAULT_RULES, store, send(VICTIM, MULE, 25_000, T0, 200_000))?.action,
      'step_up',
    );
    assert.equal(evaluate(DEFAULT_RULES, store, send(VICTIM, MULE, 2_500, T0, 200_000)), null);
  });

  test("velocity caps count the payer's earlier payments in the window", { timeout }, () => {
    const store = createFeatureStore();
    for (let k = 0; k < 15; k++)
      store.observe(send(VICTIM, `25472200010${k % 10}`, 50, T0 - (9 * MINUTE_MS - k * 1_000)));
    assert.equal(
      evaluate(DEFAULT_RULES, store, send(VICTIM, MULE, 50))?.name,
      'velocity_count_10m',
    );
    const custom: RulesConfig = {
      rules: [
        {
          name: 'tiny_cap',
          action: 'step_up',
          types: ['airtime'],
          when: [{ feature: 'payer_count_10m', op: 'gte', value: 3 }],
        },
      ],
    };
    assert.equal(evaluate(custom, store, send(VICTIM, MULE, 50)), null, 'types filter');
    assert.equal(
      evaluate(custom, store, { ...send(VICTIM, MULE, 50), type: 'airtime' })?.name,
      'tiny_cap',
    );
  });

  test('the most severe matching rule wins', { timeout }, () => {
    const config: RulesConfig = {
      rules: [
        {
          name: 'soft',
          action: 'step_up',
          when: [{ feature: 'amount_log', op: 'gte', value: 100 * KES }],
        },
        {
          name: 'hard',
          action: 'hold',
          when: [{ feature: 'amount_log', op: 'gte', value: 1_000 * KES }],
        },
      ],
    };
    const store = createFeatureStore();
    assert.equal(evaluate(config, store, send(VICTIM, MULE, 500))?.name, 'soft');
    assert.equal(evaluate(config, store, send(VICTIM, MULE, 5_000))?.name, 'hard');
  });

  test('an invalid configuration is refused with every problem named', { timeout }, () => {
    const bad = compileRules({
      blockedPayers: ['12'],
      rules: [
        { name: 'Bad Name', action: 'allow' as never, when: [] },
        { name: 'x', action: 'hold', when: [{ feature: 'no_such' as never, op: 'gte', value: 1 }] },
        {
          name: 'y',
          action: 'hold',
          when: [{ feature: 'drain_ratio', op: 'gte', value: Number.NaN }],
        },
      ],
    });
    assert.equal(bad.ok, false);
    if (!bad.ok) assert.equal(bad.problems.length, 6, bad.problems.join('\n'));
    // The default configuration round-trips through JSON.
    assert.ok(compileRules(JSON.parse(JSON.stringify(DEFAULT_RULES))).ok);
  });
});
