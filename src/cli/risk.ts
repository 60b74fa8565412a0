// `malipo risk replay FILE`: a timestamped history through exactly the engine the server runs
// (the same feature store, rules, model and bands), each transaction assessed before it is
// observed, on a clock that is the history's own time rather than the wall clock. Prints the
// decisions and, when the file carries fraud labels, the metrics `eval:fraud` reports.

import { parseArgs } from 'node:util';
import { defaultMarketConfig } from '../payments/market-config.ts';
import { UNSCORED_ROLES } from '../risk/dataset.ts';
import { createRiskEngine } from '../risk/engine.ts';
import { createFeatureStore } from '../risk/features.ts';
import { readHistory } from '../risk/history.ts';
import { averagePrecision, operatingPoint, rocAuc } from '../risk/metrics.ts';
import type { RiskAction, RiskDecision, RiskTransaction } from '../risk/model.ts';
import { DEFAULT_RULES, type RulesConfig } from '../risk/rules.ts';
import { localMidnightOf } from './train.ts';

export const RISK_USAGE = `usage: malipo risk replay FILE [options]
  FILE                      JSON lines or CSV with timestamps, oldest first; PaySim's CSV layout
                            (step,type,amount,nameOrig,oldbalanceOrg,...,isFraud,isFlaggedFraud)
                            is recognised by its header
  --model FILE|none         model file (default models/fraud-model.json); none: rules only
  --start YYYY-MM-DD        the local day PaySim's step 0 starts (default 2025-03-03)
  --print flagged|all|none  decisions printed as JSON lines (default flagged)`;

export interface ReplayIo {
  log(line: string): void;
  error(line: string): void;
}

export interface ReplayOptions {
  readonly path: string;
  /** A model file path, or null for rules only. */
  readonly model: string | null;
  readonly paysimStartMs: number;
  readonly print: 'flagged' | 'all' | 'none';
  readonly rules?: RulesConfig;
}

export interface ReplaySummary {
  readonly transactions: number;
  readonly events: number;
  readonly skipped: number;
  readonly fraud: number;
  readonly actions: Record<RiskAction, number>;
  readonly legitFrictionRate: number;
  readonly legitBlockRate: number;
  /** Null without fraud labels (or without both classes). */
  readonly recallByValue: number | null;
  readonly rocAuc: number | null;
  readonly prAuc: number | null;
  readonly frictionByType: Record<string, { legit: number; flagged: number; rate: number }>;
}

function decisionLine(txn: RiskTransaction, decision: RiskDecision, fraud: boolean): string {
  return JSON.stringify({
    at: new Date(txn.timestampMs).toISOString(),
    ...(txn.receipt === undefined ? {} : { receipt: txn.receipt }),
    type: txn.type,
    from: `${txn.from.kind}:${txn.from.id}`,
    to: `${txn.to.kind}:${txn.to.id}`,
    amountCents: txn.amountCents,
    action: decision.action,
    score: Number(decision.score.toFixed(6)),
    ...(decision.rule === undefined ? {} : { rule: decision.rule }),
    reasons: decision.reasons.map((r) => r.name),
    ...(fraud ? { labelledFraud: true } : {}),
  });
}

interface Collected {
  scores: number[];
  labels: number[];
  amounts: number[];
  flagged: number[];
  blocked: number[];
  types: string[];
}

/** Replays a history through a fresh engine; prints decisions; returns the metrics. */
export async function replayHistory(options: ReplayOptions, io: ReplayIo): Promise<ReplaySummary> {
  const opened = new Map<string, number>();
  const features = createFeatureStore({
    commissionBands: defaultMarketConfig().commissions,
    accountOpenedAtMs: (party) => opened.get(`${party.kind}:${party.id}`),
  });
  // The history's own time: the engine never reads the wall clock during a replay.
  let nowMs = options.paysimStartMs;
  const engine = createRiskEngine({
    features,
    rules: options.rules ?? DEFAULT_RULES,
    clock: { nowMs: () => nowMs },
  });
  if (options.model !== null) {
    const loaded = await engine.loadModel(options.model);
    if (!loaded.ok) throw new Error(`${options.model}: ${loaded.error.message}`);
  }
  const c: Collected = { scores: [], labels: [], amounts: [], flagged: [], blocked: [], types: [] };
  const actions: Record<RiskAction, number> = { allow: 0, step_up: 0, hold: 0, block: 0 };
  let events = 0;
  let skipped = 0;
  for await (const line of readHistory(options.path, { paysimStartMs: options.paysimStartMs })) {
    if (line.kind === 'opened') opened.set(line.party, line.atMs);
    else if (line.kind === 'skipped') {
      skipped += 1;
      if (skipped <= 10) io.error(`${options.path}:${line.line}: skipped: ${line.problem}`);
    } else if (line.item.kind === 'event') {
      nowMs = line.item.event.atMs;
      engine.recordEvent(line.item.event);
      events += 1;
    } else {
      const { txn, label } = line.item;
      nowMs = txn.timestampMs;
      // As eval:fraud: a fraudster placing his own money (role 'setup') shapes the features but is
      // neither a loss nor legitimate behaviour.
      if (label !== undefined && UNSCORED_ROLES.has(label.role)) {
        engine.observe(txn);
        continue;
      }
      const decision = engine.assess(txn);
      engine.observe(txn);
      actions[decision.action] += 1;
      c.scores.push(decision.score);
      c.labels.push(label === undefined ? 0 : 1);
      c.amounts.push(txn.amountCents);
      c.flagged.push(decision.action === 'allow' ? 0 : 1);
      c.blocked.push(decision.action === 'block' ? 1 : 0);
      c.types.push(txn.type);
      const show =
        options.print === 'all' || (options.print === 'flagged' && decision.action !== 'allow');
      if (show) io.log(decisionLine(txn, decision, label !== undefined));
    }
  }
  return summarise(c, actions, events, skipped);
}

