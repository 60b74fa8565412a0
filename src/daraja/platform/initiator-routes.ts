// Routes of the initiator APIs: parse with the shared parsers (command-routes.ts, where the
// requests become InitiatorApis fields), check the app may act for the shortcode, then hand over
// to InitiatorApis, which acknowledges and processes.
import type { FastifyInstance } from 'fastify';
import { invalidField } from '../errors.ts';
import type { ParseOptions } from '../requests.ts';
import { INITIATOR_ROUTES } from './command-routes.ts';
import { darajaCommandPost, fail, failInput, type HttpDeps, ownsShortcode } from './http.ts';
import type { InitiatorApis } from './initiator-apis.ts';

export interface InitiatorRouteDeps extends HttpDeps {
  readonly apis: InitiatorApis;
  readonly parseOptions: ParseOptions;
}

export function registerInitiatorRoutes(scope: FastifyInstance, deps: InitiatorRouteDeps): void {
  for (const spec of INITIATOR_ROUTES) {
    darajaCommandPost(scope, spec, deps, async (call, built) => {
      if (!built.ok) return failInput(built.error);
      const request = { ...built.value, app: call.app };
      if (!ownsShortcode(call.app, request.command.shortcode)) {
        return fail(invalidField(request.kind === 'reversal' ? 'ReceiverParty' : 'PartyA'));
      }
      return deps.apis.accept(request, call.nowMs);
    });
  }
}
