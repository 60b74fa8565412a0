// How CLI commands reach a running server's admin API: the URL, and the bearer token the
// server keeps in its data folder.

import { readFileSync } from 'node:fs';
import { join } from 'node:path';

export interface AdminTarget {
  url: string;
  token: string;
}

export function adminTarget(options: { url?: string; data?: string }): AdminTarget {
  const url = (options.url ?? process.env.MALIPO_URL ?? 'http://127.0.0.1:8080').replace(
    /\/+$/,
    '',
  );
  const token =
    process.env.MALIPO_ADMIN_TOKEN ??
    readFileSync(
      join(options.data ?? process.env.MALIPO_DATA_DIR ?? 'data', 'admin-token'),
      'utf8',
    ).trim();
  return { url, token };
}

export async function adminGet<T>(
  target: AdminTarget,
  path: string,
): Promise<{ status: number; body: T }> {
  const response = await fetch(`${target.url}${path}`, {
    headers: { authorization: `Bearer ${target.token}` },
  });
  return { status: response.status, body: (await response.json()) as T };
}
