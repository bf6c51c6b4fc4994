// Format v2 mixing stage, the adaptive counter (design note 8.3; TS twin
// src/engine/ts/mix/counter.ts). A u32: bits 31..10 = q, the probability of
// a 1 in 2^-22; bits 9..0 = n, the updates seen (capped at a limit). The
// step is RATE[n] ~ 1/(n + 1.5): young counters move fast, old ones average.
#pragma once

#include <cstdint>

#include "tables.h"

namespace nnc {
namespace mix {

constexpr uint32_t kCounterInit = 1u << 31;  // q = 2^21 (p = 1/2), n = 0
constexpr int kLimitContext = 255;           // order 1 and hashed kinds
constexpr int kLimitSlow = 1023;             // match and indirect-map counters

inline int counterP12(uint32_t s) { return static_cast<int>(s >> 20); }

inline void counterUpdate(uint32_t& s, int y, int limit) {
  int n = static_cast<int>(s & 1023);
  int q = static_cast<int>(s >> 10);
  // (y·2^22 − q) >> 7 is in (−2^15, 2^15); RATE[n] < 2^15: the product fits int32.
  q += ((((y << 22) - q) >> 7) * kRate.v[n]) >> 8;
  if (q < 0) q = 0;
  if (q > (1 << 22) - 1) q = (1 << 22) - 1;
  if (n < limit) ++n;
  s = (static_cast<uint32_t>(q) << 10) | static_cast<uint32_t>(n);
}

}  // namespace mix
}  // namespace nnc
