// Format v2 mixing stage, byte-boundary contexts (design note 8.4; TS twin
// src/engine/ts/mix/contexts.ts): the history registers moved after every
// byte (the last 8 bytes, the current and previous word hash, the record
// length) and the 32-bit context hash H_o of each hashed kind.
#pragma once

#include <cstddef>
#include <cstdint>
#include <cstring>

#include "tables.h"

namespace nnc {
namespace mix {

// The hashed kinds in mask order (bits 1..12 of the experts mask), by their
// number o of the design note's table.
constexpr int kKinds = 12;
constexpr int kKindOrder[kKinds] = {2, 3, 4, 6, 0, 5, 8, 10, 11, 12, 20, 21};

class ByteContexts {
 public:
  uint32_t c4 = 0, c8 = 0;  // the last 4 bytes (newest in bits 7..0), the 4 before them
  uint32_t word = 0, prevWord = 0;
  uint32_t rlen = 0;  // record length, 0 while none is known

  void reset() {
    c4 = c8 = word = prevWord = 0;
    rlen = rcand_ = rcount_ = 0;
    std::memset(cp_, 0, sizeof cp_);
  }

  // After byte b, the cur-th byte of the lane (cur = bytes seen, b included).
  void push(uint32_t b, uint32_t cur) {
    c8 = (c8 << 8) | (c4 >> 24);
    c4 = (c4 << 8) | b;
    uint32_t l = b;
    if (l >= 'A' && l <= 'Z') l += 32;
    if (l >= 'a' && l <= 'z') {
      word = (word ^ l) * 0x01000193u;
      if (!word) word = 1;
    } else if (word) {
      prevWord = word;
      word = 0;
    }
    // Record length (paq8's record model, simplified): a distance r seen 4
    // times in a row between occurrences of one byte value votes for r; 16
    // consecutive votes for the same r make it the record length.
    const uint32_t p0 = cp_[0][b];
    const uint32_t r = cur - p0;
    if (p0 && r > 1 && r == p0 - cp_[1][b] && r == cp_[1][b] - cp_[2][b] && r == cp_[2][b] - cp_[3][b]) {
      if (r == rcand_) {
        if (++rcount_ >= 16 && rlen != r) rlen = r;
      } else {
        rcand_ = r;
        rcount_ = 1;
      }
    }
    cp_[3][b] = cp_[2][b];
    cp_[2][b] = cp_[1][b];
    cp_[1][b] = p0;
    cp_[0][b] = cur;
  }

  // H_o of kind o before the byte at index pos of the lane buf (buf[0..pos) known).
  uint32_t hash(int o, const uint8_t* buf, size_t pos) const {
    const uint32_t c1 = c4 & 0xFF;
    uint32_t lo = 0, hi = 0;
    switch (o) {
      case 2: lo = c4 & 0xFFFF; break;
      case 3: lo = c4 & 0xFFFFFF; break;
      case 4: lo = c4; break;
      case 6: lo = c4; hi = c8 & 0xFFFF; break;
      case 0: lo = word ? word : prevWord ^ (c1 << 24) ^ 0x5BD1E995u; hi = 0x77; break;
      case 5: lo = c4; hi = c8 & 0xFF; break;
      case 8: lo = c4; hi = c8; break;
      case 10: lo = c4 & 0xFF00u; break;
      case 11: lo = c4 & 0xFF0000u; break;
      case 12: lo = c4 & 0xFFFF0000u; break;
      case 20: lo = at(buf, pos, rlen) | (c1 << 8); hi = rlen; break;
      default:  // 21
        lo = at(buf, pos, rlen + 1) | (at(buf, pos, rlen) << 8) | ((rlen > 1 ? at(buf, pos, rlen - 1) : 0) << 16);
        hi = rlen;
        break;
    }
    return fmix32(lo * 0x9E3779B1u ^ fmix32(hi + static_cast<uint32_t>(o) * 0x01000193u + 1));
  }

 private:
  // The byte d back, once a record length is known (0 before the lane's start or without one).
  uint32_t at(const uint8_t* buf, size_t pos, uint32_t d) const { return rlen && pos >= d ? buf[pos - d] : 0; }

  uint32_t rcand_ = 0, rcount_ = 0;
  uint32_t cp_[4][256] = {};  // cp_[k][b]: (index + 1) of the (k+1)-th last occurrence of b, 0 if none
};

}  // namespace mix
}  // namespace nnc
