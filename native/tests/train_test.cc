// Standalone tests of the float trainer (native/train), no Node:
//   - SGEMM: every ISA table bit-identical to a plain fma-chain reference
//   - backward pass (incl. group lasso) vs central differences of an
//     independent double-precision reference network
//   - order-1/order-2 Markov data: validation bits/byte below order-0 entropy
//   - planted dead nodes / embedding dims: lasso + prune removes exactly them
//   - pruning dead units leaves the network's outputs unchanged
//   - checkpoint -> restore -> continue == uninterrupted; hostile checkpoints
//   - snapshot / restoreSnapshot / clone == the checkpoint path, data shared
//   - same seed => identical weights, for every thread count and ISA
//   - fake quantization, activation statistics, cancellation, argument checks
#include <atomic>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <functional>
#include <string>
#include <vector>

#include "../core/errors.h"
#include "../core/xxhash64.h"
#include "../train/quant_rule.h"
#include "../train/sgemm.h"
#include "../train/trainer.h"
#include "check.h"

using namespace nnc;
using namespace nnc::train;

// ------------------------------------------------------------------ helpers

struct Lcg {
  uint64_t s;
  explicit Lcg(uint64_t seed) : s(seed * 6364136223846793005ull + 1442695040888963407ull) {}
  uint32_t next() {
    s = s * 6364136223846793005ull + 1442695040888963407ull;
    return uint32_t(s >> 33);
  }
  double uniform() { return next() / 2147483648.0; }
  int below(int n) { return int(uniform() * n); }
};

static std::vector<Simd> variants() {
  std::vector<Simd> v = {Simd::Scalar};
  if (cpuFeatures().avx2 && sgemmAvx2()) v.push_back(Simd::Avx2);
  if (cpuFeatures().avx512 && sgemmAvx512()) v.push_back(Simd::Avx512);
  return v;
}

using Segs = std::vector<std::vector<uint8_t>>;

static std::vector<std::pair<const uint8_t*, size_t>> views(const Segs& s) {
  std::vector<std::pair<const uint8_t*, size_t>> v;
  for (const auto& x : s) v.push_back({x.data(), x.size()});
  return v;
}

static bool sameFloats(const std::vector<float>& a, const std::vector<float>& b) {
  return a.size() == b.size() && std::memcmp(a.data(), b.data(), a.size() * sizeof(float)) == 0;
}

template <class F>
static bool throwsCode(F f, Code code, std::string* msg = nullptr) {
  try {
    f();
  } catch (const Error& e) {
    if (msg) *msg = e.message();
    return e.code() == code;
  } catch (...) {
    return false;
  }
  return false;
}

// Order-2 Markov source over `alphabet` plus a few bytes outside it.
static std::vector<uint8_t> markov(size_t n, int order, uint64_t seed, const std::vector<uint8_t>& alphabet) {
  Lcg r(seed);
  const int S = int(alphabet.size());
  // Each context (order symbols) prefers one successor strongly.
  std::vector<uint8_t> out(n);
  int a = 0, b = 0;
  for (size_t i = 0; i < n; ++i) {
    int next;
    const double u = r.uniform();
    if (u < 0.02) {
      out[i] = uint8_t(200 + r.below(50));  // outside the alphabet: ESC
      continue;
    }
    const int ctx = order == 1 ? a : (a * 7 + b * 3);
    if (u < 0.80) next = (ctx * 5 + 1) % S;
    else if (u < 0.92) next = (ctx + 2) % S;
    else next = r.below(S);
    out[i] = alphabet[next];
    b = a;
    a = next;
  }
  return out;
}

// ------------------------------------------------------------ reference net
// Independent double-precision transcription of the trainer's network, loss
// and lasso penalty (trainer.h, prune.cc), written from the spec, not the code.

struct RefNet {
  int k, E, A;
  std::vector<int> H;
  std::vector<uint8_t> alphabet;
  std::vector<double> emb;             // (A+1) x E
  std::vector<std::vector<double>> W, b;
  std::vector<double> Wo, bo;
  // Optional fake quantization (quant.cc's rules).
  bool fq = false;
  std::vector<double> act;  // per layer

