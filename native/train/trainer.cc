// The trainer: data, batched forward/backward, Adam, evaluation.
// Group lasso and pruning: prune.cc. Checkpoints: checkpoint.cc.
// Activation statistics and fake quantization: quant.cc.
#include "trainer.h"

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <limits>
#include <string>

#include "../core/errors.h"
#include "quant_rule.h"
#include "scratch.h"
#include "vexp.h"

namespace nnc {
namespace train {

namespace {

using Clock = std::chrono::steady_clock;
double since(Clock::time_point t0) { return std::chrono::duration<double>(Clock::now() - t0).count(); }

[[noreturn]] void invalid(const std::string& name, const std::string& expected, const std::string& got) {
  fail(Code::InvalidArg, "Expected " + expected + " for " + name + " but received " + got);
}

std::string num(double v) {
  char b[32];
  std::snprintf(b, sizeof b, "%.17g", v);
  return b;
}

void checkInt(const char* name, long long v, long long lo, long long hi) {
  if (v < lo || v > hi)
    invalid(name, "an integer in [" + std::to_string(lo) + ", " + std::to_string(hi) + "]", std::to_string(v));
}

void checkReal(const char* name, double v, double lo, double hi, bool loOpen, bool hiOpen) {
  const bool ok = std::isfinite(v) && (loOpen ? v > lo : v >= lo) && (hiOpen ? v < hi : v <= hi);
  if (!ok)
    invalid(name, std::string("a number in ") + (loOpen ? "(" : "[") + num(lo) + ", " + num(hi) + (hiOpen ? ")" : "]"),
            num(v));
}

}  // namespace

void validateConfig(const TrainConfig& c) {
  checkInt("k", c.k, 1, 64);
  checkInt("E", c.E, 1, 64);
  checkInt("hidden.length", static_cast<long long>(c.hidden.size()), 1, kMaxLayers);
  for (size_t l = 0; l < c.hidden.size(); ++l) checkInt(("hidden[" + std::to_string(l) + "]").c_str(), c.hidden[l], 1, 4096);
  checkInt("alphabet.length", static_cast<long long>(c.alphabet.size()), 1, 256);
  for (size_t i = 1; i < c.alphabet.size(); ++i)
    if (c.alphabet[i] <= c.alphabet[i - 1])
      invalid("alphabet", "strictly increasing byte values", "byte " + std::to_string(c.alphabet[i]) + " at index " + std::to_string(i));
  checkInt("threads", c.threads, 0, 256);
  checkReal("lr", c.lr, 0, 1, true, false);
  checkReal("beta1", c.beta1, 0, 1, false, true);
  checkReal("beta2", c.beta2, 0, 1, false, true);
  checkReal("eps", c.eps, 0, 1, true, false);
  checkInt("batch", c.batch, 1, 1 << 20);
  checkInt("microBatch", c.microBatch, 1, 1 << 16);
  checkInt("laneSize", c.laneSize, 1, 1 << 24);
}

Layout Layout::of(const Arch& a) {
  Layout y;
  size_t o = 0;
  y.emb = o;
  o += size_t(a.A + 1) * a.E;
  for (int l = 0; l < a.L(); ++l) {
    y.W[l] = o;
    o += size_t(a.H[l]) * a.nIn(l);
    y.b[l] = o;
    o += a.H[l];
  }
  y.Wo = o;
  o += size_t(a.A) * a.H[a.L() - 1];
  y.bo = o;
  o += a.A;
  y.total = o;
  return y;
}

Trainer::Trainer(const TrainConfig& config) : Trainer(config, true) {}

Trainer::Trainer(const TrainConfig& config, bool init) : cfg_(config), data_(std::make_shared<const TrainingData>()) {
  validateConfig(cfg_);
  gemm_ = &sgemmFor(cfg_.simd);
  int threads = cfg_.threads;
  if (threads == 0) {
    threads = static_cast<int>(std::thread::hardware_concurrency());
    if (threads < 1) threads = 1;
    if (threads > 256) threads = 256;
  }
  arch_.k = cfg_.k;
  arch_.E = cfg_.E;
  arch_.A = static_cast<int>(cfg_.alphabet.size()) + 1;
  arch_.H = cfg_.hidden;
  lay_ = Layout::of(arch_);
  buildTokenTable();
  theta_.assign(lay_.total, 0.f);
  m_.assign(lay_.total, 0.f);
  v_.assign(lay_.total, 0.f);
  grad_.assign(lay_.total, 0.f);
  rng_.seed(cfg_.seed);
  if (init) initWeights();
  pool_.reset(new ThreadPool(threads));
}

Trainer::~Trainer() = default;

void Trainer::buildTokenTable() {
  const int esc = arch_.A - 1;
  for (int b = 0; b < 256; ++b) {
    tokenOf_[b] = static_cast<uint16_t>(esc);
    inAlphabet_[b] = false;
  }
  for (size_t s = 0; s < cfg_.alphabet.size(); ++s) {
    tokenOf_[cfg_.alphabet[s]] = static_cast<uint16_t>(s);
    inAlphabet_[cfg_.alphabet[s]] = true;
  }
}

// PyTorch's defaults: embedding N(0, 1); linear weights and biases
// U(-1/sqrt(fan_in), 1/sqrt(fan_in)). Drawn in tensor order from the seeded RNG.
void Trainer::initWeights() {
  float* p = theta_.data();
  for (size_t i = 0; i < size_t(arch_.A + 1) * arch_.E; ++i) p[lay_.emb + i] = static_cast<float>(rng_.normal());
  auto uniform = [&](size_t off, size_t n, int fanIn) {
    const double bound = 1.0 / std::sqrt(static_cast<double>(fanIn));
    for (size_t i = 0; i < n; ++i) p[off + i] = static_cast<float>((2.0 * rng_.uniform() - 1.0) * bound);
  };
  for (int l = 0; l < arch_.L(); ++l) {
    uniform(lay_.W[l], size_t(arch_.H[l]) * arch_.nIn(l), arch_.nIn(l));
    uniform(lay_.b[l], arch_.H[l], arch_.nIn(l));
  }
  const int HL = arch_.H[arch_.L() - 1];
  uniform(lay_.Wo, size_t(arch_.A) * HL, HL);
  uniform(lay_.bo, arch_.A, HL);
}

void Trainer::setOptimizer(double lr, double beta1, double beta2, double eps, int batch) {
  TrainConfig c = cfg_;
  c.lr = lr;
  c.beta1 = beta1;
  c.beta2 = beta2;
  c.eps = eps;
  c.batch = batch;
  validateConfig(c);
  cfg_ = c;
}

// ---------------------------------------------------------------- data

void Trainer::setData(const std::vector<std::pair<const uint8_t*, size_t>>& train,
                      const std::vector<std::pair<const uint8_t*, size_t>>& valid) {
  auto build = [](const std::vector<std::pair<const uint8_t*, size_t>>& in, DataSet& d) {
    d.segs.reserve(in.size());
    d.start.reserve(in.size() + 1);
    d.start.push_back(0);
    for (const auto& s : in) {
      d.segs.emplace_back(s.first, s.first + s.second);
      d.total += s.second;
      d.start.push_back(d.total);
    }
  };
  // Built aside and swapped in whole: a failed allocation leaves the old data.
  auto d = std::make_shared<TrainingData>();
  build(train, d->train);
  build(valid, d->valid);
  data_ = std::move(d);
}

void Trainer::locate(bool valid, uint64_t idx, size_t* seg, size_t* pos) const {
  const DataSet& ds = valid ? data_->valid : data_->train;
  if (idx >= ds.total) fail(Code::InvalidArg, "sample index out of range");
  // Last segment start <= idx (empty segments share a start; upper_bound skips them).
  const size_t s = static_cast<size_t>(std::upper_bound(ds.start.begin(), ds.start.end(), idx) - ds.start.begin()) - 1;
  *seg = s;
  *pos = static_cast<size_t>(idx - ds.start[s]);
}

// ---------------------------------------------------------------- scratch

void Trainer::ensureScratch(int rows) {
  const int T = pool_->size();
  if (s_ && s_->rows >= rows && s_->arch.H == arch_.H && s_->arch.E == arch_.E && s_->fq == fqOn_ &&
      static_cast<int>(s_->work.size()) == T)
    return;
  s_.reset();
  std::unique_ptr<Scratch> s(new Scratch);
  const Arch& a = arch_;
  const size_t P = static_cast<size_t>(rows);
  s->rows = rows;
  s->arch = a;
  s->fq = fqOn_;
  s->tok.assign(P * a.k, 0);
  s->tgt.assign(P, 0);
  s->esc.assign(P, 0);
  s->nll.assign(P, 0.0);
  s->X0.assign(P * a.k * a.E, 0.f);
  s->dX0.assign(P * a.k * a.E, 0.f);
  s->Zo.assign(P * a.A, 0.f);
  for (int l = 0; l < a.L(); ++l) {
    s->Y[l].assign(P * a.H[l], 0.f);
    s->dZ[l].assign(P * a.H[l], 0.f);
    if (fqOn_) s->Yq[l].assign(P * a.H[l], 0.f);
  }
  s->work.resize(T);
  for (auto& w : s->work) w.reset(kGemmWorkFloats);
  s_ = std::move(s);
}

// ---------------------------------------------------------------- passes

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

// ---------------------------------------------------------------- optimizer

void Trainer::adamStep() {
  ++step_;
  const double bc1 = 1.0 - std::pow(cfg_.beta1, static_cast<double>(step_));
  const double bc2 = 1.0 - std::pow(cfg_.beta2, static_cast<double>(step_));
  const float stepSize = static_cast<float>(cfg_.lr / bc1);
  const float invSqrtBc2 = static_cast<float>(1.0 / std::sqrt(bc2));
  const float b1 = static_cast<float>(cfg_.beta1), b2 = static_cast<float>(cfg_.beta2);
  const float c1 = static_cast<float>(1.0 - cfg_.beta1), c2 = static_cast<float>(1.0 - cfg_.beta2);
  const float eps = static_cast<float>(cfg_.eps);
  const int T = pool_->size();
  pool_->run([&](int t) {
    size_t i0, i1;
    ThreadPool::split(lay_.total, T, t, 16, &i0, &i1);
    float* th = theta_.data();
    float* m = m_.data();
    float* v = v_.data();
    const float* g = grad_.data();
    for (size_t i = i0; i < i1; ++i) {
      m[i] = b1 * m[i] + c1 * g[i];
      v[i] = b2 * v[i] + c2 * g[i] * g[i];
      th[i] -= stepSize * m[i] / (std::sqrt(v[i]) * invSqrtBc2 + eps);
    }
  });
}

double Trainer::lossAndGradient(bool valid, const std::vector<uint64_t>& idx, double lasso, double lassoEmbed) {
  const DataSet& ds = valid ? data_->valid : data_->train;
  for (uint64_t i : idx)
    if (i >= ds.total) fail(Code::InvalidArg, "sample index out of range");
  if (idx.empty()) fail(Code::InvalidArg, "Expected at least one sample index");
  std::fill(grad_.begin(), grad_.end(), 0.f);
  const double invB = 1.0 / static_cast<double>(idx.size());
  double nll = 0;
  for (size_t b = 0; b < idx.size(); b += cfg_.microBatch) {
    const int n = static_cast<int>(std::min<size_t>(cfg_.microBatch, idx.size() - b));
    nll += pass(ds, idx.data() + b, n, invB);
  }
  return nll * invB + addLasso(lasso, lassoEmbed < 0 ? lasso : lassoEmbed, true);
}

std::vector<float> Trainer::logits(bool valid, const std::vector<uint64_t>& idx) {
  const DataSet& ds = valid ? data_->valid : data_->train;
  for (uint64_t i : idx)
    if (i >= ds.total) fail(Code::InvalidArg, "sample index out of range");
  std::vector<float> out;
  out.reserve(idx.size() * arch_.A);
  for (size_t b = 0; b < idx.size(); b += cfg_.microBatch) {
    const int n = static_cast<int>(std::min<size_t>(cfg_.microBatch, idx.size() - b));
    pass(ds, idx.data() + b, n, 0);
    // Logits without the softmax shift: Zo holds z + bo.
    out.insert(out.end(), s_->Zo.begin(), s_->Zo.begin() + size_t(n) * arch_.A);
  }
  return out;
}

// ---------------------------------------------------------------- epochs

EpochResult Trainer::trainEpoch(const EpochOptions& o, const ProgressFn& progress, const std::atomic<bool>* cancel) {
  checkReal("lasso", o.lasso, 0, 1e6, false, false);
  const double lassoEmbed = o.lassoEmbed < 0 ? o.lasso : o.lassoEmbed;
  checkReal("lassoEmbed", lassoEmbed, 0, 1e6, false, false);
  if (data_->train.total == 0) fail(Code::InvalidArg, "Expected training data (call setData first) but the training set is empty");
  const auto t0 = Clock::now();
  // The shuffle keys come from the trainer's RNG: a resumed checkpoint
  // continues the same sequence of epochs.
  const Permutation perm(data_->train.total, rng_);
  ++epoch_;
  const uint64_t total = o.maxSamples == 0 ? data_->train.total : std::min<uint64_t>(o.maxSamples, data_->train.total);
  EpochResult r;
  double bitsSum = 0;
  std::vector<uint64_t> idx;
  uint64_t escapes = 0;
  for (uint64_t done = 0; done < total;) {
    if (cancel && cancel->load(std::memory_order_relaxed)) {
      r.cancelled = true;
      break;
    }
    const int B = static_cast<int>(std::min<uint64_t>(cfg_.batch, total - done));
    idx.resize(B);
    for (int i = 0; i < B; ++i) idx[i] = perm(done + i);
    std::fill(grad_.begin(), grad_.end(), 0.f);
    const double invB = 1.0 / B;
    double nll = 0;
    for (int b = 0; b < B; b += cfg_.microBatch) {
      const int n = std::min(cfg_.microBatch, B - b);
      nll += pass(data_->train, idx.data() + b, n, invB);
      for (int m = 0; m < n; ++m) escapes += s_->esc[m];
    }
    const auto tu = Clock::now();
    if (o.lasso > 0 || lassoEmbed > 0) addLasso(o.lasso, lassoEmbed, true);
    adamStep();
    timing_.updateSeconds += since(tu);
    bitsSum += nll / std::log(2.0);
    done += B;
    r.samples = done;
    r.bits = (bitsSum + 8.0 * static_cast<double>(escapes)) / static_cast<double>(done);
    if (progress) progress(done, total, r.bits);
  }
  r.seconds = since(t0);
  return r;
}

// floor(i * total / n) without overflow: total = q n + r, so
// i total / n = i q + floor(i r / n), and i r < n^2 fits 64 bits for n < 2^32;
// beyond that (never in practice) a long double quotient.
uint64_t Trainer::spaced(uint64_t i, uint64_t total, uint64_t n) {
  const uint64_t q = total / n, r = total % n;
  if (n < (uint64_t(1) << 32)) return i * q + (i * r) / n;
  return i * q + static_cast<uint64_t>(static_cast<long double>(i) * r / n);
}

double Trainer::evaluate(bool valid, uint64_t maxSamples, const std::atomic<bool>* cancel) {
  const DataSet& ds = valid ? data_->valid : data_->train;
  if (ds.total == 0)
    fail(Code::InvalidArg, std::string("Expected ") + (valid ? "validation" : "training") + " data but the set is empty");
  const uint64_t n = maxSamples == 0 ? ds.total : std::min<uint64_t>(maxSamples, ds.total);
  std::vector<uint64_t> idx;
  double nll = 0;
  uint64_t escapes = 0;
  for (uint64_t b = 0; b < n; b += cfg_.microBatch) {
    if (cancel && cancel->load(std::memory_order_relaxed)) throw Cancelled();
    const int P = static_cast<int>(std::min<uint64_t>(cfg_.microBatch, n - b));
    idx.resize(P);
    for (int i = 0; i < P; ++i) idx[i] = spaced(b + i, ds.total, n);
    nll += pass(ds, idx.data(), P, 0);
    for (int m = 0; m < P; ++m) escapes += s_->esc[m];
  }
  return (nll / std::log(2.0) + 8.0 * static_cast<double>(escapes)) / static_cast<double>(n);
}

FloatModel Trainer::exportFloat() const {
  FloatModel f;
  f.arch = arch_;
  f.alphabet = cfg_.alphabet;
  const float* p = theta_.data();
  f.emb.assign(p + lay_.emb, p + lay_.emb + size_t(arch_.A + 1) * arch_.E);
  for (int l = 0; l < arch_.L(); ++l) {
    f.W.emplace_back(p + lay_.W[l], p + lay_.W[l] + size_t(arch_.H[l]) * arch_.nIn(l));
    f.b.emplace_back(p + lay_.b[l], p + lay_.b[l] + arch_.H[l]);
  }
  f.Wo.assign(p + lay_.Wo, p + lay_.Wo + size_t(arch_.A) * arch_.H[arch_.L() - 1]);
  f.bo.assign(p + lay_.bo, p + lay_.bo + arch_.A);
  return f;
}

}  // namespace train
}  // namespace nnc
