// Byte-wise rANS with a 32-bit state, exactly docs/FORMAT.md section 3:
// P = 16 probability bits, RANS_L = 2^23, renormalization one byte at a
// time. Same structure as ryg_rans's rans_byte.h, with the traps spelled out:
//  1. Encode in REVERSE (last coded symbol first); the decoder then reads
//     forward. The encoder emits bytes from the stream's end backwards, so
//     the emitted bytes are reversed before they follow the 4-byte state.
//  2. The state invariant is 2^23 <= x < 2^31. Encoding (f, c) first pushes
//     out bytes while x >= f * 2^15 (= ((RANS_L >> P) << 8) * f), which keeps
//     floor(x / f) * 2^16 + ... below 2^31.
//  3. The decoder's arithmetic stays below 2^31 even on corrupt input
//     (f * floor(x / 2^16) + (slot - c) < f * 2^15 <= 2^31), so validity is a
//     matter of the explicit checks (init range, bytes left, final state).
#pragma once

#include <cstdint>
#include <vector>

#include "bytes.h"

namespace nnc {

constexpr uint32_t kRansL = 1u << 23;
constexpr int kProbBits = 16;

class RansEncoder {
 public:
  explicit RansEncoder(std::vector<uint8_t>& emitted) : out_(emitted) {}
  // Encode one coded symbol with frequency f (1..65535) and start c.
  void put(uint32_t f, uint32_t c) {
    const uint32_t xmax = f << 15;
    while (x_ >= xmax) {
      out_.push_back(static_cast<uint8_t>(x_ & 255));
      x_ >>= 8;
    }
    x_ = ((x_ / f) << kProbBits) + (x_ % f) + c;
  }
  uint32_t state() const { return x_; }

 private:
  std::vector<uint8_t>& out_;
  uint32_t x_ = kRansL;
};

class RansDecoder {
 public:
  // False when the stream is shorter than 4 bytes or the state is outside
  // [2^23, 2^31): the stream is corrupt.
  bool init(const uint8_t* p, const uint8_t* end) {
    if (end - p < 4) return false;
    x_ = rd32(p);
    p_ = p + 4;
    end_ = end;
    return x_ >= kRansL && x_ < (1u << 31);
  }
  uint32_t slot() const { return x_ & ((1u << kProbBits) - 1); }
  // Consume the symbol (f, c) that slot() fell into. False: the stream ran
  // out of bytes (corrupt).
  bool advance(uint32_t f, uint32_t c) {
    x_ = f * (x_ >> kProbBits) + slot() - c;
    while (x_ < kRansL) {
      if (p_ == end_) return false;
      x_ = (x_ << 8) | *p_++;
    }
    return true;
  }
  // After the lane's last symbol: the encoder's initial state is recovered
  // and every byte was used.
  bool finished() const { return x_ == kRansL && p_ == end_; }

 private:
  uint32_t x_ = 0;
  const uint8_t* p_ = nullptr;
  const uint8_t* end_ = nullptr;
};

}  // namespace nnc
