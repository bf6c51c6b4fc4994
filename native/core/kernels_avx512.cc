// AVX-512 (F, BW, VL, VNNI) kernels. This file alone is compiled with
// -mavx512f -mavx512bw -mavx512vl -mavx512vnni; it is only called after
// cpuFeatures() confirmed CPU and OS support. Results are bit-identical to
// kernels_scalar.cc: every operation is exact integer arithmetic whose
// bounds follow from the model checks (section 1.2), so order does not
// matter.
#include "kernels.h"

#if defined(__x86_64__) || defined(_M_X64)
#include <immintrin.h>

#include <climits>

namespace nnc {
namespace {

template <int NV>
inline void layer0Chunk(const int32_t* F, int k, int A1, int Hpad, const uint16_t* c, int h, int32_t* a) {
  __m512i v[NV];
  const int32_t* r0 = F + static_cast<size_t>(c[0]) * Hpad + h;
  for (int q = 0; q < NV; ++q) v[q] = _mm512_loadu_si512(r0 + 16 * q);
  for (int j = 1; j < k; ++j) {
    const int32_t* r = F + (static_cast<size_t>(j) * A1 + c[j]) * Hpad + h;
    for (int q = 0; q < NV; ++q) v[q] = _mm512_add_epi32(v[q], _mm512_loadu_si512(r + 16 * q));
  }
  for (int q = 0; q < NV; ++q) _mm512_storeu_si512(a + h + 16 * q, v[q]);
}

void layer0(const int32_t* F, int k, int A1, int Hpad, const uint16_t* ctx, int P, int32_t* acc) {
  for (int p = 0; p < P; ++p) {
    const uint16_t* c = ctx + static_cast<size_t>(p) * k;
    int32_t* a = acc + static_cast<size_t>(p) * Hpad;
    int h = 0;
    for (; h + 128 <= Hpad; h += 128) layer0Chunk<8>(F, k, A1, Hpad, c, h, a);
    for (; h + 64 <= Hpad; h += 64) layer0Chunk<4>(F, k, A1, Hpad, c, h, a);
    for (; h < Hpad; h += 16) layer0Chunk<1>(F, k, A1, Hpad, c, h, a);
  }
}

template <int NV>
inline void layer0wChunk(const int16_t* F, const int32_t* b0, int k, int A1, int Hpad, const uint16_t* c, int h,
                         int32_t* a) {
  __m512i v[NV];
  for (int q = 0; q < NV; ++q) v[q] = _mm512_loadu_si512(b0 + h + 16 * q);
  for (int j = 0; j < k; ++j) {
    const int16_t* r = F + (static_cast<size_t>(j) * A1 + c[j]) * Hpad + h;
    for (int q = 0; q < NV; ++q)
      v[q] = _mm512_add_epi32(v[q], _mm512_cvtepi16_epi32(_mm256_loadu_si256(reinterpret_cast<const __m256i*>(r + 16 * q))));
  }
  for (int q = 0; q < NV; ++q) _mm512_storeu_si512(a + h + 16 * q, v[q]);
}

void layer0w(const int16_t* F, const int32_t* b0, int k, int A1, int Hpad, const uint16_t* ctx, int P, int32_t* acc) {
  for (int p = 0; p < P; ++p) {
    const uint16_t* c = ctx + static_cast<size_t>(p) * k;
    int32_t* a = acc + static_cast<size_t>(p) * Hpad;
    int h = 0;
    for (; h + 128 <= Hpad; h += 128) layer0wChunk<8>(F, b0, k, A1, Hpad, c, h, a);
    for (; h + 64 <= Hpad; h += 64) layer0wChunk<4>(F, b0, k, A1, Hpad, c, h, a);
    for (; h < Hpad; h += 16) layer0wChunk<1>(F, b0, k, A1, Hpad, c, h, a);
  }
}

void requant(const int32_t* acc, int P, int Hpad, const uint32_t* M, const uint32_t* thr, int S, uint8_t* out) {
  const __m128i cnt = _mm_cvtsi32_si128(S);
  const __m512i zero = _mm512_setzero_si512();
  if (thr) {
    // 32-bit path (see Requant::thr): min(acc, thr) * M + half < 2^32.
    const __m512i half = _mm512_set1_epi32(static_cast<int32_t>(1u << (S - 1)));
    const __m512i c255 = _mm512_set1_epi32(255);
    for (int p = 0; p < P; ++p) {
      const int32_t* a = acc + static_cast<size_t>(p) * Hpad;
      uint8_t* o = out + static_cast<size_t>(p) * Hpad;
      for (int h = 0; h < Hpad; h += 16) {
        const __m512i av = _mm512_loadu_si512(a + h);
        const __mmask16 pos = _mm512_cmpgt_epi32_mask(av, zero);
        const __m512i ac = _mm512_min_epi32(av, _mm512_loadu_si512(thr + h));
        __m512i x = _mm512_add_epi32(_mm512_mullo_epi32(ac, _mm512_loadu_si512(M + h)), half);
        x = _mm512_min_epu32(_mm512_srl_epi32(x, cnt), c255);
        _mm_storeu_si128(reinterpret_cast<__m128i*>(o + h), _mm512_cvtepi32_epi8(_mm512_maskz_mov_epi32(pos, x)));
      }
    }
    return;
  }
  // 64-bit path: even and odd lanes through vpmuludq.
  const __m512i half = _mm512_set1_epi64(int64_t{1} << (S - 1));
  const __m512i c255 = _mm512_set1_epi64(255);
  for (int p = 0; p < P; ++p) {
    const int32_t* a = acc + static_cast<size_t>(p) * Hpad;
    uint8_t* o = out + static_cast<size_t>(p) * Hpad;
    for (int h = 0; h < Hpad; h += 16) {
      const __m512i av = _mm512_loadu_si512(a + h);
      const __m512i mv = _mm512_loadu_si512(M + h);
      const __mmask16 pos = _mm512_cmpgt_epi32_mask(av, zero);
      __m512i pe = _mm512_mul_epu32(av, mv);
      __m512i po = _mm512_mul_epu32(_mm512_srli_epi64(av, 32), _mm512_srli_epi64(mv, 32));
      pe = _mm512_min_epu64(_mm512_srl_epi64(_mm512_add_epi64(pe, half), cnt), c255);
      po = _mm512_min_epu64(_mm512_srl_epi64(_mm512_add_epi64(po, half), cnt), c255);
      const __m512i x = _mm512_or_si512(pe, _mm512_slli_epi64(po, 32));
      _mm_storeu_si128(reinterpret_cast<__m128i*>(o + h), _mm512_cvtepi32_epi8(_mm512_maskz_mov_epi32(pos, x)));
    }
  }
}

// One register tile: RP positions x RB blocks of 16 outputs, accumulated
// with vpdpbusd (u8 activations x s8 weights, 4 products per int32 lane,
// no saturation: exact under the accumulator bound).
template <int RP, int RB>
inline void gemmTile(const int8_t* W, size_t blkStride, int n4, const uint8_t* X, int ldx, const int32_t* bias,
                     int32_t* out, int ldo) {
  __m512i acc[RP][RB];
  for (int b = 0; b < RB; ++b) {
    const __m512i bv = _mm512_loadu_si512(bias + 16 * b);
    for (int p = 0; p < RP; ++p) acc[p][b] = bv;
  }
  for (int i4 = 0; i4 < n4; ++i4) {
    __m512i w[RB];
    for (int b = 0; b < RB; ++b) w[b] = _mm512_loadu_si512(W + b * blkStride + static_cast<size_t>(i4) * 64);
    for (int p = 0; p < RP; ++p) {
      int32_t xv;
      std::memcpy(&xv, X + static_cast<size_t>(p) * ldx + i4 * 4, 4);
      const __m512i x = _mm512_set1_epi32(xv);
      for (int b = 0; b < RB; ++b) acc[p][b] = _mm512_dpbusd_epi32(acc[p][b], x, w[b]);
    }
  }
  for (int p = 0; p < RP; ++p)
    for (int b = 0; b < RB; ++b) _mm512_storeu_si512(out + static_cast<size_t>(p) * ldo + 16 * b, acc[p][b]);
}

template <int RB>
inline void gemmRows(const DenseLayer& d, int hb, const uint8_t* X, int P, int32_t* out) {
  const int n4 = d.npad / 4;
  const size_t blkStride = static_cast<size_t>(n4) * 64;
  const int8_t* W = d.wVnni.data() + hb * blkStride;
  const int32_t* bias = d.b.data() + hb * 16;
  int p = 0;
  for (; p + 4 <= P; p += 4)
    gemmTile<4, RB>(W, blkStride, n4, X + static_cast<size_t>(p) * d.npad, d.npad, bias,
                    out + static_cast<size_t>(p) * d.Hpad + hb * 16, d.Hpad);
  const uint8_t* Xp = X + static_cast<size_t>(p) * d.npad;
  int32_t* op = out + static_cast<size_t>(p) * d.Hpad + hb * 16;
  switch (P - p) {
    case 3: gemmTile<3, RB>(W, blkStride, n4, Xp, d.npad, bias, op, d.Hpad); break;
    case 2: gemmTile<2, RB>(W, blkStride, n4, Xp, d.npad, bias, op, d.Hpad); break;
    case 1: gemmTile<1, RB>(W, blkStride, n4, Xp, d.npad, bias, op, d.Hpad); break;
    default: break;
  }
}

void gemm(const DenseLayer& d, const uint8_t* X, int P, int32_t* out, void*) {
  const int nb = d.Hpad / 16;
  int hb = 0;
  if (P <= 2) {
    // Few positions (decoding one or two lanes): each accumulator is a
    // dependency chain of vpdpbusd, so use up to 8 output blocks at once to
    // keep enough chains in flight.
    for (; hb < nb; hb += 8) {
      switch (nb - hb < 8 ? nb - hb : 8) {
        case 8: gemmRows<8>(d, hb, X, P, out); break;
        case 7: gemmRows<7>(d, hb, X, P, out); break;
        case 6: gemmRows<6>(d, hb, X, P, out); break;
        case 5: gemmRows<5>(d, hb, X, P, out); break;
        case 4: gemmRows<4>(d, hb, X, P, out); break;
        case 3: gemmRows<3>(d, hb, X, P, out); break;
        case 2: gemmRows<2>(d, hb, X, P, out); break;
        default: gemmRows<1>(d, hb, X, P, out); break;
      }
    }
    return;
  }
  // Output blocks outermost: a 4-block weight panel (64 outputs x npad) stays
  // in L1 while every position of the batch streams past it.
  for (; hb + 4 <= nb; hb += 4) gemmRows<4>(d, hb, X, P, out);
  switch (nb - hb) {
    case 3: gemmRows<3>(d, hb, X, P, out); break;
    case 2: gemmRows<2>(d, hb, X, P, out); break;
    case 1: gemmRows<1>(d, hb, X, P, out); break;
    default: break;
  }
}

// Steps 5-7, 16 symbols per vector, in three passes over a block of up to
// 16 positions: (1) zmax, s* and distances, stored as vectors; (2) the EXP
// lookups, scalar (vpgatherdd is slow on several AVX-512 cores); (3) R and
// the frequencies. Passes are split so that a scalar load never waits on a
// vector store just issued (or the reverse): store-to-load forwarding
// between different widths fails and stalls for the whole store latency.
constexpr int kFreqBlock = 16;

inline __mmask16 laneMask(int v, int nv, __mmask16 tail) { return v == nv - 1 ? tail : static_cast<__mmask16>(0xFFFF); }

void freqs(const int32_t* zAll, int P, int ldz, const OutParams& o, uint32_t* fAll) {
  const int A = o.A;
  const int nv = (A + 15) / 16;
  const __mmask16 tail = (A % 16) ? static_cast<__mmask16>((1u << (A % 16)) - 1) : static_cast<__mmask16>(0xFFFF);
  const __m128i cnt = _mm_cvtsi32_si128(o.sOut);
  alignas(64) uint32_t e[kFreqBlock][272];
  int sStar[kFreqBlock];
  uint32_t sum[kFreqBlock];
  for (int p0 = 0; p0 < P; p0 += kFreqBlock) {
    const int Pc = P - p0 < kFreqBlock ? P - p0 : kFreqBlock;
    // Pass 1: zmax, s*, distances d (step 5).
    for (int q = 0; q < Pc; ++q) {
      const int32_t* z = zAll + static_cast<size_t>(p0 + q) * ldz;
      __m512i vmax = _mm512_set1_epi32(INT32_MIN);
      for (int v = 0; v < nv; ++v) {
        const __mmask16 m = laneMask(v, nv, tail);
        vmax = _mm512_mask_max_epi32(vmax, m, vmax, _mm512_maskz_loadu_epi32(m, z + 16 * v));
      }
      const int32_t zmax = _mm512_reduce_max_epi32(vmax);
      const __m512i vzmax = _mm512_set1_epi32(zmax);
      sStar[q] = 0;
      for (int v = 0; v < nv; ++v) {
        const __mmask16 m = laneMask(v, nv, tail);
        const unsigned eq = _mm512_mask_cmpeq_epi32_mask(m, _mm512_maskz_loadu_epi32(m, z + 16 * v), vzmax);
        if (eq) {
          sStar[q] = 16 * v + ctz32(eq);
          break;
        }
      }
      if (o.dThr) {
        // 32-bit path (see Model::dThr).
        const __m512i half = _mm512_set1_epi32(static_cast<int32_t>(1u << (o.sOut - 1)));
        const __m512i vM = _mm512_set1_epi32(static_cast<int32_t>(o.mOut));
        const __m512i thr = _mm512_set1_epi32(static_cast<int32_t>(o.dThr));
        const __m512i dmax = _mm512_set1_epi32(o.T - 1);
        for (int v = 0; v < nv; ++v) {
          // zmax - z as u32 (exact: the difference of two i32 that is >= 0 is < 2^32).
          const __m512i diff = _mm512_min_epu32(_mm512_sub_epi32(vzmax, _mm512_loadu_si512(z + 16 * v)), thr);
          const __m512i x = _mm512_add_epi32(_mm512_mullo_epi32(diff, vM), half);
          _mm512_store_si512(e[q] + 16 * v, _mm512_min_epu32(_mm512_srl_epi32(x, cnt), dmax));
        }
      } else {
        const __m512i half = _mm512_set1_epi64(int64_t{1} << (o.sOut - 1));
        const __m512i vM = _mm512_set1_epi64(o.mOut);
        const __m512i dmax = _mm512_set1_epi64(o.T - 1);
        for (int v = 0; v < nv; ++v) {
          const __m512i diff = _mm512_sub_epi32(vzmax, _mm512_loadu_si512(z + 16 * v));
          __m512i pe = _mm512_mul_epu32(diff, vM);
          __m512i po = _mm512_mul_epu32(_mm512_srli_epi64(diff, 32), vM);
          pe = _mm512_min_epu64(_mm512_srl_epi64(_mm512_add_epi64(pe, half), cnt), dmax);
          po = _mm512_min_epu64(_mm512_srl_epi64(_mm512_add_epi64(po, half), cnt), dmax);
          _mm512_store_si512(e[q] + 16 * v, _mm512_or_si512(pe, _mm512_slli_epi64(po, 32)));
        }
      }
    }
    // Pass 2: e = EXP[d] and the sums (step 6). Padded lanes are not read.
    // A block of one or two positions has no distance between its stores and
    // loads, so it gathers from registers instead.
    if (Pc <= 2) {
      for (int q = 0; q < Pc; ++q) {
        __m512i vsum = _mm512_setzero_si512();
        for (int v = 0; v < nv; ++v) {
          const __mmask16 m = laneMask(v, nv, tail);
          const __m512i d = _mm512_load_si512(e[q] + 16 * v);
          const __m512i ev = _mm512_mask_i32gather_epi32(_mm512_setzero_si512(), m, d, o.exp, 4);
          _mm512_store_si512(e[q] + 16 * v, ev);
          vsum = _mm512_add_epi32(vsum, ev);
        }
        sum[q] = static_cast<uint32_t>(_mm512_reduce_add_epi32(vsum));
      }
    } else
    for (int q = 0; q < Pc; ++q) {
      uint32_t acc = 0;
      uint32_t* eq = e[q];
      for (int s = 0; s < A; ++s) {
        const uint32_t v = o.exp[eq[s]];
        eq[s] = v;
        acc += v;
      }
      sum[q] = acc;
    }
    // Pass 3: R and the frequencies (step 7).
    const uint64_t avail = 65536u - static_cast<uint32_t>(A);
    const __m512i one = _mm512_set1_epi32(1);
    for (int q = 0; q < Pc; ++q) {
      uint32_t* f = fAll + static_cast<size_t>(p0 + q) * A;
      const uint64_t R = (avail << 32) / sum[q];
      const __m512i vR = _mm512_set1_epi64(static_cast<int64_t>(R));
      __m512i vtot = _mm512_setzero_si512();
      for (int v = 0; v < nv; ++v) {
        const __mmask16 m = laneMask(v, nv, tail);
        const __m512i ev = _mm512_maskz_load_epi32(m, e[q] + 16 * v);
        // (e * R) >> 32 for even and odd lanes; e <= 65536 and R < 2^32.
        const __m512i pe = _mm512_srli_epi64(_mm512_mul_epu32(ev, vR), 32);
        const __m512i po = _mm512_mul_epu32(_mm512_srli_epi64(ev, 32), vR);
        const __m512i r = _mm512_add_epi32(_mm512_mask_blend_epi32(0xAAAA, pe, po), one);
        _mm512_mask_storeu_epi32(f + 16 * v, m, r);
        vtot = _mm512_mask_add_epi32(vtot, m, vtot, r);
      }
      const uint32_t total = static_cast<uint32_t>(_mm512_reduce_add_epi32(vtot));
      f[sStar[q]] += 65536u - total;
    }
  }
}

const Kernels kAvx512 = {"avx512", layer0, layer0w, requant, gemm, freqs};

}  // namespace

const Kernels* kernelsAvx512() { return &kAvx512; }

}  // namespace nnc

#else

namespace nnc {
const Kernels* kernelsAvx512() { return nullptr; }
}  // namespace nnc

#endif
