// The commands a channel process sends the owner, and how the owner answers them. A command is
// what a hot route still needs after HTTP, JSON, request validation and token verification ran
// in the channel: everything here needs state that must be one across processes (rate limits,
// idempotency, app credentials, USSD step-up sessions, payments).
//
// The hot commands (C2B simulate and the initiator APIs: B2C, status, balance…) whose request
// parsed go as binary fields (codec.ts), and so do their outcomes: an acknowledgement's string
// fields or a gateway error's code, message and request id. The owner neither parses JSON nor
// builds the partner's text; the channel makes the same JSON the single process sends
// (decision 0031). Anything else (a refused parse, OAuth, USSD) stays JSON or text.

import type { Parsed } from '../daraja/coerce.ts';
import type { GatewayErrorSpec } from '../daraja/errors.ts';
import {
  COMMAND_ROUTES_PREFIX,
  INITIATOR_ROUTES,
  type InitiatorFields,
} from '../daraja/platform/command-routes.ts';
import {
  type DarajaCommand,
  type DarajaOutcome,
  type DarajaReply,
  darajaReplyOf,
  errorReply,
} from '../daraja/platform/http.ts';
import { isInitiatorCommand } from '../daraja/platform/records.ts';
import { STK_TRANSACTION_TYPES, type StkTransactionType } from '../daraja/requests.ts';
import type { UssdRequest } from '../ussd/model.ts';
import { BodyReader, BodyWriter, CodecError } from './codec.ts';
import type { Frame, OutgoingFrame } from './framing.ts';

/** Frame kinds, channel → owner. */
export const COMMAND_KIND = { daraja: 1, oauth: 2, ussd: 3, c2bSimulate: 4, initiator: 5 } as const;
/** Frame kinds, owner → channel. */
export const REPLY_KIND = {
  /** The body is the partner's JSON, sent on as it is. */
  json: 101,
  /** A USSD screen. */
  text: 102,
  /** A bug while running the command: the body says what. */
  failed: 103,
  /** A 200 whose JSON is one flat object of strings: its keys and values (codec fields). */
  fields: 104,
  /** A gateway error (status = its HTTP status): code, message and request id. */
  gatewayError: 105,
} as const;

export interface OAuthCommand {
  readonly grantType: unknown;
  readonly authorization: unknown;
}

/** What the owner runs commands with (the platform's and the USSD menu's entry points). */
export interface OwnerCommands {
  daraja(command: DarajaCommand): Promise<DarajaOutcome>;
  oauth(grantType: unknown, authorization: unknown): DarajaReply;
  ussd(parsed: UssdRequest | string): Promise<string>;
}

/** A command body that does not have the shape its kind promises: a bug in the channel. */
export class CommandShapeError extends Error {
  override readonly name = 'CommandShapeError';
}

// --- Channel side: commands out, replies in ------------------------------------------------

const C2B_SIMULATE_PATHS = [1, 2].map((v) => `${COMMAND_ROUTES_PREFIX}/c2b/v${v}/simulate`);
const INITIATOR_PATHS = INITIATOR_ROUTES.map((spec) => COMMAND_ROUTES_PREFIX + spec.path);

/** A Daraja command as a frame's kind and body: binary when hot and parsed, JSON otherwise. */
export function encodeDarajaCommand(command: DarajaCommand): {
  kind: number;
  body: string | Uint8Array;
} {
  const { parsed } = command;
  if (parsed.ok) {
    const c2b = C2B_SIMULATE_PATHS.indexOf(command.path);
    if (c2b !== -1) {
      const body = encodeC2bSimulate(c2b, command.subject, parsed.value as C2bSimulateFields);
      return { kind: COMMAND_KIND.c2bSimulate, body };
    }
    const initiator = INITIATOR_PATHS.indexOf(command.path);
    if (initiator !== -1) {
      const body = encodeInitiator(initiator, command.subject, parsed.value as InitiatorFields);
      return { kind: COMMAND_KIND.initiator, body };
    }
  }
  return { kind: COMMAND_KIND.daraja, body: JSON.stringify(command) };
}

/**
 * The keys of the initiator commands' `command` records (command-routes.ts), sent as one byte:
 * a key decoded from the text would be a new string to intern on every command.
 */
const COMMAND_KEYS = [
  'shortcode',
  'commandId',
  'version',
  'partyA',
  'partyB',
  'amountCents',
  'remarks',
  'occasion',
  'transactionId',
  'originalConversationId',
  'identifierType',
  'receiverParty',
  'accountReference',
  'requester',
];
const COMMAND_KEY_INDEX = new Map(COMMAND_KEYS.map((key, index) => [key, index]));

interface C2bSimulateFields {
  readonly shortcode: string;
  readonly commandId: StkTransactionType;
  readonly amountCents: number;
  readonly msisdn: string;
  readonly billRefNumber: string | null;
}

