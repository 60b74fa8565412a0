import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import {
  ACCESS_TOKEN_CHARS,
  createDarajaIdGenerator,
  newAccessToken,
  placeholderTransactionId,
} from './ids.ts';

const SEED = 'test-seed-0123456789abcdef';
const AT_MS = Date.UTC(2019, 11, 19, 7, 20, 36); // 19 Dec 2019 10:20:36 in Nairobi

describe('createDarajaIdGenerator', () => {
  const ids = createDarajaIdGenerator({ seed: SEED, nodeId: 7 });

  it('makes IDs in Daraja formats', () => {
    assert.match(ids.merchantRequestId(42), /^[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}42$/);
    assert.match(
      ids.originatorConversationId(3533373),
      /^[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}3533373$/,
    );
    assert.equal(ids.checkoutRequestId(3925, AT_MS), 'ws_CO_1912201910203600700003925');
    assert.match(ids.conversationId(1, AT_MS), /^AG_20191219_[0-9a-f]{20}$/);
  });

  it('is deterministic in (seed, node, sequence, time)', () => {
    const again = createDarajaIdGenerator({ seed: SEED, nodeId: 7 });
    assert.equal(again.merchantRequestId(42), ids.merchantRequestId(42));
    assert.equal(again.conversationId(9, AT_MS), ids.conversationId(9, AT_MS));
    assert.equal(again.checkoutRequestId(9, AT_MS), ids.checkoutRequestId(9, AT_MS));
  });

  it('differs by sequence, node, seed and kind', () => {
    const otherNode = createDarajaIdGenerator({ seed: SEED, nodeId: 8 });
    const otherSeed = createDarajaIdGenerator({ seed: `${SEED}!`, nodeId: 7 });
    const all = [
      ids.merchantRequestId(1),
      ids.merchantRequestId(2),
      otherNode.merchantRequestId(1),
      otherSeed.merchantRequestId(1),
      ids.originatorConversationId(1),
      ids.requestId(1),
    ];
    assert.equal(new Set(all).size, all.length);
    assert.notEqual(otherNode.checkoutRequestId(1, AT_MS), ids.checkoutRequestId(1, AT_MS));
  });

  it('makes both conversation ids of a request from one sequence, apart from each other', () => {
    const pair = ids.conversationIds(3533373, AT_MS);
    assert.equal(pair.conversationId, ids.conversationId(3533373, AT_MS));
    assert.match(
      pair.originatorConversationId,
      /^[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}3533373$/,
    );
    // Not the ConversationID's hash characters again, nor the other generator's id.
    const shown = pair.conversationId.slice(-20);
    assert.ok(!pair.originatorConversationId.replaceAll('-', '').startsWith(shown.slice(0, 12)));
    assert.notEqual(pair.originatorConversationId, ids.originatorConversationId(3533373));
    const seen = new Set<string>();
    for (let sequence = 0; sequence < 10_000; sequence++) {
      const { conversationId, originatorConversationId } = ids.conversationIds(sequence, AT_MS);
      seen.add(conversationId);
      seen.add(originatorConversationId);
    }
    assert.equal(seen.size, 20_000);
  });

  it('stays unique over many sequences in one second', () => {
    const seen = new Set<string>();
    for (let sequence = 0; sequence < 20_000; sequence++) {
      seen.add(ids.checkoutRequestId(sequence, AT_MS));
      seen.add(ids.conversationId(sequence, AT_MS));
      seen.add(ids.merchantRequestId(sequence));
    }
    assert.equal(seen.size, 60_000);
  });

  it('dates IDs in Nairobi time', () => {
    const lateUtc = Date.UTC(2024, 6, 9, 22, 30, 0); // already 10 July in Nairobi
    assert.match(ids.conversationId(1, lateUtc), /^AG_20240710_/);
    assert.match(ids.checkoutRequestId(1, lateUtc), /^ws_CO_10072024013000/);
  });

  it('refuses bad configuration and sequences', () => {
    assert.throws(() => createDarajaIdGenerator({ seed: 'short', nodeId: 1 }), RangeError);
    assert.throws(() => createDarajaIdGenerator({ seed: SEED, nodeId: 1000 }), RangeError);
    assert.throws(() => ids.merchantRequestId(-1), RangeError);
    assert.throws(() => ids.checkoutRequestId(1.5, AT_MS), RangeError);
  });
});

describe('placeholderTransactionId and access tokens', () => {
  it('puts the receipt date letters before seven zeros', () => {
    // 2017 is L (M-Pesa's convention), December is L, the 19th is J.
    assert.equal(placeholderTransactionId(Date.UTC(2017, 11, 19, 12, 0, 0)), 'LLJ0000000');
  });

  it('makes 28-character alphanumeric tokens that do not repeat', () => {
    const tokens = new Set<string>();
    for (let i = 0; i < 1000; i++) {
      const token = newAccessToken();
      assert.match(token, new RegExp(`^[A-Za-z0-9]{${ACCESS_TOKEN_CHARS}}$`));
      tokens.add(token);
    }
    assert.equal(tokens.size, 1000);
  });
});
