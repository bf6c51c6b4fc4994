// Support for the integer export (docs/FORMAT.md): activation statistics to
// calibrate the u8 activation scales, and a fake-quantized forward for
// quantization-aware fine-tuning.
#include <cmath>
#include <cstring>
#include <string>

#include "../core/errors.h"
#include "quant_rule.h"
#include "scratch.h"
#include "trainer.h"

namespace nnc {
namespace train {

namespace {

bool positiveFinite(float v) { return std::isfinite(v) && v > 0.f; }

}  // namespace

void Trainer::setFakeQuant(const FakeQuant* fq) {
  if (!fq) {
    fqOn_ = false;
    fq_ = FakeQuant();
    thetaQ_.clear();
    s_.reset();
    return;
  }
  const Arch& a = arch_;
  const int L = a.L();
  if (!std::isfinite(fq->embedScale) || fq->embedScale < 0)
    fail(Code::InvalidArg, "Expected a finite number >= 0 for embedScale");
  if (static_cast<int>(fq->actScale.size()) != L)
    fail(Code::InvalidArg, "Expected " + std::to_string(L) + " values for actScale but received " + std::to_string(fq->actScale.size()));
  for (size_t l = 0; l < fq->actScale.size(); ++l)
    if (!positiveFinite(fq->actScale[l]))
      fail(Code::InvalidArg, "Expected a finite number > 0 for actScale[" + std::to_string(l) + "]");
  if (!fq->weightScale.empty() && static_cast<int>(fq->weightScale.size()) != L + 1)
    fail(Code::InvalidArg, "Expected " + std::to_string(L + 1) + " entries (hidden layers, then output) for weightScale but received " +
                               std::to_string(fq->weightScale.size()));
  for (size_t l = 0; l < fq->weightScale.size(); ++l) {
    const auto& w = fq->weightScale[l];
    const int rows = static_cast<int>(l) < L ? a.H[l] : a.A;
    if (!(w.empty() || w.size() == 1 || static_cast<int>(w.size()) == rows))
      fail(Code::InvalidArg, "Expected 0, 1 or " + std::to_string(rows) + " values for weightScale[" + std::to_string(l) +
                                 "] but received " + std::to_string(w.size()));
    for (float v : w)
      if (!positiveFinite(v)) fail(Code::InvalidArg, "Expected finite numbers > 0 in weightScale[" + std::to_string(l) + "]");
  }
  fq_ = *fq;
  if (fq_.weightScale.empty()) fq_.weightScale.resize(L + 1);
  fqOn_ = true;
  s_.reset();
}

// thetaQ_ = the weights the fake-quant forward uses, recomputed from theta_
// before every pass (theta_ changes every step).
void Trainer::refreshFakeQuantWeights() {
  const Arch& a = arch_;
  const int L = a.L(), E = a.E;
  thetaQ_.resize(lay_.total);
  const float* p = theta_.data();
  float* q = thetaQ_.data();
  auto quantRow = [](const float* w, float* out, int n, float s) {
    const float inv = 1.f / s;
    for (int i = 0; i < n; ++i) out[i] = quant::weightStep(w[i], inv) * s;
  };
  const size_t nEmb = size_t(a.A + 1) * E;
  float sEmb = fq_.embedScale;
  if (!(sEmb > 0)) sEmb = quant::rowScale(p + lay_.emb, nEmb);
  quantRow(p + lay_.emb, q + lay_.emb, static_cast<int>(nEmb), sEmb);
  for (int l = 0; l <= L; ++l) {
    const int rows = l < L ? a.H[l] : a.A, n = l < L ? a.nIn(l) : a.H[L - 1];
    const size_t wo = l < L ? lay_.W[l] : lay_.Wo, bo = l < L ? lay_.b[l] : lay_.bo;
    const float sIn = l == 0 ? sEmb : fq_.actScale[l - 1];
    const auto& ws = fq_.weightScale[l];
    for (int r = 0; r < rows; ++r) {
      float s;
      if (ws.empty()) {
        s = quant::rowScale(p + wo + size_t(r) * n, n);
      } else {
        s = ws.size() == 1 ? ws[0] : ws[r];
      }
      quantRow(p + wo + size_t(r) * n, q + wo + size_t(r) * n, n, s);
      const float grid = sIn * s;
      q[bo + r] = quant::biasStep(p[bo + r], grid) * grid;
    }
  }
}

ActivationStats Trainer::activationStats(bool valid, uint64_t maxSamples, const std::atomic<bool>* cancel) {
  const DataSet& ds = valid ? data_->valid : data_->train;
  if (ds.total == 0)
    fail(Code::InvalidArg, std::string("Expected ") + (valid ? "validation" : "training") + " data but the set is empty");
  const uint64_t n = maxSamples == 0 ? ds.total : std::min<uint64_t>(maxSamples, ds.total);
  const int L = arch_.L(), T = pool_->size();
  // Positive floats binned by their top 16 bits after the sign (8 exponent
  // + 8 mantissa bits): 2^-8 relative resolution over the whole range.
  constexpr int kBins = 1 << 16;
  struct Acc {
    std::vector<uint32_t> hist;
    uint64_t zeros = 0;
    float max = 0;
    double sum = 0;
  };
  std::vector<std::vector<Acc>> acc(T, std::vector<Acc>(L));
  for (auto& v : acc)
    for (auto& x : v) x.hist.assign(kBins, 0);
  std::vector<uint64_t> idx;
  for (uint64_t b = 0; b < n; b += cfg_.microBatch) {
    if (cancel && cancel->load(std::memory_order_relaxed)) throw Cancelled();
    const int P = static_cast<int>(std::min<uint64_t>(cfg_.microBatch, n - b));
    idx.resize(P);
    for (int i = 0; i < P; ++i) idx[i] = spaced(b + i, ds.total, n);
    pass(ds, idx.data(), P, 0);
    pool_->run([&](int t) {
      size_t r0, r1;
      ThreadPool::split(P, T, t, 1, &r0, &r1);
      for (int l = 0; l < L; ++l) {
        Acc& A = acc[t][l];
        const int H = arch_.H[l];
        const float* y = s_->Y[l].data();
        for (size_t i = r0 * H; i < r1 * H; ++i) {
          const float v = y[i];
          if (!(v > 0.f)) {
            ++A.zeros;
            continue;
          }
          uint32_t bits;
          std::memcpy(&bits, &v, 4);
          ++A.hist[bits >> 15];
          A.max = v > A.max ? v : A.max;
          A.sum += v;
        }
      }
    });
  }
  ActivationStats st;
  st.samples = n;
  for (int l = 0; l < L; ++l) {
    Acc all;
    all.hist.assign(kBins, 0);
    for (int t = 0; t < T; ++t) {
      for (int i = 0; i < kBins; ++i) all.hist[i] += acc[t][l].hist[i];
      all.zeros += acc[t][l].zeros;
      all.max = acc[t][l].max > all.max ? acc[t][l].max : all.max;
      all.sum += acc[t][l].sum;
    }
    const double count = double(n) * arch_.H[l];
    auto pct = [&](double q) -> float {
      const double need = std::ceil(q * count);
      double c = double(all.zeros);
      if (c >= need) return 0.f;
      for (int i = 0; i < kBins; ++i) {
        c += all.hist[i];
        if (c >= need) {
          const uint32_t hi = uint32_t(i + 1) << 15;
          float v;
          std::memcpy(&v, &hi, 4);
          return v < all.max ? v : all.max;
        }
      }
      return all.max;
    };
    ActivationStats::Layer ly;
    ly.max = all.max;
    ly.p99 = pct(0.99);
    ly.p999 = pct(0.999);
    ly.p9999 = pct(0.9999);
    ly.p99999 = pct(0.99999);
    ly.mean = all.sum / count;
    ly.zeroFraction = double(all.zeros) / count;
    st.layers.push_back(ly);
  }
  float m = 0;
  for (size_t i = 0; i < size_t(arch_.A + 1) * arch_.E; ++i) m = std::fabs(theta_[lay_.emb + i]) > m ? std::fabs(theta_[lay_.emb + i]) : m;
  st.embedMaxAbs = m;
  return st;
}

}  // namespace train
}  // namespace nnc