function encodeC2bSimulate(route: number, subject: number, r: C2bSimulateFields): Uint8Array {
  return new BodyWriter(32)
    .u8(route)
    .f64(subject)
    .string(r.shortcode)
    .string(r.commandId)
    .f64(r.amountCents)
    .string(r.msisdn)
    .nullableString(r.billRefNumber)
    .bytes();
}

function encodeInitiator(route: number, subject: number, r: InitiatorFields): Uint8Array {
  const writer = new BodyWriter(64)
    .u8(route)
    .f64(subject)
    .string(r.kind)
    .string(r.initiatorName)
    .string(r.securityCredential)
    .nullableString(r.originatorConversationId)
    .string(r.resultUrl)
    .string(r.queueTimeOutUrl);
  const entries = Object.entries(r.command);
  writer.u8(entries.length);
  for (const [key, value] of entries) {
    const index = COMMAND_KEY_INDEX.get(key);
    if (index === undefined) writer.u8(LITERAL).string(key);
    else writer.u8(index);
    writer.scalar(value);
  }
  return writer.bytes();
}

/** The partner's status and JSON from an owner's reply to a Daraja or OAuth command. */
export function darajaReplyFromFrame(frame: Frame): DarajaReply {
  switch (frame.kind) {
    case REPLY_KIND.json:
      return { status: frame.status, body: frame.body.toString('utf8') };
    case REPLY_KIND.fields:
      return { status: frame.status, body: JSON.stringify(decodeFields(frame.body)) };
    case REPLY_KIND.gatewayError: {
      const reader = new BodyReader(frame.body);
      const errorCode = reader.string();
      const errorMessage = reader.string();
      const requestId = reader.string();
      reader.end();
      const spec = { httpStatus: frame.status, errorCode, errorMessage } as GatewayErrorSpec;
      return errorReply(spec, requestId);
    }
    default:
      throw new CodecError(`reply kind ${frame.kind} is not a Daraja answer`);
  }
}

// --- Owner side: commands in, replies out --------------------------------------------------

/**
 * Runs one command frame; the reply frame has the same id. A bug while running is answered as
 * `failed` (the channel answers Daraja's 500), so one bad command never takes the link down.
 */
export async function executeFrame(commands: OwnerCommands, frame: Frame): Promise<OutgoingFrame> {
  const { id } = frame;
  try {
    switch (frame.kind) {
      case COMMAND_KIND.c2bSimulate:
      case COMMAND_KIND.initiator:
      case COMMAND_KIND.daraja: {
        const outcome = await commands.daraja(decodeDarajaCommand(frame));
        return { id, ...encodeOutcome(outcome) };
      }
      case COMMAND_KIND.oauth: {
        const command = recordOf(JSON.parse(frame.body.toString('utf8'))) as Partial<OAuthCommand>;
        const reply = commands.oauth(command.grantType, command.authorization);
        return { id, kind: REPLY_KIND.json, status: reply.status, body: reply.body };
      }
      case COMMAND_KIND.ussd: {
        const text = await commands.ussd(ussdRequestOf(JSON.parse(frame.body.toString('utf8'))));
        return { id, kind: REPLY_KIND.text, status: 200, body: text };
      }
      default:
        throw new CommandShapeError(`unknown command kind ${frame.kind}`);
    }
  } catch (error) {
    return { id, kind: REPLY_KIND.failed, status: 500, body: (error as Error).message };
  }
}

/** A Daraja command frame of any of the three kinds, as the platform runs it. */
export function decodeDarajaCommand(frame: Frame): DarajaCommand {
  if (frame.kind === COMMAND_KIND.daraja)
    return darajaCommandOf(JSON.parse(frame.body.toString('utf8')));
  const reader = new BodyReader(frame.body);
  const route = reader.u8();
  const subject = reader.integer();
  let path: string | undefined;
  let parsed: Parsed<unknown>;
  if (frame.kind === COMMAND_KIND.c2bSimulate) {
    path = C2B_SIMULATE_PATHS[route];
    parsed = { ok: true, value: decodeC2bSimulate(reader) };
  } else {
    path = INITIATOR_PATHS[route];
    parsed = { ok: true, value: decodeInitiator(reader) };
  }
  reader.end();
  if (path === undefined) throw new CodecError(`no route ${route} for command kind ${frame.kind}`);
  return { path, subject, parsed };
}

function decodeC2bSimulate(reader: BodyReader): C2bSimulateFields {
  const shortcode = reader.string();
  const commandId = reader.string() as StkTransactionType;
  if (!STK_TRANSACTION_TYPES.includes(commandId))
    throw new CodecError(`C2B command id ${commandId}`);
  const amountCents = reader.integer();
  const msisdn = reader.string();
  return { shortcode, commandId, amountCents, msisdn, billRefNumber: reader.nullableString() };
}

