// Format v2 mixing stage, the per-bit loop (docs/FORMAT.md section 5; design
// note docs/design/format-v2-mixing.md 8.1-8.9). The TS twin is
// src/engine/ts/mix/stage.ts, and both must give every bit the same p: the
// cpu and ts engines write byte-identical frames.
//
// Use, per lane: reset(lane), then for every bit of every byte, most
// significant first: p = predictBit(pn) (pn: NetworkBits' p at this bit,
// ignored without the network input), code the bit y with p, update(y).
// The stage reads the lane's earlier bytes (match model, record contexts)
// from `lane`: byte i must be stored at lane[i] before the update() of its
// last bit (the encoder's lane already holds every byte; the decoder writes
// each byte there as its 8th bit is decoded).
//
// One concrete type, configured by the parameter block; no virtual calls.
// The bucket prefetches are issued as early as their keys are known (at the
// end of the previous byte, and after bit 3), so the decoder's network pass
// and the bits' other work overlap the cache misses.
#pragma once

#include <cstddef>
#include <cstdint>

#include "aligned.h"
#include "apm.h"
#include "contexts.h"
#include "counter.h"
#include "hashed.h"
#include "match.h"
#include "mixer.h"
#include "network_bits.h"
#include "params.h"
#include "tables.h"

namespace nnc {
namespace mix {

class MixStage {
 public:
  // Allocates every table the (validated) parameter block asks for. simd:
  // the mixers may use the AVX2 rows where the CPU has them (same bits).
  MixStage(const MixParams& p, bool simd);
  MixStage(const MixStage&) = delete;
  MixStage& operator=(const MixStage&) = delete;

  // A lane's start: every table back to its initial state.
  void reset(const uint8_t* lane);

  bool usesNetwork() const { return net_; }

  // p(next bit = 1) in 1..4095.
  int predictBit(int pn) {
    const int j = j_, c0 = c0_;
    if ((j & 3) == 0)
      for (int i = 0; i < nk_; ++i) kinds_[i].select(keys_[i]);
    int32_t* const x = x_;
    int k = 0;
    x[k++] = 256;  // bias
    if (o1_) {
      t1slot_ = &t1_[((ctx_.c4 & 255) << 8) | static_cast<uint32_t>(c0)];
      x[k++] = stretch(counterP12(*t1slot_));
    }
    const int n = j & 3, node = (1 << n) | (c0 & ((1 << n) - 1));
    for (int i = 0; i < nk_; ++i, k += 2) kinds_[i].inputs(node, x + k);
    int ms = 0;  // match state: 0 no expected bit, else by length
    if (match_) {
      x[k++] = mm_.input(j);
      if (mm_.eb >= 0) ms = mm_.len < 16 ? 1 : mm_.len < 32 ? 2 : 3;
    }
    int nb = 0;
    if (net_) {
      x[k++] = stretch(pn);
      nb = NetworkBits::bucket(pn);
    }
    // Mixer A by (match state, partial byte), mixer B by (match state, network confidence, bit).
    int p = mixA_.predict(x, c0 + 256 * ms);
    if (mx2_) {
      mixB_.predict(x, 64 * ms + 8 * nb + j);
      p = squash((mixA_.s + mixB_.s) >> 1);
    }
    if (apm_) {  // two APMs, each averaged 1:3 with its input
      const int p1 = apm1_.refine(p, static_cast<uint32_t>(c0));
      p = (p + 3 * p1) >> 2;
      const int p2 = apm2_.refine(p, (apmHash_ ^ static_cast<uint32_t>(c0)) & a2mask_);
      p = (p + 3 * p2) >> 2;
    }
    return p < 1 ? 1 : p > 4095 ? 4095 : p;
  }

  // After the bit y: everything this bit used learns, then c0 takes y.
  void update(int y) {
    // The next bit's APM2 row is a cache miss (2^A2B rows, a new one every
    // bit): its address is known now, before this bit's updates run.
    if (apm_ && j_ < 7) apm2_.prefetch((apmHash_ ^ static_cast<uint32_t>((c0_ << 1) | y)) & a2mask_);
    if (o1_) counterUpdate(*t1slot_, y, kLimitContext);
    for (int i = 0; i < nk_; ++i) kinds_[i].update(y);
    if (match_) mm_.update(y);
    mixA_.update(x_, y);
    if (mx2_) mixB_.update(x_, y);
    if (apm_) {
      apm1_.update(y);
      apm2_.update(y);
    }
    c0_ = (c0_ << 1) | y;
    if (++j_ == 3) {
      // The second nibble's buckets, for both values of the bit still to
      // come: prefetched a whole bit before they are selected.
      for (int i = 0; i < nk_; ++i) {
        keys_[i] = HashedKind::key(hashO_[i], static_cast<uint32_t>(c0_ << 1));
        keys1_[i] = HashedKind::key(hashO_[i], static_cast<uint32_t>((c0_ << 1) | 1));
        kinds_[i].prefetch(keys_[i]);
        kinds_[i].prefetch(keys1_[i]);
      }
    } else if (j_ == 4) {
      if (c0_ & 1)
        for (int i = 0; i < nk_; ++i) keys_[i] = keys1_[i];
    } else if (j_ == 7) {
      // The match table entry of the byte's end, for both values of its last bit.
      if (match_) {
        const uint32_t c4 = ctx_.c4 << 8, c8 = (ctx_.c8 << 8) | (ctx_.c4 >> 24), b = (c0_ << 1) & 255;
        mm_.prefetch(c4 | b, c8);
        mm_.prefetch(c4 | b | 1, c8);
      }
    } else if (j_ == 8) {
      endByte(c0_ & 255);
    }
  }

 private:
  // After the byte b (already at buf_[pos_]): history registers, match
  // table, then the next byte's context hashes.
  void endByte(int b) {
    ++pos_;
    ctx_.push(static_cast<uint32_t>(b), static_cast<uint32_t>(pos_));
    if (match_) mm_.endByte(buf_, pos_, ctx_.c4, ctx_.c8);
    j_ = 0;
    c0_ = 1;
    beginByte();
  }
  void beginByte() {
    for (int i = 0; i < nk_; ++i) {
      hashO_[i] = ctx_.hash(kindO_[i], buf_, pos_);
      keys_[i] = HashedKind::key(hashO_[i], 0);
      kinds_[i].prefetch(keys_[i]);
    }
    if (match_) mm_.beginByte(buf_);
    if (apm_) {
      apmHash_ = fmix32(ctx_.c4 & 0xFFFF);
      apm2_.prefetch((apmHash_ ^ 1u) & a2mask_);
    }
  }

  bool o1_, match_, net_, mx2_, apm_;
  int nk_ = 0;  // enabled hashed kinds
  int kindO_[kKinds] = {};
  uint32_t hashO_[kKinds] = {}, keys_[kKinds] = {}, keys1_[kKinds] = {};
  uint32_t apmHash_ = 0;  // fmix32(c4 & 0xFFFF) of the current byte: APM2's context is it ^ c0
  uint32_t a2mask_ = 0;
  const uint8_t* buf_ = nullptr;
  size_t pos_ = 0;  // bytes of the lane coded so far
  int j_ = 0, c0_ = 1;
  ByteContexts ctx_;
  HashedKind kinds_[kKinds];
  AlignedArray<uint32_t> t1_;
  uint32_t* t1slot_ = nullptr;
  MatchModel mm_;
  Mixer mixA_, mixB_;
  Apm apm1_, apm2_;
  alignas(64) int32_t x_[32] = {};  // the inputs; entries past the last stay 0 (the mixers' padding)
};

}  // namespace mix
}  // namespace nnc
