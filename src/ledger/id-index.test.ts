import assert from 'node:assert/strict';
import { test } from 'node:test';
import fc from 'fast-check';
import { IdIndex } from './id-index.ts';

test('id index: every added id is a candidate of itself, removals are exact', () => {
  fc.assert(
    fc.property(
      fc.array(fc.tuple(fc.string({ maxLength: 6 }), fc.boolean()), { maxLength: 400 }),
      (ops) => {
        const index = new IdIndex();
        const live = new Map<number, string>();
        let ts = 1;
        for (const [id, removeLater] of ops) {
          index.add(id, ts);
          live.set(ts, id);
          if (removeLater && live.size > 1) {
            const [victimTs, victimId] = [...live][Math.floor(live.size / 2)];
            index.remove(victimId, victimTs);
            live.delete(victimTs);
          }
          ts++;
        }
        assert.equal(index.size, live.size);
        for (const [t, id] of live) {
          const found: number[] = [];
          index.candidates(id, found);
          assert.ok(found.includes(t), `${id}@${t} findable`);
          assert.ok(index.mightContain(id));
        }
      },
    ),
    { numRuns: 200 },
  );
});

test('id index grows past its initial capacity and refuses beyond its maximum', () => {
  const index = new IdIndex(1 << 17);
  for (let i = 1; i <= 80_000; i++) index.add(`id-${i}`, i);
  const found: number[] = [];
  index.candidates('id-12345', found);
  assert.ok(found.includes(12345));
  assert.equal(index.mightContain('never-added'), false);
  assert.throws(() => {
    for (let i = 80_001; i <= 200_000; i++) index.add(`id-${i}`, i);
  }, /id index full/);
});
