// The trainer's loops: the Adam step, an epoch (shuffled batches, lasso,
// Adam, progress, cancel), evaluation, and the loss/gradient and logits
// entries the tests use. Each batch goes through pass() (pass.cc).
#include <algorithm>
#include <cmath>
#include <string>

#include "../core/errors.h"
#include "internal.h"
#include "scratch.h"
#include "trainer.h"

namespace nnc {
namespace train {

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

}  // namespace train
}  // namespace nnc