  static RefNet from(const FloatModel& f) {
    RefNet n;
    n.k = f.arch.k, n.E = f.arch.E, n.A = f.arch.A, n.H = f.arch.H, n.alphabet = f.alphabet;
    n.emb.assign(f.emb.begin(), f.emb.end());
    for (size_t l = 0; l < f.W.size(); ++l) {
      n.W.emplace_back(f.W[l].begin(), f.W[l].end());
      n.b.emplace_back(f.b[l].begin(), f.b[l].end());
    }
    n.Wo.assign(f.Wo.begin(), f.Wo.end());
    n.bo.assign(f.bo.begin(), f.bo.end());
    return n;
  }
  int token(uint8_t byte) const {
    for (size_t s = 0; s < alphabet.size(); ++s)
      if (alphabet[s] == byte) return int(s);
    return A - 1;
  }
  // Logits of position pos of a segment.
  std::vector<double> logits(const std::vector<uint8_t>& seg, size_t pos, size_t lane) const {
    const size_t laneStart = pos / lane * lane;
    std::vector<double> x(size_t(k) * E);
    for (int j = 0; j < k; ++j) {
      const long q = long(pos) - 1 - j;
      const int t = q >= long(laneStart) ? token(seg[q]) : A;
      for (int e = 0; e < E; ++e) x[j * E + e] = emb[size_t(t) * E + e];
    }
    for (size_t l = 0; l < H.size(); ++l) {
      std::vector<double> y(H[l]);
      const size_t n = x.size();
      for (int h = 0; h < H[l]; ++h) {
        double z = b[l][h];
        for (size_t i = 0; i < n; ++i) z += W[l][h * n + i] * x[i];
        y[h] = z > 0 ? z : 0;
        if (fq) y[h] = std::min(255.0, std::floor(y[h] / act[l] + 0.5)) * act[l];
      }
      x.swap(y);
    }
    std::vector<double> z(A);
    const size_t n = x.size();
    for (int s = 0; s < A; ++s) {
      z[s] = bo[s];
      for (size_t i = 0; i < n; ++i) z[s] += Wo[s * n + i] * x[i];
    }
    return z;
  }
  double nll(const std::vector<uint8_t>& seg, size_t pos, size_t lane) const {
    const std::vector<double> z = logits(seg, pos, lane);
    double mx = z[0];
    for (double v : z) mx = std::max(mx, v);
    double s = 0;
    for (double v : z) s += std::exp(v - mx);
    return std::log(s) + mx - z[token(seg[pos])];
  }
  double penalty(double alpha, double alphaEmbed) const {
    double p = 0;
    const int L = int(H.size());
    for (int l = 0; l < L; ++l) {
      const size_t n = l == 0 ? size_t(k) * E : H[l - 1];
      for (int h = 0; h < H[l]; ++h) {
        double s = b[l][h] * b[l][h];
        for (size_t i = 0; i < n; ++i) s += W[l][h * n + i] * W[l][h * n + i];
        p += alpha * std::sqrt(s);
        const std::vector<double>& next = l + 1 < L ? W[l + 1] : Wo;
        const int rows = l + 1 < L ? H[l + 1] : A;
        double o = 0;
        for (int r = 0; r < rows; ++r) o += next[size_t(r) * H[l] + h] * next[size_t(r) * H[l] + h];
        p += alpha * std::sqrt(o);
      }
    }
    for (int e = 0; e < E; ++e) {
      double s = 0;
      for (int t = 0; t <= A; ++t) s += emb[size_t(t) * E + e] * emb[size_t(t) * E + e];
      for (int h = 0; h < H[0]; ++h)
        for (int j = 0; j < k; ++j) s += W[0][size_t(h) * k * E + j * E + e] * W[0][size_t(h) * k * E + j * E + e];
      p += alphaEmbed * std::sqrt(s);
    }
    return p;
  }
  // Every parameter, in the trainer's layout order (trainer.h Layout).
  std::vector<double*> params() {
    std::vector<double*> v;
    for (auto& x : emb) v.push_back(&x);
    for (size_t l = 0; l < W.size(); ++l) {
      for (auto& x : W[l]) v.push_back(&x);
      for (auto& x : b[l]) v.push_back(&x);
    }
    for (auto& x : Wo) v.push_back(&x);
    for (auto& x : bo) v.push_back(&x);
    return v;
  }
};

// ------------------------------------------------------------------ tests

static void testSgemm() {
  Lcg r(7);
  std::vector<const SgemmKernel*> ks = {&sgemmScalar()};
  if (sgemmAvx2() && cpuFeatures().avx2) ks.push_back(sgemmAvx2());
  if (sgemmAvx512() && cpuFeatures().avx512) ks.push_back(sgemmAvx512());
  float* work = static_cast<float*>(std::aligned_alloc(64, kGemmWorkFloats * sizeof(float)));
  const int dims[] = {1, 2, 5, 11, 12, 13, 31, 32, 33, 255, 256, 257, 513, 700};
  for (int trial = 0; trial < 80; ++trial) {
    const int M = dims[r.below(14)], N = dims[r.below(14)], K = trial == 0 ? 0 : dims[r.below(14)];
    const bool ta = r.below(2), tb = r.below(2), acc = r.below(2);
    std::vector<float> A(size_t(M) * K + 1), B(size_t(K) * N + 1), C0(size_t(M) * N);
    for (auto& x : A) x = float(r.uniform() - 0.5);
    for (auto& x : B) x = float(r.uniform() - 0.5);
    for (auto& x : C0) x = float(r.uniform() - 0.5);
    std::vector<float> ref(C0);
    for (int i = 0; i < M; ++i)
      for (int j = 0; j < N; ++j) {
        float c = acc ? C0[size_t(i) * N + j] : 0.f;
        for (int k = 0; k < K; ++k) {
          const float a = ta ? A[size_t(k) * M + i] : A[size_t(i) * K + k];
          const float b = tb ? B[size_t(j) * K + k] : B[size_t(k) * N + j];
          c = std::fma(a, b, c);
        }
        ref[size_t(i) * N + j] = c;
      }
    for (const SgemmKernel* kn : ks) {
      std::vector<float> C(C0);
      GemmArgs g;
      g.M = M, g.N = N, g.K = K, g.transA = ta, g.transB = tb;
      g.A = A.data(), g.lda = ta ? M : K, g.B = B.data(), g.ldb = tb ? K : N;
      g.C = C.data(), g.ldc = N, g.accumulate = acc;
      kn->gemm(g, work);
      CHECK(sameFloats(C, ref), "sgemm %s M=%d N=%d K=%d ta=%d tb=%d acc=%d differs from the fma chain", kn->name, M, N, K,
            ta, tb, acc);
    }
  }
  std::free(work);
}

