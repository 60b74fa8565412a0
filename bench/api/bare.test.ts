import assert from 'node:assert/strict';
import { once } from 'node:events';
import { createServer, request } from 'node:http';
import type { AddressInfo } from 'node:net';
import { after, describe, test } from 'node:test';
import { listenBare } from './bare.ts';

/** A partner's callback server that records what it was sent, answering as Daraja partners do. */
async function partner() {
  const calls: { path: string; body: Record<string, unknown> }[] = [];
  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      calls.push({ path: req.url ?? '', body: JSON.parse(Buffer.concat(chunks).toString()) });
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end('{"ResultCode":0,"ResultDesc":"Accepted"}');
    });
  });
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  return { calls, server, port: (server.address() as AddressInfo).port };
}

function post(port: number, path: string, body: object): Promise<Record<string, unknown>> {
  return new Promise((resolve, reject) => {
    const req = request({ host: '127.0.0.1', port, path, method: 'POST' }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => resolve(JSON.parse(Buffer.concat(chunks).toString())));
    });
    req.on('error', reject);
    req.end(JSON.stringify(body));
  });
}

async function until(condition: () => boolean): Promise<void> {
  while (!condition()) await new Promise((resolve) => setTimeout(resolve, 10));
}

describe('bench:api like-for-like baseline server', () => {
  const closers: (() => void)[] = [];
  after(() => {
    for (const close of closers) close();
  });

  test('a C2B makes the validation call, then the confirmation; a B2C and a query one result each', async () => {
    const receiver = await partner();
    const { bare, server, port } = await listenBare();
    closers.push(
      () => receiver.server.close(),
      () => {
        server.closeAllConnections();
        server.close();
      },
    );
    const base = `http://127.0.0.1:${receiver.port}`;
    bare.register({
      '700001': { validationUrl: `${base}/validate`, confirmationUrl: `${base}/confirm` },
    });
    const c2b = await post(port, '/mpesa/c2b/v1/simulate', {
      ShortCode: '700001',
      Amount: 120,
      Msisdn: '254720000001',
      BillRefNumber: 'S1R7',
    });
    assert.equal(c2b.ResponseCode, '0');
    await until(() => receiver.calls.length === 2);
    assert.deepEqual(
      receiver.calls.map((c) => [c.path, c.body.BillRefNumber, c.body.TransAmount]),
      [
        ['/validate', 'S1R7', '120.00'],
        ['/confirm', 'S1R7', '120.00'],
      ],
    );
    for (const path of ['/mpesa/b2c/v1/paymentrequest', '/mpesa/accountbalance/v1/query']) {
      const answer = await post(port, path, {
        Amount: 50,
        PartyB: '254720000002',
        ResultURL: `${base}/result`,
      });
      const before = receiver.calls.length;
      await until(() => receiver.calls.length === before + 1);
      const result = receiver.calls.at(-1)!;
      assert.equal(result.path, '/result');
      const envelope = result.body.Result as Record<string, unknown>;
      assert.equal(envelope.ConversationID, answer.ConversationID);
      assert.equal(envelope.ResultCode, 0);
    }
    assert.deepEqual(bare.take(), { calls: 4, failures: 0 });
  });

  test('a call the partner cannot take is counted as a failure', async () => {
    const { bare, server, port } = await listenBare();
    closers.push(() => {
      server.closeAllConnections();
      server.close();
    });
    // A port nobody listens on: take one from the OS and close it again.
    const probe = createServer().listen(0, '127.0.0.1');
    await once(probe, 'listening');
    const deadPort = (probe.address() as AddressInfo).port;
    probe.close();
    await post(port, '/mpesa/b2c/v1/paymentrequest', {
      ResultURL: `http://127.0.0.1:${deadPort}/r`,
    });
    let failures = 0;
    await until(() => (failures += bare.take().failures) >= 1);
    assert.equal(failures, 1);
  });
});
