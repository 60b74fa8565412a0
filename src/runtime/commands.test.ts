// The binary encoding of the hot commands and their outcomes (decision 0031): what the owner
// decodes is what the channel's parser produced, what the channel rebuilds is the JSON the
// single process sends, and a truncated or hostile body is refused, never half-read.
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { callbackUrlPolicyFor } from '../daraja/callback-url.ts';
import { GATEWAY_ERRORS, invalidField } from '../daraja/errors.ts';
import { COMMAND_ROUTES_PREFIX, DARAJA_COMMAND_ROUTES } from '../daraja/platform/command-routes.ts';
import { type DarajaCommand, type DarajaOutcome, darajaReplyOf } from '../daraja/platform/http.ts';
import { darajaParseOptions } from '../daraja/platform/platform.ts';
import { c2bSimulateResponse, requestAcceptedResponse } from '../daraja/shapes.ts';
import { defaultMarketConfig } from '../payments/market-config.ts';
import { CodecError } from './codec.ts';
import {
  COMMAND_KIND,
  darajaReplyFromFrame,
  decodeDarajaCommand,
  encodeDarajaCommand,
  encodeOutcome,
  executeFrame,
  type OwnerCommands,
  REPLY_KIND,
} from './commands.ts';
import type { Frame } from './framing.ts';

const options = darajaParseOptions(
  'sandbox',
  callbackUrlPolicyFor('sandbox'),
  defaultMarketConfig(),
);
const initiator = {
  InitiatorName: 'testapi',
  SecurityCredential: 'c2VjcmV0IGNyZWRlbnRpYWwgYmxvY2s=',
  QueueTimeOutURL: 'https://partner.co.ke/timeout',
  ResultURL: 'https://partner.co.ke/result?n=1&tag=%E2%9C%93',
  Remarks: 'Salary',
  Occasion: 'December',
};

/** Real requests of the hot routes, as partners send them. */
const REQUESTS: readonly [string, Record<string, unknown>][] = [
  [
    '/c2b/v1/simulate',
    {
      ShortCode: '600000',
      CommandID: 'CustomerPayBillOnline',
      Amount: 1250,
      Msisdn: '254708374149',
      BillRefNumber: 'INV-7',
    },
  ],
  [
    '/c2b/v2/simulate',
    {
      ShortCode: '600100',
      CommandID: 'CustomerBuyGoodsOnline',
      Amount: 10,
      Msisdn: '254708374149',
    },
  ],
  [
    '/b2c/v3/paymentrequest',
    {
      ...initiator,
      OriginatorConversationID: 'partner-0001',
      CommandID: 'BusinessPayment',
      Amount: 5000,
      PartyA: '600000',
      PartyB: '254708374149',
    },
  ],
  [
    '/transactionstatus/v1/query',
    {
      ...initiator,
      Initiator: 'testapi',
      CommandID: 'TransactionStatusQuery',
      TransactionID: 'ABC123DEF4',
      PartyA: '600000',
      IdentifierType: '4',
    },
  ],
  [
    '/accountbalance/v1/query',
    {
      ...initiator,
      Initiator: 'testapi',
      CommandID: 'AccountBalance',
      PartyA: '600000',
      IdentifierType: '4',
    },
  ],
];

function commandFor(path: string, body: Record<string, unknown>): DarajaCommand {
  const spec = DARAJA_COMMAND_ROUTES.find((route) => route.path === path);
  assert.ok(spec, path);
  return { path: COMMAND_ROUTES_PREFIX + path, subject: 42, parsed: spec.parse(body, options) };
}

function frameOf(kind: number, body: string | Uint8Array, status = 0): Frame {
  return { id: 1, kind, status, body: Buffer.from(body) };
}

