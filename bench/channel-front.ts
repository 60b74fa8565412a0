// A/B of a channel's two ways into a hot Daraja route (decision 0031) on one running server
// started with `--workers N`: the same C2B simulate (a shortcode the app does not own, so the
// owner answers 400 and no payment runs), length-framed (the lean path, no fastify) or chunked
// (the channel's fastify), batches alternated, the channels' CPU read from /proc (Linux).
//
//   node --import tsx bench/channel-front.ts PORT CONSUMER_KEY CONSUMER_SECRET DATA_DIR [BATCHES]
import { readFileSync } from 'node:fs';
import { Agent, request } from 'node:http';

const REQUESTS_PER_BATCH = 5_000;
const CONCURRENCY = 16;
/** /proc/PID/stat counts CPU in clock ticks of 10 ms (USER_HZ 100). */
const US_PER_TICK = 10_000;

const [port, key, secret, dataDir, batchesArg] = process.argv.slice(2);
if (dataDir === undefined) throw new Error('usage: channel-front.ts PORT KEY SECRET DATA_DIR');
const batches = Number(batchesArg ?? 8);
const base = `http://127.0.0.1:${port}`;
const basic = Buffer.from(`${key}:${secret}`).toString('base64');
const oauth = await fetch(`${base}/oauth/v1/generate?grant_type=client_credentials`, {
  headers: { authorization: `Basic ${basic}` },
});
const { access_token: token } = (await oauth.json()) as { access_token: string };
const body = JSON.stringify({
  ShortCode: '999999',
  CommandID: 'CustomerPayBillOnline',
  Amount: 10,
  Msisdn: '254708374149',
  BillRefNumber: 'ab',
});
const runtime = JSON.parse(readFileSync(`${dataDir}/runtime.json`, 'utf8')) as {
  channels: number[];
};

function channelTicks(): number {
  let ticks = 0;
  for (const pid of runtime.channels) {
    const fields = (readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1] ?? '').split(' ');
    ticks += Number(fields[11]) + Number(fields[12]);
  }
  return ticks;
}

const agent = new Agent({ keepAlive: true, maxSockets: CONCURRENCY });

function send(chunked: boolean): Promise<number> {
  const headers: Record<string, string | number> = {
    authorization: `Bearer ${token}`,
    'content-type': 'application/json',
  };
  if (!chunked) headers['content-length'] = Buffer.byteLength(body);
  return new Promise((resolve, reject) => {
    const req = request(
      `${base}/mpesa/c2b/v1/simulate`,
      { agent, method: 'POST', headers },
      (res) => {
        res.resume();
        res.on('end', () => resolve(res.statusCode ?? 0));
      },
    );
    req.on('error', reject);
    req.end(body);
  });
}

/** The channels' CPU µs per request over one batch. */
async function batch(chunked: boolean, requests: number): Promise<number> {
  const before = channelTicks();
  let inFlight: Promise<number>[] = [];
  for (let i = 0; i < requests; i++) {
    inFlight.push(send(chunked));
    if (inFlight.length === CONCURRENCY) {
      await Promise.all(inFlight);
      inFlight = [];
    }
  }
  await Promise.all(inFlight);
  return Math.round(((channelTicks() - before) * US_PER_TICK) / requests);
}

const median = (values: number[]) => [...values].sort((a, b) => a - b)[values.length >> 1];
await batch(false, 500);
await batch(true, 500);
const lean: number[] = [];
const fastify: number[] = [];
for (let round = 0; round < batches; round++) {
  // Alternate which goes first, so a drift of the machine's load favours neither.
  const order = round % 2 === 0 ? [false, true] : [true, false];
  for (const chunked of order)
    (chunked ? fastify : lean).push(await batch(chunked, REQUESTS_PER_BATCH));
}
console.log(`channels' CPU µs per request: lean ${median(lean)} (${lean.join(', ')})`);
console.log(`channels' CPU µs per request: fastify ${median(fastify)} (${fastify.join(', ')})`);
agent.destroy();