function summarise(
  c: Collected,
  actions: Record<RiskAction, number>,
  events: number,
  skipped: number,
): ReplaySummary {
  const fraud = c.labels.reduce((sum, l) => sum + l, 0);
  const legit = c.labels.length - fraud;
  const point = operatingPoint(c.flagged, c.labels, c.amounts);
  const bothClasses = fraud > 0 && legit > 0;
  const byType: ReplaySummary['frictionByType'] = {};
  let legitBlocked = 0;
  c.types.forEach((type, i) => {
    if (c.labels[i] === 1) return;
    const t = (byType[type] ??= { legit: 0, flagged: 0, rate: 0 });
    t.legit += 1;
    t.flagged += c.flagged[i];
    t.rate = t.flagged / t.legit;
    legitBlocked += c.blocked[i];
  });
  return {
    transactions: c.labels.length,
    events,
    skipped,
    fraud,
    actions,
    legitFrictionRate: legit === 0 ? 0 : point.legitFrictionRate,
    legitBlockRate: legit === 0 ? 0 : legitBlocked / legit,
    recallByValue: fraud === 0 ? null : point.recallByValue,
    rocAuc: bothClasses ? rocAuc(c.scores, c.labels) : null,
    prAuc: bothClasses ? averagePrecision(c.scores, c.labels) : null,
    frictionByType: byType,
  };
}

const pct = (x: number | null) => (x === null ? 'n/a' : `${(100 * x).toFixed(2)} %`);

function printSummary(s: ReplaySummary, io: ReplayIo): void {
  io.log(
    `replayed ${s.transactions} transactions and ${s.events} operator events (${s.skipped} lines skipped); ` +
      `actions ${JSON.stringify(s.actions)}`,
  );
  io.log(
    `legit friction ${pct(s.legitFrictionRate)}, legit blocks ${pct(s.legitBlockRate)}; labelled fraud ${s.fraud}: ` +
      `recall by value ${pct(s.recallByValue)}, ROC-AUC ${s.rocAuc?.toFixed(4) ?? 'n/a'}, PR-AUC ${s.prAuc?.toFixed(4) ?? 'n/a'}`,
  );
  for (const [type, t] of Object.entries(s.frictionByType).sort())
    io.log(
      `  ${type.padEnd(18)} legit ${String(t.legit).padStart(8)}  flagged ${String(t.flagged).padStart(6)}  ${pct(t.rate)}`,
    );
}

/** `malipo risk …`; returns the exit code. */
export async function runRiskCommand(args: string[], io: ReplayIo = console): Promise<number> {
  const [sub, ...rest] = args;
  if (sub === '--help' || sub === 'help' || sub === undefined) {
    (sub === undefined ? io.error : io.log)(RISK_USAGE);
    return sub === undefined ? 2 : 0;
  }
  let values: ReturnType<typeof parseReplayArgs>;
  try {
    if (sub !== 'replay') throw new RangeError(`unknown risk command ${sub}`);
    values = parseReplayArgs(rest);
  } catch (error) {
    io.error(`${(error as Error).message}\n${RISK_USAGE}`);
    return 2;
  }
  if (values === 'help') {
    io.log(RISK_USAGE);
    return 0;
  }
  printSummary(await replayHistory(values, io), io);
  return 0;
}

function parseReplayArgs(args: string[]): ReplayOptions | 'help' {
  const { values, positionals } = parseArgs({
    args,
    allowPositionals: true,
    options: {
      model: { type: 'string' },
      start: { type: 'string' },
      print: { type: 'string' },
      help: { type: 'boolean' },
    },
  });
  if (values.help === true) return 'help';
  if (positionals.length !== 1) throw new RangeError('risk replay takes one FILE');
  const print = values.print ?? 'flagged';
  if (print !== 'flagged' && print !== 'all' && print !== 'none')
    throw new RangeError('--print must be flagged, all or none');
  const model = values.model ?? 'models/fraud-model.json';
  return {
    path: positionals[0],
    model: model === 'none' ? null : model,
    paysimStartMs: localMidnightOf(values.start ?? '2025-03-03'),
    print,
  };
}
