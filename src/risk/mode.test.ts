// The risk modes as the payments hook sees them: what is enforced, recorded or skipped.
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { RISK_TRIGGER_AMOUNTS_KES } from '../sandbox/triggers.ts';
import { createRiskEngine } from './engine.ts';
import { createFeatureStore } from './features.ts';
import { riskAssessor, SANDBOX_TRIGGER_RULE } from './mode.ts';
import type { RiskTransaction } from './model.ts';
import { DEFAULT_RULES } from './rules.ts';

const T0 = Date.UTC(2026, 11, 7, 7);
const clock = { nowMs: () => T0 };
const payment: RiskTransaction = {
  type: 'send_money',
  from: { kind: 'customer', id: '254733000001' },
  to: { kind: 'customer', id: '254733000002' },
  amountCents: 50_000,
  timestampMs: T0,
  fromBalanceCents: 60_000,
};

function engineBlockingEverything() {
  // A blocklist rule stands in for any decision the engine would enforce.
  const rules = { ...DEFAULT_RULES, blockedPayers: ['254733000001'] };
  return createRiskEngine({ features: createFeatureStore(), rules, clock });
}

describe('risk modes', () => {
  test('enforce returns the decision as the engine makes it', () => {
    const assess = riskAssessor(engineBlockingEverything(), {
      mode: 'enforce',
      sandboxTriggers: false,
    });
    const decision = assess?.(payment);
    assert.equal(decision?.action, 'block');
    assert.equal(decision?.shadow, undefined);
  });

  test('shadow returns the same decision marked shadow', () => {
    const assess = riskAssessor(engineBlockingEverything(), {
      mode: 'shadow',
      sandboxTriggers: false,
    });
    const decision = assess?.(payment);
    assert.equal(decision?.action, 'block');
    assert.equal(decision?.shadow, true);
  });

  test('off installs nothing, or only the sandbox triggers', () => {
    const engine = engineBlockingEverything();
    assert.equal(riskAssessor(engine, { mode: 'off', sandboxTriggers: false }), null);
    const triggersOnly = riskAssessor(engine, { mode: 'off', sandboxTriggers: true });
    assert.equal(triggersOnly?.(payment), undefined, 'no scoring');
    const held = triggersOnly?.({ ...payment, amountCents: RISK_TRIGGER_AMOUNTS_KES.hold * 100 });
    assert.equal(held?.action, 'hold');
    assert.equal(held?.rule, SANDBOX_TRIGGER_RULE);
  });

  test('a trigger amount wins over shadow and counts only on a sandbox', () => {
    const engine = createRiskEngine({
      features: createFeatureStore(),
      rules: DEFAULT_RULES,
      clock,
    });
    const stepUp = { ...payment, amountCents: RISK_TRIGGER_AMOUNTS_KES.step_up * 100 };
    const sandbox = riskAssessor(engine, { mode: 'shadow', sandboxTriggers: true });
    assert.deepEqual(
      [sandbox?.(stepUp)?.action, sandbox?.(stepUp)?.shadow],
      ['step_up', undefined],
    );
    const production = riskAssessor(engine, { mode: 'enforce', sandboxTriggers: false });
    assert.equal(production?.(stepUp)?.action, 'allow');
  });
});
