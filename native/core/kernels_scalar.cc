// The generic kernels: plain C++ that follows docs/FORMAT.md 2.2 line by
// line. Also the run-time dispatch.
#include <cstring>

#include "errors.h"
#include "kernels.h"

namespace nnc {
namespace {

void layer0Scalar(const int32_t* F, int k, int A1, int Hpad, const uint16_t* ctx, int P, int32_t* acc) {
  for (int p = 0; p < P; ++p) {
    int32_t* a = acc + static_cast<size_t>(p) * Hpad;
    const uint16_t* c = ctx + static_cast<size_t>(p) * k;
    std::memcpy(a, F + static_cast<size_t>(c[0]) * Hpad, sizeof(int32_t) * Hpad);
    for (int j = 1; j < k; ++j) {
      const int32_t* row = F + (static_cast<size_t>(j) * A1 + c[j]) * Hpad;
      for (int h = 0; h < Hpad; ++h) a[h] += row[h];
    }
  }
}

void layer0wScalar(const int16_t* F, const int32_t* b0, int k, int A1, int Hpad, const uint16_t* ctx, int P,
                   int32_t* acc) {
  for (int p = 0; p < P; ++p) {
    int32_t* a = acc + static_cast<size_t>(p) * Hpad;
    const uint16_t* c = ctx + static_cast<size_t>(p) * k;
    for (int h = 0; h < Hpad; ++h) a[h] = b0[h];
    for (int j = 0; j < k; ++j) {
      const int16_t* row = F + (static_cast<size_t>(j) * A1 + c[j]) * Hpad;
      for (int h = 0; h < Hpad; ++h) a[h] += row[h];
    }
  }
}

void requantScalar(const int32_t* acc, int P, int Hpad, const uint32_t* M, const uint32_t*, int S, uint8_t* out) {
  const uint64_t half = uint64_t{1} << (S - 1);
  for (int p = 0; p < P; ++p) {
    const int32_t* a = acc + static_cast<size_t>(p) * Hpad;
    uint8_t* o = out + static_cast<size_t>(p) * Hpad;
    for (int h = 0; h < Hpad; ++h) {
      if (a[h] <= 0) {
        o[h] = 0;
      } else {
        // a < 2^31, M < 2^16: the product and rounding term fit in 48 bits.
        const uint64_t v = (static_cast<uint64_t>(a[h]) * M[h] + half) >> S;
        o[h] = static_cast<uint8_t>(v > 255 ? 255 : v);
      }
    }
  }
}

void gemmScalar(const DenseLayer& d, const uint8_t* X, int P, int32_t* out, void*) {
  for (int p = 0; p < P; ++p) {
    const uint8_t* x = X + static_cast<size_t>(p) * d.npad;
    int32_t* o = out + static_cast<size_t>(p) * d.Hpad;
    for (int h = 0; h < d.H; ++h) {
      const int8_t* w = d.w.data() + static_cast<size_t>(h) * d.n;
      // The accumulator bound (section 1.2) keeps every partial sum in int32.
      int32_t s = d.b[h];
      for (int i = 0; i < d.n; ++i) s += static_cast<int32_t>(x[i]) * w[i];
      o[h] = s;
    }
    for (int h = d.H; h < d.Hpad; ++h) o[h] = 0;
  }
}

void freqsScalar(const int32_t* z, int P, int ldz, const OutParams& o, uint32_t* f) {
  for (int p = 0; p < P; ++p) freqsScalarOne(z + static_cast<size_t>(p) * ldz, o, f + static_cast<size_t>(p) * o.A);
}

const Kernels kScalar = {"scalar", layer0Scalar, layer0wScalar, requantScalar, gemmScalar, freqsScalar};

}  // namespace

void freqsScalarOne(const int32_t* z, const OutParams& o, uint32_t* f) {
  const int A = o.A, sOut = o.sOut, T = o.T;
  const uint32_t mOut = o.mOut;
  const uint32_t* exp = o.exp;
  // Step 5: the largest logit and the first symbol that has it.
  int32_t zmax = z[0];
  int sStar = 0;
  for (int s = 1; s < A; ++s)
    if (z[s] > zmax) zmax = z[s], sStar = s;
  // Steps 5-6: distance (zmax - z < 2^32, times M_o < 2^48), exp lookup, sum.
  const uint64_t half = uint64_t{1} << (sOut - 1);
  const uint64_t dmax = static_cast<uint64_t>(T - 1);
  uint32_t sum = 0;  // <= 257 * 65536 < 2^25
  for (int s = 0; s < A; ++s) {
    const uint32_t diff = static_cast<uint32_t>(zmax) - static_cast<uint32_t>(z[s]);
    uint64_t d = (static_cast<uint64_t>(diff) * mOut + half) >> sOut;
    if (d > dmax) d = dmax;
    f[s] = exp[d];
    sum += f[s];
  }
  // Step 7: one reciprocal per position, then a multiply and shift per symbol.
  const uint64_t avail = 65536u - static_cast<uint32_t>(A);
  const uint64_t R = (avail << 32) / sum;  // < 2^32 because sum >= 65536
  uint32_t total = 0;
  for (int s = 0; s < A; ++s) {
    f[s] = 1 + static_cast<uint32_t>((static_cast<uint64_t>(f[s]) * R) >> 32);
    total += f[s];
  }
  f[sStar] += 65536u - total;
}

const Kernels& kernelsScalar() { return kScalar; }

const Kernels& kernelsFor(Simd s) {
  const CpuFeatures& cpu = cpuFeatures();
  switch (s) {
    case Simd::Scalar: return kScalar;
    case Simd::Avx2:
      if (!cpu.avx2 || !kernelsAvx2())
        fail(Code::Unsupported, "simd 'avx2' was requested but this CPU or build lacks AVX2; use 'auto' or 'scalar'");
      return *kernelsAvx2();
    case Simd::Avx512:
      if (!cpu.avx512 || !kernelsAvx512())
        fail(Code::Unsupported,
             "simd 'avx512' was requested but this CPU or build lacks AVX-512 F/BW/VL/VNNI; use 'auto', 'avx2' or 'scalar'");
      return *kernelsAvx512();
    case Simd::Auto:
      if (cpu.avx512 && kernelsAvx512()) return *kernelsAvx512();
      if (cpu.avx2 && kernelsAvx2()) return *kernelsAvx2();
      return kScalar;
  }
  return kScalar;
}

}  // namespace nnc
