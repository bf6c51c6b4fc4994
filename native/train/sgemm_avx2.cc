// AVX2 + FMA SGEMM micro-kernel: 6 rows x 16 columns (12 ymm accumulators,
// 2 B loads and one broadcast per k). Compiled with -mavx2 -mfma only.
#include "sgemm.h"

#if defined(__x86_64__) || defined(_M_X64)
#include <immintrin.h>

namespace nnc {
namespace train {
namespace {

constexpr int MR = 6, NR = 16;

template <bool kRowA>
NNC_NOINLINE void microKernel(int kc, const float* A, size_t lda, const float* Bp, float* C, int ldc,
                                           bool load) {
  __m256 c[MR][2];
  for (int i = 0; i < MR; ++i) {
    c[i][0] = load ? _mm256_loadu_ps(C + (size_t)i * ldc) : _mm256_setzero_ps();
    c[i][1] = load ? _mm256_loadu_ps(C + (size_t)i * ldc + 8) : _mm256_setzero_ps();
  }
  for (int k = 0; k < kc; ++k) {
    const __m256 b0 = _mm256_load_ps(Bp + k * NR), b1 = _mm256_load_ps(Bp + k * NR + 8);
#pragma GCC unroll 6
    for (int i = 0; i < MR; ++i) {
      const __m256 ai = _mm256_broadcast_ss(kRowA ? A + i * lda + k : A + k * lda + i);
      c[i][0] = _mm256_fmadd_ps(ai, b0, c[i][0]);
      c[i][1] = _mm256_fmadd_ps(ai, b1, c[i][1]);
    }
  }
  for (int i = 0; i < MR; ++i) {
    _mm256_storeu_ps(C + (size_t)i * ldc, c[i][0]);
    _mm256_storeu_ps(C + (size_t)i * ldc + 8, c[i][1]);
  }
}

#include "sgemm_driver.h"

const SgemmKernel kAvx2 = {"avx2", MR, NR, gemmBlocked};

}  // namespace

const SgemmKernel* sgemmAvx2() { return &kAvx2; }

}  // namespace train
}  // namespace nnc
#else
namespace nnc {
namespace train {
const SgemmKernel* sgemmAvx2() { return nullptr; }
}  // namespace train
}  // namespace nnc
#endif
