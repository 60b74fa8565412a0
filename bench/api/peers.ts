// The other parties of `npm run bench:api`, each run as a child process so none shares an event
// loop with the server or the load generator:
//
//   receiver <ports>  the partners' callback servers: one port per business (partners are
//                     different hosts, and the outbox limits concurrency per origin), answering
//                     200 {"ResultCode":0,"ResultDesc":"Accepted"} to C2B validation and
//                     confirmation and to results; it notes when each callback arrived and the
//                     ids that match it to its request
//   echo              the baseline: a bare node:http server that parses the JSON body and
//                     answers a small JSON one
//
// Both talk to the parent over IPC ('advanced' serialization: typed arrays cross cheaply).

import { once } from 'node:events';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { performance } from 'node:perf_hooks';
import { CALLBACK_KIND, type ParentMessage, type ReceivedBatch } from './protocol.ts';

const ACCEPTED = JSON.stringify({ ResultCode: 0, ResultDesc: 'Accepted' });
const ACCEPTED_HEADERS = {
  'content-type': 'application/json',
  'content-length': Buffer.byteLength(ACCEPTED),
};
/** Callback bodies are a few hundred bytes to a few KB; anything larger is read no further. */
const CALLBACK_BYTES_MAX = 64 * 1024;

const KIND_OF_PATH: Record<string, number> = {
  '/validate': CALLBACK_KIND.validation,
  '/confirm': CALLBACK_KIND.confirmation,
  '/result': CALLBACK_KIND.result,
  '/timeout': CALLBACK_KIND.timeout,
};

function receiver(portCount: number): Promise<void> {
  let kinds: number[] = [];
  let ids: string[] = [];
  let receipts: string[] = [];
  let codes: number[] = [];
  let arrived: number[] = [];
  let duplicates = 0;
  let unreadable = 0;
  const seenSeqs = new Set<string>();

  const note = (path: string, raw: string, seq: string | undefined) => {
    const at = performance.timeOrigin + performance.now();
    if (seq !== undefined) {
      if (seenSeqs.has(seq)) duplicates++;
      else seenSeqs.add(seq);
    }
    const kind = KIND_OF_PATH[path] ?? CALLBACK_KIND.other;
    try {
      const body = JSON.parse(raw) as Record<string, unknown>;
      const result = body.Result as Record<string, unknown> | undefined;
      if (kind === CALLBACK_KIND.validation || kind === CALLBACK_KIND.confirmation) {
        ids.push(String(body.BillRefNumber ?? ''));
        receipts.push(String(body.TransID ?? ''));
        codes.push(0);
      } else {
        ids.push(String(result?.ConversationID ?? ''));
        receipts.push(String(result?.TransactionID ?? ''));
        codes.push(Number(result?.ResultCode ?? -1));
      }
      kinds.push(kind);
      arrived.push(at);
    } catch {
      unreadable++;
    }
  };
  const handle = (req: IncomingMessage, res: ServerResponse) => {
    const chunks: Buffer[] = [];
    let size = 0;
    req.on('data', (chunk: Buffer) => {
      size += chunk.length;
      if (size <= CALLBACK_BYTES_MAX) chunks.push(chunk);
    });
    req.on('end', () => {
      note(
        (req.url ?? '/').split('?')[0]!,
        Buffer.concat(chunks).toString('utf8'),
        req.headers['x-malipo-delivery'] as string | undefined,
      );
      res.writeHead(200, ACCEPTED_HEADERS);
      res.end(ACCEPTED);
    });
  };
  const servers: Server[] = [];
  const listen = async () => {
    for (let i = 0; i < portCount; i++) {
      const server = createServer({ keepAliveTimeout: 30_000 }, handle);
      server.listen(0, '127.0.0.1');
      await once(server, 'listening');
      servers.push(server);
    }
    process.send!({
      type: 'ready',
      ports: servers.map((s) => (s.address() as AddressInfo).port),
    });
  };
  process.on('message', (message: ParentMessage) => {
    if (message.type === 'take') {
      const batch: ReceivedBatch = {
        kinds,
        ids,
        receipts,
        codes,
        arrivedAtWallMs: Float64Array.from(arrived),
        duplicates,
        unreadable,
      };
      kinds = [];
      ids = [];
      receipts = [];
      codes = [];
      arrived = [];
      duplicates = 0;
      unreadable = 0;
      process.send!({ type: 'taken', batch });
    } else if (message.type === 'stop') {
      for (const server of servers) server.closeAllConnections();
      process.exit(0);
    }
  });
  return listen();
}

function echo(): Promise<void> {
  const answer = JSON.stringify({
    ConversationID: 'AG_20240101_0000000000000000000a',
    ResponseCode: '0',
    ResponseDescription: 'Accept the service request successfully.',
  });
  const headers = { 'content-type': 'application/json', 'content-length': answer.length };
  const server = createServer({ keepAliveTimeout: 30_000 }, (req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => {
      // Parsed as the server parses its bodies, so the baseline does that much work too.
      JSON.parse(Buffer.concat(chunks).toString('utf8'));
      res.writeHead(200, headers);
      res.end(answer);
    });
  });
  server.listen(0, '127.0.0.1');
  process.on('message', (message: ParentMessage) => {
    if (message.type === 'stop') {
      server.closeAllConnections();
      process.exit(0);
    }
  });
  return once(server, 'listening').then(() => {
    process.send!({ type: 'ready', ports: [(server.address() as AddressInfo).port] });
  });
}

const [role, arg] = process.argv.slice(2);
// Orphaned (the bench died without stopping us): leave rather than linger.
process.on('disconnect', () => process.exit(0));
(role === 'receiver' ? receiver(Number(arg)) : echo()).catch((error) => {
  console.error(error);
  process.exit(1);
});