static TrainConfig tinyConfig(std::vector<int> hidden) {
  TrainConfig c;
  c.k = 3, c.E = 4, c.hidden = hidden;
  c.alphabet = {'a', 'b', 'c', 'd', 'e'};
  c.seed = 11, c.threads = 2, c.batch = 64, c.microBatch = 16, c.laneSize = 7;
  return c;
}

static void testGradient() {
  for (const auto& hidden : std::vector<std::vector<int>>{{6, 5}, {7}, {4, 3, 5}}) {
    TrainConfig c = tinyConfig(hidden);
    Trainer t(c);
    Segs segs = {markov(50, 2, 3, {'a', 'b', 'c', 'd', 'e'}), {}, markov(23, 1, 4, {'a', 'b', 'c', 'd', 'e'})};
    t.setData(views(segs), {});
    std::vector<uint64_t> idx;
    for (uint64_t i = 0; i < t.trainSize(); i += 2) idx.push_back(i);
    const double alpha = 0.01, alphaE = 0.02;
    const double loss = t.lossAndGradient(false, idx, alpha, alphaE);
    const std::vector<float> g = t.gradient();

    RefNet ref = RefNet::from(t.exportFloat());
    auto refLoss = [&]() {
      double s = 0;
      for (uint64_t i : idx) {
        size_t seg, pos;
        t.locate(false, i, &seg, &pos);
        s += ref.nll(segs[seg], pos, c.laneSize);
      }
      return s / idx.size() + ref.penalty(alpha, alphaE);
    };
    const double l0 = refLoss();
    CHECK(std::fabs(l0 - loss) < 1e-5 * std::max(1.0, l0), "loss %.9f vs reference %.9f", loss, l0);
    std::vector<double*> ps = ref.params();
    CHECK(ps.size() == g.size(), "parameter count %zu vs %zu", ps.size(), g.size());
    int bad = 0;
    double worst = 0;
    for (size_t i = 0; i < ps.size() && i < g.size(); ++i) {
      const double w = *ps[i], h = 1e-6;
      *ps[i] = w + h;
      const double up = refLoss();
      *ps[i] = w - h;
      const double down = refLoss();
      *ps[i] = w;
      const double fd = (up - down) / (2 * h);
      const double err = std::fabs(fd - g[i]) / (1e-4 + std::fabs(fd));
      worst = std::max(worst, err);
      if (std::fabs(fd - g[i]) > 2e-5 + 1e-3 * std::fabs(fd)) {
        if (++bad < 5) std::fprintf(stderr, "  param %zu: analytic %.8g vs finite difference %.8g\n", i, g[i], fd);
      }
    }
    CHECK(bad == 0, "hidden %zu layers: %d of %zu gradients differ from central differences (worst rel %.3g)", hidden.size(),
          bad, ps.size(), worst);
  }
}

static double order0Entropy(const std::vector<uint8_t>& d, const std::vector<uint8_t>& alphabet) {
  double cnt[256] = {};
  for (uint8_t b : d) cnt[b]++;
  // Symbols as the model codes them: alphabet bytes, ESC for the rest (+8 raw bits).
  double h = 0, esc = 0;
  for (int b = 0; b < 256; ++b) {
    bool in = false;
    for (uint8_t a : alphabet) in |= a == b;
    if (!in) esc += cnt[b];
  }
  const double n = double(d.size());
  for (uint8_t a : alphabet)
    if (cnt[a] > 0) h -= cnt[a] / n * std::log2(cnt[a] / n);
  if (esc > 0) h -= esc / n * std::log2(esc / n) - esc / n * 8;
  return h;
}

static void testMarkov() {
  const std::vector<uint8_t> alphabet = {'A', 'C', 'G', 'N', 'T', 'x', 'y'};
  for (int order = 1; order <= 2; ++order) {
    Segs train = {markov(60000, order, 21 + order, alphabet), markov(20000, order, 31 + order, alphabet)};
    Segs valid = {markov(20000, order, 41 + order, alphabet)};
    TrainConfig c;
    c.k = 4, c.E = 8, c.hidden = {32, 32}, c.alphabet = alphabet, c.seed = 5, c.threads = 2, c.batch = 256;
    c.microBatch = 128, c.laneSize = 4096, c.lr = 0.005;
    Trainer t(c);
    t.setData(views(train), views(valid));
    const double h0 = order0Entropy(valid[0], alphabet);
    const double before = t.evaluate(true);
    EpochResult r;
    for (int e = 0; e < 3; ++e) r = t.trainEpoch({});
    const double after = t.evaluate(true);
    std::printf("  order-%d Markov: order-0 entropy %.3f, valid bits/byte %.3f -> %.3f (train %.3f, %.0f samples/s)\n", order,
                h0, before, after, r.bits, r.samples / r.seconds);
    CHECK(after < h0 - 0.3, "order-%d: valid %.3f bits/byte not below the order-0 entropy %.3f", order, after, h0);
    CHECK(t.step() == 3 * ((80000 + 255) / 256), "step %llu", (unsigned long long)t.step());
  }
}

