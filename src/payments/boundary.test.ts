// The payments boundary (decision 0022), checked over the source: outside src/payments,
// production code reaches payments through its public modules only, and never spells a ledger
// account id. A new import of an internal module, or a `wallet:` prefix in a channel, fails here.
import assert from 'node:assert/strict';
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';
import { test } from 'node:test';
import { fileURLToPath } from 'node:url';

const SRC = fileURLToPath(new URL('..', import.meta.url));
/** What other domains may import: the surface, the service's type, and configuration. */
const PUBLIC_MODULES = new Set([
  'commands',
  'service',
  'model',
  'market-config',
  'tariffs',
  'receipts',
  'hooks',
  'demo',
  'routes',
]);
const ACCOUNT_ID_LITERAL = /['"`](wallet|overdraft|org|agent|operator):/;
/**
 * The service's `context` (registry, ledger, locks, receipts) is payments' own: reading it, or
 * taking it apart, from another domain is a way around the command interface.
 */
const CONTEXT_ACCESS = [/\.context\b/, /\{[^}]*\bcontext\b[^}]*\}\s*=\s*[\w.]*payments\b/];

function productionFiles(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const path = join(dir, name);
    if (statSync(path).isDirectory()) return name === 'testing' ? [] : productionFiles(path);
    return path.endsWith('.ts') && !path.endsWith('.test.ts') ? [path] : [];
  });
}

const outside = productionFiles(SRC).filter((p) => !relative(SRC, p).startsWith('payments/'));

test('outside src/payments, production code imports only payments public modules', () => {
  const offending = outside.flatMap((path) => {
    const source = readFileSync(path, 'utf8');
    return [...source.matchAll(/from '(?:\.\.\/)+payments\/([a-z-]+)\.ts'/g)]
      .filter((m) => !PUBLIC_MODULES.has(m[1] ?? ''))
      .map((m) => `${relative(SRC, path)} imports payments/${m[1]}.ts`);
  });
  assert.ok(outside.length > 50, 'the scan found the source tree');
  assert.deepEqual(offending, []);
});

test('outside src/payments, no production code spells a ledger account id', () => {
  const offending = outside.filter((path) => ACCOUNT_ID_LITERAL.test(readFileSync(path, 'utf8')));
  assert.deepEqual(
    offending.map((p) => relative(SRC, p)),
    [],
  );
});

test('outside src/payments, no production code reaches into the payments context', () => {
  const offending = outside.flatMap((path) =>
    readFileSync(path, 'utf8')
      .split('\n')
      .map((line, i) => ({ line, at: `${relative(SRC, path)}:${i + 1}` }))
      .filter(({ line }) => CONTEXT_ACCESS.some((pattern) => pattern.test(line)))
      .map(({ at, line }) => `${at}: ${line.trim()}`),
  );
  assert.deepEqual(offending, []);
});

test('the context check catches what it is meant to catch', () => {
  const caught = (line: string) => CONTEXT_ACCESS.some((pattern) => pattern.test(line));
  assert.ok(caught('const ctx = this.deps.payments.context;'));
  assert.ok(caught('const { context } = payments;'));
  assert.ok(caught('await openInteropTransit(server.payments.context);'));
  assert.ok(!caught('async (record, context: DeliveryContext) => context.signal'));
});
