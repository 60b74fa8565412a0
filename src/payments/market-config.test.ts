import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { checkAmount } from './limits.ts';
import { defaultMarketConfig, loadMarketConfig, MarketConfigError } from './market-config.ts';
import { quoteFee } from './tariffs.ts';

const KE_JSON = new URL('./config/ke.json', import.meta.url);
/** A fresh, mutable copy of the Kenyan document for each test to break. */
// biome-ignore lint/suspicious/noExplicitAny: tests poke at arbitrary paths of a JSON document.
function keDocument(): any {
  return JSON.parse(readFileSync(KE_JSON, 'utf8'));
}

function problemsOf(doc: unknown): readonly string[] {
  try {
    loadMarketConfig(doc as object);
  } catch (error) {
    assert.ok(error instanceof MarketConfigError, String(error));
    return error.problems;
  }
  assert.fail('expected the config to be refused');
}

describe('defaultMarketConfig', () => {
  const config = defaultMarketConfig();

  it('is Kenya with M-Pesa limits', () => {
    assert.deepEqual(config.market, { code: 'KE', name: 'Kenya' });
    assert.deepEqual(config.currency, { code: 'KES', ledger: 404, minorUnitScale: 100 });
    assert.equal(config.utcOffsetMinutes, 180);
    assert.equal(config.msisdn.countryCode, '254');
    assert.equal(config.limits.transactionMaxCents, 25_000_000);
    assert.equal(config.limits.dailyValueMaxCents, 50_000_000);
    assert.equal(config.limits.walletBalanceMaxCents, 50_000_000);
    assert.equal(
      config.limits.byType.send_money.maxCents,
      25_000_000,
      'a type without a maximum inherits the ceiling',
    );
    assert.equal(config.tariffs.exciseRateBasisPoints, 1_500);
    assert.equal(config.overdraft.exciseRateBasisPoints, 2_000);
    assert.equal(config.pin.policy.attemptsMax, 3);
    assert.equal(config.sms.currencyPrefix, 'Ksh');
  });

  it('is deeply frozen', () => {
    assert.ok(Object.isFrozen(config));
    assert.ok(Object.isFrozen(config.tariffs.tables.send_money.bands[2]));
    assert.throws(() => {
      (config.limits as { dailyValueMaxCents: number }).dailyValueMaxCents = 1;
    }, TypeError);
  });

  it('does not freeze or share the caller’s object', () => {
    const doc = keDocument();
    const loaded = loadMarketConfig(doc);
    assert.equal(Object.isFrozen(doc.limits), false);
    doc.limits.dailyValueMaxCents = 1;
    assert.equal(loaded.limits.dailyValueMaxCents, 50_000_000);
  });
});

describe('another market', () => {
  const dir = mkdtempSync(join(tmpdir(), 'malipo-market-'));
  after(() => rmSync(dir, { recursive: true, force: true }));

  it('loads its own tables from a file and the lookups use them', () => {
    const doc = keDocument();
    doc.market = { code: 'TZ', name: 'Tanzania' };
    doc.currency = { code: 'TZS', ledger: 834, minorUnitScale: 100 };
    doc.tariffs.exciseRateBasisPoints = 1_000;
    doc.tariffs.tables.send_money.bands[2].feeCents = 999;
    doc.limits.byType.send_money.minCents = 1_000;
    const file = join(dir, 'tz.json');
    writeFileSync(file, JSON.stringify(doc));
    const tz = loadMarketConfig(file);
    assert.equal(tz.currency.code, 'TZS');
    const quote = quoteFee(tz.tariffs, { type: 'send_money', amountCents: 20_000 });
    assert.ok(quote.ok);
    assert.deepEqual([quote.feeCents, quote.exciseCents], [999, 91]); // 999 × 10/110 = 90.8
    assert.equal(checkAmount(tz.limits, 'send_money', 900).ok, false);
  });

  it('reports a file that is not JSON', () => {
    const file = join(dir, 'broken.json');
    writeFileSync(file, '{ "market": ');
    assert.throws(
      () => loadMarketConfig(file),
      (error: unknown) => {
        assert.ok(error instanceof MarketConfigError);
        assert.match(error.message, /broken\.json: 1 problem\(s\)\n {2}- not valid JSON/);
        return true;
      },
    );
  });
});

