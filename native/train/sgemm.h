// Single-precision GEMM for the trainer: C (+)= op(A) * op(B), row-major.
//
// One blocked driver (sgemm_driver.h) is compiled three times, once per
// instruction set, each with its own micro-kernel: sgemm_scalar.cc (plain
// code, the reference twin), sgemm_avx2.cc (-mavx2 -mfma) and
// sgemm_avx512.cc (-mavx512f). The table is picked at run time.
//
// Determinism contract (what the trainer's bit-identity rests on): every
// element C[i][j] is computed by ONE chain of fused multiply-adds
//     c = (accumulate ? C[i][j] : 0);  for k = 0..K-1: c = fma(a_ik, b_kj, c)
// in increasing k, whatever the ISA, the tile sizes or how the caller splits
// M and N over threads. So the scalar, AVX2 and AVX-512 tables give
// bit-identical results, and so do 1 and 16 threads.
#pragma once

#include <cstddef>

#include "../core/cpu_features.h"

// Micro-kernels stay out of line so the compiler allocates their registers alone.
#if defined(_MSC_VER)
#define NNC_NOINLINE __declspec(noinline)
#else
#define NNC_NOINLINE __attribute__((noinline))
#endif

namespace nnc {
namespace train {

struct GemmArgs {
  int M = 0, N = 0, K = 0;
  bool transA = false;  // false: A is M x K (lda >= K); true: A is stored K x M (lda >= M)
  bool transB = false;  // false: B is K x N (ldb >= N); true: B is stored N x K (ldb >= K)
  const float* A = nullptr;
  int lda = 0;
  const float* B = nullptr;
  int ldb = 0;
  float* C = nullptr;  // M x N, ldc >= N
  int ldc = 0;
  bool accumulate = false;  // C += op(A) op(B) instead of C = op(A) op(B)
};

// Cache blocking shared by every ISA (kKC must be shared: see the contract).
constexpr int kKC = 256;  // depth of one packed block
constexpr int kNC = 512;  // columns of one packed B block: kKC*kNC*4 = 512 KiB, lives in L2
constexpr int kMaxMR = 16;

// Floats of scratch one gemm call needs (packed B block + packed A panel).
constexpr size_t kGemmWorkFloats = size_t(kKC) * kNC + size_t(kKC) * kMaxMR + 64;

struct SgemmKernel {
  const char* name;
  int mr, nr;  // micro-tile (for callers that want to split on tile boundaries)
  // work: kGemmWorkFloats floats, 64-byte aligned.
  void (*gemm)(const GemmArgs& g, float* work);
};

const SgemmKernel& sgemmScalar();
const SgemmKernel* sgemmAvx2();    // nullptr when not built for x86
const SgemmKernel* sgemmAvx512();  // nullptr when not built for x86

// Auto: the best the CPU supports; an explicit level it lacks: ERR_NNC_UNSUPPORTED.
const SgemmKernel& sgemmFor(Simd s);

}  // namespace train
}  // namespace nnc
