import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import {
  createReceiptIssuer,
  localDate,
  parseReceipt,
  RECEIPT_SHARDS_MAX,
  RECEIPT_SUFFIX_SPACE,
  RECEIPTS_PER_SHARD_PER_DAY_MAX,
  receiptDatePrefix,
} from './receipts.ts';

const NAIROBI = 180;
const KEY = 'test-receipt-key-0123456789';
const WELL_FORMED = /^[A-Z][A-L][1-9A-V][0-9A-Z]{7}$/;

/** A timestamp at the given Nairobi wall-clock time. */
function nairobi(year: number, month: number, day: number, hour = 12, minute = 0): number {
  return Date.UTC(year, month - 1, day, hour, minute) - NAIROBI * 60_000;
}

describe('receipt date letters', () => {
  it('matches every dated M-Pesa sample in the reference', () => {
    const samples: [string, number, number, number][] = [
      ['LGH3197RIB', 2017, 7, 17],
      ['MBN31H462N', 2018, 2, 23],
      ['NLJ7RT61SV', 2019, 12, 19],
      ['OEB44R5U3U', 2020, 5, 11],
      ['QKA81LK5CY', 2022, 11, 10],
      ['RKL51ZDR4F', 2023, 11, 21],
      ['SG632NMUAB', 2024, 7, 6],
      ['THJ51ALLE3', 2025, 8, 19],
      ['UBG6U6NN6A', 2026, 2, 16],
    ];
    for (const [receipt, year, month, day] of samples) {
      assert.equal(receiptDatePrefix({ year, month, day }), receipt.slice(0, 3), receipt);
      const parsed = parseReceipt(receipt);
      assert.ok(parsed.ok, receipt);
      assert.deepEqual([parsed.year, parsed.month, parsed.day], [year, month, day], receipt);
    }
  });

  it('writes days 10 to 31 as A to V', () => {
    assert.equal(receiptDatePrefix({ year: 2024, month: 1, day: 9 }), 'SA9');
    assert.equal(receiptDatePrefix({ year: 2024, month: 1, day: 10 }), 'SAA');
    assert.equal(receiptDatePrefix({ year: 2024, month: 12, day: 31 }), 'SLV');
  });

  it('wraps the year letter after Z (2031) back to A (2032)', () => {
    assert.equal(receiptDatePrefix({ year: 2031, month: 1, day: 1 })[0], 'Z');
    assert.equal(receiptDatePrefix({ year: 2032, month: 1, day: 1 })[0], 'A');
    const parsed = parseReceipt('AA10000000', { referenceYear: 2040 });
    assert.ok(parsed.ok);
    assert.equal(parsed.year, 2032);
    const early = parseReceipt('SA10000000', { referenceYear: 2040 });
    assert.ok(early.ok);
    assert.equal(early.year, 2024);
  });

  it('uses Nairobi local time, not UTC', () => {
    // 20:59 UTC on 5 July is 23:59 in Nairobi; 21:00 UTC is already 6 July there.
    assert.deepEqual(localDate(Date.UTC(2024, 6, 5, 20, 59), NAIROBI), {
      year: 2024,
      month: 7,
      day: 5,
    });
    assert.deepEqual(localDate(Date.UTC(2024, 6, 5, 21, 0), NAIROBI), {
      year: 2024,
      month: 7,
      day: 6,
    });
    const issuer = createReceiptIssuer({ key: KEY, utcOffsetMinutes: NAIROBI });
    const result = issuer.issue({
      shardId: 0,
      sequence: 0,
      timestampMs: Date.UTC(2024, 6, 5, 21, 0),
    });
    assert.ok(result.ok);
    assert.equal(result.receipt.slice(0, 3), 'SG6');
  });
});

describe('parseReceipt', () => {
  it('refuses malformed IDs and dates that do not exist', () => {
    for (const bad of [
      'SG632NMUA',
      'SG632NMUABX',
      'sg632nmuab',
      'SM632NMUAB',
      'SGW32NMUAB',
      'SG032NMUAB',
      'SBU32NMUAB',
      'XXX0000000',
    ]) {
      const parsed = parseReceipt(bad);
      assert.equal(parsed.ok, false, bad);
      if (!parsed.ok) assert.equal(parsed.error, 'invalid_receipt');
    }
    assert.equal(parseReceipt('SBT32NMUAB').ok, true, '29 Feb 2024 exists');
    assert.equal(parseReceipt('TBT32NMUAB').ok, false, '29 Feb 2025 does not');
  });
});

