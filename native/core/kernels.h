// The compute kernels of docs/FORMAT.md section 2.2 as a table of function
// pointers, one table per instruction set. kernels_scalar.cc is the generic
// twin that reads like the spec; kernels_avx2.cc / kernels_avx512.cc are
// compiled with their own ISA flags and chosen at run time. Every table
// entry MUST give bit-identical results to the scalar one; that is what
// native/tests checks for every model it generates.
//
// Shapes: all kernels work on a batch of P positions (P <= kMaxBatch).
// Rows are padded to kPad (model.h) and padded entries are zero.
#pragma once

#include <cstdint>
#include <cstring>
#if defined(_MSC_VER)
#include <intrin.h>
#endif

#include "cpu_features.h"
#include "model.h"

namespace nnc {

constexpr int kMaxBatch = 64;

struct OutParams;

// The entries by step of a position's prediction (Forward, forward.h):
//   network logits (steps 1-4): layer0 / layer0w, requant, gemm
//   mixing: identity in format v1, so no entry; format v2's mixer adds its
//     kernel here, between gemm's output accumulators and freqs
//   frequencies (steps 5-7): freqs
struct Kernels {
  const char* name;
  // Step 1: acc[p*Hpad + h] = sum_j F[(j*A1 + ctx[p*k + j])*Hpad + h]
  // (F already holds b_0 in its j = 0 rows).
  void (*layer0)(const int32_t* F, int k, int A1, int Hpad, const uint16_t* ctx, int P, int32_t* acc);
  // Step 1 with the int16 table: acc = b0[h] + sum_j F16[(j*A1 + ctx)*Hpad + h].
  void (*layer0w)(const int16_t* F16, const int32_t* b0, int k, int A1, int Hpad, const uint16_t* ctx, int P,
                  int32_t* acc);
  // Step 2: out[p*Hpad + h] = acc <= 0 ? 0 : min(255, (acc*M[h] + 2^(S-1)) >> S).
  // thr: Requant::thr (32-bit shortcut) or nullptr.
  void (*requant)(const int32_t* acc, int P, int Hpad, const uint32_t* M, const uint32_t* thr, int S, uint8_t* out);
  // Steps 3/4: out[p*d.Hpad + h] = d.b[h] + sum_i X[p*d.npad + i] * W[h][i].
  // scratch: at least P * d.npad * 2 bytes the kernel may overwrite (ISA
  // files use no std containers: their inline instantiations would be
  // compiled with AVX flags and could be picked by the linker for plain code).
  void (*gemm)(const DenseLayer& d, const uint8_t* X, int P, int32_t* out, void* scratch);
  // Steps 5-7: z[p*ldz + s] (s < A) -> f[p*A + s], frequencies summing to 2^16.
  void (*freqs)(const int32_t* z, int P, int ldz, const OutParams& o, uint32_t* f);
};

// The output-layer constants the frequency kernels need (plain pointers:
// ISA files avoid std containers).
struct OutParams {
  int A;
  uint32_t mOut;
  int sOut;
  const uint32_t* exp;
  int T;
  uint32_t dThr;  // Model::dThr (0: no 32-bit shortcut)
};

const Kernels& kernelsScalar();
// nullptr when this build has no such variant (non-x86 targets).
const Kernels* kernelsAvx2();
const Kernels* kernelsAvx512();

// The table for a requested level. Auto picks the best the CPU supports;
// an explicit level the CPU (or build) lacks is ERR_NNC_UNSUPPORTED.
const Kernels& kernelsFor(Simd s);

// Index of the lowest set bit (v != 0). static: internal linkage, so the
// ISA files' copies never stand in for the plain build's.
static inline int ctz32(uint32_t v) {
#if defined(_MSC_VER)
  unsigned long i;
  _BitScanForward(&i, v);
  return static_cast<int>(i);
#else
  return __builtin_ctz(v);
#endif
}

// Scalar building blocks that SIMD variants reuse for tails.
void freqsScalarOne(const int32_t* z, const OutParams& o, uint32_t* f);

}  // namespace nnc
