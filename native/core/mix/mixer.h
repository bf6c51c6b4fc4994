// Format v2 mixing stage, one mixer (design note 8.8; TS twin
// src/engine/ts/mix/mixer.ts): a gated linear network in the stretch
// domain. The inputs x_i (|x_i| <= 2047) are weighted by one of `sets`
// weight vectors chosen per bit by a small context and the sum is squashed.
// Weights are int32 with 16 fractional bits, kept in [-2^20, 2^20].
//
// Rows are padded to a multiple of 8 with zero weights, and the stage keeps
// its x padded with zeros, so a row can be processed 8 lanes at a time: a
// padding weight stays 0 ((0·e + 2^13) >> 14 = 0) and adds 0 to the dot.
// The row operations are mixer_ops.h's (scalar or AVX2: the same bits).
#pragma once

#include <cstdint>

#include "aligned.h"
#include "mixer_ops.h"
#include "tables.h"

namespace nnc {
namespace mix {

constexpr int kMixerRate = 8;  // e = (y·4096 − p)·8

class Mixer {
 public:
  int s = 0, p = 2048;  // the last prediction: stretch (clamped) and squash(s)

  // n inputs, `sets` weight sets; init[i]: every set's initial weight of input i.
  void init(int n, int sets, const int32_t* init, const MixerOps* ops) {
    ops_ = ops;
    n_ = n;
    stride_ = (n + 7) & ~7;
    sets_ = sets;
    for (int i = 0; i < 32; ++i) init_[i] = i < n ? init[i] : 0;
    w_.resize(size_t(stride_) * sets);
  }
  int stride() const { return stride_; }

  void reset() {
    int32_t* w = w_.data();
    for (int k = 0; k < sets_; ++k)
      for (int i = 0; i < stride_; ++i) w[size_t(k) * stride_ + i] = init_[i];
  }

  // p = squash(clamp(floor(Σ w_i·x_i / 2^16), −2047, 2047)) with weight set `set`.
  int predict(const int32_t* x, int set) {
    cw_ = w_.data() + size_t(set) * stride_;
    const int64_t t = ops_->dot(cw_, x, stride_) >> 16;  // |dot| < 30·2^20·2047 < 2^36
    s = t < -2047 ? -2047 : t > 2047 ? 2047 : static_cast<int>(t);
    p = squash(s);
    return p;
  }

  // After the bit y: w_i += (x_i·e + 2^13) >> 14, clamped to ±2^20 (|x_i·e| < 2^27).
  void update(const int32_t* x, int y) {
    ops_->train(cw_, x, stride_, ((y << 12) - p) * kMixerRate);
  }

 private:
  int n_ = 0, stride_ = 8, sets_ = 0;
  int32_t init_[32] = {};
  AlignedArray<int32_t> w_;
  int32_t* cw_ = nullptr;
  const MixerOps* ops_ = &kMixerScalar;
};

}  // namespace mix
}  // namespace nnc
