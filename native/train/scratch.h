// Per-micro-batch buffers of the trainer (private to native/train).
#pragma once

#include <cstddef>
#include <cstdint>
#include <cstdlib>
#if defined(_MSC_VER)
#include <malloc.h>
#endif
#include <new>
#include <vector>

#include "trainer.h"

namespace nnc {
namespace train {

// 64-byte aligned floats: the GEMM's packed-B loads are aligned vector loads.
class AlignedFloats {
 public:
  AlignedFloats() = default;
  AlignedFloats(const AlignedFloats&) = delete;
  AlignedFloats& operator=(const AlignedFloats&) = delete;
  AlignedFloats(AlignedFloats&& o) noexcept : p_(o.p_) { o.p_ = nullptr; }
  ~AlignedFloats() { release(); }
  void reset(size_t n) {
    release();
    const size_t bytes = (n * sizeof(float) + 63) / 64 * 64;
#if defined(_MSC_VER)
    p_ = static_cast<float*>(_aligned_malloc(bytes ? bytes : 64, 64));
#else
    p_ = static_cast<float*>(std::aligned_alloc(64, bytes ? bytes : 64));
#endif
    if (!p_) throw std::bad_alloc();
  }
  float* data() { return p_; }

 private:
  void release() {
#if defined(_MSC_VER)
    _aligned_free(p_);
#else
    std::free(p_);
#endif
    p_ = nullptr;
  }
  float* p_ = nullptr;
};

struct Trainer::Scratch {
  int rows = 0;
  Arch arch;
  bool fq = false;
  std::vector<uint16_t> tok;  // rows x k context tokens
  std::vector<uint16_t> tgt;  // rows target symbols
  std::vector<uint8_t> esc;   // rows: 1 when the target byte is escaped
  std::vector<double> nll;    // rows: -ln p(target)
  std::vector<float> X0, dX0; // rows x kE
  std::vector<float> Zo;      // rows x A: logits, then dLoss/dlogits
  std::vector<float> Y[kMaxLayers], Yq[kMaxLayers], dZ[kMaxLayers];  // rows x H[l]
  std::vector<AlignedFloats> work;  // per thread, kGemmWorkFloats
};

}  // namespace train
}  // namespace nnc
