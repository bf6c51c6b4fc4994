import { describe, expect, it } from 'vitest';
import { toHex64, xxh64 } from '../src/xxhash64.js';

// Published XXH64 (seed 0) values.
const VECTORS: [string, string][] = [
  ['', 'ef46db3751d8e999'],
  ['a', 'd24ec4f1a98c6e5b'],
  ['abc', '44bc2cf5ad770999'],
  ['Nobody inspects the spammish repetition', 'fbcea83c8a378bf1'],
];

describe('xxh64', () => {
  it.each(VECTORS)('hashes %j', (s, hex) => {
    expect(toHex64(xxh64(Buffer.from(s)))).toBe(hex);
  });
  it('hashes every length up to 100 differently (tail paths)', () => {
    const seen = new Set<string>();
    const data = Buffer.alloc(100, 7);
    for (let n = 0; n <= 100; n++) seen.add(toHex64(xxh64(data.subarray(0, n))));
    expect(seen.size).toBe(101);
  });
});
