// The SMS a customer's handset would receive, for tests: the real dispatcher sends the committed
// 'sms' records through the file gateway (the embedded default sink), and tests read the file.

import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Outbox } from '../../outbox/service.ts';
import { waitFor } from '../../outbox/testing/harness.ts';
import type { World } from '../../payments/testing/world.ts';
import { createSmsDispatcher } from '../../sms/dispatcher.ts';
import { FileSmsGateway } from '../../sms/gateway.ts';

export interface SmsSink {
  /** The gateway's file: one JSON line per message sent. */
  path: string;
  /** Texts sent to this MSISDN (international digits) so far, oldest first. */
  textsTo(msisdn: string): string[];
  /** Waits for the (n+1)-th verification code sent to this MSISDN and returns it. */
  codeNumber(msisdn: string, n: number): Promise<string>;
  close(): Promise<void>;
}

const CODE = /verification code is (\d+)/;

export async function startSmsSink(world: World): Promise<SmsSink> {
  const dir = mkdtempSync(join(tmpdir(), 'malipo-sms-sink-'));
  const path = join(dir, 'sms.jsonl');
  const gateway = new FileSmsGateway({ path });
  const dispatcher: Outbox = createSmsDispatcher({
    ledger: world.ledger,
    market: world.market,
    gateway,
    stateFile: join(dir, 'sms-outbox.db'),
    senderId: 'MPESA',
    options: { pollIntervalMs: 5, baseDelayMs: 2, maxDelayMs: 20 },
  });
  await dispatcher.start();
  const textsTo = (msisdn: string): string[] => {
    let content = '';
    try {
      content = readFileSync(path, 'utf8');
    } catch {
      return [];
    }
    return content
      .split('\n')
      .filter((line) => line !== '')
      .map((line) => JSON.parse(line) as { to: string; text: string })
      .filter((m) => m.to.replace(/^\+/, '') === msisdn)
      .map((m) => m.text);
  };
  return {
    path,
    textsTo,
    codeNumber: (msisdn, n) =>
      waitFor(`verification code ${n + 1} for ${msisdn}`, () => {
        const codes = textsTo(msisdn).flatMap((text) => CODE.exec(text)?.[1] ?? []);
        return codes.length > n ? codes[n] : undefined;
      }),
    async close() {
      await dispatcher.stop();
      await gateway.close();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
