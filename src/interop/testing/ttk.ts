// Starts the Mojaloop Testing Toolkit for a test run, from a scratch install made by
// scripts/ttk-setup.sh (MALIPO_TTK_DIR), and stops it afterwards. Returns null when no toolkit
// is installed, so the caller can skip with the reason instead of pretending; with
// MALIPO_REQUIRE_TTK=1 (CI, which installs it) a missing toolkit is an error instead, so the
// toolkit halves cannot quietly stop running.

import { type ChildProcess, spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';

export interface RunningToolkit {
  /** The toolkit's inbound FSPIOP API, where it validates what it receives. */
  url: string;
  /** Its admin API (configuration, rules, outbound test runs): MALIPO_TTK_ADMIN_PORT, else the API port + 1. */
  adminUrl: string;
  stop(): Promise<void>;
}

// Generous: on a loaded 2-core machine its start (API definitions, rules) has taken over 90 s.
const START_WAIT_MS_MAX = 180_000;
const POLL_MS = 500;

export function toolkitDir(env: NodeJS.ProcessEnv = process.env): string | null {
  const dir = env.MALIPO_TTK_DIR;
  const installed = dir !== undefined && existsSync(join(dir, 'src', 'index.js'));
  if (!installed && env.MALIPO_REQUIRE_TTK === '1')
    throw new Error(
      `MALIPO_REQUIRE_TTK=1 but MALIPO_TTK_DIR (${dir ?? 'unset'}) holds no Testing Toolkit: run scripts/ttk-setup.sh`,
    );
  return installed ? (dir as string) : null;
}

export async function startToolkit(
  dir: string,
  port: number,
  adminPort = Number(process.env.MALIPO_TTK_ADMIN_PORT ?? port + 1),
): Promise<RunningToolkit> {
  const url = `http://127.0.0.1:${port}`;
  const adminUrl = `http://127.0.0.1:${adminPort}`;
  // Another toolkit already there (a concurrent suite, a leftover process) would answer our
  // health poll and validate in our place: refuse loudly instead.
  const busy = await fetch(`${url}/health`, { signal: AbortSignal.timeout(POLL_MS * 2) }).then(
    () => true,
    () => false,
  );
  if (busy) throw new Error(`something already listens on ${url}: one toolkit per port at a time`);
  const child: ChildProcess = spawn(process.execPath, ['src/index.js'], {
    cwd: dir,
    stdio: 'ignore',
  });
  const stop = async () => {
    if (child.exitCode !== null) return;
    const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
    child.kill('SIGTERM');
    await exited;
  };
  const deadline = Date.now() + START_WAIT_MS_MAX;
  while (Date.now() < deadline) {
    if (child.exitCode !== null) throw new Error(`the toolkit exited with ${child.exitCode}`);
    try {
      await fetch(`${url}/health`, { signal: AbortSignal.timeout(POLL_MS * 2) });
      await fetch(`${adminUrl}/api/config/user`, { signal: AbortSignal.timeout(POLL_MS * 2) });
      return { url, adminUrl, stop };
    } catch {
      await new Promise((resolve) => setTimeout(resolve, POLL_MS));
    }
  }
  await stop();
  throw new Error(`the toolkit did not listen on ${url} within ${START_WAIT_MS_MAX} ms`);
}

async function adminCall(toolkit: RunningToolkit, method: string, path: string, body?: unknown) {
  const response = await fetch(`${toolkit.adminUrl}${path}`, {
    method,
    headers: body === undefined ? {} : { 'content-type': 'application/json' },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const text = await response.text();
  if (!response.ok) throw new Error(`toolkit admin ${method} ${path}: ${response.status} ${text}`);
  return text === '' ? null : (JSON.parse(text) as unknown);
}

/**
 * Makes the toolkit the other provider: its callbacks go to `callbackUrl`, its answers follow
 * `rules` (a callback and a validation rules file, made active; validation rules answer errors), and its user settings take `settings`. The toolkit
 * keeps configuration in its install folder, so the returned function puts the previous settings
 * and rules file back: the validation-only tests that share the install expect its defaults.
 */
const COUNTERPART_RULES = 'malipo-counterpart.json';

export async function actAsCounterpart(
  toolkit: RunningToolkit,
  callbackUrl: string,
  rules: { callback: unknown[]; validation: unknown[] },
  settings: Record<string, unknown> = {},
): Promise<() => Promise<void>> {
  const user = (await adminCall(toolkit, 'GET', '/api/config/user')) as {
    stored: Record<string, unknown>;
  };
  const previous = user.stored;
  const kinds = ['callback', 'validation'] as const;
  const active: Record<string, string> = {};
  for (const kind of kinds) {
    const files = (await adminCall(toolkit, 'GET', `/api/rules/files/${kind}`)) as {
      activeRulesFile: string;
    };
    // A run killed before it restored leaves our file active: put the toolkit's default back then.
    active[kind] =
      files.activeRulesFile === COUNTERPART_RULES ? 'default.json' : files.activeRulesFile;
  }
  await adminCall(toolkit, 'PUT', '/api/config/user', {
    ...previous,
    ...settings,
    CALLBACK_ENDPOINT: callbackUrl,
  });
  const activate = (kind: string, fileName: string) =>
    adminCall(toolkit, 'PUT', `/api/rules/files/${kind}`, { type: 'activeRulesFile', fileName });
  for (const kind of kinds) {
    await adminCall(toolkit, 'PUT', `/api/rules/files/${kind}/${COUNTERPART_RULES}`, rules[kind]);
    await activate(kind, COUNTERPART_RULES);
  }
  return async () => {
    await adminCall(toolkit, 'PUT', '/api/config/user', previous);
    for (const kind of kinds) await activate(kind, active[kind]);
  };
}

export interface OutboundRequestResult {
  description: string;
  /** SUCCESS when every assertion of the request passed. */
  status: string;
  response?: { status: number; body?: unknown };
  callback?: { url?: string; headers?: Record<string, string>; body?: Record<string, unknown> };
  /** Descriptions of the assertions that did not pass. */
  failed: string[];
}

interface OutboundReport {
  test_cases: {
    requests: {
      request: {
        description: string;
        tests?: { assertions: { description: string; resultStatus?: { status: string } }[] };
      };
      status: string;
      response?: OutboundRequestResult['response'];
      callback?: OutboundRequestResult['callback'];
    }[];
  }[];
}

/**
 * Runs one test case through the toolkit's outbound API, synchronously: the toolkit is the payer,
 * sends each request to its CALLBACK_ENDPOINT, waits for the callback on its own inbound API and
 * runs the request's assertions (chai, against `response` and `callback`).
 */
export async function runOutbound(
  toolkit: RunningToolkit,
  name: string,
  requests: unknown[],
): Promise<OutboundRequestResult[]> {
  const report = (await adminCall(
    toolkit,
    'POST',
    `/api/outbound/template/${encodeURIComponent(name)}?sync=true`,
    { name, test_cases: [{ id: 1, name, requests }] },
  )) as OutboundReport;
  return report.test_cases[0].requests.map((r) => ({
    description: r.request.description,
    status: r.status,
    response: r.response,
    callback: r.callback,
    failed: (r.request.tests?.assertions ?? [])
      .filter((a) => a.resultStatus?.status !== 'SUCCESS')
      .map((a) => a.description),
  }));
}
