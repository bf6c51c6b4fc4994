// The context-model step: the per-lane state between coded bytes and the
// network's inputs. The frame codec (frame.cc) drives every lane only
// through it: reset() at the lane's start, then at each position inputs()
// (what the network sees) and, once the byte is coded or decoded, push(byte).
// A predictor with adaptive per-lane state (format v2: match model, order-n
// statistics) plugs in by replacing this type; see native/README.md "How a
// predictor step plugs in". src/engine/ts/context.ts is the TS twin.
//
// Plain data and inline members, no virtual calls: the codec calls it once
// per coded byte, beside a forward pass of the network.
#pragma once

#include <cstddef>
#include <cstdint>
#include <cstring>

#include "model.h"

namespace nnc {

constexpr int kMaxContext = 64;  // the format's bound on k (FORMAT.md 1.2)

// Format v1 (FORMAT.md 2.1, 2.3): the inputs are the k tokens before the
// position, PAD before the lane's start, so the state is a pure function of
// the last k bytes of the lane.
class TokenContext {
 public:
  explicit TokenContext(const Model& m) : m_(&m), k_(m.k) { reset(); }

  // Start of a lane: nothing seen yet, every input is PAD.
  void reset() {
    head_ = kCap - k_;
    const uint16_t pad = static_cast<uint16_t>(m_->A);
    for (int j = 0; j < k_; ++j) buf_[head_ + j] = pad;
  }

  // The network's inputs at the current position: k tokens, ctx[j] = the
  // token j+1 bytes back.
  void inputs(uint16_t* ctx) const {
    const uint16_t* src = buf_ + head_;
    for (int j = 0; j < k_; ++j) ctx[j] = src[j];
  }

  // The current position's byte was coded (or decoded): move to the next.
  // The newest token goes in front of the window, which slides down the
  // buffer; only when it reaches the bottom are k-1 tokens moved back up
  // (once per kCap - k bytes), so a byte costs O(1), not O(k).
  void push(uint8_t byte) {
    if (head_ == 0) {
      std::memmove(buf_ + kCap - k_ + 1, buf_, sizeof(uint16_t) * (k_ - 1));
      head_ = kCap - k_ + 1;
    }
    buf_[--head_] = m_->tokenOf[byte];
  }

  // The state at position `pos` of the lane that starts at `lane`: the same
  // as reset() then push(lane[0]) ... push(lane[pos-1]). Lets a thread enter
  // a lane mid-way; here only the last k bytes matter. (A model whose state
  // depends on the whole lane would push them all.)
  void seek(const uint8_t* lane, size_t pos) {
    reset();
    const size_t k = static_cast<size_t>(m_->k);
    for (size_t i = pos > k ? pos - k : 0; i < pos; ++i) push(lane[i]);
  }

 private:
  static constexpr int kCap = 2 * kMaxContext;
  const Model* m_;
  int k_;
  int head_ = 0;            // the inputs are buf_[head_, head_ + k)
  uint16_t buf_[kCap];
};

// The inputs at position `pos` of the lane that starts at `lane`, computed
// from the bytes directly (what a TokenContext holds after seek(lane, pos)).
// For callers that address positions at random; the codec uses TokenContext.
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
