// CPU per hot command on each side of the channel ↔ owner link (decision 0031): the JSON frames
// the link used before against the binary fields it uses now, for a B2C v3 request and its
// acknowledgement. `node --import tsx bench/runtime-codec.ts`. Process CPU time, not wall time,
// so a busy machine inflates both sides alike; compare the rows, not the absolute figures.
import { callbackUrlPolicyFor } from '../src/daraja/callback-url.ts';
import {
  COMMAND_ROUTES_PREFIX,
  DARAJA_COMMAND_ROUTES,
} from '../src/daraja/platform/command-routes.ts';
import { type DarajaOutcome, darajaReplyOf } from '../src/daraja/platform/http.ts';
import { darajaParseOptions } from '../src/daraja/platform/platform.ts';
import { requestAcceptedResponse } from '../src/daraja/shapes.ts';
import { defaultMarketConfig } from '../src/payments/market-config.ts';
import {
  COMMAND_KIND,
  darajaReplyFromFrame,
  decodeDarajaCommand,
  encodeDarajaCommand,
  encodeOutcome,
  REPLY_KIND,
} from '../src/runtime/commands.ts';
import { encodeFrame } from '../src/runtime/framing.ts';

const RUNS = 200_000;
const WARM_UP_RUNS = 20_000;

const options = darajaParseOptions(
  'sandbox',
  callbackUrlPolicyFor('sandbox'),
  defaultMarketConfig(),
);
const spec = DARAJA_COMMAND_ROUTES.find((route) => route.path === '/b2c/v3/paymentrequest');
if (spec === undefined) throw new Error('no B2C v3 route');
const body = {
  OriginatorConversationID: 'partner-0001',
  InitiatorName: 'testapi',
  // A 2048-bit RSA ciphertext in base64, as partners send it.
  SecurityCredential: 'A'.repeat(344),
  CommandID: 'BusinessPayment',
  Amount: 5000,
  PartyA: '600000',
  PartyB: '254708374149',
  Remarks: 'Salary',
  QueueTimeOutURL: 'https://partner.co.ke/timeout',
  ResultURL: 'https://partner.co.ke/result',
  Occasion: 'December',
};
const command = {
  path: COMMAND_ROUTES_PREFIX + spec.path,
  subject: 42,
  parsed: spec.parse(body, options),
};
const ids = {
  conversationId: 'AG_20261208_010012345678abcdef',
  originatorConversationId: 'partner-0001',
};
const outcome: DarajaOutcome = { status: 200, body: requestAcceptedResponse(ids) };

function nsPerRun(run: () => unknown): number {
  for (let i = 0; i < WARM_UP_RUNS; i++) run();
  const before = process.cpuUsage();
  for (let i = 0; i < RUNS; i++) run();
  const used = process.cpuUsage(before);
  return Math.round(((used.user + used.system) * 1000) / RUNS);
}

const jsonCommand = Buffer.from(JSON.stringify(command));
const jsonAnswer = Buffer.from(JSON.stringify(outcome.body));
const binary = encodeDarajaCommand(command);
const binaryCommand = Buffer.from(binary.body);
const reply = encodeOutcome(outcome);
const binaryAnswer = Buffer.from(reply.body);

const rows = {
  'channel, JSON': nsPerRun(() => [
    encodeFrame({ id: 1, kind: COMMAND_KIND.daraja, status: 0, body: JSON.stringify(command) }),
    jsonAnswer.toString('utf8'),
  ]),
  'channel, binary': nsPerRun(() => {
    const encoded = encodeDarajaCommand(command);
    const frame = encodeFrame({ id: 1, kind: encoded.kind, status: 0, body: encoded.body });
    return [frame, darajaReplyFromFrame({ id: 1, ...reply, body: binaryAnswer })];
  }),
  'owner, JSON': nsPerRun(() => {
    const decoded: unknown = JSON.parse(jsonCommand.toString('utf8'));
    const answer = darajaReplyOf(outcome);
    return [decoded, encodeFrame({ id: 1, kind: REPLY_KIND.json, status: 200, body: answer.body })];
  }),
  'owner, binary': nsPerRun(() => {
    const decoded = decodeDarajaCommand({
      id: 1,
      kind: binary.kind,
      status: 0,
      body: binaryCommand,
    });
    return [decoded, encodeFrame({ id: 1, ...encodeOutcome(outcome) })];
  }),
};
for (const [row, ns] of Object.entries(rows)) console.log(`${row.padEnd(16)} ${ns} ns per command`);
console.log(
  `bytes: command JSON ${jsonCommand.length}, binary ${binaryCommand.length}; ` +
    `answer JSON ${jsonAnswer.length}, binary ${binaryAnswer.length}`,
);
