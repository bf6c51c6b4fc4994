// The trainer's set-up: configuration checks, parameter layout, weight
// initialization, training data, scratch buffers and the float export.
// Forward/backward passes: pass.cc. Adam, epochs and evaluation: epoch.cc.
// Group lasso and pruning: prune.cc. Checkpoints: checkpoint.cc.
// Activation statistics and fake quantization: quant.cc.
#include "trainer.h"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <string>
#include <thread>

#include "../core/errors.h"
#include "internal.h"
#include "scratch.h"

namespace nnc {
namespace train {

namespace {

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

}  // namespace

void checkReal(const char* name, double v, double lo, double hi, bool loOpen, bool hiOpen) {
  const bool ok = std::isfinite(v) && (loOpen ? v > lo : v >= lo) && (hiOpen ? v < hi : v <= hi);
  if (!ok)
    invalid(name, std::string("a number in ") + (loOpen ? "(" : "[") + num(lo) + ", " + num(hi) + (hiOpen ? ")" : "]"),
            num(v));
}

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
