// `malipo status` as an operator runs it (a child process against a real server): healthy with
// exit 0, then a payment held for review makes it say so and exit 1; no server, exit 2.
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import { startServer } from '../server/app.ts';
import { loadConfig } from '../server/config.ts';

const MAIN = fileURLToPath(new URL('./main.ts', import.meta.url));
const TOKEN = 'status-test-admin-token';

function status(url: string): Promise<{ code: number; out: string }> {
  return new Promise((resolve) => {
    execFile(
      process.execPath,
      ['--import', 'tsx', MAIN, 'status', '--url', url],
      { env: { ...process.env, MALIPO_ADMIN_TOKEN: TOKEN }, timeout: 60_000 },
      (error, stdout, stderr) =>
        resolve({ code: error === null ? 0 : Number(error.code), out: stdout + stderr }),
    );
  });
}

describe('malipo status', { timeout: 180_000 }, () => {
  it('summarises health and exits by it', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'malipo-status-'));
    const server = await startServer(
      loadConfig(
        { dataDir: dir, host: '127.0.0.1', port: 0 },
        { MALIPO_ADMIN_TOKEN: TOKEN, MALIPO_RISK_MODEL: 'none', MALIPO_RISK_MODE: 'enforce' },
      ),
    );
    try {
      const healthy = await status(server.url);
      assert.equal(healthy.code, 0, healthy.out);
      assert.match(healthy.out, /shard 0 +up, sqlite/);
      assert.match(healthy.out, /outbox sms/);
      assert.match(healthy.out, /\nhealthy$/m);

      const post = (path: string, body: unknown) =>
        fetch(`${server.url}${path}`, {
          method: 'POST',
          headers: { authorization: `Bearer ${TOKEN}`, 'content-type': 'application/json' },
          body: JSON.stringify(body),
        });
      assert.equal(
        (await post('/admin/risk/events', { msisdn: '0712345678', type: 'sim_swap' })).status,
        201,
      );
      const held = await post('/admin/transactions/send-money', {
        from: '0712345678',
        pin: '4826',
        to: '0722000111',
        amountCents: 1_500_000,
      });
      assert.equal(held.status, 200);
      const attention = await status(server.url);
      assert.equal(attention.code, 1, attention.out);
      assert.match(attention.out, /reviews +1 held/);
      assert.match(attention.out, /needs attention: 1 payments held for review/);
    } finally {
      await server.close();
      rmSync(dir, { recursive: true, force: true });
    }
    const down = await status('http://127.0.0.1:8169');
    assert.equal(down.code, 2, down.out);
  });
});
