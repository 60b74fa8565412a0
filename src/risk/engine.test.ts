import assert from 'node:assert/strict';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, test } from 'node:test';
import type { PaymentsHooks } from '../payments/context.ts';
import { defaultMarketConfig } from '../payments/market-config.ts';
import { createRiskEngine } from './engine.ts';
import { createFeatureStore } from './features.ts';
import { HOUR_MS } from './limits.ts';
import {
  HAND_BUILT_FEATURES,
  HAND_BUILT_TRAINING,
  xgboostModel,
  xgboostTree,
} from './model/fixtures.ts';
import { createModelEnvelope, type ModelEnvelope } from './model/model-file.ts';
import type { RiskTransaction } from './model.ts';
import { DEFAULT_RULES } from './rules.ts';
import { FEATURE_COUNT, FEATURE_INDEX, FEATURE_SPECS, type FeatureName } from './schema.ts';

const T0 = Date.UTC(2025, 3, 7, 9);
const timeout = 30_000;
const clock = { nowMs: () => T0 };

/** A one-split model on the serving schema: `feature` below `threshold` is safe, above is fraud. */
function stump(
  feature: FeatureName,
  threshold: number,
  version: string,
  thresholds = { step_up: 0.5, hold: 0.8, block: 0.95 },
): ModelEnvelope {
  const tree = xgboostTree(
    0,
    {
      left: [1, -1, -1],
      right: [2, -1, -1],
      feature: [FEATURE_INDEX[feature], 0, 0],
      condition: [threshold, -4, 4],
      defaultLeft: [1, 0, 0],
      hessian: [10, 9, 1],
    },
    FEATURE_COUNT,
  );
  return createModelEnvelope({
    features: FEATURE_SPECS,
    xgboost: xgboostModel([tree], { featureCount: FEATURE_COUNT }),
    training: HAND_BUILT_TRAINING,
    createdAt: new Date(T0),
    version,
    thresholds,
  });
}

const payment: RiskTransaction = {
  type: 'send_money',
  from: { kind: 'customer', id: '254733000001' },
  to: { kind: 'customer', id: '254733000002' },
  amountCents: 50_000,
  timestampMs: T0,
  fromBalanceCents: 60_000,
};

function engineWith(model?: ModelEnvelope) {
  return createRiskEngine({ features: createFeatureStore(), rules: DEFAULT_RULES, model, clock });
}