function decodeInitiator(reader: BodyReader): InitiatorFields {
  // One literal, read in the order written (a spread copy cost as much as the reads).
  const fields = {
    kind: reader.string(),
    initiatorName: reader.string(),
    securityCredential: reader.string(),
    originatorConversationId: reader.nullableString(),
    resultUrl: reader.string(),
    queueTimeOutUrl: reader.string(),
    command: decodeCommandRecord(reader),
  };
  // The typed command (decision 0030) is checked as a stored acceptance is: a frame whose command
  // lacks what its kind's processing reads is refused here, not deep inside the owner.
  if (!isInitiatorCommand(fields.kind, fields.command))
    throw new CodecError(`initiator command of kind ${fields.kind}`);
  return fields as unknown as InitiatorFields;
}

function decodeCommandRecord(reader: BodyReader): Record<string, string | number | null> {
  const count = reader.u8();
  const command: Record<string, string | number | null> = {};
  for (let i = 0; i < count; i++) {
    const index = reader.u8();
    const key = index === LITERAL ? reader.string() : COMMAND_KEYS[index];
    if (key === undefined || key === '__proto__') throw new CodecError(`command key ${index}`);
    command[key] = reader.scalar();
  }
  return command;
}

/** An outcome as a reply frame (without its id): binary fields when it has their shape. */
export function encodeOutcome(outcome: DarajaOutcome): Omit<OutgoingFrame, 'id'> {
  if ('error' in outcome) {
    const { error, requestId } = outcome;
    const body = new BodyWriter(32)
      .string(error.errorCode)
      .string(error.errorMessage)
      .string(requestId)
      .bytes();
    return { kind: REPLY_KIND.gatewayError, status: error.httpStatus, body };
  }
  const fields = encodeFields(outcome.body);
  if (fields !== null) return { kind: REPLY_KIND.fields, status: 200, body: fields };
  const reply = darajaReplyOf(outcome);
  return { kind: REPLY_KIND.json, status: reply.status, body: reply.body };
}

/** Keys and values most acknowledgements repeat, sent as one byte each. */
const DICTIONARY = [
  'ConversationID',
  'OriginatorConversationID',
  'OriginatorCoversationID',
  'ResponseCode',
  'ResponseDescription',
  'CustomerMessage',
  'MerchantRequestID',
  'CheckoutRequestID',
  '0',
  'Accept the service request successfully.',
];
const DICTIONARY_INDEX = new Map(DICTIONARY.map((word, index) => [word, index]));
const LITERAL = 0xff;
const FIELDS_MAX = 32;

/** A flat object of strings as fields, or null when the body has another shape. */
function encodeFields(body: unknown): Uint8Array | null {
  if (typeof body !== 'object' || body === null || Array.isArray(body)) return null;
  const writer = new BodyWriter(32).u8(0);
  let count = 0;
  // One pass in JSON.stringify's key order; anything but a string value gives up.
  for (const key in body) {
    const value = (body as Record<string, unknown>)[key];
    // A `__proto__` key would not come back as a key of the rebuilt object.
    if (typeof value !== 'string' || key === '__proto__' || ++count > FIELDS_MAX) return null;
    writeWord(writer, key);
    writeWord(writer, value);
  }
  return writer.setU8(0, count).bytes();
}

function writeWord(writer: BodyWriter, word: string): void {
  const index = DICTIONARY_INDEX.get(word);
  if (index === undefined) writer.u8(LITERAL).string(word);
  else writer.u8(index);
}

function readWord(reader: BodyReader): string {
  const index = reader.u8();
  if (index === LITERAL) return reader.string();
  const word = DICTIONARY[index];
  if (word === undefined) throw new CodecError(`no word ${index} in the dictionary`);
  return word;
}

/** The object back, keys in the owner's order (so its JSON is the single process's, byte for byte). */
export function decodeFields(body: Buffer): Record<string, string> {
  const reader = new BodyReader(body);
  const count = reader.u8();
  if (count > FIELDS_MAX) throw new CodecError(`${count} fields`);
  const object: Record<string, string> = {};
  for (let i = 0; i < count; i++) {
    const key = readWord(reader);
    object[key] = readWord(reader);
  }
  reader.end();
  return object;
}

function recordOf(body: unknown): Record<string, unknown> {
  if (typeof body !== 'object' || body === null || Array.isArray(body))
    throw new CommandShapeError('command body is not an object');
  return body as Record<string, unknown>;
}

/** The checks the owner can make cheaply; the parse outcome's fields come from our own parser. */
function darajaCommandOf(body: unknown): DarajaCommand {
  const record = recordOf(body);
  const parsed = recordOf(record.parsed);
  if (typeof record.path !== 'string' || !Number.isSafeInteger(record.subject))
    throw new CommandShapeError('daraja command without path or subject');
  if (typeof parsed.ok !== 'boolean') throw new CommandShapeError('daraja command parse outcome');
  return record as unknown as DarajaCommand;
}

function ussdRequestOf(body: unknown): UssdRequest | string {
  if (typeof body === 'string') return body;
  const record = recordOf(body);
  if (typeof record.sessionId !== 'string' || typeof record.phoneNumber !== 'string')
    throw new CommandShapeError('ussd command without session or phone number');
  if (typeof record.text !== 'string') throw new CommandShapeError('ussd command without text');
  return record as unknown as UssdRequest;
}
