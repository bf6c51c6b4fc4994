/**
 * Format v2 mixing stage, the adaptive counter: design note section 8.3.
 *
 * A counter is one u32 in a Uint32Array: bits 31..10 = q, the probability of
 * a 1 in 2^-22 units; bits 9..0 = n, how many updates it has seen (capped at
 * a limit L). The step size is RATE[n] ≈ 1/(n + 1.5): a young counter moves
 * fast, an old one averages (up to the limit, after which it keeps adapting
 * at 1/(L + 1.5)). Arithmetic: int32; every product is below 2^30.
 */
import { RATE } from './tables.js';

/** q = 2^21 (p = 1/2), n = 0. */
export const COUNTER_INIT = 0x80000000;
/** Count limit of the order-1 and hashed-context counters. */
export const LIMIT_CONTEXT = 255;
/** Count limit of the match-model and indirect-map counters. */
export const LIMIT_SLOW = 1023;

/** The counter's 12-bit prediction, 0..4095: q >> 10. */
export const counterP12 = (s: number): number => s >>> 20;

/** The counter's count n. */
export const counterCount = (s: number): number => s & 1023;

/** 8.3 update of t[i] with bit y and count limit `limit`. */
export function counterUpdate(t: Uint32Array, i: number, y: number, limit: number): void {
  const s = t[i];
  let n = s & 1023;
  let q = s >>> 10;
  // (y·2^22 − q) >> 7 is in (−2^15, 2^15); times RATE[n] ≤ 21845 < 2^15: |product| < 2^30.
  q += (((y << 22) - q) >> 7) * RATE[n] >> 8;
  if (q < 0) q = 0;
  if (q > (1 << 22) - 1) q = (1 << 22) - 1;
  if (n < limit) n++;
  t[i] = q * 1024 + n; // q·2^10 + n < 2^32: exact as a double, stored as u32
}
