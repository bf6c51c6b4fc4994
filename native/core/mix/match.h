// Format v2 mixing stage, the match model (design note 8.6; TS twin
// src/engine/ts/mix/match.ts). After each byte the last 6 bytes are hashed
// into a table of positions; when no match is active and the table points
// at an earlier position whose preceding bytes agree (at least 6 of up to
// 32 checked), the byte after it is predicted bit by bit, with a confidence
// learned per (length bucket, expected bit). A wrong bit ends the match.
#pragma once

#include <cstddef>
#include <cstdint>
#include <cstring>

#include "aligned.h"
#include "counter.h"
#include "tables.h"

namespace nnc {
namespace mix {

class MatchModel {
 public:
  uint32_t len = 0;  // 0: no match
  int eb = -1;       // the current bit's expected value, -1: none

  void init(int mb) {
    mb_ = mb;
    mt_.resize(size_t(1) << mb);
  }

  void reset() {
    std::memset(mt_.data(), 0, mt_.size() * sizeof(uint32_t));
    for (uint32_t& v : ms_) v = kCounterInit;
    ptr_ = 0;
    len = 0;
    expected_ = -1;
    eb = -1;
  }

  // At the start of a byte of the lane buf (ptr < pos whenever len > 0).
  void beginByte(const uint8_t* buf) { expected_ = len > 0 ? buf[ptr_] : -1; }

  // The input at bit j (0 without an expected bit); sets eb.
  int input(int j) {
    if (expected_ < 0 || len == 0) {
      eb = -1;
      return 0;
    }
    eb = (expected_ >> (7 - j)) & 1;
    const uint32_t bucket = len < 16 ? len : (15 + (len >> 4) > 31 ? 31 : 15 + (len >> 4));
    mctx_ = static_cast<int>(2 * bucket) + eb;
    return stretch(counterP12(ms_[mctx_]));
  }

  void update(int y) {
    if (eb < 0) return;
    counterUpdate(ms_[mctx_], y, kLimitSlow);
    if (eb != y) {
      len = 0;
      expected_ = -1;
    }
  }

  // The table entry endByte will read if the byte ends with c4/c8 (a cache miss: 2^MB entries).
  void prefetch(uint32_t c4, uint32_t c8) const {
    __builtin_prefetch(mt_.data() + (fmix32(c4 * 0x9E3779B1u ^ (c8 & 0xFFFF)) >> (32 - mb_)));
  }

  // After the byte: cur = bytes of the lane seen (buf[0..cur)), c4/c8 holding it.
  void endByte(const uint8_t* buf, size_t cur, uint32_t c4, uint32_t c8) {
    if (len > 0) {
      ++ptr_;
      if (len < 65535) ++len;
    }
    if (cur < 6) return;
    const uint32_t h = fmix32(c4 * 0x9E3779B1u ^ (c8 & 0xFFFF)) >> (32 - mb_);
    if (len == 0) {
      const uint32_t cand = mt_[h];
      if (cand > 0) {
        uint32_t L = 0;
        while (L < 32 && L < cand && buf[cand - 1 - L] == buf[cur - 1 - L]) ++L;
        if (L >= 6) {
          len = L;
          ptr_ = cand;
        }
      }
    }
    mt_[h] = static_cast<uint32_t>(cur);
  }

 private:
  int mb_ = 12;
  AlignedArray<uint32_t> mt_;  // bytes seen when the 6-byte hash was last stored; 0 = none
  uint32_t ms_[64];
  size_t ptr_ = 0;
  int expected_ = -1, mctx_ = 0;
};

}  // namespace mix
}  // namespace nnc
