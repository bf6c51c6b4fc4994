// Format v2 mixing stage, the network input (design note 8.7; TS twin
// src/engine/ts/mix/network.ts). The network predicts a whole byte
// (frequencies over its alphabet, FORMAT.md 2.2); the stage codes bits. The
// frequencies are spread over the 256 byte values (a byte outside the
// alphabet gets the escape's frequency, the others f·nOut, so the total is
// 2^16·nOut <= 2^24), summed up the binary tree of byte values, and at each
// bit p(1) is the 1-child's mass over the node's.
#pragma once

#include <cstdint>

#include "../model.h"

namespace nnc {
namespace mix {

class NetworkBits {
 public:
  explicit NetworkBits(const Model& m) : tokenOf_(m.tokenOf), esc_(m.A - 1) {
    const int out = 256 - esc_;
    nOut_ = out > 0 ? static_cast<uint32_t>(out) : 1;
  }

  // The frequencies f[0..A) of the byte about to be coded (every f >= 1).
  void load(const uint32_t* f) {
    for (int v = 0; v < 256; ++v) {
      const int t = tokenOf_[v];
      m_[256 + v] = t == esc_ ? f[esc_] : f[t] * nOut_;
    }
    for (int v = 255; v >= 1; --v) m_[v] = m_[2 * v] + m_[2 * v + 1];
  }

  // pn = clamp(floor(m[2·c0 + 1]·4096 / m[c0]), 1, 4095) at node c0 (1..255).
  int p(int c0) const {
    const uint32_t m = m_[c0];
    if (m == 0) return 2048;  // unreachable: every frequency is at least 1
    const int q = static_cast<int>((static_cast<uint64_t>(m_[2 * c0 + 1]) << 12) / m);
    return q < 1 ? 1 : q > 4095 ? 4095 : q;
  }

  // The network's confidence bucket nb = (max(pn, 4096 − pn) − 2048) >> 8, 0..7.
  static int bucket(int pn) { return ((pn >= 2048 ? pn : 4096 - pn) - 2048) >> 8; }

 private:
  const uint16_t* tokenOf_;
  int esc_;
  uint32_t nOut_;
  uint32_t m_[512];
};

}  // namespace mix
}  // namespace nnc
