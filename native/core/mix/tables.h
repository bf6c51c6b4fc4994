// Format v2 mixing stage, tables and hashing (docs/FORMAT.md section 5;
// design note docs/design/format-v2-mixing.md 8.2). Every table is generated
// from integers at compile time, so every build holds the same bits as the
// TypeScript twin (src/engine/ts/mix/tables.ts).
//
// Units: a probability p is in 1/4096 (1..4095 when coded); a stretch value
// d is ln(p/(1-p)) in 1/256 units, in [-2047, 2047]. `>>` on a signed int is
// the arithmetic shift (floor division), which GCC, Clang and MSVC all do.
#pragma once

#include <cstdint>

namespace nnc {
namespace mix {

// squash at d = -2048, -1920, ..., 2048 (lpaq1's table).
constexpr int kSquashT[33] = {1,    2,    3,    6,    10,   16,   27,   45,   73,   120,  194,
                              310,  488,  747,  1101, 1546, 2047, 2549, 2994, 3348, 3607, 3785,
                              3901, 3975, 4022, 4050, 4068, 4079, 4085, 4089, 4092, 4093, 4094};

// Stretch units -> p in 1..4094, by linear interpolation in kSquashT.
constexpr int squash(int d) {
  if (d > 2047) d = 2047;
  if (d < -2047) d = -2047;
  const int w = d & 127, i = (d >> 7) + 16;
  return (kSquashT[i] * (128 - w) + kSquashT[i + 1] * w + 64) >> 7;
}

// STRETCH[j]: the smallest x with squash(x) >= j; 2047 above squash(2047).
struct StretchTable {
  int16_t v[4096];
  constexpr StretchTable() : v() {
    int pi = 0;
    for (int x = -2047; x <= 2047; ++x) {
      const int s = squash(x);
      for (int j = pi; j <= s; ++j) v[j] = static_cast<int16_t>(x);
      pi = s + 1;
    }
    for (int j = pi; j < 4096; ++j) v[j] = 2047;
  }
};
inline constexpr StretchTable kStretch{};
inline int stretch(int p) { return kStretch.v[p]; }

// RATE[n] = floor(65536 / (2n + 3)): a counter's step 1/(n + 1.5) in 2^-15 units.
struct RateTable {
  int32_t v[1024];
  constexpr RateTable() : v() {
    for (int n = 0; n < 1024; ++n) v[n] = 65536 / (2 * n + 3);
  }
};
inline constexpr RateTable kRate{};

// murmur3's finalizer.
inline uint32_t fmix32(uint32_t h) {
  h ^= h >> 16;
  h *= 0x85EBCA6Bu;
  h ^= h >> 13;
  h *= 0xC2B2AE35u;
  h ^= h >> 16;
  return h;
}

}  // namespace mix
}  // namespace nnc
