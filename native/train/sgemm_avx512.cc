// AVX-512F SGEMM micro-kernel: 12 rows x 32 columns (24 zmm accumulators,
// 2 B loads and 12 embedded broadcasts per k). Compiled with -mavx512f only.
#include "sgemm.h"

#if defined(__x86_64__) || defined(_M_X64)
#include <immintrin.h>

namespace nnc {
namespace train {
namespace {

constexpr int MR = 12, NR = 32;

__attribute__((noinline)) void microKernel(int kc, const float* Ap, const float* Bp, float* C, int ldc, bool load) {
  __m512 c[MR][2];
  for (int i = 0; i < MR; ++i) {
    c[i][0] = load ? _mm512_loadu_ps(C + (size_t)i * ldc) : _mm512_setzero_ps();
    c[i][1] = load ? _mm512_loadu_ps(C + (size_t)i * ldc + 16) : _mm512_setzero_ps();
  }
  for (int k = 0; k < kc; ++k) {
    const __m512 b0 = _mm512_load_ps(Bp + k * NR), b1 = _mm512_load_ps(Bp + k * NR + 16);
    const float* a = Ap + k * MR;
#pragma GCC unroll 12
    for (int i = 0; i < MR; ++i) {
      const __m512 ai = _mm512_set1_ps(a[i]);
      c[i][0] = _mm512_fmadd_ps(ai, b0, c[i][0]);
      c[i][1] = _mm512_fmadd_ps(ai, b1, c[i][1]);
    }
  }
  for (int i = 0; i < MR; ++i) {
    _mm512_storeu_ps(C + (size_t)i * ldc, c[i][0]);
    _mm512_storeu_ps(C + (size_t)i * ldc + 16, c[i][1]);
  }
}

#include "sgemm_driver.h"

const SgemmKernel kAvx512 = {"avx512", MR, NR, gemmBlocked};

}  // namespace

const SgemmKernel* sgemmAvx512() { return &kAvx512; }

}  // namespace train
}  // namespace nnc
#else
namespace nnc {
namespace train {
const SgemmKernel* sgemmAvx512() { return nullptr; }
}  // namespace train
}  // namespace nnc
#endif
