// The trainer's batched forward/backward pass over one micro-batch: phase 1
// (row-local: contexts, forward, softmax, the backward-data chain) and
// phase 2 (weight gradients, each element with one writer), on the pool.
#include <cmath>
#include <cstring>
#include <limits>

#include "internal.h"
#include "quant_rule.h"
#include "scratch.h"
#include "trainer.h"
#include "vexp.h"

namespace nnc {
namespace train {

const float* Trainer::weightsFor(int l) const {
  const float* base = fqOn_ ? thetaQ_.data() : theta_.data();
  return base + (l == arch_.L() ? lay_.Wo : lay_.W[l]);
}

const float* Trainer::embedFor() const { return (fqOn_ ? thetaQ_.data() : theta_.data()) + lay_.emb; }

// Rows [r0, r1): contexts, forward, softmax; when training also dZo and the
// backward-data chain down to dX0. Everything here is row-local.
void Trainer::phase1(const DataSet& ds, const uint64_t* idx, int r0, int r1, bool train, double invB, int t) {
  const Arch& a = arch_;
  Scratch& s = *s_;
  const int k = a.k, E = a.E, A = a.A, L = a.L(), kE = k * E;
  const int M = r1 - r0;
  if (M <= 0) return;
  float* work = s.work[t].data();
  const float* emb = embedFor();
  const float* bias = (fqOn_ ? thetaQ_.data() : theta_.data());
  const uint64_t lane = static_cast<uint64_t>(cfg_.laneSize);

  // Contexts and the embedding gather.
  for (int m = r0; m < r1; ++m) {
    const uint64_t g = idx[m];
    const size_t seg = static_cast<size_t>(std::upper_bound(ds.start.begin(), ds.start.end(), g) - ds.start.begin()) - 1;
    const uint64_t pos = g - ds.start[seg];
    const uint8_t* d = ds.segs[seg].data();
    const uint64_t laneStart = pos - pos % lane;
    uint16_t* tk = s.tok.data() + size_t(m) * k;
    for (int j = 0; j < k; ++j) {
      const uint64_t back = static_cast<uint64_t>(j) + 1;
      tk[j] = (pos >= laneStart + back) ? tokenOf_[d[pos - back]] : static_cast<uint16_t>(A);
      std::memcpy(s.X0.data() + size_t(m) * kE + size_t(j) * E, emb + size_t(tk[j]) * E, sizeof(float) * E);
    }
    s.tgt[m] = tokenOf_[d[pos]];
    s.esc[m] = inAlphabet_[d[pos]] ? 0 : 1;
  }

  // Hidden layers.
  for (int l = 0; l < L; ++l) {
    const int n = a.nIn(l), H = a.H[l];
    const float* in = (l == 0 ? s.X0.data() : (fqOn_ ? s.Yq[l - 1].data() : s.Y[l - 1].data())) + size_t(r0) * n;
    float* out = s.Y[l].data() + size_t(r0) * H;
    GemmArgs g;
    g.M = M, g.N = H, g.K = n;
    g.A = in, g.lda = n;
    g.transB = true, g.B = weightsFor(l), g.ldb = n;
    g.C = out, g.ldc = H;
    gemm_->gemm(g, work);
    const float* b = bias + lay_.b[l];
    for (int m = 0; m < M; ++m) {
      float* y = out + size_t(m) * H;
      for (int h = 0; h < H; ++h) {
        const float z = y[h] + b[h];
        y[h] = z > 0.f ? z : 0.f;
      }
    }
    if (fqOn_) {
      const float sc = fq_.actScale[l], inv = 1.f / sc;
      float* q = s.Yq[l].data() + size_t(r0) * H;
      for (size_t i = 0; i < size_t(M) * H; ++i) {
        q[i] = quant::activationStep(out[i], inv) * sc;
      }
    }
  }

  // Output layer and softmax cross-entropy.
  const int HL = a.H[L - 1];
  float* z = s.Zo.data() + size_t(r0) * A;
  {
    GemmArgs g;
    g.M = M, g.N = A, g.K = HL;
    g.A = (fqOn_ ? s.Yq[L - 1].data() : s.Y[L - 1].data()) + size_t(r0) * HL, g.lda = HL;
    g.transB = true, g.B = weightsFor(L), g.ldb = HL;
    g.C = z, g.ldc = A;
    gemm_->gemm(g, work);
  }
  const float* bo = bias + lay_.bo;
  const float scale = static_cast<float>(invB);
  alignas(64) float e[260];
  for (int m = 0; m < M; ++m) {
    float* zr = z + size_t(m) * A;
    float mx = -std::numeric_limits<float>::infinity();
    for (int c = 0; c < A; ++c) {
      zr[c] += bo[c];
      mx = zr[c] > mx ? zr[c] : mx;
    }
    for (int c = 0; c < A; ++c) e[c] = zr[c] - mx;
    vexp(e, A);
    double sum = 0;
    for (int c = 0; c < A; ++c) sum += e[c];
    const int tg = s.tgt[r0 + m];
    s.nll[r0 + m] = std::log(sum) - static_cast<double>(zr[tg] - mx);
    if (train) {
      const float inv = static_cast<float>(1.0 / sum);
      for (int c = 0; c < A; ++c) zr[c] = e[c] * inv * scale;
      zr[tg] -= scale;
    }
  }
  if (!train) return;

  // Backward data: dZ[L-1] = dZo Wo, then through the hidden layers to dX0.
  for (int l = L - 1; l >= -1; --l) {
    // Computes the gradient w.r.t. the input of layer l+1 (l = L-1: output layer).
    const int N = l >= 0 ? a.H[l] : kE;        // width of that input
    const int K = l == L - 1 ? A : a.H[l + 1];  // width of that layer's output
    const float* dOut = (l == L - 1 ? s.Zo.data() : s.dZ[l + 1].data()) + size_t(r0) * K;
    float* dIn = (l >= 0 ? s.dZ[l].data() : s.dX0.data()) + size_t(r0) * N;
    GemmArgs g;
    g.M = M, g.N = N, g.K = K;
    g.A = dOut, g.lda = K;
    g.transB = false, g.B = weightsFor(l + 1), g.ldb = N;
    g.C = dIn, g.ldc = N;
    gemm_->gemm(g, work);
    if (l < 0) break;
    // ReLU derivative (and, in fake-quant mode, the straight-through clamp at 255).
    const float* y = s.Y[l].data() + size_t(r0) * N;
    if (fqOn_) {
      const float lim = 255.5f * fq_.actScale[l];
      for (size_t i = 0; i < size_t(M) * N; ++i) dIn[i] = (y[i] > 0.f && y[i] < lim) ? dIn[i] : 0.f;
    } else {
      for (size_t i = 0; i < size_t(M) * N; ++i) dIn[i] = y[i] > 0.f ? dIn[i] : 0.f;
    }
  }
}

// Weight gradients of n rows, split over output rows: thread t owns a slice
// of every layer's rows, so each gradient element has exactly one writer.
void Trainer::phase2(int n, int t) {
  const Arch& a = arch_;
  Scratch& s = *s_;
  const int T = pool_->size(), L = a.L(), A = a.A, E = a.E, k = a.k, kE = k * E;
  float* work = s.work[t].data();
  float* grad = grad_.data();
  auto dense = [&](int rows, int nIn, const float* dZ, const float* X, float* gW, float* gb) {
    size_t h0, h1;
    ThreadPool::split(rows, T, t, gemm_->mr, &h0, &h1);
    if (h1 <= h0) return;
    GemmArgs g;
    g.M = static_cast<int>(h1 - h0), g.N = nIn, g.K = n;
    g.transA = true, g.A = dZ + h0, g.lda = rows;
    g.B = X, g.ldb = nIn;
    g.C = gW + h0 * nIn, g.ldc = nIn;
    g.accumulate = true;
    gemm_->gemm(g, work);
    for (int m = 0; m < n; ++m) {
      const float* dz = dZ + size_t(m) * rows;
      for (size_t h = h0; h < h1; ++h) gb[h] += dz[h];
    }
  };
  for (int l = 0; l < L; ++l) {
    const float* X = l == 0 ? s.X0.data() : (fqOn_ ? s.Yq[l - 1].data() : s.Y[l - 1].data());
    dense(a.H[l], a.nIn(l), s.dZ[l].data(), X, grad + lay_.W[l], grad + lay_.b[l]);
  }
  dense(A, a.H[L - 1], s.Zo.data(), fqOn_ ? s.Yq[L - 1].data() : s.Y[L - 1].data(), grad + lay_.Wo, grad + lay_.bo);
  // Embedding: scatter-add of dX0 by token, thread t owning a token range.
  size_t t0, t1;
  ThreadPool::split(size_t(A) + 1, T, t, 1, &t0, &t1);
  if (t1 > t0) {
    float* gE = grad + lay_.emb;
    for (int m = 0; m < n; ++m) {
      const uint16_t* tk = s.tok.data() + size_t(m) * k;
      const float* dx = s.dX0.data() + size_t(m) * kE;
      for (int j = 0; j < k; ++j) {
        const size_t tok = tk[j];
        if (tok < t0 || tok >= t1) continue;
        float* ge = gE + tok * E;
        const float* d = dx + size_t(j) * E;
        for (int e = 0; e < E; ++e) ge[e] += d[e];
      }
    }
  }
}

double Trainer::pass(const DataSet& ds, const uint64_t* idx, int n, double invB) {
  const bool train = invB > 0;
  ensureScratch(n);
  if (fqOn_) refreshFakeQuantWeights();
  const int T = pool_->size();
  auto t0 = Clock::now();
  pool_->run([&](int t) {
    size_t r0, r1;
    ThreadPool::split(n, T, t, 16, &r0, &r1);
    phase1(ds, idx, static_cast<int>(r0), static_cast<int>(r1), train, invB, t);
  });
  timing_.phase1Seconds += since(t0);
  if (train) {
    t0 = Clock::now();
    pool_->run([&](int t) { phase2(n, t); });
    timing_.phase2Seconds += since(t0);
  }
  double nll = 0;
  for (int m = 0; m < n; ++m) nll += s_->nll[m];
  return nll;
}

}  // namespace train
}  // namespace nnc
