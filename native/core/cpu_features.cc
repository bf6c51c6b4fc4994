#include "cpu_features.h"

#include "errors.h"

#if defined(__x86_64__) || defined(_M_X64)
#define NNC_X86 1
#if defined(_MSC_VER)
#include <immintrin.h>
#include <intrin.h>
#else
#include <cpuid.h>
#endif
#endif

namespace nnc {
namespace {

#ifdef NNC_X86
void cpuid(unsigned leaf, unsigned sub, unsigned r[4]) {
#if defined(_MSC_VER)
  int x[4];
  __cpuidex(x, static_cast<int>(leaf), static_cast<int>(sub));
  for (int i = 0; i < 4; ++i) r[i] = static_cast<unsigned>(x[i]);
#else
  __cpuid_count(leaf, sub, r[0], r[1], r[2], r[3]);
#endif
}

unsigned long long xgetbv0() {
#if defined(_MSC_VER)
  return _xgetbv(0);
#else
  unsigned lo, hi;
  // Raw encoding of xgetbv so no -mxsave flag is needed on this file.
  __asm__ volatile(".byte 0x0f, 0x01, 0xd0" : "=a"(lo), "=d"(hi) : "c"(0));
  return (static_cast<unsigned long long>(hi) << 32) | lo;
#endif
}
#endif

CpuFeatures detect() {
  CpuFeatures f;
#ifdef NNC_X86
  unsigned r[4];
  cpuid(0, 0, r);
  const unsigned maxLeaf = r[0];
  if (maxLeaf < 7) return f;
  cpuid(1, 0, r);
  const bool osxsave = (r[2] >> 27) & 1, avx = (r[2] >> 28) & 1, fma = (r[2] >> 12) & 1;
  if (!osxsave || !avx) return f;
  const unsigned long long xcr0 = xgetbv0();
  const bool ymmOs = (xcr0 & 0x6) == 0x6;             // SSE + AVX state
  const bool zmmOs = ymmOs && (xcr0 & 0xE0) == 0xE0;  // opmask + ZMM_Hi256 + Hi16_ZMM
  cpuid(7, 0, r);
  const unsigned ebx = r[1], ecx = r[2];
  const bool avx2 = (ebx >> 5) & 1;
  const bool f512 = (ebx >> 16) & 1, bw = (ebx >> 30) & 1, vl = (ebx >> 31) & 1, vnni = (ecx >> 11) & 1;
  f.avx2 = ymmOs && avx2 && fma;
  f.avx512 = f.avx2 && zmmOs && f512 && bw && vl && vnni;
#endif
  return f;
}

}  // namespace

const CpuFeatures& cpuFeatures() {
  static const CpuFeatures f = detect();
  return f;
}

Simd parseSimd(const std::string& s) {
  if (s == "auto" || s.empty()) return Simd::Auto;
  if (s == "scalar") return Simd::Scalar;
  if (s == "avx2") return Simd::Avx2;
  if (s == "avx512") return Simd::Avx512;
  fail(Code::InvalidArg, "Expected 'auto', 'scalar', 'avx2' or 'avx512' for simd but received \"" + s + "\"");
}

const char* simdName(Simd s) {
  switch (s) {
    case Simd::Auto: return "auto";
    case Simd::Scalar: return "scalar";
    case Simd::Avx2: return "avx2";
    case Simd::Avx512: return "avx512";
  }
  return "?";
}

Simd bestSimd() {
  const CpuFeatures& f = cpuFeatures();
  if (f.avx512) return Simd::Avx512;
  if (f.avx2) return Simd::Avx2;
  return Simd::Scalar;
}

}  // namespace nnc
