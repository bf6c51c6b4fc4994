// The CPU codec of one frame: encode and decode schedules (the container
// around them is container.h). Threads split the work; each thread owns a Forward
// (scratch buffers), so the only shared state is read-only input and
// disjoint slices of the output.
//
// Compression knows every byte up front, so frequencies are computed for
// contiguous position ranges in batches of kMaxBatch (any lane size batches
// well), then each lane is rANS-coded on its own. Decompression cannot look
// ahead within a lane, so a thread advances a group of up to kMaxBatch lanes
// in lock-step: each step is one batch of (lanes x H) work.
//
// Both schedules see a lane only through its context model (context.h):
// reset at the lane's start (seek when a range starts mid-lane), inputs() at
// each position, push(byte) once the byte is known.
#include "frame.h"

#include <algorithm>
#include <atomic>
#include <cstring>
#include <string>

#include "archive.h"
#include "bytes.h"
#include "context.h"
#include "errors.h"
#include "forward.h"
#include "forward_range.h"
#include "kernels.h"
#include "mix/frame_mixed.h"
#include "rans.h"
#include "xxhash64.h"

namespace nnc {
namespace {

void checkContentArgs(size_t len, uint32_t laneSize) {
  if (len > kMaxContent)
    fail(Code::InvalidArg, "Expected at most 2^26 bytes (67108864) for frame content but received " +
                               std::to_string(len) + "; split the input into frames");
  if (laneSize < 1 || laneSize > kMaxLaneSize)
    fail(Code::InvalidArg, "Expected an integer from 1 to 16777216 for laneSize but received " + std::to_string(laneSize));
}

}  // namespace

std::vector<uint8_t> compressFrame(const Model& m, const uint8_t* content, size_t len, uint32_t laneSize,
                                   int threads, Simd simd, const CancelFlag* cancel, const MixParams* mix) {
  checkContentArgs(len, laneSize);
  if (mix) {
    bool unknown = false;
    const std::string problem = mixParamsProblem(*mix, &unknown);
    if (!problem.empty())
      fail(Code::InvalidArg, "Expected a valid method-2 parameter block for mix but received one with " + problem);
  }
  const Kernels& kern = kernelsFor(simd);
  const int nThreads = resolveThreads(threads);
  if (len == 0) return storedFrame(m.id, content, 0);
  pollCancel(cancel);

  if (mix) {  // method 2: the payload is mix/frame_mixed.cc's; stored unless it is smaller than N
    const std::vector<uint8_t> payload = encodeMixedPayload(m, kern, content, len, laneSize, *mix, nThreads, cancel);
    if (payload.size() >= len) return storedFrame(m.id, content, len);
    std::vector<uint8_t> out(kFrameOverhead + payload.size());
    writeFrameHeader(out.data(), kMethodMixed, m.id, static_cast<uint32_t>(len), laneSize,
                     static_cast<uint32_t>(payload.size()));
    std::memcpy(out.data() + kFrameHeader, payload.data(), payload.size());
    wr64(out.data() + kFrameHeader + payload.size(), xxh64(content, len));
    return out;
  }

  // Phase 1: (f, c) of the coded symbol at every position, packed f | c << 16
  // (f <= 2^16 - (A-1) <= 65535 and c <= 65535). For an escaped byte this is
  // ESC's pair; the raw byte's pair follows from the byte itself.
  std::vector<uint32_t> fc(len);
  const int t1 = static_cast<int>(std::min<size_t>(nThreads, (len + kMaxBatch - 1) / kMaxBatch));
  parallelFor(t1, [&](int t) {
    const size_t p0 = len * t / t1, p1 = len * (t + 1) / t1;
    forwardRange(m, kern, content, p0, p1, laneSize, cancel, [&](size_t pos, const uint32_t* f) {
      const uint32_t s = m.tokenOf[content[pos]];
      uint32_t c = 0;
      for (uint32_t i = 0; i < s; ++i) c += f[i];
      fc[pos] = f[s] | (c << 16);
    });
  });

  // Phase 2: rANS per lane, last coded symbol first.
  const size_t nLanes = (len + laneSize - 1) / laneSize;
  std::vector<std::vector<uint8_t>> streams(nLanes);
  const int t2 = static_cast<int>(std::min<size_t>(nThreads, nLanes));
  const uint32_t ESC = static_cast<uint32_t>(m.A - 1);
  parallelFor(t2, [&](int t) {
    std::vector<uint8_t> emitted;
    for (size_t lane = nLanes * t / t2, end = nLanes * (t + 1) / t2; lane < end; ++lane) {
      const size_t a = lane * laneSize, b = std::min(len, a + laneSize);
      emitted.clear();
      RansEncoder enc(emitted);
      for (size_t i = b; i-- > a;) {
        if ((i & 0xFFFF) == 0) pollCancel(cancel);  // long lanes: poll every 64 Ki symbols
        const uint8_t x = content[i];
        if (m.tokenOf[x] == ESC) enc.put(256, static_cast<uint32_t>(x) << 8);
        enc.put(fc[i] & 0xFFFF, fc[i] >> 16);
      }
      std::vector<uint8_t>& s = streams[lane];
      s.resize(4 + emitted.size());
      wr32(s.data(), enc.state());
      std::reverse_copy(emitted.begin(), emitted.end(), s.begin() + 4);
    }
  });
  std::vector<uint32_t>().swap(fc);

  // Choice (4.1): stored unless the neural payload is smaller than N.
  uint64_t B = 4ull * nLanes;
  for (const auto& s : streams) B += s.size();
  if (B >= len) return storedFrame(m.id, content, len);

  std::vector<uint8_t> out(kFrameOverhead + B);
  uint8_t* o = out.data();
  writeFrameHeader(o, kMethodNeural, m.id, static_cast<uint32_t>(len), laneSize, static_cast<uint32_t>(B));
  uint8_t* table = o + kFrameHeader;
  uint8_t* data = table + 4 * nLanes;
  for (size_t i = 0; i < nLanes; ++i) {
    wr32(table + 4 * i, static_cast<uint32_t>(streams[i].size()));
    std::memcpy(data, streams[i].data(), streams[i].size());
    data += streams[i].size();
  }
  wr64(data, xxh64(content, len));
  return out;
}

std::vector<uint8_t> decompressFrame(const Model* model, const uint8_t* frame, size_t len, int threads, Simd simd,
                                     const CancelFlag* cancel) {
  // Arguments first, so a bad call fails the same way whatever the frame.
  const Kernels& kern = kernelsFor(simd);
  const int nThreads = resolveThreads(threads);
  const FrameHeader h = parseFrameHeader(frame, len, true);
  if (len > h.frameSize)
    fail(Code::Corrupt, "frame is followed by " + std::to_string(len - h.frameSize) + " unexpected bytes");
  const uint32_t N = h.N, laneSize = h.laneSize;
  const uint64_t stored = frameChecksum(frame, h);
  pollCancel(cancel);

  std::vector<uint8_t> out;
  // Method 2's parameter block says whether the network (and so the model) is needed.
  MixParams mix;
  if (h.method == kMethodMixed) mix = parseMixParams(frame + kFrameHeader);
  if (h.method == kMethodNeural || (h.method == kMethodMixed && (mix.mask & kMixNet))) {
    const uint64_t frameModel = h.modelId;
    if (!model)
      fail(Code::InvalidArg, "frame was written with model " + hex64(frameModel) +
                                    " but no model was given; load that model to decode it");
    if (model->id != frameModel)
      fail(Code::ModelMismatch, "frame was written with model " + hex64(frameModel) + " but model " +
                                    model->idHex + " was given; load model " + hex64(frameModel) + " to decode it");
  }
  if (h.method == 0) {
    out.assign(frame + kFrameHeader, frame + kFrameHeader + N);
  } else if (h.method == kMethodMixed) {
    out = decodeMixedPayload((mix.mask & kMixNet) ? model : nullptr, kern, h, frame + kFrameHeader, mix, nThreads,
                             cancel);
  } else {
    // --- neural: lane table ---------------------------------------------------
    const uint64_t nLanes = h.nLanes;
    const std::vector<uint64_t> offs = laneOffsets(h, frame + kFrameHeader);

    out.resize(N);
    const uint8_t* payload = frame + kFrameHeader;
    const Model& m = *model;
    const uint32_t ESC = static_cast<uint32_t>(m.A - 1);
    const int nt = static_cast<int>(std::min<uint64_t>(nThreads, nLanes));
    std::atomic<bool> stop{false};
    parallelFor(nt, [&](int t) {
      Forward fwd(m, kern);
      std::vector<uint16_t> ctx(static_cast<size_t>(kMaxBatch) * m.k);
      std::vector<uint32_t> f(static_cast<size_t>(kMaxBatch) * m.A);
      std::vector<TokenContext> cms(kMaxBatch, TokenContext(m));
      RansDecoder dec[kMaxBatch];
      uint32_t laneIdx[kMaxBatch];
      const uint64_t l0 = nLanes * t / nt, l1 = nLanes * (t + 1) / nt;
      for (uint64_t g = l0; g < l1; g += kMaxBatch) {
        const int G = static_cast<int>(std::min<uint64_t>(kMaxBatch, l1 - g));
        for (int q = 0; q < G; ++q) {
          const uint64_t lane = g + q;
          if (!dec[q].init(payload + offs[lane], payload + offs[lane + 1])) {
            stop = true;
            fail(Code::Corrupt, "lane " + std::to_string(lane) + " has an invalid initial coder state: the archive is damaged");
          }
          cms[q].reset();
        }
        // Only the frame's last lane can be shorter; its decoder leaves the
        // active set once it is done.
        const size_t longest = std::min<uint64_t>(laneSize, N - g * laneSize);
        int active = G;
        for (int q = 0; q < G; ++q) laneIdx[q] = q;
        for (size_t pos = 0; pos < longest; ++pos) {
          if (stop.load(std::memory_order_relaxed)) return;
          pollCancel(cancel);
          // Drop lanes that are complete (shorter last lane).
          int P = 0;
          for (int a = 0; a < active; ++a) {
            const uint64_t lane = g + laneIdx[a];
            const uint64_t laneLen = std::min<uint64_t>(laneSize, N - lane * laneSize);
            if (pos < laneLen) laneIdx[P++] = laneIdx[a];
          }
          active = P;
          for (int a = 0; a < P; ++a) cms[laneIdx[a]].inputs(ctx.data() + static_cast<size_t>(a) * m.k);
          fwd.run(ctx.data(), P, f.data());
          for (int a = 0; a < P; ++a) {
            const int q = static_cast<int>(laneIdx[a]);
            RansDecoder& d = dec[q];
            const uint32_t* fr = f.data() + static_cast<size_t>(a) * m.A;
            const uint32_t slot = d.slot();
            uint32_t c = 0, s = 0;
            while (c + fr[s] <= slot) c += fr[s++];  // ends: the frequencies sum to 2^16 > slot
            bool ok = d.advance(fr[s], c);
            uint8_t byte;
            if (s == ESC) {
              const uint32_t raw = d.slot() >> 8;
              ok = ok && d.advance(256, raw << 8);
              byte = static_cast<uint8_t>(raw);
            } else {
              byte = m.alphabet[s];
            }
            if (!ok) {
              stop = true;
              fail(Code::Corrupt, "lane " + std::to_string(g + q) + " stream ends early: the archive is damaged");
            }
            out[(g + q) * laneSize + pos] = byte;
            cms[q].push(byte);
          }
        }
        for (int q = 0; q < G; ++q)
          if (!dec[q].finished()) {
            stop = true;
            fail(Code::Corrupt, "lane " + std::to_string(g + q) +
                                    " does not end in the coder's initial state (or has unused bytes): the archive is damaged");
          }
      }
    });
  }
  const uint64_t actual = xxh64(out.data(), out.size());
  if (actual != stored)
    fail(Code::Checksum, "frame content fails its checksum (stored " + hex64(stored) + ", computed " + hex64(actual) +
                             "): the archive is damaged or was decoded with a different model build");
  return out;
}

std::vector<uint8_t> decompressArchive(const Model* model, const uint8_t* data, size_t len, int threads, Simd simd,
                                       const CancelFlag* cancel) {
  std::vector<uint8_t> out;
  walkArchive(data, len, [&](size_t p, const FrameHeader& h) {
    const std::vector<uint8_t> part = decompressFrame(model, data + p, h.frameSize, threads, simd, cancel);
    out.insert(out.end(), part.begin(), part.end());
  });
  return out;
}

std::vector<uint32_t> frequencyTable(const Model& m, const uint8_t* content, size_t len, uint32_t laneSize,
                                     Simd simd) {
  checkContentArgs(len, laneSize);
  if (static_cast<uint64_t>(len) * m.A > (1ull << 28))
    fail(Code::InvalidArg, "frequency table of " + std::to_string(len) + " positions is too large for a test call");
  const Kernels& kern = kernelsFor(simd);
  std::vector<uint32_t> table(len * static_cast<size_t>(m.A));
  forwardRange(m, kern, content, 0, len, laneSize, nullptr, [&](size_t pos, const uint32_t* f) {
    std::memcpy(table.data() + pos * m.A, f, sizeof(uint32_t) * m.A);
  });
  return table;
}

}  // namespace nnc
