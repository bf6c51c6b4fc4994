// AVX-512F SGEMM micro-kernel: 12 rows x 32 columns (24 zmm accumulators,
// 2 B loads and 12 embedded broadcasts per k). Compiled with -mavx512f only.
#include "sgemm.h"

#if defined(__x86_64__) || defined(_M_X64)
#include <immintrin.h>

namespace nnc {
namespace train {
namespace {

constexpr int MR = 12, NR = 32;

template <bool kRowA>
NNC_NOINLINE void microKernel(int kc, const float* A, size_t lda, const float* Bp, float* C, int ldc,
                                           bool load) {
  __m512 c[MR][2];
  for (int i = 0; i < MR; ++i) {
    c[i][0] = load ? _mm512_loadu_ps(C + (size_t)i * ldc) : _mm512_setzero_ps();
    c[i][1] = load ? _mm512_loadu_ps(C + (size_t)i * ldc + 16) : _mm512_setzero_ps();
  }
  // Row-major A: four row pointers, the others at +lda / +2 lda (one
  // addressing mode each), so the loop needs few registers.
  const float* r0 = A;
  const float* r3 = A + 3 * lda;
  const float* r6 = A + 6 * lda;
  const float* r9 = A + 9 * lda;
  for (int k = 0; k < kc; ++k) {
    const __m512 b0 = _mm512_load_ps(Bp + k * NR), b1 = _mm512_load_ps(Bp + k * NR + 16);
    float a[MR];
    if (kRowA) {
      a[0] = r0[k], a[1] = r0[k + lda], a[2] = r0[k + 2 * lda];
      a[3] = r3[k], a[4] = r3[k + lda], a[5] = r3[k + 2 * lda];
      a[6] = r6[k], a[7] = r6[k + lda], a[8] = r6[k + 2 * lda];
      a[9] = r9[k], a[10] = r9[k + lda], a[11] = r9[k + 2 * lda];
    } else {
      for (int i = 0; i < MR; ++i) a[i] = A[k * lda + i];
    }
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