// Planted dead units: zero in- and out-groups of some nodes and one
// embedding dimension; lasso training keeps them exactly zero (their
// gradients are exactly zero) and prune removes exactly them.
static void plant(Trainer& t, const std::vector<std::vector<int>>& nodes, int deadDim) {
  const Arch& a = t.arch();
  const Layout& y = t.layout();
  std::vector<float>& p = t.params();
  for (int l = 0; l < a.L(); ++l)
    for (int h : nodes[l]) {
      const int n = a.nIn(l);
      for (int i = 0; i < n; ++i) p[y.W[l] + size_t(h) * n + i] = 0;
      p[y.b[l] + h] = 0;
      const size_t next = l + 1 < a.L() ? y.W[l + 1] : y.Wo;
      for (int r = 0; r < a.nOut(l); ++r) p[next + size_t(r) * a.H[l] + h] = 0;
    }
  if (deadDim >= 0) {
    for (int tk = 0; tk <= a.A; ++tk) p[y.emb + size_t(tk) * a.E + deadDim] = 0;
    for (int h = 0; h < a.H[0]; ++h)
      for (int j = 0; j < a.k; ++j) p[y.W[0] + size_t(h) * a.k * a.E + j * a.E + deadDim] = 0;
  }
}

static void testLassoPrune() {
  const std::vector<uint8_t> alphabet = {'a', 'b', 'c', 'd', 'e', 'f'};
  Segs train = {markov(30000, 2, 61, alphabet)};
  TrainConfig c;
  c.k = 4, c.E = 6, c.hidden = {24, 16}, c.alphabet = alphabet, c.seed = 9, c.threads = 2, c.batch = 512, c.microBatch = 200;
  Trainer t(c);
  t.setData(views(train), views(train));
  const std::vector<std::vector<int>> dead = {{0, 5, 17, 23}, {3, 4, 15}};
  plant(t, dead, 2);
  for (int e = 1; e <= 3; ++e) t.trainEpoch({2e-5 * e * e, -1, 0});
  const GroupRms r = t.groupRms();
  for (int l = 0; l < 2; ++l)
    for (int h : dead[l]) CHECK(r.in[l][h] == 0 && r.out[l][h] == 0, "planted node %d of layer %d revived", h, l);
  CHECK(r.embed[2] == 0, "planted embedding dim revived (%g)", r.embed[2]);
  float minAlive = 1;
  for (int l = 0; l < 2; ++l)
    for (int h = 0; h < c.hidden[l]; ++h) {
      bool isDead = false;
      for (int d : dead[l]) isDead |= d == h;
      if (!isDead) minAlive = std::min(minAlive, std::min(r.in[l][h], r.out[l][h]));
    }
  CHECK(minAlive > 1e-3f, "a live node fell below the threshold (%g)", minAlive);
  const double before = t.evaluate(true, 5000);
  const PruneResult pr = t.prune(1e-3);
  CHECK(pr.removed.size() == 2 && pr.removed[0] == 4 && pr.removed[1] == 3, "removed %d/%d", pr.removed[0], pr.removed[1]);
  CHECK(pr.embedRemoved == 1 && pr.E == 5, "embedding removed %d, E %d", pr.embedRemoved, pr.E);
  CHECK(pr.hidden == (std::vector<int>{20, 13}), "widths %d-%d", pr.hidden[0], pr.hidden[1]);
  CHECK(t.paramCount() == size_t(8 * 5 + 20 * 20 + 20 + 13 * 20 + 13 + 7 * 13 + 7), "params %zu", t.paramCount());
  const double after = t.evaluate(true, 5000);
  CHECK(after == before, "bits changed by pruning dead units: %.9f -> %.9f", before, after);
  t.trainEpoch({});  // the pruned (smaller, dense) network trains on
  CHECK(t.evaluate(true, 5000) < before + 0.05, "retraining the pruned net diverged");
}

static void testPruneExact() {
  const std::vector<uint8_t> alphabet = {'a', 'b', 'c', 'd'};
  Segs train = {markov(3000, 2, 71, alphabet)};
  TrainConfig c;
  c.k = 5, c.E = 4, c.hidden = {10, 9, 8}, c.alphabet = alphabet, c.seed = 3, c.threads = 2, c.microBatch = 333;
  Trainer t(c);
  t.setData(views(train), {});
  const Arch a = t.arch();
  const Layout y = t.layout();
  std::vector<float>& p = t.params();
  // Layer 0 node 2: zero incoming weights, negative bias (always 0 out).
  for (int i = 0; i < a.nIn(0); ++i) p[y.W[0] + 2 * a.nIn(0) + i] = 0;
  p[y.b[0] + 2] = -0.5f;
  // Layer 1 node 4: zero outgoing weights (into layer 2).
  for (int r = 0; r < a.H[2]; ++r) p[y.W[2] + size_t(r) * a.H[1] + 4] = 0;
  // Layer 2 node 7: zero outgoing weights (into the output layer).
  for (int r = 0; r < a.A; ++r) p[y.Wo + size_t(r) * a.H[2] + 7] = 0;
  // Embedding dim 1: zero column.
  for (int tk = 0; tk <= a.A; ++tk) p[y.emb + size_t(tk) * a.E + 1] = 0;
  std::vector<uint64_t> idx;
  for (uint64_t i = 0; i < t.trainSize(); i += 3) idx.push_back(i);
  const std::vector<float> z0 = t.logits(false, idx);
  t.removeUnits({{2}, {4}, {7}}, {1});
  CHECK(t.arch().H == (std::vector<int>{9, 8, 7}) && t.arch().E == 3, "arch after removal");
  const std::vector<float> z1 = t.logits(false, idx);
  CHECK(sameFloats(z0, z1), "logits changed by removing dead units");

  // Zero incoming weights, positive bias: a constant, folded into the next bias.
  const Layout y2 = t.layout();
  std::vector<float>& p2 = t.params();
  for (int i = 0; i < t.arch().nIn(1); ++i) p2[y2.W[1] + 5 * size_t(t.arch().nIn(1)) + i] = 0;
  p2[y2.b[1] + 5] = 0.7f;
  const std::vector<float> z2 = t.logits(false, idx);
  t.removeUnits({{}, {5}, {}}, {});
  const std::vector<float> z3 = t.logits(false, idx);
  float worst = 0;
  for (size_t i = 0; i < z2.size(); ++i) worst = std::max(worst, std::fabs(z2[i] - z3[i]));
  CHECK(z2.size() == z3.size() && worst < 1e-5f, "folding a constant node changed logits by %g", worst);
  CHECK(throwsCode([&] { t.removeUnits({{0}, {}, {}}, {0, 1, 2}); }, Code::InvalidArg), "removing every embedding dim");
  CHECK(throwsCode([&] { t.removeUnits({{0, 0}, {}, {}}, {}); }, Code::InvalidArg), "duplicate node");
  CHECK(throwsCode([&] { t.removeUnits({{99}, {}, {}}, {}); }, Code::InvalidArg), "node out of range");
  CHECK(throwsCode([&] { t.removeUnits({{}, {}}, {}); }, Code::InvalidArg), "wrong layer count");
}

