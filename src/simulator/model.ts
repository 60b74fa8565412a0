// The population simulator's model: the commands simulated people and businesses give, the
// events the generator emits (a command at a simulated instant, with a fraud label kept on the
// side), and the fraud typologies it injects.
//
// Labels travel with the generated event only so they can be written to a side file; nothing
// that reaches the platform or the feature store carries them.

import type { OperatorEventType } from '../risk/model.ts';

/** Kenyan mobile-money fraud typologies (reference doc fraud-and-forecasting.md, A2). */
export const TYPOLOGIES = [
  'sim_swap_ato',
  'wrong_send_scam',
  'agent_deposit_splitting',
  'mule_fan_in_out',
  'velocity_burst',
] as const;
export type Typology = (typeof TYPOLOGIES)[number];

/**
 * A labelled transaction's part in its scheme: `loss` moves a victim's (or the operator's) money
 * away, `setup` prepares it (the real money in a reversal scam), `laundering` moves stolen money
 * on (mules forwarding and cashing out).
 */
export type FraudRole = 'loss' | 'setup' | 'laundering';

export interface FraudLabel {
  readonly typology: Typology;
  readonly role: FraudRole;
  /** Which campaign (one takeover, one ring) the transaction belongs to. */
  readonly campaign: number;
}

/** MSISDNs are E.164 digits without '+', as the platform keys customers. */
export type SimCommand =
  | {
      readonly kind: 'send_money';
      readonly from: string;
      readonly to: string;
      readonly amountCents: number;
    }
  | {
      readonly kind: 'paybill';
      readonly from: string;
      readonly shortcode: string;
      readonly accountReference: string;
      readonly amountCents: number;
      /** USSD menu, or the Daraja C2B simulate API (the business's own integration). */
      readonly via: 'ussd' | 'c2b';
    }
  | {
      readonly kind: 'buy_goods';
      readonly from: string;
      readonly tillNumber: string;
      readonly amountCents: number;
    }
  | {
      readonly kind: 'withdraw';
      readonly from: string;
      readonly agentNumber: string;
      readonly storeNumber: string;
      readonly amountCents: number;
    }
  | { readonly kind: 'airtime'; readonly from: string; readonly amountCents: number }
  | {
      readonly kind: 'deposit';
      readonly agentNumber: string;
      readonly storeNumber: string;
      readonly to: string;
      readonly amountCents: number;
    }
  | {
      readonly kind: 'b2c';
      readonly shortcode: string;
      readonly to: string;
      readonly amountCents: number;
      readonly commandId: 'SalaryPayment' | 'BusinessPayment';
    }
  | {
      /** The original sender asks for a send to be reversed; the money leaves `from`'s wallet. */
      readonly kind: 'reversal';
      readonly requester: string;
      readonly from: string;
      readonly originalKey: string;
      readonly amountCents: number;
    }
  | { readonly kind: 'operator_event'; readonly msisdn: string; readonly type: OperatorEventType };

export type SimCommandKind = SimCommand['kind'];

export interface SimEvent {
  /** Position in the stream, from 0. */
  readonly seq: number;
  /** Simulated instant (UTC milliseconds). */
  readonly atMs: number;
  /** Unique per seed: the simulator's own request key for the command. */
  readonly key: string;
  readonly command: SimCommand;
  /** The payer's balance in the simulated world just before the command, when it has one. */
  readonly fromBalanceCents?: number;
  readonly label?: FraudLabel;
}

export const KES = 100;
