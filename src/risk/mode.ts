// How the server applies the risk engine's decisions (`--risk`, MALIPO_RISK_MODE):
// - enforce: step-up, hold and block act on the payment (production's default);
// - shadow: every decision is computed and recorded with `shadow: true`, none is acted on (the
//   sandbox's default, so a partner's test suite is never held or blocked by a model that learned
//   what real customers do; docs/decisions/0010);
// - off: nothing is scored and nothing is recorded.
// On a sandbox server the trigger amounts of src/sandbox/triggers.ts force an outcome in every
// mode: a partner asked for it explicitly, so it is enforced even when scoring is not.

import { riskTriggerFor } from '../sandbox/triggers.ts';
import type { RiskEngine } from './engine.ts';
import type { RiskDecision, RiskTransaction } from './model.ts';

export const RISK_MODES = ['enforce', 'shadow', 'off'] as const;
export type RiskMode = (typeof RISK_MODES)[number];

/** The rule name a sandbox trigger's decision carries, so logs and the portal can tell it apart. */
export const SANDBOX_TRIGGER_RULE = 'sandbox-trigger';

/** A decision as the payments path records it: shadow decisions are recorded, not enforced. */
export type AppliedDecision = RiskDecision & { readonly shadow?: true };

/** A mode from a flag or an environment variable; an unknown value is an error naming the choices. */
export function parseRiskMode(
  value: string,
  source: string,
): { ok: true; mode: RiskMode } | { ok: false; message: string } {
  const mode = RISK_MODES.find((m) => m === value.trim().toLowerCase());
  if (mode !== undefined) return { ok: true, mode };
  return {
    ok: false,
    message: `${source}: '${value}' is not a risk mode; use one of ${RISK_MODES.join(', ')}`,
  };
}

/** The sandbox is scored in shadow; production enforces. */
export function defaultRiskMode(sandbox: boolean): RiskMode {
  return sandbox ? 'shadow' : 'enforce';
}

export interface AssessorOptions {
  readonly mode: RiskMode;
  /** Honour the sandbox trigger amounts (a sandbox server only). */
  readonly sandboxTriggers: boolean;
}

/**
 * The payments `assess` hook for this mode, or null when nothing is to be assessed at all (off,
 * without sandbox triggers). Returns undefined for a payment it does not decide on.
 */
export function riskAssessor(
  engine: RiskEngine,
  options: AssessorOptions,
): ((txn: RiskTransaction) => AppliedDecision | undefined) | null {
  const { mode, sandboxTriggers } = options;
  if (mode === 'off' && !sandboxTriggers) return null;
  return (txn) => {
    const forced = sandboxTriggers ? triggeredDecision(txn) : null;
    if (forced !== null) return forced;
    if (mode === 'off') return undefined;
    const decision = engine.assess(txn);
    return mode === 'shadow' ? { ...decision, shadow: true } : decision;
  };
}

function triggeredDecision(txn: RiskTransaction): RiskDecision | null {
  const action = riskTriggerFor(txn.amountCents);
  if (action === null) return null;
  return {
    action,
    score: 0,
    reasons: [
      { name: 'sandbox_trigger_amount_kes', value: txn.amountCents / 100, contribution: 0 },
    ],
    rule: SANDBOX_TRIGGER_RULE,
  };
}