static TrainConfig detConfig(int threads, Simd simd) {
  TrainConfig c;
  c.k = 6, c.E = 5, c.hidden = {40, 24}, c.alphabet = {' ', '0', '1', '2', '3', '4', '5', '6', '7', '8', '9'};
  c.seed = 77, c.threads = threads, c.batch = 300, c.microBatch = 128, c.laneSize = 1000, c.simd = simd;
  return c;
}

static Segs detData() { return {markov(5000, 2, 81, {' ', '0', '1', '2', '3', '4', '5', '6', '7', '8', '9'}), markov(1234, 1, 82, {'0', '1', '2', '3'})}; }

static void testDeterminism() {
  const Segs d = detData();
  std::vector<float> ref;
  double refBits = 0;
  for (Simd s : variants())
    for (int threads : {1, 2, 3}) {
      Trainer t(detConfig(threads, s));
      t.setData(views(d), views(d));
      t.trainEpoch({});
      const EpochResult r = t.trainEpoch({1e-4, -1, 0});
      if (ref.empty()) {
        ref = t.params();
        refBits = r.bits;
      } else {
        CHECK(sameFloats(ref, t.params()), "weights differ for simd %s, %d threads", t.simdName(), threads);
        CHECK(r.bits == refBits, "epoch bits differ for simd %s, %d threads", t.simdName(), threads);
      }
    }
  TrainConfig other = detConfig(2, Simd::Auto);
  other.seed = 78;
  Trainer t(other);
  t.setData(views(d), {});
  t.trainEpoch({});
  CHECK(!sameFloats(ref, t.params()), "another seed gave the same weights");
}

static void testCheckpoint() {
  const Segs d = detData();
  FakeQuant fq;
  fq.actScale = {0.02f, 0.03f};
  fq.weightScale = {{}, {0.01f}, {}};
  auto run = [&](Trainer& t, int e) {
    if (e == 2) t.setFakeQuant(&fq);
    return t.trainEpoch({e * 1e-4, -1, 4000});
  };
  Trainer a(detConfig(2, Simd::Auto));
  a.setData(views(d), {});
  for (int e = 0; e < 4; ++e) run(a, e);

  Trainer b(detConfig(2, Simd::Auto));
  b.setData(views(d), {});
  run(b, 0);
  run(b, 1);
  run(b, 2);
  const std::vector<uint8_t> ck = b.checkpoint();
  std::unique_ptr<Trainer> c = Trainer::restore(ck.data(), ck.size(), 1);
  c->setData(views(d), {});
  CHECK(c->fakeQuantEnabled() && c->epoch() == 3 && c->step() == b.step(), "restored state");
  CHECK(c->checkpoint().size() == ck.size(), "re-checkpoint size");
  run(*c, 3);
  CHECK(sameFloats(a.params(), c->params()), "resume differs from the uninterrupted run");
  const std::vector<uint8_t> ca = a.checkpoint(), cc = c->checkpoint();
  // Identical but for the stored thread count (restored with 1 thread).
  CHECK(ca.size() == cc.size(), "checkpoint sizes differ");

  // Hostile buffers: every truncation, flipped bytes, and well-formed
  // (checksummed) lies. Each must be an Error, never a crash.
  int ok = 0;
  for (size_t n = 0; n < ck.size(); n += (n < 400 ? 1 : 997))
    ok += throwsCode([&] { Trainer::restore(ck.data(), n); }, Code::Corrupt) ? 1 : 0;
  CHECK(ok > 0, "truncations");
  size_t tries = 0, good = 0;
  for (size_t n = 0; n < ck.size(); n += (n < 400 ? 1 : 997)) ++tries;
  CHECK(size_t(ok) == tries, "a truncated checkpoint did not fail with ERR_NNC_CORRUPT (%d of %zu)", ok, tries);
  Lcg r(5);
  for (int i = 0; i < 200; ++i) {
    std::vector<uint8_t> bad(ck);
    bad[r.below(int(bad.size()))] ^= uint8_t(1 + r.below(255));
    // A flipped version field reads as a newer format: ERR_NNC_UNSUPPORTED.
    good += (throwsCode([&] { Trainer::restore(bad.data(), bad.size()); }, Code::Corrupt) ||
             throwsCode([&] { Trainer::restore(bad.data(), bad.size()); }, Code::Unsupported))
                ? 1
                : 0;
  }
  CHECK(good == 200, "flipped bytes: %zu of 200 failed with ERR_NNC_CORRUPT/UNSUPPORTED", good);
  auto resealed = [&](size_t off, const std::vector<uint8_t>& patch) {
    std::vector<uint8_t> bad(ck);
    std::memcpy(bad.data() + off, patch.data(), patch.size());
    const uint64_t h = xxh64(bad.data(), bad.size() - 8);
    for (int i = 0; i < 8; ++i) bad[bad.size() - 8 + i] = uint8_t(h >> (8 * i));
    return bad;
  };
  const std::vector<std::pair<size_t, std::vector<uint8_t>>> lies = {
      {8, {0, 0, 0, 0}},                  // k = 0
      {16, {5, 0, 0, 0}},                 // L = 5
      {20, {1, 1, 0, 0}},                 // A = 257 with 10 alphabet bytes
      {24, {0, 16, 0, 0}},                // H[0] = 4096: parameter count mismatch
      {24, {0, 0, 0, 0}},                 // H[0] = 0
      {32, {'5', '4'}},                   // alphabet not increasing
      {ck.size() - 12, {0, 0, 0xc0, 0x7f}},  // last v = NaN
      {ck.size() - 12, {0, 0, 0x80, 0xbf}},  // last v = -1
  };
  for (const auto& l : lies) {
    const std::vector<uint8_t> bad = resealed(l.first, l.second);
    std::string msg;
    CHECK(throwsCode([&] { Trainer::restore(bad.data(), bad.size()); }, Code::Corrupt, &msg),
          "resealed lie at offset %zu was accepted (%s)", l.first, msg.c_str());
  }
  std::vector<uint8_t> v2 = resealed(4, {2, 0, 0, 0});
  CHECK(throwsCode([&] { Trainer::restore(v2.data(), v2.size()); }, Code::Unsupported), "version 2");
}

