// The mixers' two row operations (design note 8.8), as a table so that the
// AVX2 variant (mixer_avx2.cc, compiled with -mavx2 like kernels_avx2.cc)
// is chosen at run time. Every variant is exact integer arithmetic in the
// same widths, so all give the same bits:
//   dot:   Σ w_i·x_i over n (a multiple of 8) in int64; each product fits
//          int32 (|w| <= 2^20, |x| <= 2047).
//   train: w_i = clamp(w_i + ((x_i·e + 2^13) >> 14), −2^20, 2^20);
//          |x_i·e| < 2^27.
#pragma once

#include <cstdint>

namespace nnc {
namespace mix {

struct MixerOps {
  const char* name;
  int64_t (*dot)(const int32_t* w, const int32_t* x, int n);
  void (*train)(int32_t* w, const int32_t* x, int n, int e);
};

inline int64_t dotScalar(const int32_t* w, const int32_t* x, int n) {
  int64_t dot = 0;
  for (int i = 0; i < n; ++i) dot += int64_t(w[i]) * x[i];
  return dot;
}

inline void trainScalar(int32_t* w, const int32_t* x, int n, int e) {
  for (int i = 0; i < n; ++i) {
    const int v = w[i] + ((x[i] * e + (1 << 13)) >> 14);
    w[i] = v < -(1 << 20) ? -(1 << 20) : v > (1 << 20) ? (1 << 20) : v;
  }
}

inline constexpr MixerOps kMixerScalar = {"scalar", dotScalar, trainScalar};

// nullptr where this build has no AVX2 variant (non-x86 targets). Callers
// check cpuFeatures().avx2 first.
const MixerOps* mixerOpsAvx2();

}  // namespace mix
}  // namespace nnc
