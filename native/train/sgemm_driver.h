// The blocked SGEMM driver, included once by each sgemm_<isa>.cc inside that
// file's own anonymous namespace, after it defined
//   constexpr int MR, NR;
//   template <bool kRowA>
//   void microKernel(int kc, const float* A, size_t lda, const float* Bp, float* C, int ldc, bool load);
//     full MR x NR tile: C[i*ldc + j] = (load ? C : 0) + sum_k a(i, k) * Bp[k*NR + j]
//     as one fma chain per element, k increasing, where
//     a(i, k) = kRowA ? A[i*lda + k] : A[k*lda + i].
// Loop order (row-major C, vectors along N):
//   jc (kNC columns) -> pc (kKC depth) -> pack B block (L2) -> ic (MR rows)
//   -> jr (NR columns) -> micro-kernel.
// A is read in place (an MR x kKC panel stays in L1 across the jr loop);
// only a last tile of fewer than MR rows is packed, zero-padded, so that no
// read goes past the matrix. No std:: templates here: an inline
// instantiation compiled with AVX flags could be the copy the linker keeps
// for plain code.

static inline int imin(int a, int b) { return a < b ? a : b; }

// op(A)[i0 .. i0+mr) x [p0 .. p0+kc) -> Ap[k*MR + i], rows >= mr zero.
// Only for the last, partial row tile.
static void packA(const GemmArgs& g, int i0, int mr, int p0, int kc, float* Ap) {
  if (g.transA) {
    for (int k = 0; k < kc; ++k) {
      const float* src = g.A + (size_t)(p0 + k) * g.lda + i0;
      float* dst = Ap + (size_t)k * MR;
      int i = 0;
      for (; i < mr; ++i) dst[i] = src[i];
      for (; i < MR; ++i) dst[i] = 0.f;
    }
  } else {
    for (int i = 0; i < mr; ++i) {
      const float* src = g.A + (size_t)(i0 + i) * g.lda + p0;
      for (int k = 0; k < kc; ++k) Ap[(size_t)k * MR + i] = src[k];
    }
    for (int i = mr; i < MR; ++i)
      for (int k = 0; k < kc; ++k) Ap[(size_t)k * MR + i] = 0.f;
  }
}

// op(B)[p0 .. p0+kc) x [j0 .. j0+nc) -> panels of NR columns: Bp[(jp*kc + k)*NR + j].
static void packB(const GemmArgs& g, int p0, int kc, int j0, int nc, float* Bp) {
  for (int jp = 0; jp * NR < nc; ++jp) {
    const int jb = j0 + jp * NR, nr = imin(NR, nc - jp * NR);
    float* panel = Bp + (size_t)jp * kc * NR;
    if (g.transB) {
      for (int j = 0; j < nr; ++j) {
        const float* src = g.B + (size_t)(jb + j) * g.ldb + p0;
        for (int k = 0; k < kc; ++k) panel[(size_t)k * NR + j] = src[k];
      }
      for (int j = nr; j < NR; ++j)
        for (int k = 0; k < kc; ++k) panel[(size_t)k * NR + j] = 0.f;
    } else {
      for (int k = 0; k < kc; ++k) {
        const float* src = g.B + (size_t)(p0 + k) * g.ldb + jb;
        float* dst = panel + (size_t)k * NR;
        int j = 0;
        for (; j < nr; ++j) dst[j] = src[j];
        for (; j < NR; ++j) dst[j] = 0.f;
      }
    }
  }
}

static void gemmBlocked(const GemmArgs& g, float* work) {
  if (g.M <= 0 || g.N <= 0) return;
  if (g.K <= 0) {
    if (!g.accumulate)
      for (int i = 0; i < g.M; ++i)
        for (int j = 0; j < g.N; ++j) g.C[(size_t)i * g.ldc + j] = 0.f;
    return;
  }
  float* Bp = work;
  float* Ap = work + (size_t)kKC * kNC;
  alignas(64) float tile[MR * NR];
  for (int jc = 0; jc < g.N; jc += kNC) {
    const int nc = imin(kNC, g.N - jc);
    for (int pc = 0; pc < g.K; pc += kKC) {
      const int kc = imin(kKC, g.K - pc);
      const bool load = g.accumulate || pc > 0;
      packB(g, pc, kc, jc, nc, Bp);
      for (int ic = 0; ic < g.M; ic += MR) {
        const int mr = imin(MR, g.M - ic);
        // Full tiles read A where it is; the edge tile reads a packed copy
        // (packed layout = the transposed one with ld = MR).
        const bool packed = mr < MR;
        if (packed) packA(g, ic, mr, pc, kc, Ap);
        const bool rowA = !packed && !g.transA;
        const float* a = packed ? Ap : (g.transA ? g.A + (size_t)pc * g.lda + ic : g.A + (size_t)ic * g.lda + pc);
        const size_t lda = packed ? (size_t)MR : (size_t)g.lda;
        for (int jr = 0; jr < nc; jr += NR) {
          const int nr = imin(NR, nc - jr);
          float* C = g.C + (size_t)ic * g.ldc + jc + jr;
          const float* panel = Bp + (size_t)(jr / NR) * kc * NR;
          if (mr == MR && nr == NR) {
            if (rowA) microKernel<true>(kc, a, lda, panel, C, g.ldc, load);
            else microKernel<false>(kc, a, lda, panel, C, g.ldc, load);
          } else {
            // Edge tile: the same kernel on a private tile, so the
            // per-element fma chain is the same as for a full tile.
            for (int i = 0; i < MR; ++i)
              for (int j = 0; j < NR; ++j)
                tile[i * NR + j] = (load && i < mr && j < nr) ? C[(size_t)i * g.ldc + j] : 0.f;
            if (rowA) microKernel<true>(kc, a, lda, panel, tile, NR, load);
            else microKernel<false>(kc, a, lda, panel, tile, NR, load);
            for (int i = 0; i < mr; ++i)
              for (int j = 0; j < nr; ++j) C[(size_t)i * g.ldc + j] = tile[i * NR + j];
          }
        }
      }
    }
  }
}
