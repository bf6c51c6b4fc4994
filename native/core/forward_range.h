// The network's frequencies over a range of a frame's positions, in batches:
// what an encoder needs, since it knows every byte up front. Shared by frame
// method 1 (frame.cc) and method 2 (mix/frame_mixed.cc).
#pragma once

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <vector>

#include "context.h"
#include "forward.h"
#include "kernels.h"
#include "model.h"
#include "parallel.h"

namespace nnc {

// Frequencies of positions [p0, p1) of the frame, handed to sink(pos, f)
// one position at a time (f = A frequencies). The network's context is the
// lane's (PAD before each lane's start).
template <class Sink>
void forwardRange(const Model& m, const Kernels& kern, const uint8_t* content, size_t p0, size_t p1,
                  uint32_t laneSize, const CancelFlag* cancel, Sink sink) {
  Forward fwd(m, kern);
  TokenContext cm(m);
  if (p0 < p1) cm.seek(content + p0 / laneSize * laneSize, p0 % laneSize);
  size_t nextLane = (p0 / laneSize + 1) * laneSize;  // where the next reset falls
  std::vector<uint16_t> ctx(static_cast<size_t>(kMaxBatch) * m.k);
  std::vector<uint32_t> f(static_cast<size_t>(kMaxBatch) * m.A);
  for (size_t p = p0; p < p1; p += kMaxBatch) {
    pollCancel(cancel);
    const int P = static_cast<int>(std::min<size_t>(kMaxBatch, p1 - p));
    for (int q = 0; q < P; ++q) {
      const size_t pos = p + q;
      if (pos == nextLane) {
        cm.reset();
        nextLane += laneSize;
      }
      cm.inputs(ctx.data() + static_cast<size_t>(q) * m.k);
      cm.push(content[pos]);
    }
    fwd.run(ctx.data(), P, f.data());
    for (int q = 0; q < P; ++q) sink(p + q, f.data() + static_cast<size_t>(q) * m.A);
  }
}

}  // namespace nnc
