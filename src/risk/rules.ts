// Hard rules, evaluated before the model: blocklists and conditions over the named features.
//
// The configuration is plain JSON so operators can change it without a release: each rule names
// an action and a list of conditions written in natural units (cents, hours, days, counts), which
// compile once into the features' own scales (schema.ts), so evaluating a rule is a few array
// reads and comparisons. A missing value (NaN: no SIM swap ever, balance unknown) never matches.
// When several rules match, the most severe action wins; among equals, the first listed.

import { KENYA_MSISDN_CONFIG, type MsisdnConfig, normaliseMsisdn } from '../identity/msisdn.ts';
import { partyKey } from './features.ts';
import {
  BLOCKLIST_ENTRIES_MAX,
  RULE_CONDITIONS_MAX,
  RULE_NAME_CHARS_MAX,
  RULES_MAX,
} from './limits.ts';
import { type RiskReason, type RiskTransaction, type RuleAction, severityOf } from './model.ts';
import {
  FEATURE_INDEX,
  type FeatureName,
  fromFeatureScale,
  isFeatureName,
  toFeatureScale,
} from './schema.ts';

const RULE_ACTIONS: readonly RuleAction[] = ['step_up', 'hold', 'block'];

export const RULE_OPERATORS = ['lt', 'lte', 'gt', 'gte', 'eq'] as const;
export type RuleOperator = (typeof RULE_OPERATORS)[number];

export interface RuleCondition {
  readonly feature: FeatureName;
  readonly op: RuleOperator;
  /** In the feature's natural unit: cents for money, minutes/hours/days as its name says. */
  readonly value: number;
}

export interface RuleConfig {
  readonly name: string;
  readonly action: RuleAction;
  /** Transaction types the rule applies to; all types when absent. */
  readonly types?: readonly string[];
  /** Every condition must hold. */
  readonly when: readonly RuleCondition[];
}

export interface RulesConfig {
  /** MSISDNs (any format) or `kind:id` party keys whose payments are blocked. */
  readonly blockedPayers?: readonly string[];
  /** MSISDNs or party keys nobody may pay (mules reported by victims). */
  readonly blockedRecipients?: readonly string[];
  readonly rules: readonly RuleConfig[];
}

export interface RuleHit {
  readonly name: string;
  readonly action: RuleAction;
  readonly reasons: RiskReason[];
}

export interface CompiledRules {
  readonly config: RulesConfig;
  /** The most severe matching rule, or null. */
  evaluate(txn: RiskTransaction, features: Float64Array): RuleHit | null;
}

export type CompileRulesResult =
  | { readonly ok: true; readonly rules: CompiledRules }
  | { readonly ok: false; readonly problems: readonly string[] };

/** What a customer pays for: the types the takeover and velocity rules watch. */
export const CUSTOMER_PAID_TYPES = [
  'send_money',
  'send_unregistered',
  'paybill',
  'buy_goods',
  'agent_withdrawal',
  'atm_withdrawal',
  'airtime',
] as const;

const HOURS = 1;
const KES = 100;