describe('validation names the offending path', () => {
  it('rejects overlapping, gapped and inverted bands', () => {
    const doc = keDocument();
    doc.tariffs.tables.send_money.bands[3].minCents = 40_000;
    doc.tariffs.tables.agent_withdrawal.bands[2].minCents += 100;
    doc.overdraft.dailyFeeBands[1].maxCents = 5;
    const problems = problemsOf(doc);
    assert.ok(
      problems.includes(
        'tariffs.tables.send_money.bands[3].minCents: 40000 overlaps or precedes the band before (expected 50001)',
      ),
      problems.join('\n'),
    );
    assert.ok(
      problems.includes(
        'tariffs.tables.agent_withdrawal.bands[2].minCents: 50101 leaves a gap after the band before (expected 50001)',
      ),
    );
    assert.ok(
      problems.includes('overdraft.dailyFeeBands[1]: minCents 10001 is greater than maxCents 5'),
    );
  });

  it('rejects unknown, missing and mistyped fields, all in one report', () => {
    const doc = keDocument();
    doc.tariffs.tables.send_money.bands[0].feeCent = 0;
    delete doc.limits.dailyValueMaxCents;
    doc.currency.minorUnitScale = 3;
    doc.pin.policy.rejectTrivial = 'yes';
    doc.tariffs.tables.b2c.payer = 'nobody';
    doc.surprise = true;
    assert.deepEqual(
      new Set(problemsOf(doc)),
      new Set([
        'tariffs.tables.send_money.bands[0].feeCent: unknown field (expected one of: minCents, maxCents, feeCents, rateBasisPoints, capCents)',
        'limits.dailyValueMaxCents: must be an integer from 1 to 1000000000000000 (got missing)',
        'currency.minorUnitScale: must be one of 1, 10, 100, 1000',
        'pin.policy.rejectTrivial: must be true or false',
        'tariffs.tables.b2c.payer: must be one of "sender", "receiver", "split"',
        'surprise: unknown field (expected one of: market, currency, utcOffsetMinutes, msisdn, receipts, tariffs, commissions, overdraft, limits, pin, sms)',
      ]),
    );
  });

  it('rejects fractional money and ambiguous fee rules', () => {
    const doc = keDocument();
    doc.tariffs.tables.send_money.bands[2].feeCents = 7.5;
    doc.tariffs.tables.send_money.bands[3].rateBasisPoints = 10;
    doc.tariffs.tables.send_money.bands[4] = {
      minCents: 100_001,
      maxCents: 150_000,
      feeCents: 2_300,
      capCents: 10,
    };
    const problems = problemsOf(doc);
    assert.ok(
      problems.includes(
        'tariffs.tables.send_money.bands[2].feeCents: must be an integer from 0 to 1000000000000000 (got 7.5)',
      ),
    );
    assert.ok(
      problems.includes(
        'tariffs.tables.send_money.bands[3]: give exactly one of feeCents or rateBasisPoints',
      ),
    );
    assert.ok(
      problems.includes(
        'tariffs.tables.send_money.bands[4].capCents: only a rateBasisPoints fee can have a cap',
      ),
    );
  });

  it('requires tariffs and commissions to cover every amount the limits allow', () => {
    const doc = keDocument();
    doc.limits.byType.send_unregistered.minCents = 100;
    doc.limits.byType.agent_deposit.minCents = 500;
    assert.deepEqual(problemsOf(doc), [
      'tariffs.tables.send_unregistered.bands: bands must cover limits.byType.send_unregistered (100..25000000 cents)',
      'commissions.agent_deposit.bands: bands must cover limits.byType.agent_deposit (500..25000000 cents)',
    ]);
  });

  it('refuses a withdrawal commission larger than the fee it is paid from', () => {
    const doc = keDocument();
    doc.commissions.agent_withdrawal.bands[0].commissionCents = 1_100;
    assert.deepEqual(problemsOf(doc), [
      'commissions.agent_withdrawal: commission 1100 cents at 5000 cents exceeds the net fee 957 cents',
    ]);
  });

  it('checks SMS templates against the placeholders of their type', () => {
    const doc = keDocument();
    doc.sms.templates.send_money_sender = '{receipt} Confirmed. {amout} sent';
    doc.sms.templates.paybill_payer = '{receipt} {amount:masked}';
    doc.sms.templates.airtime = '{receipt} {amount';
    delete doc.sms.templates.pin_change;
    const problems = problemsOf(doc);
    assert.deepEqual(problems, [
      'sms.templates.pin_change: must be a non-blank text (got missing)',
    ]);
    doc.sms.templates.pin_change = '{receipt} PIN changed.';
    const rest = problemsOf(doc);
    assert.match(
      rest[0]!,
      /^sms\.templates\.send_money_sender: unknown placeholder \{amout\} \(known for send_money_sender: receipt, amount/,
    );
    assert.equal(
      rest[1],
      "sms.templates.paybill_payer: {amount:masked} has no format 'masked' for a money value",
    );
    assert.equal(
      rest[2],
      "sms.templates.airtime: has a '{' or '}' that is not part of a {placeholder}",
    );
  });

  it('checks the PIN policy and scrypt parameters', () => {
    const doc = keDocument();
    doc.pin.policy.blockedPins = ['12345'];
    doc.pin.scrypt.cost = 3000;
    assert.deepEqual(problemsOf(doc), [
      'pin.scrypt: cost must be a power of two from 1024 to 1048576',
      "pin.policy.blockedPins[0]: '12345' does not have 4 digits",
    ]);
  });

  it('bounds lists and ignores _ comments', () => {
    const doc = keDocument();
    doc.tariffs.tables.airtime._source = 'anything';
    doc.msisdn.mobilePrefixes = Array.from({ length: 17 }, () => '7');
    assert.deepEqual(problemsOf(doc), ['msisdn.mobilePrefixes: at most 16 items (got 17)']);
  });

  it('refuses a document that is not an object', () => {
    assert.equal(problemsOf([])[0], '(root): must be an object');
  });
});

describe("tariffs.otherNetworks (Malipo's fee on a send to another network)", () => {
  it('is optional: without it a market charges no fee of its own', () => {
    const doc = keDocument();
    delete doc.tariffs.otherNetworks;
    assert.equal(loadMarketConfig(doc).tariffs.otherNetworks, null);
    assert.ok(defaultMarketConfig().tariffs.otherNetworks !== null, 'Kenya has one');
  });

  it('is paid by the sender and must price every amount a send allows', () => {
    const doc = keDocument();
    doc.tariffs.otherNetworks.payer = 'receiver';
    assert.ok(problemsOf(doc).includes("tariffs.otherNetworks.payer: must be 'sender'"));
    const short = keDocument();
    short.tariffs.otherNetworks.bands.pop();
    assert.deepEqual(problemsOf(short), [
      'tariffs.otherNetworks.bands: bands must cover limits.byType.send_money (100..25000000 cents)',
    ]);
  });
});
