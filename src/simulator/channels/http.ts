// The small HTTP helper the driver's channels share: one request with a timeout, the answer's
// status and text, and network failures as values (the driver counts them, it does not stop).

/** A platform that does not answer within this is counted as an error, as a gateway would. */
export const REQUEST_TIMEOUT_MS = 30_000;
/** Answers longer than this are cut: the driver reads statuses and short bodies only. */
const ANSWER_CHARS_MAX = 64 * 1024;

export type HttpAnswer =
  | { readonly ok: true; readonly status: number; readonly text: string }
  | { readonly ok: false; readonly error: string };

export interface HttpRequest {
  readonly method: 'GET' | 'POST' | 'PUT';
  readonly url: string;
  readonly headers?: Readonly<Record<string, string>>;
  readonly body?: string;
  readonly timeoutMs?: number;
}

export async function request(req: HttpRequest): Promise<HttpAnswer> {
  try {
    const response = await fetch(req.url, {
      method: req.method,
      headers: req.headers,
      body: req.body,
      signal: AbortSignal.timeout(req.timeoutMs ?? REQUEST_TIMEOUT_MS),
    });
    const text = (await response.text()).slice(0, ANSWER_CHARS_MAX);
    return { ok: true, status: response.status, text };
  } catch (error) {
    return { ok: false, error: (error as Error).message };
  }
}

/** JSON body of an answer, or undefined when it is not JSON. */
export function jsonOf(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return undefined;
  }
}

export function joinUrl(base: string, path: string): string {
  return `${base.replace(/\/+$/, '')}${path}`;
}