describe('createReceiptIssuer', () => {
  const issuer = createReceiptIssuer({ key: KEY, utcOffsetMinutes: NAIROBI });
  const day = nairobi(2024, 7, 6);

  function issue(shardId: number, sequence: number, timestampMs = day): string {
    const result = issuer.issue({ shardId, sequence, timestampMs });
    assert.ok(result.ok, `shard ${shardId} sequence ${sequence}`);
    return result.receipt;
  }

  it('states its capacity', () => {
    assert.equal(RECEIPT_SUFFIX_SPACE, 78_364_164_096);
    assert.equal(RECEIPTS_PER_SHARD_PER_DAY_MAX, 76_527_504);
    assert.ok(RECEIPT_SHARDS_MAX * RECEIPTS_PER_SHARD_PER_DAY_MAX <= RECEIPT_SUFFIX_SPACE);
  });

  it('issues 1,000,000 consecutive receipts that are unique and well-formed', () => {
    const seen = new Set<string>();
    for (let sequence = 0; sequence < 1_000_000; sequence++) {
      const receipt = issue(7, sequence);
      if (!WELL_FORMED.test(receipt) || !receipt.startsWith('SG6'))
        assert.fail(`malformed: ${receipt}`);
      seen.add(receipt);
    }
    assert.equal(seen.size, 1_000_000);
  });

  it('looks random: consecutive receipts spread over the whole alphabet', () => {
    const firstChars = new Set<string>();
    for (let sequence = 0; sequence < 1_000; sequence++) firstChars.add(issue(0, sequence)[3]!);
    assert.ok(firstChars.size >= 30, `only ${firstChars.size} distinct leading characters`);
  });

  it('decodes every receipt back to its shard and sequence (a bijection, so no collisions)', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 0, max: RECEIPT_SHARDS_MAX - 1 }),
        fc.integer({ min: 0, max: RECEIPTS_PER_SHARD_PER_DAY_MAX - 1 }),
        fc.integer({ min: nairobi(2020, 1, 1), max: nairobi(2031, 12, 31) }),
        (shardId, sequence, timestampMs) => {
          assert.deepEqual(issuer.decode(issue(shardId, sequence, timestampMs)), {
            shardId,
            sequence,
          });
        },
      ),
    );
    assert.deepEqual(
      issuer.decode(issue(RECEIPT_SHARDS_MAX - 1, RECEIPTS_PER_SHARD_PER_DAY_MAX - 1)),
      {
        shardId: RECEIPT_SHARDS_MAX - 1,
        sequence: RECEIPTS_PER_SHARD_PER_DAY_MAX - 1,
      },
    );
    assert.equal(issuer.decode('not-a-receipt'), null);
  });

  it('keeps shards apart: the same sequence on two shards gives two receipts', () => {
    assert.notEqual(issue(0, 42), issue(1, 42));
  });

  it('scrambles differently each day and with each key', () => {
    assert.notEqual(
      issue(0, 0, nairobi(2024, 7, 6)).slice(3),
      issue(0, 0, nairobi(2024, 7, 7)).slice(3),
    );
    const other = createReceiptIssuer({ key: 'another-key-0123456789', utcOffsetMinutes: NAIROBI });
    const result = other.issue({ shardId: 0, sequence: 0, timestampMs: day });
    assert.ok(result.ok);
    assert.notEqual(result.receipt, issue(0, 0));
  });

  it('refuses once the day’s sequence space is exhausted', () => {
    const last = issuer.issue({
      shardId: 3,
      sequence: RECEIPTS_PER_SHARD_PER_DAY_MAX - 1,
      timestampMs: day,
    });
    assert.equal(last.ok, true);
    const over = issuer.issue({
      shardId: 3,
      sequence: RECEIPTS_PER_SHARD_PER_DAY_MAX,
      timestampMs: day,
    });
    assert.deepEqual(over.ok ? 'ok' : [over.error, over.limit], [
      'receipt_sequence_exhausted',
      RECEIPTS_PER_SHARD_PER_DAY_MAX,
    ]);
  });

  it('treats a bad shard id, a negative sequence or a short key as bugs', () => {
    assert.throws(
      () => issuer.issue({ shardId: RECEIPT_SHARDS_MAX, sequence: 0, timestampMs: day }),
      RangeError,
    );
    assert.throws(() => issuer.issue({ shardId: 0, sequence: -1, timestampMs: day }), RangeError);
    assert.throws(
      () => createReceiptIssuer({ key: 'short', utcOffsetMinutes: NAIROBI }),
      RangeError,
    );
  });
});
