/**
 * XXH64 (seed 0), written for clarity with BigInt. Used for model IDs and
 * frame checksums (docs/FORMAT.md). The cpu engine has its own fast twin;
 * test vectors in test/xxhash64.test.ts pin both to the published values.
 */
const P1 = 0x9e3779b185ebca87n;
const P2 = 0xc2b2ae3d27d4eb4fn;
const P3 = 0x165667b19e3779f9n;
const P4 = 0x85ebca77c2b2ae63n;
const P5 = 0x27d4eb2f165667c5n;
const M64 = 0xffffffffffffffffn;

const rotl = (x: bigint, r: bigint): bigint => ((x << r) | (x >> (64n - r))) & M64;
const mul = (a: bigint, b: bigint): bigint => (a * b) & M64;

function round(acc: bigint, input: bigint): bigint {
  acc = (acc + mul(input, P2)) & M64;
  acc = rotl(acc, 31n);
  return mul(acc, P1);
}

function mergeRound(acc: bigint, val: bigint): bigint {
  acc ^= round(0n, val);
  return (mul(acc, P1) + P4) & M64;
}

export function xxh64(data: Uint8Array, seed = 0n): bigint {
  const dv = new DataView(data.buffer, data.byteOffset, data.byteLength);
  const len = data.length;
  const u64 = (o: number): bigint => dv.getBigUint64(o, true);
  const u32 = (o: number): bigint => BigInt(dv.getUint32(o, true));
  let p = 0;
  let h: bigint;
  if (len >= 32) {
    let v1 = (seed + P1 + P2) & M64;
    let v2 = (seed + P2) & M64;
    let v3 = seed;
    let v4 = (seed - P1) & M64;
    const limit = len - 32;
    while (p <= limit) {
      v1 = round(v1, u64(p));
      v2 = round(v2, u64(p + 8));
      v3 = round(v3, u64(p + 16));
      v4 = round(v4, u64(p + 24));
      p += 32;
    }
    h = (rotl(v1, 1n) + rotl(v2, 7n) + rotl(v3, 12n) + rotl(v4, 18n)) & M64;
    h = mergeRound(h, v1);
    h = mergeRound(h, v2);
    h = mergeRound(h, v3);
    h = mergeRound(h, v4);
  } else {
    h = (seed + P5) & M64;
  }
  h = (h + BigInt(len)) & M64;
  while (p + 8 <= len) {
    h ^= round(0n, u64(p));
    h = (mul(rotl(h, 27n), P1) + P4) & M64;
    p += 8;
  }
  if (p + 4 <= len) {
    h ^= mul(u32(p), P1);
    h = (mul(rotl(h, 23n), P2) + P3) & M64;
    p += 4;
  }
  while (p < len) {
    h ^= mul(BigInt(data[p]), P5);
    h = mul(rotl(h, 11n), P1);
    p++;
  }
  h ^= h >> 33n;
  h = mul(h, P2);
  h ^= h >> 29n;
  h = mul(h, P3);
  h ^= h >> 32n;
  return h;
}

export const toHex64 = (v: bigint): string => v.toString(16).padStart(16, '0');