/** The ladder of the reference doc (fraud-and-forecasting.md, "Suggested decision ladder"). */
export const DEFAULT_RULES: RulesConfig = {
  blockedPayers: [],
  blockedRecipients: [],
  rules: [
    {
      name: 'sim_swap_new_device_drain',
      action: 'block',
      types: CUSTOMER_PAID_TYPES,
      when: [
        { feature: 'sim_swap_age_h_log', op: 'lte', value: 24 * HOURS },
        { feature: 'device_change_age_h_log', op: 'lte', value: 24 * HOURS },
        { feature: 'drain_ratio', op: 'gte', value: 0.8 },
        { feature: 'new_recipient', op: 'eq', value: 1 },
      ],
    },
    {
      name: 'sim_swap_drain',
      action: 'hold',
      types: CUSTOMER_PAID_TYPES,
      when: [
        { feature: 'sim_swap_age_h_log', op: 'lte', value: 48 * HOURS },
        { feature: 'drain_ratio', op: 'gte', value: 0.5 },
        { feature: 'amount_log', op: 'gte', value: 1_000 * KES },
      ],
    },
    {
      name: 'new_device_new_recipient_large',
      action: 'step_up',
      types: CUSTOMER_PAID_TYPES,
      when: [
        { feature: 'device_change_age_h_log', op: 'lte', value: 72 * HOURS },
        { feature: 'new_recipient', op: 'eq', value: 1 },
        { feature: 'amount_log', op: 'gte', value: 20_000 * KES },
      ],
    },
    {
      name: 'velocity_count_10m',
      action: 'hold',
      types: CUSTOMER_PAID_TYPES,
      when: [{ feature: 'payer_count_10m', op: 'gte', value: 15 }],
    },
    {
      // Agent deposit splitting (GSMA 2024; CGAP 2012): one deposit cut into amounts just under a
      // commission band's top for the commission. The third such deposit from the same agent to
      // the same customer within the hour is asked to confirm.
      name: 'agent_split_deposit_pair',
      action: 'step_up',
      types: ['agent_deposit'],
      when: [
        { feature: 'band_position', op: 'gte', value: 0.9 },
        { feature: 'pair_count_1h', op: 'gte', value: 2 },
        { feature: 'pair_near_band_top_1h', op: 'gte', value: 2 },
      ],
    },
    {
      // A burst against the customer's own habit (decision 0025): the sixth payment in ten
      // minutes from someone who pays at a small fraction of that rate, whatever the products. A
      // trader's busy hour or a newcomer's first evening stays under it (no payment of the three
      // validation populations reaches it); a settled customer's stolen phone being emptied does.
      name: 'burst_against_habit',
      action: 'step_up',
      types: CUSTOMER_PAID_TYPES,
      when: [
        { feature: 'payer_count_10m', op: 'gte', value: 5 },
        { feature: 'payer_rate_ratio_1h', op: 'gte', value: 30 },
      ],
    },
    {
      name: 'velocity_amount_1h',
      action: 'step_up',
      types: CUSTOMER_PAID_TYPES,
      when: [{ feature: 'payer_amount_1h_log', op: 'gte', value: 200_000 * KES }],
    },
  ],
};

interface CompiledRule {
  readonly name: string;
  readonly action: RuleAction;
  readonly types: ReadonlySet<string> | null;
  readonly features: Int32Array;
  readonly ops: Uint8Array;
  readonly thresholds: Float64Array;
  readonly conditions: readonly RuleCondition[];
}

function holds(op: number, value: number, threshold: number): boolean {
  switch (op) {
    case 0:
      return value < threshold;
    case 1:
      return value <= threshold;
    case 2:
      return value > threshold;
    case 3:
      return value >= threshold;
    default:
      return value === threshold;
  }
}

function matches(rule: CompiledRule, txn: RiskTransaction, features: Float64Array): boolean {
  if (rule.types !== null && !rule.types.has(txn.type)) return false;
  for (let c = 0; c < rule.features.length; c++) {
    // NaN fails every comparison, so a missing value never triggers a rule.
    if (!holds(rule.ops[c], features[rule.features[c]], rule.thresholds[c])) return false;
  }
  return true;
}

function ruleReasons(rule: CompiledRule, features: Float64Array): RiskReason[] {
  return rule.conditions.map((condition) => ({
    name: condition.feature,
    value: fromFeatureScale(condition.feature, features[FEATURE_INDEX[condition.feature]]),
    contribution: 0,
  }));
}

function listHit(name: string, key: string): RuleHit {
  return { name, action: 'block', reasons: [{ name: key, value: 1, contribution: 0 }] };
}

function evaluate(
  compiled: readonly CompiledRule[],
  blocked: { payers: ReadonlySet<string>; recipients: ReadonlySet<string> },
  txn: RiskTransaction,
  features: Float64Array,
): RuleHit | null {
  if (blocked.payers.size > 0) {
    const key = partyKey(txn.from);
    if (blocked.payers.has(key)) return listHit('blocked_payer', key);
  }
  if (blocked.recipients.size > 0) {
    const key = partyKey(txn.to);
    if (blocked.recipients.has(key)) return listHit('blocked_recipient', key);
  }
  let best: CompiledRule | null = null;
  for (const rule of compiled) {
    if (best !== null && severityOf(rule.action) <= severityOf(best.action)) continue;
    if (matches(rule, txn, features)) best = rule;
  }
  return best === null
    ? null
    : { name: best.name, action: best.action, reasons: ruleReasons(best, features) };
}

/** A blocklist entry as a party key: an MSISDN becomes `customer:<E.164 digits>`. */
function blockKey(entry: unknown, msisdn: MsisdnConfig): string | null {
  if (typeof entry !== 'string') return null;
  if (/^[a-z_]+:[^\s:]+$/.test(entry)) return entry;
  const number = normaliseMsisdn(entry, msisdn);
  return number.ok ? `customer:${number.msisdn}` : null;
}

