import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { BoundedLruCache, LRU_ENTRIES_LIMIT } from './lru.ts';

describe('BoundedLruCache', () => {
  it('evicts the least recently used entry, counting reads as use', () => {
    const cache = new BoundedLruCache<string, number>(3);
    cache.set('a', 1);
    cache.set('b', 2);
    cache.set('c', 3);
    assert.equal(cache.get('a'), 1);
    cache.set('d', 4);
    assert.equal(cache.size, 3);
    assert.equal(cache.get('b'), undefined);
    assert.deepEqual([cache.get('a'), cache.get('c'), cache.get('d')], [1, 3, 4]);
  });

  it('overwrites in place without growing, and deletes', () => {
    const cache = new BoundedLruCache<string, number>(2);
    cache.set('a', 1);
    cache.set('a', 2);
    assert.equal(cache.size, 1);
    assert.equal(cache.get('a'), 2);
    assert.equal(cache.delete('a'), true);
    assert.equal(cache.size, 0);
    cache.set('x', 1);
    cache.clear();
    assert.equal(cache.get('x'), undefined);
  });

  it('never holds more than its maximum', () => {
    const cache = new BoundedLruCache<number, number>(100);
    for (let i = 0; i < 10_000; i++) cache.set(i, i);
    assert.equal(cache.size, 100);
    assert.equal(cache.get(9_999), 9_999);
    assert.equal(cache.get(9_899), undefined);
  });

  it('refuses sizes outside 1..limit', () => {
    assert.throws(() => new BoundedLruCache(0), RangeError);
    assert.throws(() => new BoundedLruCache(LRU_ENTRIES_LIMIT + 1), RangeError);
  });
});
