// AVX2 kernels. This file alone is compiled with -mavx2 -mfma; it is only
// called after cpuFeatures() confirmed CPU and OS support.
//
// Why not vpmaddubsw (u8 x s8 -> i16 pairs)? It saturates: 255*127*2 > 32767,
// so it is not exact. Activations are widened to i16 instead and multiplied
// with vpmaddwd (i16 x i16 -> i32 pair sums, |255*128*2| < 2^31): exact, and
// every partial sum is bounded by the model's accumulator check.
#include "kernels.h"

#if defined(__x86_64__) || defined(_M_X64)
#include <immintrin.h>


namespace nnc {
namespace {

template <int NV>
inline void layer0Chunk(const int32_t* F, int k, int A1, int Hpad, const uint16_t* c, int h, int32_t* a) {
  __m256i v[NV];
  const int32_t* r0 = F + static_cast<size_t>(c[0]) * Hpad + h;
  for (int q = 0; q < NV; ++q) v[q] = _mm256_loadu_si256(reinterpret_cast<const __m256i*>(r0 + 8 * q));
  for (int j = 1; j < k; ++j) {
    const int32_t* r = F + (static_cast<size_t>(j) * A1 + c[j]) * Hpad + h;
    for (int q = 0; q < NV; ++q)
      v[q] = _mm256_add_epi32(v[q], _mm256_loadu_si256(reinterpret_cast<const __m256i*>(r + 8 * q)));
  }
  for (int q = 0; q < NV; ++q) _mm256_storeu_si256(reinterpret_cast<__m256i*>(a + h + 8 * q), v[q]);
}

void layer0(const int32_t* F, int k, int A1, int Hpad, const uint16_t* ctx, int P, int32_t* acc) {
  for (int p = 0; p < P; ++p) {
    const uint16_t* c = ctx + static_cast<size_t>(p) * k;
    int32_t* a = acc + static_cast<size_t>(p) * Hpad;
    int h = 0;
    for (; h + 64 <= Hpad; h += 64) layer0Chunk<8>(F, k, A1, Hpad, c, h, a);
    for (; h < Hpad; h += 16) layer0Chunk<2>(F, k, A1, Hpad, c, h, a);
  }
}

template <int NV>
inline void layer0wChunk(const int16_t* F, const int32_t* b0, int k, int A1, int Hpad, const uint16_t* c, int h,
                         int32_t* a) {
  __m256i v[NV];
  for (int q = 0; q < NV; ++q) v[q] = _mm256_loadu_si256(reinterpret_cast<const __m256i*>(b0 + h + 8 * q));
  for (int j = 0; j < k; ++j) {
    const int16_t* r = F + (static_cast<size_t>(j) * A1 + c[j]) * Hpad + h;
    for (int q = 0; q < NV; ++q)
      v[q] = _mm256_add_epi32(v[q], _mm256_cvtepi16_epi32(_mm_loadu_si128(reinterpret_cast<const __m128i*>(r + 8 * q))));
  }
  for (int q = 0; q < NV; ++q) _mm256_storeu_si256(reinterpret_cast<__m256i*>(a + h + 8 * q), v[q]);
}

void layer0w(const int16_t* F, const int32_t* b0, int k, int A1, int Hpad, const uint16_t* ctx, int P, int32_t* acc) {
  for (int p = 0; p < P; ++p) {
    const uint16_t* c = ctx + static_cast<size_t>(p) * k;
    int32_t* a = acc + static_cast<size_t>(p) * Hpad;
    int h = 0;
    for (; h + 64 <= Hpad; h += 64) layer0wChunk<8>(F, b0, k, A1, Hpad, c, h, a);
    for (; h < Hpad; h += 16) layer0wChunk<2>(F, b0, k, A1, Hpad, c, h, a);
  }
}

// 8 lanes: a <= 0 -> 0, else min(255, (a*M + half) >> S), as i32 lanes.
// AVX2 has no 64-bit lane multiply of 32-bit lanes other than vpmuludq on
// the even lanes, so even and odd lanes are done separately and merged.
inline __m256i rq8(__m256i a, __m256i m, __m256i half, __m128i cnt, __m256i c255) {
  __m256i pe = _mm256_mul_epu32(a, m);
  __m256i po = _mm256_mul_epu32(_mm256_srli_epi64(a, 32), _mm256_srli_epi64(m, 32));
  pe = _mm256_srl_epi64(_mm256_add_epi64(pe, half), cnt);
  po = _mm256_srl_epi64(_mm256_add_epi64(po, half), cnt);
  // Values are < 2^48, so the signed 64-bit compare is a valid unsigned one.
  pe = _mm256_blendv_epi8(pe, c255, _mm256_cmpgt_epi64(pe, c255));
  po = _mm256_blendv_epi8(po, c255, _mm256_cmpgt_epi64(po, c255));
  const __m256i r = _mm256_or_si256(pe, _mm256_slli_epi64(po, 32));
  return _mm256_and_si256(r, _mm256_cmpgt_epi32(a, _mm256_setzero_si256()));
}

// 8 lanes through the 32-bit shortcut (see Requant::thr).
inline __m256i rq8small(__m256i a, const uint32_t* M, const uint32_t* thr, __m256i half, __m128i cnt, __m256i c255) {
  const __m256i ac = _mm256_min_epi32(a, _mm256_loadu_si256(reinterpret_cast<const __m256i*>(thr)));
  __m256i x = _mm256_add_epi32(_mm256_mullo_epi32(ac, _mm256_loadu_si256(reinterpret_cast<const __m256i*>(M))), half);
  x = _mm256_min_epu32(_mm256_srl_epi32(x, cnt), c255);
  return _mm256_and_si256(x, _mm256_cmpgt_epi32(a, _mm256_setzero_si256()));
}

void requant(const int32_t* acc, int P, int Hpad, const uint32_t* M, const uint32_t* thr, int S, uint8_t* out) {
  const __m128i cnt = _mm_cvtsi32_si128(S);
  const __m256i half = _mm256_set1_epi64x(int64_t{1} << (S - 1));
  const __m256i c255 = _mm256_set1_epi64x(255);
  const __m256i half32 = _mm256_set1_epi32(static_cast<int32_t>(1u << ((S - 1) & 31)));
  const __m256i c255x32 = _mm256_set1_epi32(255);
  for (int p = 0; p < P; ++p) {
    const int32_t* a = acc + static_cast<size_t>(p) * Hpad;
    uint8_t* o = out + static_cast<size_t>(p) * Hpad;
    for (int h = 0; h < Hpad; h += 16) {
      const __m256i a0 = _mm256_loadu_si256(reinterpret_cast<const __m256i*>(a + h));
      const __m256i a1 = _mm256_loadu_si256(reinterpret_cast<const __m256i*>(a + h + 8));
      __m256i r0, r1;
      if (thr) {
        r0 = rq8small(a0, M + h, thr + h, half32, cnt, c255x32);
        r1 = rq8small(a1, M + h + 8, thr + h + 8, half32, cnt, c255x32);
      } else {
        r0 = rq8(a0, _mm256_loadu_si256(reinterpret_cast<const __m256i*>(M + h)), half, cnt, c255);
        r1 = rq8(a1, _mm256_loadu_si256(reinterpret_cast<const __m256i*>(M + h + 8)), half, cnt, c255);
      }
      // packus works per 128-bit lane; the permute restores element order.
      const __m256i w16 = _mm256_permute4x64_epi64(_mm256_packus_epi32(r0, r1), 0xD8);
      const __m128i b8 = _mm_packus_epi16(_mm256_castsi256_si128(w16), _mm256_extracti128_si256(w16, 1));
      _mm_storeu_si128(reinterpret_cast<__m128i*>(o + h), b8);
    }
  }
}

// RP positions x RB blocks of 8 outputs; X16 holds the activations as i16.
template <int RP, int RB>
inline void gemmTile(const int16_t* W, size_t blkStride, int n2, const int16_t* X, int ldx, const int32_t* bias,
                     int32_t* out, int ldo) {
  __m256i acc[RP][RB];
  for (int b = 0; b < RB; ++b) {
    const __m256i bv = _mm256_loadu_si256(reinterpret_cast<const __m256i*>(bias + 8 * b));
    for (int p = 0; p < RP; ++p) acc[p][b] = bv;
  }
  for (int i2 = 0; i2 < n2; ++i2) {
    __m256i w[RB];
    for (int b = 0; b < RB; ++b)
      w[b] = _mm256_loadu_si256(reinterpret_cast<const __m256i*>(W + b * blkStride + static_cast<size_t>(i2) * 16));
    for (int p = 0; p < RP; ++p) {
      int32_t xv;
      std::memcpy(&xv, X + static_cast<size_t>(p) * ldx + i2 * 2, 4);
      const __m256i x = _mm256_set1_epi32(xv);
      for (int b = 0; b < RB; ++b) acc[p][b] = _mm256_add_epi32(acc[p][b], _mm256_madd_epi16(x, w[b]));
    }
  }
  for (int p = 0; p < RP; ++p)
    for (int b = 0; b < RB; ++b)
      _mm256_storeu_si256(reinterpret_cast<__m256i*>(out + static_cast<size_t>(p) * ldo + 8 * b), acc[p][b]);
}

void gemm(const DenseLayer& d, const uint8_t* X, int P, int32_t* out, void* scratch) {
  // Widen the batch's activations once; reused by every output block.
  int16_t* x16 = static_cast<int16_t*>(scratch);
  const size_t n = static_cast<size_t>(P) * d.npad;
  for (size_t i = 0; i < n; i += 16)
    _mm256_storeu_si256(reinterpret_cast<__m256i*>(x16 + i),
                        _mm256_cvtepu8_epi16(_mm_loadu_si128(reinterpret_cast<const __m128i*>(X + i))));
  const int n2 = d.npad / 2;
  const size_t blkStride = static_cast<size_t>(n2) * 16;
  const int nb = d.Hpad / 8;  // even, since Hpad is a multiple of 16
  int hb0 = 0;
  if (P <= 2) {
    // Few positions (decoding one or two lanes): 4 output blocks per pass
    // keep more independent accumulator chains in flight.
    for (; hb0 + 4 <= nb; hb0 += 4) {
      const int16_t* W = d.wAvx2.data() + hb0 * blkStride;
      const int32_t* bias = d.b.data() + hb0 * 8;
      if (P == 2)
        gemmTile<2, 4>(W, blkStride, n2, x16, d.npad, bias, out + hb0 * 8, d.Hpad);
      else
        gemmTile<1, 4>(W, blkStride, n2, x16, d.npad, bias, out + hb0 * 8, d.Hpad);
    }
  }
  for (int hb = hb0; hb < nb; hb += 2) {
    const int16_t* W = d.wAvx2.data() + hb * blkStride;
    const int32_t* bias = d.b.data() + hb * 8;
    int p = 0;
    for (; p + 4 <= P; p += 4)
      gemmTile<4, 2>(W, blkStride, n2, x16 + static_cast<size_t>(p) * d.npad, d.npad, bias,
                     out + static_cast<size_t>(p) * d.Hpad + hb * 8, d.Hpad);
    const int16_t* Xp = x16 + static_cast<size_t>(p) * d.npad;
    int32_t* op = out + static_cast<size_t>(p) * d.Hpad + hb * 8;
    switch (P - p) {
      case 3: gemmTile<3, 2>(W, blkStride, n2, Xp, d.npad, bias, op, d.Hpad); break;
      case 2: gemmTile<2, 2>(W, blkStride, n2, Xp, d.npad, bias, op, d.Hpad); break;
      case 1: gemmTile<1, 2>(W, blkStride, n2, Xp, d.npad, bias, op, d.Hpad); break;
      default: break;
    }
  }
}

// Steps 5-7: the scalar code is used as is (bit-identical by construction);
// AVX2 machines spend most of their time in the GEMMs.
void freqs(const int32_t* z, int P, int ldz, const OutParams& o, uint32_t* f) {
  for (int p = 0; p < P; ++p) freqsScalarOne(z + static_cast<size_t>(p) * ldz, o, f + static_cast<size_t>(p) * o.A);
}

const Kernels kAvx2 = {"avx2", layer0, layer0w, requant, gemm, freqs};

}  // namespace

const Kernels* kernelsAvx2() { return &kAvx2; }

}  // namespace nnc

#else

namespace nnc {
const Kernels* kernelsAvx2() { return nullptr; }
}  // namespace nnc

#endif
