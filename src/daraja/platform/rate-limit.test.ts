// The per-app rate limit on a real server: 429 with Retry-After and Daraja's errorCode past the
// allowance, the allowance shown on the app's page, raised per app by the operator, and kept
// across a restart (it lives in the 'daraja' journal stream with the apps).
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import {
  ADMIN_TOKEN,
  accessToken,
  darajaCall,
  errorOf,
  request,
  startTestServer,
  type TestServer,
} from './testing/harness.ts';

/** A default so low (3 requests, then one per 1000 s) that the limit is met at once. */
const TIGHT = { perSecond: 0.001, burst: 3 } as const;

describe('per-app rate limit', { timeout: 120_000 }, () => {
  it('answers 429 with Retry-After, shows the allowance, and lets the operator raise it for one app', async () => {
    let server: TestServer | null = await startTestServer({ platform: { rateLimit: TIGHT } });
    const dir = server.dir;
    try {
      const appId = server.platform.state.sandbox!.appId;
      const admin = (method: string, body?: unknown, token = ADMIN_TOKEN) =>
        request(`${server!.url}/daraja/admin/apps/${appId}/rate-limit`, {
          method,
          body,
          headers: { authorization: `Bearer ${token}` },
        });
      const statuses = async (count: number) => {
        const token = await accessToken(
          server!,
          server!.sandbox.consumerKey,
          server!.sandbox.consumerSecret,
        );
        const answers = [];
        for (let i = 0; i < count; i++) {
          answers.push(await darajaCall(server!, token)('/mpesa/stkpushquery/v1/query', {}));
        }
        return answers;
      };

      const limited = await statuses(5);
      assert.deepEqual(
        limited.map((a) => a.status),
        [400, 400, 400, 429, 429],
      );
      assert.equal(errorOf(limited[3]!).errorCode, '500.003.02');
      const retry = await fetch(`${server.url}/mpesa/stkpushquery/v1/query`, {
        method: 'POST',
        headers: {
          'content-type': 'application/json',
          authorization: `Bearer ${await accessToken(server, server.sandbox.consumerKey, server.sandbox.consumerSecret)}`,
        },
        body: '{}',
      });
      assert.equal(retry.status, 429);
      assert.equal(retry.headers.get('retry-after'), '1');
      await retry.arrayBuffer();

      assert.deepEqual((await admin('GET')).body, { appId, ...TIGHT });
      assert.equal((await admin('PUT', { perSecond: 500 }, 'wrong-token')).status, 401);
      assert.equal((await admin('PUT', { perSecond: 0 })).status, 400);
      assert.equal((await admin('PUT', { perSecond: 1e9 })).status, 400);
      const raised = await admin('PUT', { perSecond: 500, burst: 1000 });
      assert.equal(raised.status, 200, JSON.stringify(raised.body));
      assert.deepEqual(raised.body, { appId, perSecond: 500, burst: 1000 });
      const unknown = await request(`${server.url}/daraja/admin/apps/nope/rate-limit`, {
        method: 'PUT',
        body: { perSecond: 5 },
        headers: { authorization: `Bearer ${ADMIN_TOKEN}` },
      });
      assert.equal(unknown.status, 404);

      const after = await statuses(30);
      assert.ok(
        after.every((a) => a.status === 400),
        after.map((a) => a.status).join(','),
      );

      await server.stop();
      server = await startTestServer({ platform: { rateLimit: TIGHT }, dir });
      assert.deepEqual((await admin('GET')).body, { appId, perSecond: 500, burst: 1000 });
      const afterRestart = await statuses(30);
      assert.ok(afterRestart.every((a) => a.status === 400));
    } finally {
      await server?.close();
    }
  });

  it("shows each app's allowance on the developer's app page", async () => {
    const server = await startTestServer({
      platform: { rateLimit: { perSecond: 50, burst: 100 } },
    });
    try {
      const portal = (path: string, body?: unknown, token?: string) =>
        request(`${server.url}/portal/api${path}`, {
          method: body === undefined ? 'GET' : 'POST',
          body,
          headers: token === undefined ? {} : { authorization: `Bearer ${token}` },
        });
      const credentials = { email: 'load@example.com', password: 'correct horse battery' };
      assert.equal((await portal('/developers', credentials)).status, 201);
      const token = String((await portal('/sessions', credentials)).body.token);
      const created = await portal('/apps', { name: 'Load test' }, token);
      assert.deepEqual(created.body.rateLimit, { perSecond: 50, burst: 100 });
      const appId = String(created.body.appId);
      await request(`${server.url}/daraja/admin/apps/${appId}/rate-limit`, {
        method: 'PUT',
        body: { perSecond: 2000 },
        headers: { authorization: `Bearer ${ADMIN_TOKEN}` },
      });
      const listed = await portal('/apps', undefined, token);
      const apps = listed.body.apps as { appId: string; rateLimit: unknown }[];
      assert.deepEqual(apps.find((a) => a.appId === appId)?.rateLimit, {
        perSecond: 2000,
        burst: 4000,
      });
    } finally {
      await server.close();
    }
  });
});
