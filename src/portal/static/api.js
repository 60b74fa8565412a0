// Calls to this server's JSON APIs. Every failure becomes an ApiError whose message is what the
// API said (Daraja's errorMessage, the portal's message or error), ready to show to a person.

/** No portal call should take longer; a hung request must not leave a button spinning forever. */
const REQUEST_TIMEOUT_MS = 15_000;

export class ApiError extends Error {
  /** @param {string} message @param {number} status @param {unknown} body */
  constructor(message, status, body) {
    super(message);
    this.status = status;
    this.body = body;
  }
}

/** The message in any of the error bodies this server sends. */
export function errorMessageOf(body, status) {
  if (body !== null && typeof body === 'object') {
    for (const key of ['errorMessage', 'message', 'error']) {
      const value = body[key];
      if (typeof value === 'string' && value.length > 0) return sentence(value);
    }
  }
  return status === 0 ? 'Could not reach the server.' : `The server answered ${status}.`;
}

function sentence(text) {
  const cleaned = text.replace(/^body\//, '').replace(/_/g, ' ');
  return cleaned.charAt(0).toUpperCase() + cleaned.slice(1);
}

/**
 * @param {string} url
 * @param {{ method?: string, body?: unknown, token?: string | null }} [init]
 */
export async function call(url, init = {}) {
  const headers = { accept: 'application/json' };
  if (init.body !== undefined) headers['content-type'] = 'application/json';
  if (init.token) headers.authorization = `Bearer ${init.token}`;
  let response;
  try {
    response = await fetch(url, {
      method: init.method ?? (init.body === undefined ? 'GET' : 'POST'),
      headers,
      body: init.body === undefined ? undefined : JSON.stringify(init.body),
      signal: AbortSignal.timeout(REQUEST_TIMEOUT_MS),
    });
  } catch {
    throw new ApiError('Could not reach the server. Is Malipo running?', 0, null);
  }
  const text = await response.text();
  let body = null;
  try {
    body = text.length === 0 ? null : JSON.parse(text);
  } catch {
    body = text;
  }
  if (!response.ok)
    throw new ApiError(errorMessageOf(body, response.status), response.status, body);
  return body;
}