function compileList(
  entries: readonly string[] | undefined,
  what: string,
  msisdn: MsisdnConfig,
  problems: string[],
): Set<string> {
  const keys = new Set<string>();
  if (entries === undefined) return keys;
  if (!Array.isArray(entries) || entries.length > BLOCKLIST_ENTRIES_MAX) {
    problems.push(`${what} must be an array of at most ${BLOCKLIST_ENTRIES_MAX} entries`);
    return keys;
  }
  for (const entry of entries) {
    const key = blockKey(entry, msisdn);
    if (key === null)
      problems.push(`${what}: ${JSON.stringify(entry)} is not an MSISDN or kind:id`);
    else keys.add(key);
  }
  return keys;
}

function conditionProblem(condition: RuleCondition, where: string): string | null {
  if (typeof condition !== 'object' || condition === null) return `${where} is not an object`;
  if (!isFeatureName(String(condition.feature)))
    return `${where}: unknown feature ${JSON.stringify(condition.feature)}`;
  if (!RULE_OPERATORS.includes(condition.op))
    return `${where}: op must be one of ${RULE_OPERATORS.join(', ')}`;
  if (typeof condition.value !== 'number' || !Number.isFinite(condition.value))
    return `${where}: value must be a finite number`;
  return null;
}

function ruleProblems(rule: RuleConfig, index: number, names: Set<string>): string[] {
  const where = `rules[${index}]`;
  if (typeof rule !== 'object' || rule === null) return [`${where} is not an object`];
  const problems: string[] = [];
  if (typeof rule.name !== 'string' || !/^[a-z0-9_]+$/.test(rule.name)) {
    problems.push(`${where}: name must be lower-case letters, digits and _`);
  } else if (rule.name.length > RULE_NAME_CHARS_MAX || names.has(rule.name)) {
    problems.push(`${where}: name ${rule.name} is too long or used twice`);
  }
  names.add(String(rule.name));
  if (!RULE_ACTIONS.includes(rule.action))
    problems.push(`${where}: action must be step_up, hold or block`);
  if (
    rule.types !== undefined &&
    !(Array.isArray(rule.types) && rule.types.every((t) => typeof t === 'string'))
  )
    problems.push(`${where}: types must be an array of transaction types`);
  if (
    !Array.isArray(rule.when) ||
    rule.when.length === 0 ||
    rule.when.length > RULE_CONDITIONS_MAX
  ) {
    problems.push(`${where}: when must list 1..${RULE_CONDITIONS_MAX} conditions`);
    return problems;
  }
  rule.when.forEach((condition, c) => {
    const problem = conditionProblem(condition, `${where}.when[${c}]`);
    if (problem !== null) problems.push(problem);
  });
  return problems;
}

function compileRule(rule: RuleConfig): CompiledRule {
  return {
    name: rule.name,
    action: rule.action,
    types: rule.types === undefined ? null : new Set(rule.types),
    features: Int32Array.from(rule.when, (c) => FEATURE_INDEX[c.feature]),
    ops: Uint8Array.from(rule.when, (c) => RULE_OPERATORS.indexOf(c.op)),
    thresholds: Float64Array.from(rule.when, (c) => toFeatureScale(c.feature, c.value)),
    conditions: rule.when.map((c) => ({ ...c })),
  };
}

/** Checks and compiles a rules configuration (e.g. read from a JSON file); never throws. */
export function compileRules(
  config: RulesConfig,
  options: { msisdn?: MsisdnConfig } = {},
): CompileRulesResult {
  const msisdn = options.msisdn ?? KENYA_MSISDN_CONFIG;
  if (typeof config !== 'object' || config === null || !Array.isArray(config.rules))
    return { ok: false, problems: ['rules config must be an object with a rules array'] };
  if (config.rules.length > RULES_MAX)
    return { ok: false, problems: [`at most ${RULES_MAX} rules`] };
  const problems: string[] = [];
  const payers = compileList(config.blockedPayers, 'blockedPayers', msisdn, problems);
  const recipients = compileList(config.blockedRecipients, 'blockedRecipients', msisdn, problems);
  const names = new Set<string>();
  config.rules.forEach((rule, index) => {
    problems.push(...ruleProblems(rule, index, names));
  });
  if (problems.length > 0) return { ok: false, problems };
  const compiled = config.rules.map(compileRule);
  const blocked = { payers, recipients };
  return {
    ok: true,
    rules: {
      config: structuredClone(config),
      evaluate: (txn, features) => evaluate(compiled, blocked, txn, features),
    },
  };
}
