import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { CERTIFICATE_FILE, loadOrCreateCredentials, PRIVATE_KEY_FILE } from './credentials.ts';

const dir = mkdtempSync(join(tmpdir(), 'malipo-credentials-'));
after(() => rmSync(dir, { recursive: true, force: true }));

test('a damaged credential key is named, with what replacing it costs partners', async () => {
  const made = await loadOrCreateCredentials(dir, true);
  assert.match(made.certificatePem, /^-----BEGIN CERTIFICATE-----/);
  // Reloading the pair it made works; a damaged key does not, and the message says why and how.
  await loadOrCreateCredentials(dir, true);
  const keyPath = join(dir, PRIVATE_KEY_FILE);
  writeFileSync(keyPath, '-----BEGIN PRIVATE KEY-----\ntruncated\n');
  await assert.rejects(loadOrCreateCredentials(dir, true), (error: unknown) => {
    const message = (error as Error).message;
    return (
      message.startsWith(`the initiator credential key ${keyPath} is damaged`) &&
      message.includes(join(dir, CERTIFICATE_FILE)) &&
      message.includes('re-encrypt their initiator passwords')
    );
  });
});
