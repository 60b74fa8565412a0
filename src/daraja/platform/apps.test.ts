import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { LedgerClient } from '../../journal/client.ts';
import { createApp, registerDeveloper } from './apps.ts';
import type { DarajaApp } from './model.ts';
import { PlatformState } from './state.ts';

describe('apps and developers created concurrently', { timeout: 60_000 }, () => {
  it('get distinct seqs, so every token names its own app, also after a restart', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'malipo-apps-'));
    const journal = { kind: 'sqlite' as const, path: join(dir, 'journal.db') };
    try {
      let apps: DarajaApp[] = [];
      const ledger = await LedgerClient.open({ journal });
      try {
        const state = new PlatformState();
        const created = await Promise.all(
          Array.from({ length: 20 }, (_, i) =>
            createApp(
              state,
              ledger,
              { name: `App ${i}`, developerId: null, shortcodes: [String(700_000 + i)] },
              0,
            ),
          ),
        );
        const developers = await Promise.all(
          Array.from({ length: 3 }, (_, i) =>
            registerDeveloper(state, ledger, `dev${i}@example.com`, 'long-enough-pw', 0),
          ),
        );
        apps = created.map((c) => (c.ok ? c.app : assert.fail(c.message)));
        assert.equal(new Set(apps.map((a) => a.seq)).size, apps.length);
        for (const app of apps) assert.equal(state.appsBySeq.get(app.seq)?.id, app.id);
        const devs = developers.map((d) => (d.ok ? d.developer : assert.fail(d.message)));
        assert.equal(new Set(devs.map((d) => d.seq)).size, devs.length);
      } finally {
        await ledger.close();
      }
      const reopened = await LedgerClient.open({ journal });
      try {
        const replayed = new PlatformState();
        await replayed.load(reopened);
        for (const app of apps) assert.equal(replayed.appsBySeq.get(app.seq)?.id, app.id);
        const next = await createApp(
          replayed,
          reopened,
          { name: 'After restart', developerId: null, shortcodes: ['799999'] },
          0,
        );
        assert.ok(next.ok);
        assert.equal(next.app.seq, Math.max(...apps.map((a) => a.seq)) + 1);
      } finally {
        await reopened.close();
      }
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
