// Format v2 mixing stage, one hashed context kind (design note 8.5; TS twin
// src/engine/ts/mix/hashed.ts). 2^HB buckets; a bucket serves one nibble of
// one context: a 16-bit check and, for each of the nibble's 15 tree nodes, a
// counter and a bit history (a leading 1, then the last <= 6 bits seen). The
// history is read through the kind's indirect map (128 counters). Two mixer
// inputs per kind.
//
// Layout: a bucket's counters are one 64-byte line (slot 0 = the check), its
// histories 16 bytes of a second table, so one bucket costs two cache lines
// and both candidates (i, i ^ 1) sit in the same 128-byte pair of lines.
#pragma once

#include <cstdint>
#include <cstring>

#include "aligned.h"
#include "counter.h"
#include "tables.h"

namespace nnc {
namespace mix {

class HashedKind {
 public:
  void init(int hb) {
    hb_ = hb;
    counters_.resize(size_t(16) << hb);
    histories_.resize(size_t(16) << hb);
  }

  void reset() {
    uint32_t* c = counters_.data();
    const size_t n = counters_.size();
    for (size_t i = 0; i < n; i += 16) {
      c[i] = 0;
      for (int j = 1; j < 16; ++j) c[i + j] = kCounterInit;
    }
    std::memset(histories_.data(), 1, histories_.size());
    for (uint32_t& v : imap_) v = kCounterInit;
  }

  // The key of the nibble: c0n = 0 at bit 0, c0 (16..31) at bit 4.
  static uint32_t key(uint32_t hashO, uint32_t c0n) { return fmix32(hashO ^ (c0n * 0x2545F491u)); }

  void prefetch(uint32_t key) const {
    const size_t i = key >> (32 - hb_);
    __builtin_prefetch(counters_.data() + i * 16);
    __builtin_prefetch(counters_.data() + (i ^ 1) * 16);
    __builtin_prefetch(histories_.data() + i * 16);
  }

  // Bucket i = the key's top HB bits, or i ^ 1, whichever holds the check;
  // else the one whose node-1 counter has the lower count (i on a tie) is
  // cleared and takes the check.
  void select(uint32_t key) {
    const size_t i = key >> (32 - hb_);
    const uint32_t chk = key & 0xFFFF;
    uint32_t* b0 = counters_.data() + i * 16;
    uint32_t* b1 = counters_.data() + (i ^ 1) * 16;
    if (b0[0] == chk) {
      bucket_ = i * 16;
    } else if (b1[0] == chk) {
      bucket_ = (i ^ 1) * 16;
    } else {
      const bool one = (b1[1] & 1023) < (b0[1] & 1023);
      uint32_t* v = one ? b1 : b0;
      bucket_ = (one ? i ^ 1 : i) * 16;
      v[0] = chk;
      for (int j = 1; j < 16; ++j) v[j] = kCounterInit;
      std::memset(histories_.data() + bucket_ + 1, 1, 15);
    }
  }

  // The two inputs at tree node `node` (1..15) of the selected bucket.
  void inputs(int node, int* x) {
    slot_ = bucket_ + static_cast<size_t>(node);
    x[0] = stretch(counterP12(counters_[slot_]));
    x[1] = stretch(counterP12(imap_[histories_[slot_]]));
  }

  // After the bit y: the counter, the map entry of the history, then the history takes y.
  void update(int y) {
    counterUpdate(counters_[slot_], y, kLimitContext);
    const int h = histories_[slot_];
    counterUpdate(imap_[h], y, kLimitSlow);
    int g = (h << 1) | y;
    if (g >= 128) g = 64 | (g & 63);
    histories_[slot_] = static_cast<uint8_t>(g);
  }

 private:
  int hb_ = 10;
  AlignedArray<uint32_t> counters_;
  AlignedArray<uint8_t> histories_;
  uint32_t imap_[128];
  size_t bucket_ = 0, slot_ = 0;
};

}  // namespace mix
}  // namespace nnc
