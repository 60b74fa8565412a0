// Sends Malipo's FSPIOP callbacks to the hub: PUT /<resource>/<id> with the answer, or
// PUT /<resource>/<id>/error. Delivery is in-process with a bounded retry; it is not yet durable
// (a crash between the commit and the callback loses the callback, and the payer FSP recovers
// with GET /transfers/{id}, which we answer).

import { contentTypeOf, type FspiopResource } from './model.ts';
import type { Answer } from './payee.ts';

export interface HubClientOptions {
  hubUrl: string;
  fspId: string;
  attemptsMax?: number;
  baseDelayMs?: number;
  timeoutMs?: number;
  onFailure?: (path: string, reason: string) => void;
}

const ATTEMPTS_MAX = 4;
const BASE_DELAY_MS = 200;
const TIMEOUT_MS = 10_000;

export class HubClient {
  constructor(private readonly options: HubClientOptions) {}

  /** `path` is the resource path without the hub's base, e.g. `/parties/MSISDN/254700000001`. */
  async answer(
    resource: FspiopResource,
    path: string,
    destination: string,
    answer: Answer,
  ): Promise<boolean> {
    if (answer.kind === 'none') return true;
    const target = answer.kind === 'put' ? path : `${path}/error`;
    const body = answer.kind === 'put' ? answer.body : { errorInformation: answer.error };
    return this.put(resource, target, destination, body);
  }

  private async put(
    resource: FspiopResource,
    path: string,
    destination: string,
    body: unknown,
  ): Promise<boolean> {
    const attemptsMax = this.options.attemptsMax ?? ATTEMPTS_MAX;
    let reason = '';
    for (let attempt = 0; attempt < attemptsMax; attempt++) {
      if (attempt > 0) await sleep((this.options.baseDelayMs ?? BASE_DELAY_MS) * 2 ** attempt);
      try {
        const response = await fetch(`${this.options.hubUrl}${path}`, {
          method: 'PUT',
          headers: {
            'content-type': contentTypeOf(resource),
            accept: contentTypeOf(resource),
            date: new Date().toUTCString(),
            'fspiop-source': this.options.fspId,
            'fspiop-destination': destination,
          },
          body: JSON.stringify(body),
          signal: AbortSignal.timeout(this.options.timeoutMs ?? TIMEOUT_MS),
        });
        await response.arrayBuffer();
        // 4xx means the hub refused the message itself: sending it again cannot help.
        if (response.ok) return true;
        reason = `HTTP ${response.status}`;
        if (response.status < 500) break;
      } catch (error) {
        reason = (error as Error).message;
      }
    }
    this.options.onFailure?.(path, reason);
    return false;
  }
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
