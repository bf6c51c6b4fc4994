// Context -> frequencies for a batch of positions (docs/FORMAT.md 2.2),
// built from a kernel table. One Forward per thread: it owns the scratch.
#pragma once

#include <cstdint>
#include <vector>

#include "kernels.h"
#include "model.h"

namespace nnc {

class Forward {
 public:
  Forward(const Model& m, const Kernels& k);
  // ctx: P rows of k tokens (ctx[p*k + j], j = 0 is the previous byte).
  // f: P rows of A frequencies summing to 2^16. P <= kMaxBatch.
  void run(const uint16_t* ctx, int P, uint32_t* f);

 private:
  const Model& m_;
  const Kernels& k_;
  std::vector<int32_t> acc_;
  std::vector<uint8_t> x0_, x1_;
  std::vector<int16_t> scratch_;
};

// The context tokens of position `pos` of a lane that starts at `lane`:
// ctx[j] = token of lane[pos-1-j], or PAD before the lane's start.
inline void fillContext(const Model& m, const uint8_t* lane, size_t pos, uint16_t* ctx) {
  const int k = m.k;
  const uint16_t pad = static_cast<uint16_t>(m.A);
  if (pos >= static_cast<size_t>(k)) {
    const uint8_t* p = lane + pos - 1;
    for (int j = 0; j < k; ++j) ctx[j] = m.tokenOf[p[-j]];
  } else {
    const int have = static_cast<int>(pos);
    for (int j = 0; j < have; ++j) ctx[j] = m.tokenOf[lane[pos - 1 - j]];
    for (int j = have; j < k; ++j) ctx[j] = pad;
  }
}

}  // namespace nnc
