// Format v2 mixing stage, APM/SSE (design note 8.9; TS twin
// src/engine/ts/mix/apm.ts): per context, 33 u16 points over stretch(p),
// interpolated; only the nearer point learns (rate 2^-7).
#pragma once

#include <cstdint>
#include <cstring>

#include "aligned.h"
#include "tables.h"

namespace nnc {
namespace mix {

class Apm {
 public:
  void init(int contexts) {
    contexts_ = contexts;
    t_.resize(size_t(contexts) * 33);
  }

  // t[c][k] = squash((k − 16)·128)·16: the identity map.
  void reset() {
    uint16_t* t = t_.data();
    for (int k = 0; k < 33; ++k) t[k] = static_cast<uint16_t>(squash((k - 16) * 128) * 16);
    for (int c = 1; c < contexts_; ++c) std::memcpy(t + size_t(c) * 33, t, 33 * sizeof(uint16_t));
  }

  // Context c's row (66 bytes: up to three cache lines).
  void prefetch(uint32_t c) const {
    const char* row = reinterpret_cast<const char*>(t_.data() + size_t(c) * 33);
    __builtin_prefetch(row);
    __builtin_prefetch(row + 32);
    __builtin_prefetch(row + 65);
  }

  int refine(int p, uint32_t c) {
    const int s = stretch(p) + 2048;  // 1..4095
    const int lo = s >> 7, w = s & 127;
    const size_t base = size_t(c) * 33 + lo;
    k_ = base + (w >> 6);
    const int r = (t_[base] * (128 - w) + t_[base + 1] * w) >> 11;
    return r < 1 ? 1 : r > 4095 ? 4095 : r;
  }

  void update(int y) {
    const int v = t_[k_];
    t_[k_] = static_cast<uint16_t>(v + (((y ? 65535 : 0) - v) >> 7));
  }

 private:
  int contexts_ = 0;
  AlignedArray<uint16_t> t_;
  size_t k_ = 0;
};

}  // namespace mix
}  // namespace nnc
