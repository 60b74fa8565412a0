// Summarises the .cpuprofile files `npm run bench:api -- --profile` keeps (a temp folder it names)
// again with the current summariser, e.g. after refining its domains:
//
//   node --import tsx bench/api/summarise-profiles.ts DIR [--main-us N] [--writer-us N] [--out F]
//
// --main-us / --writer-us: that step's CPU µs per request of the main and writer threads (from
// api.json's profile step), to turn shares into µs per request.

import { readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { type CpuProfile, summariseProfile } from './profile.ts';

const { values, positionals } = parseArgs({
  allowPositionals: true,
  options: {
    'main-us': { type: 'string' },
    'writer-us': { type: 'string' },
    out: { type: 'string' },
  },
});
const dir = positionals[0];
if (dir === undefined) throw new Error('usage: summarise-profiles.ts DIR [--out FILE]');
const threads = readdirSync(dir)
  .filter((f) => f.endsWith('.cpuprofile'))
  .sort()
  .map((f) => {
    const profile = JSON.parse(readFileSync(`${dir}/${f}`, 'utf8')) as CpuProfile;
    return summariseProfile(f.replace(/^server-\d+-+|-*\.cpuprofile$/g, ''), profile, resolve('.'));
  });
const isWriter = (t: (typeof threads)[number]) =>
  t.topFiles.some((f) => f.name === 'src/journal/writer.ts');
const usPerRequest: Record<string, number> = {};
for (const t of threads) {
  const us =
    t.thread === 'main' ? values['main-us'] : isWriter(t) ? values['writer-us'] : undefined;
  if (us !== undefined) usPerRequest[t.thread] = Number(us);
}
const summary = { source: dir, usPerRequest, threads };
if (values.out !== undefined) writeFileSync(values.out, `${JSON.stringify(summary, null, 2)}\n`);
for (const t of threads.filter((t) => t.busyShare >= 0.01)) {
  const us = usPerRequest[t.thread];
  console.log(`${t.thread}: busy ${Math.round(t.busyShare * 100)} %`);
  for (const d of t.domains)
    console.log(
      `  ${(d.selfShare * 100).toFixed(1).padStart(5)} %${us === undefined ? '' : `  ${String(Math.round(d.selfShare * us)).padStart(5)} µs`}  ${d.name}`,
    );
}
