import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { LedgerClient } from '../../journal/client.ts';
import { parseCallbackBody } from './callbacks.ts';
import { PLATFORM_STREAM, REQUEST_STREAM } from './model.ts';
import { isAcceptedRequest } from './records.ts';
import { loadRecentRequestEvents, PlatformState } from './state.ts';

async function withLedger(run: (ledger: LedgerClient) => Promise<void>): Promise<void> {
  const dir = mkdtempSync(join(tmpdir(), 'malipo-daraja-records-'));
  const ledger = await LedgerClient.open({ journal: { kind: 'sqlite', path: join(dir, 'j.db') } });
  try {
    await run(ledger);
  } finally {
    await ledger.close();
    rmSync(dir, { recursive: true, force: true });
  }
}

test('malformed platform and request records fail at load, naming the record', async () => {
  await withLedger(async (ledger) => {
    await ledger.appendRecords([
      { stream: PLATFORM_STREAM, key: 'x', body: '{"type":"passkey_set","shortcode":"174379"}' },
      { stream: REQUEST_STREAM, key: 'y', body: '{"type":"stk_held","receipt":7}' },
    ]);
    await assert.rejects(new PlatformState().load(ledger), /malformed Daraja platform record/);
    await assert.rejects(loadRecentRequestEvents(ledger, 10), /malformed Daraja request record/);
  });
});

test('a callback body of an unknown kind or without a URL is refused', () => {
  assert.throws(() => parseCallbackBody({ body: '{"kind":"stk"}' }), /malformed callback record/);
  assert.throws(
    () => parseCallbackBody({ body: '{"kind":"fax","url":"http://x"}' }),
    /malformed callback record/,
  );
  assert.equal(parseCallbackBody({ body: '{"kind":"stk","url":"http://x"}' }).kind, 'stk');
});

test('a callback record is parsed once per body: the same object again, a changed body afresh', () => {
  const record = { body: '{"kind":"stk","url":"http://x"}' };
  const first = parseCallbackBody(record);
  assert.equal(parseCallbackBody(record), first);
  // An equal text in another record object is parsed on its own (the cache is per object).
  assert.notEqual(parseCallbackBody({ body: record.body }), first);
  record.body = '{"kind":"stk","url":"http://y"}';
  assert.equal(parseCallbackBody(record).url, 'http://y');
  record.body = '{"kind":"stk"}';
  assert.throws(() => parseCallbackBody(record), /malformed callback record/);
});

test("an accepted request is read back only with the command its kind's processing reads", () => {
  const request = {
    kind: 'b2c',
    appId: 'app-1',
    conversationId: 'AG_1',
    originatorConversationId: 'orig-1',
    acceptedAtMs: 1,
    resultUrl: 'http://x/r',
    queueTimeOutUrl: 'http://x/t',
    command: {
      shortcode: '600000',
      commandId: 'BusinessPayment',
      version: 1,
      partyB: '254700000001',
      amountCents: 10_000,
      remarks: 'pay',
      occasion: null,
    },
  };
  assert.equal(isAcceptedRequest(request), true);
  // A command stored as strings (the old string map) or missing a field the kind needs.
  assert.equal(
    isAcceptedRequest({ ...request, command: { ...request.command, amountCents: '100' } }),
    false,
  );
  const { partyB: _dropped, ...withoutPartyB } = request.command;
  assert.equal(isAcceptedRequest({ ...request, command: withoutPartyB }), false);
  // A b2c command under a reversal's kind lacks the original transaction.
  assert.equal(isAcceptedRequest({ ...request, kind: 'reversal' }), false);
  assert.equal(isAcceptedRequest({ ...request, kind: 'toString' }), false);
});