// The in-memory paths Session uses (snapshot for fit's best weights, clone
// for fork) against checkpoint() -> restore() -> setData(same bytes): the
// same bytes out of checkpoint() at every point, and clones share the data.
static void testSnapshotClone() {
  const Segs d = detData();
  FakeQuant fq;
  fq.actScale = {0.02f, 0.03f};
  fq.weightScale = {{}, {0.01f}, {}};
  Trainer a(detConfig(2, Simd::Auto));
  a.setData(views(d), views(d));
  a.trainEpoch({1e-4, -1, 3000});
  a.setFakeQuant(&fq);
  a.trainEpoch({0, -1, 2000});

  const std::vector<uint8_t> ck = a.checkpoint();
  std::unique_ptr<Trainer> viaBytes = Trainer::restore(ck.data(), ck.size(), 2);
  viaBytes->setData(views(d), views(d));
  std::unique_ptr<Trainer> c = a.clone();
  CHECK(c->checkpoint() == ck, "clone's checkpoint differs from the original's");
  CHECK(c->data() == a.data() && c->trainSize() == a.trainSize(), "clone does not share the data");
  c->trainEpoch({2e-4, -1, 3000});
  viaBytes->trainEpoch({2e-4, -1, 3000});
  CHECK(c->checkpoint() == viaBytes->checkpoint(), "clone trained differently from the restored checkpoint");
  CHECK(a.checkpoint() == ck, "training the clone changed the original");

  const Snapshot snap = a.snapshot();
  CHECK(snap.bytes() == 12 * a.paramCount(), "snapshot size %zu", snap.bytes());
  a.trainEpoch({0, -1, 2000});
  a.setFakeQuant(nullptr);
  a.prune(0.3);
  a.restoreSnapshot(snap);
  CHECK(a.checkpoint() == ck, "restoreSnapshot did not bring back the checkpointed state (architecture, fake quant)");
  CHECK(a.fakeQuantEnabled() && a.arch().H == std::vector<int>({40, 24}), "restored fake quant / widths");
  a.trainEpoch({2e-4, -1, 3000});
  CHECK(a.checkpoint() == viaBytes->checkpoint(), "training after restoreSnapshot differs from the checkpoint path");

  // setData gives a trainer new data; clones made before keep the old.
  std::unique_ptr<Trainer> e = a.clone(1);
  const Segs other = {markov(700, 1, 83, {'0', '1'})};
  a.setData(views(other), {});
  CHECK(a.trainSize() == 700 && e->trainSize() == 6234 && e->validSize() == 6234, "setData after clone: %llu / %llu",
        (unsigned long long)a.trainSize(), (unsigned long long)e->trainSize());
  CHECK(e->threads() == 1, "clone thread count");
}

// quant_rule.h: half up (not to even, not away from zero), clamped at +-127.
static void testQuantRule() {
  const float inv = 128.f;  // scale 1/128: every (k + 0.5) / 128 is exact
  struct Case { float w, q; } cases[] = {
      {2.5f / 128, 3},   {-2.5f / 128, -2}, {0.5f / 128, 1},    {-0.5f / 128, 0},  {3.5f / 128, 4},
      {-3.5f / 128, -3}, {126.5f / 128, 127}, {127.5f / 128, 127}, {-127.5f / 128, -127}, {-128.5f / 128, -127},
      {5.f, 127},        {-5.f, -127},      {0.f, 0},           {-0.f, 0},         {2.49f / 128, 2}};
  for (const Case& c : cases)
    CHECK(quant::weightStep(c.w, inv) == c.q, "weightStep(%g * 128) = %g, want %g", c.w * 128, quant::weightStep(c.w, inv), c.q);
  const float row[] = {0.25f, -0.5f, 0.125f};
  CHECK(quant::rowScale(row, 3) == 0.5f / 127.f, "row scale");
  const float zeros[] = {0.f, -0.f};
  CHECK(quant::rowScale(zeros, 2) == 1.f, "all-zero row scale");
  CHECK(quant::activationStep(254.5f, 1.f) == 255.f && quant::activationStep(300.f, 1.f) == 255.f &&
            quant::activationStep(0.49f, 1.f) == 0.f,
        "activation clamp and rounding");
  CHECK(quant::biasStep(-7.5f, 1.f) == -7.f && quant::biasStep(7.5f, 1.f) == 8.f, "bias rounds half up");
}