describe('risk engine', () => {
  test('score bands map to actions, with the features behind a flagged score', { timeout }, () => {
    // drain_ratio 0.83 ≥ 0.5: the model says fraud (p ≈ 0.98 ≥ block), and a SIM swap an hour
    // ago corroborates it.
    const engine = engineWith(stump('drain_ratio', 0.5, 'drain-v1'));
    engine.recordEvent({ msisdn: '0733000001', type: 'sim_swap', atMs: T0 - HOUR_MS });
    const decision = engine.assess(payment);
    assert.equal(decision.action, 'block');
    assert.equal(decision.reasons.at(-1)?.name, 'sim_swap_age_h_log');
    assert.equal(decision.modelVersion, 'drain-v1');
    assert.ok(decision.score > 0.95);
    assert.equal(decision.rule, undefined);
    assert.equal(decision.reasons[0].name, 'drain_ratio');
    assert.ok(Math.abs(decision.reasons[0].value - 500 / 600) < 1e-9);
    assert.ok(decision.reasons[0].contribution > 0);
    const low = engineWith(stump('drain_ratio', 0.9, 'drain-v2')).assess(payment);
    assert.deepEqual([low.action, low.reasons.length], ['allow', 0]);
  });

  test('a score alone is ambiguous: block-band holds and hold-band steps up without evidence', {
    timeout,
  }, () => {
    const alone = engineWith(stump('drain_ratio', 0.5, 'drain-v1')).assess(payment);
    assert.equal(alone.action, 'hold');
    assert.ok(alone.score > 0.95);
    assert.equal(alone.reasons[0].name, 'drain_ratio');
    assert.equal(alone.reasons.at(-1)?.name, 'uncorroborated_score');
    const holdBand = { step_up: 0.5, hold: 0.9, block: 0.999 };
    const stepped = engineWith(stump('drain_ratio', 0.5, 'drain-v3', holdBand)).assess(payment);
    assert.equal(stepped.action, 'step_up');
    // A recipient collecting from many payers in the last day corroborates a hold.
    const engine = engineWith(stump('drain_ratio', 0.5, 'drain-v3', holdBand));
    for (let k = 0; k < 4; k++) {
      const other = { kind: 'customer', id: `25473300010${k}` };
      engine.observe({ ...payment, from: other, timestampMs: T0 - (k + 1) * HOUR_MS });
    }
    const collected = engine.assess(payment);
    assert.equal(collected.action, 'hold');
    assert.equal(collected.reasons.at(-1)?.name, 'recipient_fan_in_24h');
  });

  test("an agent's or till's many payers corroborate nothing: collecting is their trade", {
    timeout,
  }, () => {
    const holdBand = { step_up: 0.5, hold: 0.9, block: 0.999 };
    const engine = engineWith(stump('drain_ratio', 0.5, 'drain-v4', holdBand));
    const agent = { kind: 'agent', id: '560500' };
    const withdrawal = { ...payment, type: 'agent_withdrawal', to: agent };
    for (let k = 0; k < 6; k++) {
      const other = { kind: 'customer', id: `25473300020${k}` };
      engine.observe({ ...withdrawal, from: other, timestampMs: T0 - (k + 1) * HOUR_MS });
    }
    const decision = engine.assess(withdrawal);
    assert.equal(decision.action, 'step_up', 'a hold-band score without evidence steps up');
    assert.equal(decision.reasons.at(-1)?.name, 'uncorroborated_score');
  });

  test("split amounts corroborate per recipient, not an agent's near-top deposits to many", {
    timeout,
  }, () => {
    const holdBand = { step_up: 0.5, hold: 0.9, block: 0.999 };
    const engine = createRiskEngine({
      features: createFeatureStore({ commissionBands: defaultMarketConfig().commissions }),
      rules: DEFAULT_RULES,
      model: stump('amount_log', Math.log1p(2_000), 'amount-v1', holdBand),
      clock,
    });
    const deposit = (to: string, atMs: number, amountCents = 248_000): RiskTransaction => ({
      type: 'agent_deposit',
      from: { kind: 'agent', id: '400100' },
      to: { kind: 'customer', id: to },
      amountCents,
      timestampMs: atMs,
    });
    // Six customers' deposits, each just under the top of its own band (none of the same amount).
    [345_000, 490_000, 740_000, 980_000, 1_480_000, 1_980_000].forEach((cents, k) => {
      engine.observe(deposit(`25473300030${k}`, T0 - (30 - k) * 60_000, cents));
    });
    const busy = engine.assess(deposit('254733000001', T0));
    assert.equal(busy.action, 'step_up', 'six near-top deposits to six customers are no pattern');
    assert.equal(busy.reasons.at(-1)?.name, 'uncorroborated_score');
    engine.observe(deposit('254733000001', T0 - 2 * 60_000));
    engine.observe(deposit('254733000001', T0 - 60_000));
    const split = engine.assess(deposit('254733000001', T0));
    assert.equal(split.action, 'hold');
    assert.equal(split.reasons.at(-1)?.name, 'pair_near_band_top_1h');
  });

  test('without a model the rules decide alone', { timeout }, () => {
    const engine = engineWith();
    engine.recordEvent({ msisdn: '0733000001', type: 'sim_swap', atMs: T0 - HOUR_MS });
    engine.recordEvent({ msisdn: '0733000001', type: 'device_change', atMs: T0 - HOUR_MS });
    const decision = engine.assess({ ...payment, fromBalanceCents: 50_000 });
    assert.deepEqual(
      [decision.action, decision.rule, decision.score, decision.modelVersion],
      ['block', 'sim_swap_new_device_drain', 0, undefined],
    );
    assert.equal(engine.assess({ ...payment, fromBalanceCents: undefined }).action, 'allow');
  });

  test('a rule at least as severe as the band decides; a harsher band overrides a milder rule', {
    timeout,
  }, () => {
    const engine = engineWith(stump('drain_ratio', 0.5, 'drain-v1'));
    engine.recordEvent({ msisdn: '0733000001', type: 'device_change', atMs: T0 - HOUR_MS });
    const large = { ...payment, amountCents: 3_000_000, fromBalanceCents: 100_000_000 };
    // New device + new recipient + KES 30,000 → step-up rule; drain 0.03 → the model allows.
    assert.equal(engine.assess(large).rule, 'new_device_new_recipient_large');
    const drained = { ...large, fromBalanceCents: 3_100_000 };
    const decision = engine.assess(drained);
    assert.deepEqual([decision.action, decision.rule], ['block', undefined]);
  });

  test('a new model takes effect on the next assess; a wrong schema is refused and the old one stays', {
    timeout,
  }, async () => {
    const engine = engineWith(stump('drain_ratio', 0.9, 'v1'));
    assert.equal(engine.assess(payment).action, 'allow');
    const swapped = engine.swapModel(stump('drain_ratio', 0.5, 'v2'));
    assert.deepEqual(swapped, { ok: true, version: 'v2' });
    const after = engine.assess(payment);
    assert.deepEqual([after.action, after.modelVersion], ['hold', 'v2']);

    const foreign = createModelEnvelope({
      features: HAND_BUILT_FEATURES.map((name) => ({ name, type: 'float' as const })),
      xgboost: xgboostModel([
        xgboostTree(0, {
          left: [-1],
          right: [-1],
          feature: [0],
          condition: [5],
          defaultLeft: [0],
          hessian: [1],
        }),
      ]),
      training: HAND_BUILT_TRAINING,
      createdAt: new Date(T0),
      version: 'foreign',
    });
    const refused = engine.swapModel(foreign);
    assert.equal(refused.ok, false);
    if (!refused.ok) assert.equal(refused.error.code, 'schema-mismatch');
    assert.equal(engine.assess(payment).modelVersion, 'v2');

    const bad = engine.swapModel(
      stump('drain_ratio', 0.5, 'v3', { step_up: 0.9, hold: 0.5, block: 0.95 }),
    );
    assert.equal(bad.ok, false, 'thresholds that do not rise are refused');
    assert.equal(engine.stats().modelVersion, 'v2');

    const dir = await mkdtemp(join(tmpdir(), 'malipo-engine-'));
    try {
      await writeFile(join(dir, 'model.json'), JSON.stringify(stump('amount_log', 20, 'v4')));
      assert.deepEqual(await engine.loadModel(join(dir, 'model.json')), {
        ok: true,
        version: 'v4',
      });
      assert.equal(engine.assess(payment).action, 'allow');
      assert.equal((await engine.loadModel(join(dir, 'missing.json'))).ok, false);
      assert.equal(engine.assess(payment).modelVersion, 'v4');
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });

  test('assess plugs into the payments hook as it is', { timeout }, () => {
    const engine = engineWith(stump('drain_ratio', 0.5, 'v1'));
    // A compile-time contract: the lead's hook takes the engine's methods unchanged.
    const hooks: PaymentsHooks = { assess: engine.assess, committed: engine.observe };
    assert.equal(
      hooks.assess?.({
        ...payment,
        receipt: 'R1',
        requestKey: 'k',
        feeCents: 0,
        from: { ...payment.from, kind: 'customer', account: 'wallet:254733000001' },
        to: { ...payment.to, kind: 'customer', account: 'wallet:254733000002' },
      })?.action,
      'hold',
    );
  });

  test('assess changes no state; observe and events do', { timeout }, () => {
    const engine = engineWith(stump('drain_ratio', 0.5, 'v1'));
    engine.assess(payment);
    assert.equal(engine.stats().features.parties, 0);
    engine.observe(payment);
    assert.equal(engine.stats().features.parties, 2);
    assert.deepEqual(engine.stats().decisions, { allow: 0, step_up: 0, hold: 1, block: 0 });
  });
});