describe('hot commands in binary', () => {
  test('C2B, B2C, status and balance come back as the channel parsed them, without JSON', () => {
    for (const [path, body] of REQUESTS) {
      const command = commandFor(path, body);
      assert.equal(command.parsed.ok, true, `${path} parses: ${JSON.stringify(command.parsed)}`);
      const { kind, body: encoded } = encodeDarajaCommand(command);
      assert.notEqual(kind, COMMAND_KIND.daraja, `${path} is a binary command`);
      assert.equal(typeof encoded, 'object');
      assert.deepEqual(decodeDarajaCommand(frameOf(kind, encoded)), command, path);
    }
  });

  test('a refused parse and a cold route stay JSON, and come back the same', () => {
    const refused = commandFor('/c2b/v1/simulate', { ShortCode: '600000', CommandID: 'Nope' });
    assert.equal(refused.parsed.ok, false);
    const reversal = commandFor('/reversal/v1/request', {});
    for (const command of [refused, reversal]) {
      const { kind, body } = encodeDarajaCommand(command);
      if (command === refused) assert.equal(kind, COMMAND_KIND.daraja);
      assert.deepEqual(decodeDarajaCommand(frameOf(kind, body)), command);
    }
  });

  test('every cut of a binary command is a CodecError, and so are trailing bytes', () => {
    for (const [path, body] of REQUESTS) {
      const { kind, body: encoded } = encodeDarajaCommand(commandFor(path, body));
      const bytes = Buffer.from(encoded);
      for (let length = 0; length < bytes.length; length++) {
        assert.throws(
          () => decodeDarajaCommand(frameOf(kind, bytes.subarray(0, length))),
          CodecError,
          `${path} cut at ${length} of ${bytes.length}`,
        );
      }
      const longer = Buffer.concat([bytes, Buffer.from([0])]);
      assert.throws(() => decodeDarajaCommand(frameOf(kind, longer)), CodecError);
    }
  });

  test('hostile bodies: a string length past the end, a route or tag that does not exist', () => {
    const [path, body] = REQUESTS[0] as [string, Record<string, unknown>];
    const { kind, body: encoded } = encodeDarajaCommand(commandFor(path, body));
    const bytes = Buffer.from(encoded);
    // Layout: u8 strings | u16 fixed bytes | u16 length per string | fixed fields | text.
    const head = 3 + 2 * bytes.readUInt8(0);
    const fixedEnd = head + bytes.readUInt16BE(1);
    const hostile: [string, (b: Buffer) => void][] = [
      ['a string longer than the text', (b) => b.writeUInt16BE(0xffff, 3)],
      ['fixed fields longer than the body', (b) => b.writeUInt16BE(0xffff, 1)],
      ['more strings than lengths sent', (b) => b.writeUInt8(255, 0)],
      ['fewer strings than the kind reads', (b) => b.writeUInt8(1, 0)],
      ['a route that does not exist', (b) => b.writeUInt8(200, head)],
      ['a subject that is not an integer', (b) => b.writeDoubleBE(0.5, head + 1)],
      ["an unknown tag for BillRefNumber's null", (b) => b.writeUInt8(9, fixedEnd - 1)],
    ];
    for (const [what, spoil] of hostile) {
      const spoilt = Buffer.from(bytes);
      spoil(spoilt);
      assert.throws(() => decodeDarajaCommand(frameOf(kind, spoilt)), CodecError, what);
    }
  });

  test('the owner answers a broken command as failed and keeps going', async () => {
    const ran: DarajaCommand[] = [];
    const commands: OwnerCommands = {
      daraja: async (command) => {
        ran.push(command);
        return { status: 200, body: { ok: '1' } };
      },
      oauth: () => assert.fail('no oauth'),
      ussd: () => assert.fail('no ussd'),
    };
    const [path, body] = REQUESTS[2] as [string, Record<string, unknown>];
    const { kind, body: encoded } = encodeDarajaCommand(commandFor(path, body));
    const cut = await executeFrame(commands, frameOf(kind, Buffer.from(encoded).subarray(0, 12)));
    assert.equal(cut.kind, REPLY_KIND.failed);
    assert.equal(ran.length, 0);
    const whole = await executeFrame(commands, frameOf(kind, encoded));
    assert.equal(whole.kind, REPLY_KIND.fields);
    assert.equal(ran.length, 1);
  });
});

describe('outcomes in binary', () => {
  const ids = { conversationId: 'AG_20261208_0100abc', originatorConversationId: '1234-5678-9' };
  const outcomes: DarajaOutcome[] = [
    { status: 200, body: requestAcceptedResponse(ids) },
    { status: 200, body: c2bSimulateResponse(ids, 1) },
    { status: 200, body: c2bSimulateResponse(ids, 2) },
    { status: 200, body: { Status: 'Ünïcode ✓', Other: 'x'.repeat(300) } },
    { error: invalidField('ShortCode'), requestId: '4f1c-11-2' },
    { error: GATEWAY_ERRORS.spikeArrestViolation, requestId: 'r'.repeat(200) },
    { error: GATEWAY_ERRORS.systemBusy, requestId: 'busy-1' },
  ];

  test("the channel's rebuilt JSON is the single process's, byte for byte", () => {
    for (const outcome of outcomes) {
      const frame = encodeOutcome(outcome);
      assert.notEqual(frame.kind, REPLY_KIND.json, JSON.stringify(outcome));
      const rebuilt = darajaReplyFromFrame({ id: 1, ...frame, body: Buffer.from(frame.body) });
      assert.deepEqual(rebuilt, darajaReplyOf(outcome));
    }
  });

  test('a body of another shape goes as the JSON text itself', () => {
    for (const body of [{ n: 1 }, { nested: { a: 'b' } }, ['a'], 'text']) {
      const outcome: DarajaOutcome = { status: 200, body };
      const frame = encodeOutcome(outcome);
      assert.equal(frame.kind, REPLY_KIND.json);
      const rebuilt = darajaReplyFromFrame({ id: 1, ...frame, body: Buffer.from(frame.body) });
      assert.deepEqual(rebuilt, darajaReplyOf(outcome));
    }
  });

  test('a cut or padded outcome is a CodecError', () => {
    for (const outcome of outcomes) {
      const frame = encodeOutcome(outcome);
      const bytes = Buffer.from(frame.body);
      for (let length = 0; length < bytes.length; length++) {
        assert.throws(
          () => darajaReplyFromFrame({ id: 1, ...frame, body: bytes.subarray(0, length) }),
          CodecError,
        );
      }
      const padded = Buffer.concat([bytes, Buffer.from([1])]);
      assert.throws(() => darajaReplyFromFrame({ id: 1, ...frame, body: padded }), CodecError);
    }
    const badWord = Buffer.from([1, 200, 0]);
    assert.throws(
      () => darajaReplyFromFrame({ id: 1, kind: REPLY_KIND.fields, status: 200, body: badWord }),
      CodecError,
    );
  });
});