static void testFakeQuantAndStats() {
  const std::vector<uint8_t> alphabet = {'a', 'b', 'c', 'd', 'e'};
  Segs train = {markov(20000, 2, 91, alphabet)};
  TrainConfig c;
  c.k = 4, c.E = 4, c.hidden = {16, 12}, c.alphabet = alphabet, c.seed = 2, c.threads = 2, c.batch = 256, c.microBatch = 100;
  Trainer t(c);
  t.setData(views(train), views(train));
  t.trainEpoch({});
  const ActivationStats st = t.activationStats(true, 4000);
  CHECK(st.layers.size() == 2 && st.samples == 4000, "stats shape");
  for (const auto& l : st.layers)
    CHECK(l.max >= l.p99999 && l.p99999 >= l.p9999 && l.p9999 >= l.p999 && l.p999 >= l.p99 && l.p99 >= 0 && l.max > 0 &&
              l.zeroFraction >= 0 && l.zeroFraction < 1 && l.mean > 0,
          "stats order: max %g p99999 %g p9999 %g p999 %g p99 %g", l.max, l.p99999, l.p9999, l.p999, l.p99);
  // Reference max over the same positions.
  RefNet ref = RefNet::from(t.exportFloat());
  double refMax0 = 0;
  for (uint64_t i = 0; i < 4000; ++i) {
    const size_t pos = size_t(i * 20000 / 4000);
    const size_t laneStart = pos / c.laneSize * c.laneSize;
    std::vector<double> x(16);
    for (int j = 0; j < 4; ++j) {
      const long q = long(pos) - 1 - j;
      const int tk = q >= long(laneStart) ? ref.token(train[0][q]) : ref.A;
      for (int e = 0; e < 4; ++e) x[j * 4 + e] = ref.emb[tk * 4 + e];
    }
    for (int h = 0; h < 16; ++h) {
      double z = ref.b[0][h];
      for (int i2 = 0; i2 < 16; ++i2) z += ref.W[0][h * 16 + i2] * x[i2];
      refMax0 = std::max(refMax0, z);
    }
  }
  CHECK(std::fabs(st.layers[0].max - refMax0) < 1e-4 * refMax0, "layer 0 max %g vs reference %g", st.layers[0].max, refMax0);

  FakeQuant fq;
  fq.actScale = {st.layers[0].p9999 / 255.f, st.layers[1].p9999 / 255.f};
  fq.weightScale = {{}, {}, {}};
  CHECK(throwsCode([&] { FakeQuant b = fq; b.actScale.pop_back(); t.setFakeQuant(&b); }, Code::InvalidArg), "actScale size");
  CHECK(throwsCode([&] { FakeQuant b = fq; b.actScale[0] = 0; t.setFakeQuant(&b); }, Code::InvalidArg), "actScale 0");
  CHECK(throwsCode([&] { FakeQuant b = fq; b.weightScale[1] = {1, 2}; t.setFakeQuant(&b); }, Code::InvalidArg), "row scales");
  const double plain = t.evaluate(true, 4000);
  t.setFakeQuant(&fq);
  const double quant = t.evaluate(true, 4000);
  // Reference fake-quant logits: double arithmetic on quantized weights.
  std::vector<uint64_t> idx;
  for (uint64_t i = 0; i < 2000; ++i) idx.push_back(i * 10);
  const std::vector<float> z = t.logits(false, idx);
  {
    FloatModel f = t.exportFloat();
    RefNet q = RefNet::from(f);
    q.fq = true;
    q.act = {fq.actScale[0], fq.actScale[1]};
    auto quantize = [](std::vector<double>& w, int rows, int n, std::vector<double>* bias, double sIn) {
      for (int r = 0; r < rows; ++r) {
        double m = 0;
        for (int i = 0; i < n; ++i) m = std::max(m, std::fabs(w[size_t(r) * n + i]));
        const double s = float(m / 127.f);
        for (int i = 0; i < n; ++i) w[size_t(r) * n + i] = std::max(-127.0, std::min(127.0, std::floor(w[size_t(r) * n + i] / s + 0.5))) * s;
        if (bias) (*bias)[r] = std::floor((*bias)[r] / (sIn * s) + 0.5) * (sIn * s);
      }
    };
    double me = 0;
    for (double v : q.emb) me = std::max(me, std::fabs(v));
    const double sEmb = float(me / 127.f);
    quantize(q.emb, 1, int(q.emb.size()), nullptr, 0);
    quantize(q.W[0], 16, 16, &q.b[0], sEmb);
    quantize(q.W[1], 12, 16, &q.b[1], q.act[0]);
    quantize(q.Wo, 6, 12, &q.bo, q.act[1]);
    int close = 0;
    for (size_t i = 0; i < idx.size(); ++i) {
      const std::vector<double> zr = q.logits(train[0], size_t(idx[i]), c.laneSize);
      double worst = 0;
      for (int s = 0; s < 6; ++s) worst = std::max(worst, std::fabs(zr[s] - z[i * 6 + s]));
      close += worst < 1e-3 ? 1 : 0;
    }
    // A float/double difference may flip a rounding at a .5 boundary now and then.
    CHECK(close >= int(idx.size() * 0.97), "fake-quant logits match the reference on %d of %zu positions", close, idx.size());
  }
  std::printf("  fake quant: valid bits %.4f float -> %.4f quantized\n", plain, quant);
  CHECK(quant < plain + 0.3, "fake quantization lost too much (%.3f -> %.3f)", plain, quant);
  const EpochResult r = t.trainEpoch({});
  CHECK(std::isfinite(r.bits) && t.evaluate(true, 4000) < quant + 0.05, "quantization-aware epoch");
  t.setFakeQuant(nullptr);
  CHECK(!t.fakeQuantEnabled(), "fake quant off");
}

