// AVX2 rows of the mixers (mixer_ops.h). This file alone (with
// kernels_avx2.cc) is compiled with -mavx2; it is only called after
// cpuFeatures() confirmed CPU and OS support. Rows are multiples of 8 int32
// (mixer.h pads them with zero weights and zero inputs).
#include "mixer_ops.h"

#if defined(__x86_64__) || defined(_M_X64)
#include <immintrin.h>

namespace nnc {
namespace mix {
namespace {

// The 8 products w·x fit int32 (vpmulld, exact); they are widened to int64
// before any addition, so the sum is the scalar int64 sum.
int64_t dotAvx2(const int32_t* w, const int32_t* x, int n) {
  __m256i acc = _mm256_setzero_si256();
  for (int i = 0; i < n; i += 8) {
    const __m256i p = _mm256_mullo_epi32(_mm256_load_si256(reinterpret_cast<const __m256i*>(w + i)),
                                         _mm256_load_si256(reinterpret_cast<const __m256i*>(x + i)));
    acc = _mm256_add_epi64(acc, _mm256_cvtepi32_epi64(_mm256_castsi256_si128(p)));
    acc = _mm256_add_epi64(acc, _mm256_cvtepi32_epi64(_mm256_extracti128_si256(p, 1)));
  }
  const __m128i s = _mm_add_epi64(_mm256_castsi256_si128(acc), _mm256_extracti128_si256(acc, 1));
  return _mm_cvtsi128_si64(s) + _mm_extract_epi64(s, 1);
}

// x·e fits int32; srai is the scalar arithmetic shift; min/max the clamp.
void trainAvx2(int32_t* w, const int32_t* x, int n, int e) {
  const __m256i ve = _mm256_set1_epi32(e), half = _mm256_set1_epi32(1 << 13);
  const __m256i lo = _mm256_set1_epi32(-(1 << 20)), hi = _mm256_set1_epi32(1 << 20);
  for (int i = 0; i < n; i += 8) {
    __m256i* pw = reinterpret_cast<__m256i*>(w + i);
    const __m256i d = _mm256_srai_epi32(
        _mm256_add_epi32(_mm256_mullo_epi32(_mm256_load_si256(reinterpret_cast<const __m256i*>(x + i)), ve), half), 14);
    _mm256_store_si256(pw, _mm256_min_epi32(_mm256_max_epi32(_mm256_add_epi32(_mm256_load_si256(pw), d), lo), hi));
  }
}

const MixerOps kAvx2 = {"avx2", dotAvx2, trainAvx2};

}  // namespace

const MixerOps* mixerOpsAvx2() { return &kAvx2; }

}  // namespace mix
}  // namespace nnc

#else

namespace nnc {
namespace mix {
const MixerOps* mixerOpsAvx2() { return nullptr; }
}  // namespace mix
}  // namespace nnc

#endif
