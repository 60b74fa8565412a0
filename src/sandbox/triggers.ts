// Deterministic sandbox triggers: magic amounts that force one outcome, as payment sandboxes do
// (Stripe's test cards, Adyen's test amounts), so a partner can test each branch of their code
// without waiting for a real fraud score, a real wrong PIN or a real time-out. They act only on a
// sandbox server (MALIPO_MODE is not 'production'); docs/decisions/0010 explains the choice of
// amounts over references. The portal documents this table (src/portal/static/index.html).

/** Risk outcomes a payment of exactly this many shillings gets, whatever the engine would say. */
export const RISK_TRIGGER_AMOUNTS_KES = {
  step_up: 9_001,
  hold: 9_002,
  block: 9_003,
} as const;

export type TriggeredRiskAction = keyof typeof RISK_TRIGGER_AMOUNTS_KES;

/**
 * How a customer answers an M-Pesa Express (STK) prompt for exactly this many shillings: the same
 * answers a sandbox test customer can be set to give, here per request and for any customer.
 */
export const STK_TRIGGER_AMOUNTS_KES = {
  insufficient_funds: 9_004,
  wrong_pin: 9_005,
  unreachable: 9_006,
  cancel: 9_007,
} as const;

export type TriggeredStkAnswer = keyof typeof STK_TRIGGER_AMOUNTS_KES;

const CENTS_PER_KES = 100;

function byCents<K extends string>(table: Record<K, number>): Map<number, K> {
  return new Map(
    (Object.entries(table) as [K, number][]).map(([key, kes]) => [kes * CENTS_PER_KES, key]),
  );
}

const RISK_BY_CENTS = byCents(RISK_TRIGGER_AMOUNTS_KES);
const STK_BY_CENTS = byCents(STK_TRIGGER_AMOUNTS_KES);

/** The risk outcome a sandbox trigger amount forces, or null for any other amount. */
export function riskTriggerFor(amountCents: number): TriggeredRiskAction | null {
  return RISK_BY_CENTS.get(amountCents) ?? null;
}

/** The STK answer a sandbox trigger amount forces, or null for any other amount. */
export function stkTriggerFor(amountCents: number): TriggeredStkAnswer | null {
  return STK_BY_CENTS.get(amountCents) ?? null;
}
