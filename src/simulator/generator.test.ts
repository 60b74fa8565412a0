import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { describe, test } from 'node:test';
import { defaultMarketConfig } from '../payments/market-config.ts';
import {
  DEFAULT_START_MS,
  generateEvents,
  populationOf,
  type SimulatorConfig,
} from './generator.ts';
import { TYPOLOGIES } from './model.ts';
import { labelledItems, toRiskTransaction } from './stream.ts';
import { feeCents } from './world.ts';

const timeout = 120_000;
const config: SimulatorConfig = { seed: 7, customers: 1_000, startMs: DEFAULT_START_MS, days: 3 };

function digest(c: SimulatorConfig): { hash: string; count: number } {
  const hash = createHash('sha256');
  let count = 0;
  for (const event of generateEvents(c)) {
    hash.update(JSON.stringify(event));
    count += 1;
  }
  return { hash: hash.digest('hex'), count };
}

describe('population simulator', () => {
  test('the same seed gives the identical stream; another seed a different one', {
    timeout,
  }, () => {
    const first = digest(config);
    const again = digest(config);
    const other = digest({ ...config, seed: 8 });
    assert.ok(first.count > 5_000, `only ${first.count} events`);
    assert.deepEqual(again, first);
    assert.notEqual(other.hash, first.hash);
    assert.deepEqual(
      populationOf(config).customers.slice(0, 50),
      populationOf(config).customers.slice(0, 50),
    );
  });

  test('events come in time order, numbered, inside the simulated period', { timeout }, () => {
    let previous = config.startMs;
    let seq = 0;
    const end = config.startMs + config.days * 86_400_000;
    for (const event of generateEvents(config)) {
      assert.ok(event.atMs >= previous && event.atMs < end, `event ${event.seq} at ${event.atMs}`);
      assert.equal(event.seq, seq++);
      previous = event.atMs;
    }
  });

  test('every typology is injected and labelled; labels never enter the transaction', {
    timeout,
  }, () => {
    const scaled = {
      ...config,
      fraudRates: {
        simSwapTakeover: 20,
        wrongSendScam: 20,
        depositSplitting: 20,
        muleRing: 10,
        velocityBurst: 20,
      },
    };
    const seen = new Set<string>();
    let swaps = 0;
    for (const event of generateEvents(scaled)) {
      if (event.command.kind === 'operator_event' && event.command.type === 'sim_swap') swaps += 1;
      if (event.label === undefined) continue;
      seen.add(event.label.typology);
      const txn = toRiskTransaction(event);
      assert.ok(txn !== null);
      const text = JSON.stringify(txn);
      for (const word of [...TYPOLOGIES, 'typology', 'label', 'campaign', 'mule'])
        assert.ok(!text.includes(word), text);
    }
    assert.deepEqual([...seen].sort(), [...TYPOLOGIES].sort());
    assert.ok(swaps > 0);
    for (const item of labelledItems(generateEvents({ ...config, days: 1 }))) {
      if (item.kind === 'txn') assert.ok(!('label' in item.txn));
    }
  });

  test('the simulated world never pays money it does not have', { timeout }, () => {
    const population = populationOf(config);
    const market = defaultMarketConfig();
    const balances = population.customers.map((c) => c.initialBalanceCents);
    const index = (msisdn: string) => population.byMsisdn.get(msisdn)!;
    const world = { market } as Parameters<typeof feeCents>[0];
    for (const event of generateEvents(config, population)) {
      const c = event.command;
      if (c.kind === 'deposit' || c.kind === 'b2c') balances[index(c.to)] += c.amountCents;
      if (c.kind === 'reversal') {
        balances[index(c.from)] -= c.amountCents;
        balances[index(c.requester)] += c.amountCents;
        assert.ok(balances[index(c.from)] >= 0);
      }
      if (
        c.kind === 'send_money' ||
        c.kind === 'paybill' ||
        c.kind === 'buy_goods' ||
        c.kind === 'withdraw' ||
        c.kind === 'airtime'
      ) {
        assert.equal(
          event.fromBalanceCents,
          balances[index(c.from)],
          'the payer balance the event reports',
        );
        balances[index(c.from)] -=
          c.amountCents + (feeCents(world, c.kind, c.amountCents) ?? Number.NaN);
        assert.ok(balances[index(c.from)] >= 0, `${event.key} overdraws ${c.from}`);
        if (c.kind === 'send_money') balances[index(c.to)] += c.amountCents;
      }
    }
  });
});
