// Frame method 2's payload. Each lane is coded by its own fresh stage and
// its own network context; a thread takes a contiguous run of lanes and
// resets one stage per lane (a stage is tens of MiB: one per thread).
//
// Encoding knows every byte, so the network's per-bit probabilities of the
// whole frame are computed first, in batches on all threads (as method 1
// does), then each lane runs its stage forward, storing every bit's p (u16,
// in place of the network's), and codes the bits last to first. Decoding
// needs byte i to run the network for byte i + 1: one position at a time.
//
// Binary rANS on FORMAT.md section 3's coder: a bit with p (1..4095) is the
// symbol (f0 = 65536 − 16p, c = 0) for a 0 and (f1 = 16p, c = f0) for a 1.
#include "frame_mixed.h"

#include <algorithm>
#include <atomic>
#include <cstring>
#include <memory>
#include <string>

#include "../bytes.h"
#include "../context.h"
#include "../errors.h"
#include "../forward.h"
#include "../forward_range.h"
#include "../rans.h"
#include "network_bits.h"
#include "stage.h"

namespace nnc {
namespace {

constexpr size_t kPollBytes = 4096;  // cancellation is checked every 4 KiB of a lane (~10 ms)

// The mixers follow the network's SIMD choice (`simd` 'scalar' means scalar
// everywhere, so tests can compare the variants; all give the same bits).
inline bool simdMixers(const Kernels& kern) { return &kern != &kernelsScalar(); }

inline void putBit(RansEncoder& enc, int p, int y) {
  const uint32_t f1 = static_cast<uint32_t>(p) << 4, f0 = 65536 - f1;
  if (y) enc.put(f1, f0);
  else enc.put(f0, 0);
}

}  // namespace

std::vector<uint8_t> encodeMixedPayload(const Model& m, const Kernels& kern, const uint8_t* content, size_t len,
                                        uint32_t laneSize, const MixParams& p, int nThreads,
                                        const CancelFlag* cancel) {
  const bool net = (p.mask & kMixNet) != 0;
  // bits[8i + j]: the network's p for bit j of byte i (2048 without it), then the stage's.
  std::vector<uint16_t> bits(len * 8, 2048);
  if (net) {
    const int t1 = static_cast<int>(std::min<size_t>(nThreads, (len + kMaxBatch - 1) / kMaxBatch));
    parallelFor(t1, [&](int t) {
      mix::NetworkBits nb(m);
      const size_t p0 = len * t / t1, p1 = len * (t + 1) / t1;
      forwardRange(m, kern, content, p0, p1, laneSize, cancel, [&](size_t pos, const uint32_t* f) {
        nb.load(f);
        const int x = content[pos];
        uint16_t* out = bits.data() + pos * 8;
        for (int j = 0, node = 1; j < 8; ++j) {
          out[j] = static_cast<uint16_t>(nb.p(node));
          node = 2 * node + ((x >> (7 - j)) & 1);
        }
      });
    });
  }

  const size_t nLanes = (len + laneSize - 1) / laneSize;
  std::vector<std::vector<uint8_t>> streams(nLanes);
  const int t2 = static_cast<int>(std::min<size_t>(nThreads, nLanes));
  parallelFor(t2, [&](int t) {
    mix::MixStage stage(p, simdMixers(kern));
    std::vector<uint8_t> emitted;
    for (size_t lane = nLanes * t / t2, end = nLanes * (t + 1) / t2; lane < end; ++lane) {
      const size_t a = lane * laneSize, b = std::min(len, a + laneSize);
      stage.reset(content + a);
      for (size_t i = a; i < b; ++i) {
        if ((i - a) % kPollBytes == 0) pollCancel(cancel);
        const int x = content[i];
        uint16_t* q = bits.data() + i * 8;
        for (int j = 0; j < 8; ++j) {
          q[j] = static_cast<uint16_t>(stage.predictBit(q[j]));
          stage.update((x >> (7 - j)) & 1);
        }
      }
      pollCancel(cancel);
      emitted.clear();
      RansEncoder enc(emitted);
      for (size_t i = b; i-- > a;) {
        const int x = content[i];
        const uint16_t* q = bits.data() + i * 8;
        for (int j = 8; j-- > 0;) putBit(enc, q[j], (x >> (7 - j)) & 1);
      }
      std::vector<uint8_t>& s = streams[lane];
      s.resize(4 + emitted.size());
      wr32(s.data(), enc.state());
      std::reverse_copy(emitted.begin(), emitted.end(), s.begin() + 4);
    }
  });
  std::vector<uint16_t>().swap(bits);

  size_t B = kMixParamsSize + 4 * nLanes;
  for (const auto& s : streams) B += s.size();
  std::vector<uint8_t> out(B);
  writeMixParams(out.data(), p);
  uint8_t* table = out.data() + kMixParamsSize;
  uint8_t* data = table + 4 * nLanes;
  for (size_t i = 0; i < nLanes; ++i) {
    wr32(table + 4 * i, static_cast<uint32_t>(streams[i].size()));
    std::memcpy(data, streams[i].data(), streams[i].size());
    data += streams[i].size();
  }
  return out;
}

std::vector<uint8_t> decodeMixedPayload(const Model* m, const Kernels& kern, const FrameHeader& h,
                                        const uint8_t* payload, const MixParams& p, int nThreads,
                                        const CancelFlag* cancel) {
  const bool net = (p.mask & kMixNet) != 0;
  const std::vector<uint64_t> offs = laneOffsets(h, payload, kMixParamsSize);
  const uint64_t nLanes = h.nLanes;
  const uint32_t N = h.N, laneSize = h.laneSize;
  // Every lane's initial coder state is checked before a stage (tens of MiB) is allocated.
  for (uint64_t lane = 0; lane < nLanes; ++lane) {
    RansDecoder dec;
    if (!dec.init(payload + offs[lane], payload + offs[lane + 1]))
      fail(Code::Corrupt, "lane " + std::to_string(lane) + " has an invalid initial coder state: the archive is damaged");
  }
  std::vector<uint8_t> out(N);
  const int nt = static_cast<int>(std::min<uint64_t>(nThreads, nLanes));
  std::atomic<bool> stop{false};
  parallelFor(nt, [&](int t) {
    mix::MixStage stage(p, simdMixers(kern));
    // The network's step, when the stage uses it: one position at a time.
    struct Net {
      Net(const Model& m, const Kernels& kern) : fwd(m, kern), cm(m), bits(m), ctx(m.k), f(m.A) {}
      Forward fwd;
      TokenContext cm;
      mix::NetworkBits bits;
      std::vector<uint16_t> ctx;
      std::vector<uint32_t> f;
    };
    std::unique_ptr<Net> nw;
    if (net) nw = std::make_unique<Net>(*m, kern);
    const auto corrupt = [&](uint64_t lane, const char* what) {
      stop = true;
      fail(Code::Corrupt, "lane " + std::to_string(lane) + " " + what + ": the archive is damaged");
    };
    for (uint64_t lane = nLanes * t / nt, end = nLanes * (t + 1) / nt; lane < end; ++lane) {
      RansDecoder dec;
      if (!dec.init(payload + offs[lane], payload + offs[lane + 1])) corrupt(lane, "has an invalid initial coder state");
      const size_t a = lane * laneSize, n = std::min<uint64_t>(laneSize, N - a);
      uint8_t* o = out.data() + a;
      stage.reset(o);
      if (nw) nw->cm.reset();
      for (size_t i = 0; i < n; ++i) {
        if (i % kPollBytes == 0) {
          if (stop.load(std::memory_order_relaxed)) return;
          pollCancel(cancel);
        }
        if (nw) {
          nw->cm.inputs(nw->ctx.data());
          nw->fwd.run(nw->ctx.data(), 1, nw->f.data());
          nw->bits.load(nw->f.data());
        }
        int c0 = 1;
        for (int j = 0; j < 8; ++j) {
          const int pr = stage.predictBit(nw ? nw->bits.p(c0) : 2048);
          const uint32_t f1 = static_cast<uint32_t>(pr) << 4, f0 = 65536 - f1;
          const int y = dec.slot() >= f0;
          if (!(y ? dec.advance(f1, f0) : dec.advance(f0, 0))) corrupt(lane, "stream ends early");
          c0 = (c0 << 1) | y;
          if (j == 7) o[i] = static_cast<uint8_t>(c0);  // the stage reads it at the byte's end
          stage.update(y);
        }
        if (nw) nw->cm.push(o[i]);
      }
      if (!dec.finished()) corrupt(lane, "does not end in the coder's initial state (or has unused bytes)");
    }
  });
  return out;
}

}  // namespace nnc
