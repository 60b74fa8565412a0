// A real PostgreSQL for tests: the server the test run started (MALIPO_TEST_PG_URL, see
// scripts/test.mjs), or one started here from the embedded binaries. Each call gets a fresh
// database so tests never see each other's rows.

import { randomBytes } from 'node:crypto';
import pg from 'pg';
import { type EmbeddedPostgres, startEmbeddedPostgres } from './embedded-server.ts';

let embedded: Promise<EmbeddedPostgres> | null = null;

async function serverUrl(): Promise<string> {
  const fromRun = process.env.MALIPO_TEST_PG_URL;
  if (fromRun) return fromRun;
  embedded ??= startEmbeddedPostgres();
  return (await embedded).url;
}

/** A new, empty database on the test server; returns its URL. */
export async function freshDatabaseUrl(): Promise<string> {
  const url = new URL(await serverUrl());
  const name = `malipo_test_${randomBytes(6).toString('hex')}`;
  const admin = new pg.Client({ connectionString: url.toString() });
  await admin.connect();
  try {
    await admin.query(`CREATE DATABASE ${name}`);
  } finally {
    await admin.end();
  }
  url.pathname = `/${name}`;
  return url.toString();
}

/** Stops the server this process started, if any (call from a test's `after`). */
export async function stopTestPostgres(): Promise<void> {
  if (embedded === null) return;
  const server = await embedded;
  embedded = null;
  await server.stop();
}
