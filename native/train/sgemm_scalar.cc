// Plain-C++ SGEMM: the reference twin of the SIMD tables. fmaf keeps the
// per-element chain identical to the vector kernels (see sgemm.h), so the
// trainer gives bit-identical models on every ISA.
#include <cmath>

#include "../core/errors.h"
#include "sgemm.h"

namespace nnc {
namespace train {
namespace {

constexpr int MR = 4, NR = 8;

template <bool kRowA>
void microKernel(int kc, const float* A, size_t lda, const float* Bp, float* C, int ldc, bool load) {
  float c[MR][NR];
  for (int i = 0; i < MR; ++i)
    for (int j = 0; j < NR; ++j) c[i][j] = load ? C[(size_t)i * ldc + j] : 0.f;
  for (int k = 0; k < kc; ++k)
    for (int i = 0; i < MR; ++i) {
      const float a = kRowA ? A[i * lda + k] : A[k * lda + i];
      for (int j = 0; j < NR; ++j) c[i][j] = std::fma(a, Bp[k * NR + j], c[i][j]);
    }
  for (int i = 0; i < MR; ++i)
    for (int j = 0; j < NR; ++j) C[(size_t)i * ldc + j] = c[i][j];
}

#include "sgemm_driver.h"

const SgemmKernel kScalar = {"scalar", MR, NR, gemmBlocked};

}  // namespace

const SgemmKernel& sgemmScalar() { return kScalar; }

const SgemmKernel& sgemmFor(Simd s) {
  const CpuFeatures& f = cpuFeatures();
  switch (s) {
    case Simd::Scalar: return sgemmScalar();
    case Simd::Avx2:
      if (!sgemmAvx2() || !f.avx2) fail(Code::Unsupported, "simd 'avx2' is not supported by this CPU or build; use 'auto'");
      return *sgemmAvx2();
    case Simd::Avx512:
      if (!sgemmAvx512() || !f.avx512)
        fail(Code::Unsupported, "simd 'avx512' is not supported by this CPU or build; use 'auto'");
      return *sgemmAvx512();
    case Simd::Auto:
      break;
  }
  if (f.avx512 && sgemmAvx512()) return *sgemmAvx512();
  if (f.avx2 && sgemmAvx2()) return *sgemmAvx2();
  return sgemmScalar();
}

}  // namespace train
}  // namespace nnc
