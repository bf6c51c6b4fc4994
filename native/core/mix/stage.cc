#include "stage.h"

#include <algorithm>

#include "../cpu_features.h"

namespace nnc {
namespace mix {

MixStage::MixStage(const MixParams& p, bool simd)
    : o1_((p.mask & kMixO1) != 0),
      match_((p.mask & kMixMatch) != 0),
      net_((p.mask & kMixNet) != 0),
      mx2_((p.mask & kMixMixer2) != 0),
      apm_((p.mask & kMixApm) != 0) {
  for (int i = 0; i < kKinds; ++i)
    if (p.mask & (2u << i)) {
      kindO_[nk_] = kKindOrder[i];
      kinds_[nk_++].init(p.hb);
    }
  if (o1_) t1_.resize(65536);
  if (match_) mm_.init(p.mb);
  // Inputs, in order: bias, order 1, (counter, history) per kind, match, network.
  const int n = 1 + o1_ + 2 * nk_ + match_ + net_;
  // Initial weights: bias 0, network 1/2, every other input 1/4 (16 fractional bits).
  int32_t init[32];
  for (int i = 0; i < n; ++i) init[i] = i == 0 ? 0 : net_ && i == n - 1 ? 1 << 15 : 1 << 14;
  const MixerOps* ops = &kMixerScalar;
  if (simd && cpuFeatures().avx2 && mixerOpsAvx2()) ops = mixerOpsAvx2();
  mixA_.init(n, 1024, init, ops);
  if (mx2_) mixB_.init(n, 256, init, ops);
  if (apm_) {
    apm1_.init(256);
    apm2_.init(1 << p.a2b);
    a2mask_ = (1u << p.a2b) - 1;
  }
}

void MixStage::reset(const uint8_t* lane) {
  buf_ = lane;
  pos_ = 0;
  j_ = 0;
  c0_ = 1;
  ctx_.reset();
  for (int i = 0; i < nk_; ++i) kinds_[i].reset();
  if (o1_) std::fill(t1_.data(), t1_.data() + t1_.size(), kCounterInit);
  if (match_) mm_.reset();
  mixA_.reset();
  if (mx2_) mixB_.reset();
  if (apm_) {
    apm1_.reset();
    apm2_.reset();
  }
  beginByte();
}

}  // namespace mix
}  // namespace nnc