static void testCancelAndArgs() {
  const Segs d = detData();
  Trainer t(detConfig(2, Simd::Auto));
  t.setData(views(d), {});
  std::atomic<bool> cancel(false);
  int calls = 0;
  const EpochResult r = t.trainEpoch({}, [&](uint64_t done, uint64_t total, double bits) {
    ++calls;
    CHECK(done <= total && std::isfinite(bits), "progress values");
    if (calls == 2) cancel = true;
  }, &cancel);
  CHECK(r.cancelled && r.samples == 600 && t.step() == 2, "cancel: cancelled=%d samples=%llu step=%llu", r.cancelled,
        (unsigned long long)r.samples, (unsigned long long)t.step());
  CHECK(throwsCode([&] { t.evaluate(true); }, Code::InvalidArg), "evaluate without validation data");
  CHECK(throwsCode([&] { t.trainEpoch({-1, -1, 0}); }, Code::InvalidArg), "negative lasso");
  CHECK(throwsCode([&] { t.prune(-1); }, Code::InvalidArg), "negative threshold");
  Trainer empty(detConfig(1, Simd::Auto));
  CHECK(throwsCode([&] { empty.trainEpoch({}); }, Code::InvalidArg), "train without data");
  auto bad = [&](std::function<void(TrainConfig&)> edit, const char* what) {
    TrainConfig c = detConfig(1, Simd::Auto);
    edit(c);
    std::string msg;
    CHECK(throwsCode([&] { Trainer x(c); }, Code::InvalidArg, &msg), "config %s accepted", what);
  };
  bad([](TrainConfig& c) { c.k = 0; }, "k=0");
  bad([](TrainConfig& c) { c.E = 65; }, "E=65");
  bad([](TrainConfig& c) { c.hidden = {}; }, "no hidden layer");
  bad([](TrainConfig& c) { c.hidden = {1, 2, 3, 4, 5}; }, "5 layers");
  bad([](TrainConfig& c) { c.hidden = {4097}; }, "H=4097");
  bad([](TrainConfig& c) { c.alphabet = {}; }, "empty alphabet");
  bad([](TrainConfig& c) { c.alphabet = {3, 2}; }, "decreasing alphabet");
  bad([](TrainConfig& c) { c.lr = 0; }, "lr=0");
  bad([](TrainConfig& c) { c.beta1 = 1; }, "beta1=1");
  bad([](TrainConfig& c) { c.eps = std::nan(""); }, "eps=NaN");
  bad([](TrainConfig& c) { c.batch = 0; }, "batch=0");
  bad([](TrainConfig& c) { c.laneSize = 0; }, "laneSize=0");
  bad([](TrainConfig& c) { c.threads = -1; }, "threads=-1");
  // Alphabet of all 256 bytes (ESC never occurs) and laneSize 1 (all PAD).
  TrainConfig full = detConfig(2, Simd::Auto);
  full.alphabet.clear();
  for (int b = 0; b < 256; ++b) full.alphabet.push_back(uint8_t(b));
  full.laneSize = 1;
  full.hidden = {8};
  Trainer f(full);
  f.setData(views(d), views(d));
  const double e0 = f.evaluate(true);
  f.trainEpoch({});
  CHECK(f.evaluate(true) < e0, "laneSize 1 / 256-symbol alphabet trains");
}

int main(int argc, char** argv) {
  const std::string only = argc > 1 ? argv[1] : "";
  struct T {
    const char* name;
    void (*fn)();
  } tests[] = {{"sgemm", testSgemm},           {"gradient", testGradient},   {"markov", testMarkov},
               {"lasso-prune", testLassoPrune}, {"prune-exact", testPruneExact}, {"determinism", testDeterminism},
               {"checkpoint", testCheckpoint},   {"snapshot", testSnapshotClone}, {"quant-rule", testQuantRule},
               {"fakequant", testFakeQuantAndStats}, {"cancel-args", testCancelAndArgs}};
  for (const T& t : tests) {
    if (!only.empty() && only != t.name) continue;
    std::printf("%s\n", t.name);
    std::fflush(stdout);
    try {
      t.fn();
    } catch (const std::exception& e) {
      ++failures;
      std::fprintf(stderr, "FAIL %s: unexpected exception: %s\n", t.name, e.what());
    }
  }
  std::printf("%d checks, %d failures\n", checks, failures);
  return failures ? 1 : 0;
}
