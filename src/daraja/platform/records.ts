// The shapes of the platform's journal records, checked when read back: a record that is not
// what its stream holds fails at load with its stream named, not later as an undefined field.

import { byType, type Guard, hasFields, isObject } from '../../records/parse.ts';
import type {
  AcceptedRequest,
  InitiatorRequestKind,
  PlatformEvent,
  RequestEvent,
} from './model.ts';

const withObject = (field: string) => hasFields({ [field]: 'object' });

export const isPlatformEvent: Guard<PlatformEvent> = byType<PlatformEvent>({
  developer_registered: withObject('developer'),
  app_created: withObject('app'),
  passkey_set: hasFields({ shortcode: 'string', passkey: 'string' }),
  initiator_saved: withObject('initiator'),
  c2b_registered: withObject('registration'),
  pull_registered: withObject('registration'),
  test_behaviour: withObject('behaviour'),
  sandbox_credentials: withObject('credentials'),
  app_rate_limit_set: hasFields({ appId: 'string', perSecond: 'number', burst: 'number' }),
});

const b2bCommand = hasFields({
  shortcode: 'string',
  commandId: 'string',
  partyB: 'string',
  amountCents: 'number',
});

/** The fields each kind's command is read for (nullable ones are read with their null). */
const COMMAND_BY_KIND: Readonly<Record<InitiatorRequestKind, Guard<unknown>>> = {
  b2c: hasFields({
    shortcode: 'string',
    commandId: 'string',
    version: 'number',
    partyB: 'string',
    amountCents: 'number',
    remarks: 'string',
  }),
  b2b: b2bCommand,
  tax: b2bCommand,
  top_up: b2bCommand,
  status: hasFields({ shortcode: 'string', commandId: 'string', partyA: 'string' }),
  balance: hasFields({ shortcode: 'string', commandId: 'string', partyA: 'string' }),
  reversal: hasFields({
    shortcode: 'string',
    commandId: 'string',
    transactionId: 'string',
    amountCents: 'number',
  }),
};

const hasRequestFields = hasFields({
  kind: 'string',
  appId: 'string',
  conversationId: 'string',
  originatorConversationId: 'string',
  acceptedAtMs: 'number',
  resultUrl: 'string',
  queueTimeOutUrl: 'string',
  command: 'object',
});

/** Whether `command` has what processing an initiator request of `kind` reads. */
export function isInitiatorCommand(kind: unknown, command: unknown): boolean {
  const guard = Object.hasOwn(COMMAND_BY_KIND, String(kind))
    ? COMMAND_BY_KIND[kind as InitiatorRequestKind]
    : undefined;
  return guard?.(command) === true;
}

/** An accepted initiator request whose command has what its kind's processing reads. */
export const isAcceptedRequest: Guard<AcceptedRequest> = (value): value is AcceptedRequest =>
  hasRequestFields(value) && isObject(value) && isInitiatorCommand(value.kind, value.command);

export const isRequestEvent: Guard<RequestEvent> = byType<RequestEvent>({
  stk_opened: withObject('prompt'),
  stk_closed: hasFields({ checkoutRequestId: 'string', outcome: 'object' }),
  stk_held: hasFields({ checkoutRequestId: 'string', receipt: 'string' }),
  request_accepted: (value) => isObject(value) && isAcceptedRequest(value.request),
  request_held: hasFields({ conversationId: 'string', receipt: 'string' }),
  request_completed: (value) =>
    hasFields({ conversationId: 'string', result: 'object', atMs: 'number' })(value) &&
    isObject(value) &&
    (value.receipt === null || typeof value.receipt === 'string'),
});
