// `malipo forecast`: the next 24 hours of traffic per 15-minute slot and the capacity to
// provision, from a running server.

import { parseArgs } from 'node:util';
import type { Forecast } from '../forecast/model.ts';
import { adminGet, adminTarget } from './admin-client.ts';

export const FORECAST_USAGE = `usage: malipo forecast [options]
  --url URL     the running server (default http://127.0.0.1:8080)
  --data DIR    its data folder, where the admin token is read from (default ./data)
  --json        print the forecast as JSON`;

export async function forecastCommand(args: string[]): Promise<void> {
  const { values } = parseArgs({
    args,
    options: { url: { type: 'string' }, data: { type: 'string' }, json: { type: 'boolean' } },
  });
  const target = adminTarget(values);
  const { status, body } = await adminGet<{ ok: boolean; forecast?: Forecast; error?: unknown }>(
    target,
    '/admin/forecast',
  );
  if (values.json) {
    console.log(JSON.stringify(body, null, 2));
    return;
  }
  if (status !== 200 || body.forecast === undefined) {
    console.error(`no forecast yet: ${JSON.stringify(body.error)}`);
    process.exitCode = 1;
    return;
  }
  const f = body.forecast;
  const offsetMs = f.utcOffsetMinutes * 60_000;
  console.log(
    `margin: provision forecast × ${(1 + f.margin.underForecastFraction).toFixed(3)} (${f.margin.source})`,
  );
  console.log('slot (local)       expected TPS   band             capacity TPS');
  for (const slot of f.slots) {
    const time = new Date(slot.startMs + offsetMs).toISOString().slice(0, 16).replace('T', ' ');
    console.log(
      `${time}  ${slot.expectedTps.toFixed(2).padStart(12)}   ${slot.lowerTps.toFixed(2)}–${slot.upperTps.toFixed(2)}`.padEnd(
        50,
      ) + slot.capacityTps.toFixed(2).padStart(12),
    );
  }
}
