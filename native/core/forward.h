// Context -> frequencies for a batch of positions (docs/FORMAT.md 2.2),
// built from a kernel table. One Forward per thread: it owns the scratch.
//
// A batch is three steps, each its own member so that format v2 can put a
// mixer between the network and the frequencies:
//   logits       network, FORMAT.md 2.2 steps 1-4 (kernels layer0/layer0w,
//                requant, gemm) -> z, P rows of ldz() int32
//   mix          mixing: identity in format v1 (no kernel yet)
//   frequencies  FORMAT.md 2.2 steps 5-7 (kernel freqs) -> f
// The inputs come from the context-model step (context.h).
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
  void run(const uint16_t* ctx, int P, uint32_t* f) { frequencies(mix(logits(ctx, P), P), P, f); }

  // Steps 1-4: the output accumulators z[p*ldz() + s], s < A, in scratch
  // owned by this Forward (valid until the next call).
  int32_t* logits(const uint16_t* ctx, int P);
  int ldz() const { return m_.out.Hpad; }
  // Mixing, between the network and the frequencies: identity in format v1.
  int32_t* mix(int32_t* z, int /*P*/) { return z; }
  // Steps 5-7: z (P rows of ldz()) -> f (P rows of A).
  void frequencies(const int32_t* z, int P, uint32_t* f);

 private:
  const Model& m_;
  const Kernels& k_;
  std::vector<int32_t> acc_;
  std::vector<uint8_t> x0_, x1_;
  std::vector<int16_t> scratch_;
};

}  // namespace nnc
