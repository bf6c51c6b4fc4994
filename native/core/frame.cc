// Frame encode / decode. Threads split the work; each thread owns a Forward
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
#include <exception>
#include <string>
#include <thread>

#include "bytes.h"
#include "context.h"
#include "errors.h"
#include "forward.h"
#include "kernels.h"
#include "rans.h"
#include "xxhash64.h"

namespace nnc {
namespace {

const uint8_t kFrameMagic[4] = {0x89, 'N', 'N', 'C'};

int resolveThreads(int threads) {
  if (threads < 0 || threads > 1024)
    fail(Code::InvalidArg, "Expected an integer 0..1024 for threads but received " + std::to_string(threads));
  if (threads == 0) {
    const unsigned hc = std::thread::hardware_concurrency();
    threads = hc == 0 ? 1 : static_cast<int>(std::min(hc, 1024u));
  }
  return threads;
}

// Throw ABORT_ERR once the caller asked to stop.
inline void pollCancel(const CancelFlag* cancel) {
  if (cancel && cancel->load(std::memory_order_relaxed))
    fail(Code::Aborted, "the operation was aborted");
}

// Run body(t) for t in [0, n) on n threads (the caller's thread runs t = 0)
// and rethrow the first failure after all have joined.
template <class Body>
void parallel(int n, Body body) {
  if (n <= 1) {
    body(0);
    return;
  }
  std::vector<std::exception_ptr> errs(n);
  std::vector<std::thread> ts;
  ts.reserve(n - 1);
  auto wrap = [&](int t) {
    try {
      body(t);
    } catch (...) {
      errs[t] = std::current_exception();
    }
  };
  try {
    for (int t = 1; t < n; ++t) ts.emplace_back(wrap, t);
  } catch (...) {
    // Could not start a thread: finish with what was started, then report.
    wrap(0);
    for (auto& th : ts) th.join();
    throw;
  }
  wrap(0);
  for (auto& th : ts) th.join();
  for (auto& e : errs)
    if (e) std::rethrow_exception(e);
}

std::vector<uint8_t> storedFrame(const Model* model, const uint8_t* content, size_t len) {
  std::vector<uint8_t> out(kFrameOverhead + len);
  std::memcpy(out.data(), kFrameMagic, 4);
  out[4] = kFrameVersion;
  out[5] = 0;
  out[6] = out[7] = 0;
  wr64(out.data() + 8, model ? model->id : 0);
  wr32(out.data() + 16, static_cast<uint32_t>(len));
  wr32(out.data() + 20, 0);
  wr32(out.data() + 24, static_cast<uint32_t>(len));
  if (len) std::memcpy(out.data() + kFrameHeader, content, len);
  wr64(out.data() + kFrameHeader + len, xxh64(content, len));
  return out;
}

// Frequencies of positions [p0, p1) of the frame, handed to sink(pos, f)
// one position at a time (f = A frequencies).
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

void checkContentArgs(size_t len, uint32_t laneSize) {
  if (len > kMaxContent)
    fail(Code::InvalidArg, "Expected at most 2^26 bytes (67108864) for frame content but received " +
                               std::to_string(len) + "; split the input into frames");
  if (laneSize < 1 || laneSize > kMaxLaneSize)
    fail(Code::InvalidArg, "Expected an integer 1..16777216 for laneSize but received " + std::to_string(laneSize));
}

}  // namespace

std::vector<uint8_t> compressFrame(const Model& m, const uint8_t* content, size_t len, uint32_t laneSize,
                                   int threads, Simd simd, const CancelFlag* cancel) {
  checkContentArgs(len, laneSize);
  const Kernels& kern = kernelsFor(simd);
  const int nThreads = resolveThreads(threads);
  if (len == 0) return storedFrame(&m, content, 0);
  pollCancel(cancel);

  // Phase 1: (f, c) of the coded symbol at every position, packed f | c << 16
  // (f <= 2^16 - (A-1) <= 65535 and c <= 65535). For an escaped byte this is
  // ESC's pair; the raw byte's pair follows from the byte itself.
  std::vector<uint32_t> fc(len);
  const int t1 = static_cast<int>(std::min<size_t>(nThreads, (len + kMaxBatch - 1) / kMaxBatch));
  parallel(t1, [&](int t) {
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
  parallel(t2, [&](int t) {
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
  if (B >= len) return storedFrame(&m, content, len);

  std::vector<uint8_t> out(kFrameOverhead + B);
  uint8_t* o = out.data();
  std::memcpy(o, kFrameMagic, 4);
  o[4] = kFrameVersion;
  o[5] = 1;
  o[6] = o[7] = 0;
  wr64(o + 8, m.id);
  wr32(o + 16, static_cast<uint32_t>(len));
  wr32(o + 20, laneSize);
  wr32(o + 24, static_cast<uint32_t>(B));
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

FrameHeader parseFrameHeader(const uint8_t* frame, size_t len, bool requireWhole) {
  if (len > 0 && std::memcmp(frame, kFrameMagic, std::min<size_t>(len, 4)) != 0)
    fail(Code::Corrupt, "not an nnc frame (bad magic): the data is not an nnc archive or is damaged");
  if (len < kFrameHeader)
    fail(Code::Truncated, "frame is truncated at byte " + std::to_string(len) +
                              " inside its 28-byte header: the file was cut short; recover the complete file");
  FrameHeader h;
  h.version = frame[4];
  h.method = frame[5];
  const uint16_t flags = rd16(frame + 6);
  if (h.version != kFrameVersion && h.version != kLegacyFrameVersion)
    fail(Code::Unsupported, "frame version " + std::to_string(h.version) +
                                " is not supported (this nnc-native reads versions 1 and 2); upgrade nnc-native");
  if (h.method > 1)
    fail(Code::Unsupported, "frame method " + std::to_string(h.method) +
                                " is unknown to this nnc-native (0 stored, 1 neural); upgrade nnc-native");
  if (flags != 0)
    fail(Code::Unsupported, "frame flags are set but reserved; this archive needs a newer nnc-native");
  h.modelId = rd64(frame + 8);
  h.N = rd32(frame + 16);
  h.laneSize = rd32(frame + 20);
  h.B = rd32(frame + 24);
  if (h.N > kMaxContent)
    fail(Code::Corrupt, "frame content size " + std::to_string(h.N) + " is over 2^26: the archive is damaged");
  if (h.method == 0) {
    if (h.laneSize != 0) fail(Code::Corrupt, "stored frame has a non-zero laneSize: the archive is damaged");
    if (h.B != h.N) fail(Code::Corrupt, "stored frame payload size differs from its content size: the archive is damaged");
  } else {
    if (h.N == 0) fail(Code::Corrupt, "neural frame with empty content: the archive is damaged");
    if (h.laneSize < 1 || h.laneSize > kMaxLaneSize)
      fail(Code::Corrupt, "frame laneSize " + std::to_string(h.laneSize) + " is outside 1..2^24: the archive is damaged");
    // Every lane needs a 4-byte table entry and a stream of at least 4 bytes.
    h.nLanes = (static_cast<uint64_t>(h.N) + h.laneSize - 1) / h.laneSize;
    if (8 * h.nLanes > h.B)
      fail(Code::Corrupt, "frame payload of " + std::to_string(h.B) + " bytes cannot hold " + std::to_string(h.nLanes) +
                              " lanes: the archive is damaged");
  }
  h.frameSize = kFrameOverhead + static_cast<uint64_t>(h.B);
  if (requireWhole && len < h.frameSize)
    fail(Code::Truncated, "frame is truncated at byte " + std::to_string(len) + " of " + std::to_string(h.frameSize) +
                              ": the file was cut short; recover the complete file");
  return h;
}

std::vector<uint64_t> laneOffsets(const FrameHeader& h, const uint8_t* payload) {
  // nLanes <= B / 8 (parseFrameHeader), so the table is smaller than the payload it describes.
  std::vector<uint64_t> offs(h.nLanes + 1);
  uint64_t off = 4 * h.nLanes;
  for (uint64_t i = 0; i < h.nLanes; ++i) {
    const uint32_t ln = rd32(payload + 4 * i);
    if (ln < 4) fail(Code::Corrupt, "lane " + std::to_string(i) + " stream is shorter than 4 bytes: the archive is damaged");
    offs[i] = off;
    off += ln;
    if (off > h.B) fail(Code::Corrupt, "lane table lengths exceed the frame payload: the archive is damaged");
  }
  offs[h.nLanes] = off;
  if (off != h.B) fail(Code::Corrupt, "lane table lengths do not add up to the frame payload: the archive is damaged");
  return offs;
}

std::vector<uint8_t> decompressFrame(const Model* model, const uint8_t* frame, size_t len, int threads, Simd simd,
                                     const CancelFlag* cancel) {
  // Arguments first, so a bad call fails the same way whatever the frame.
  const Kernels& kern = kernelsFor(simd);
  const int nThreads = resolveThreads(threads);
  const FrameHeader h = parseFrameHeader(frame, len, true);
  if (len > h.frameSize)
    fail(Code::Corrupt, "frame is followed by " + std::to_string(len - h.frameSize) + " unexpected bytes");
  const uint32_t N = h.N, laneSize = h.laneSize, B = h.B;
  const uint64_t stored = rd64(frame + kFrameHeader + B);
  pollCancel(cancel);

  std::vector<uint8_t> out;
  if (h.method == 0) {
    out.assign(frame + kFrameHeader, frame + kFrameHeader + N);
  } else {
    // --- neural: model, lane table --------------------------------------------
    const uint64_t frameModel = h.modelId;
    if (!model)
      fail(Code::InvalidArg, "frame was written with model " + hex64(frameModel) +
                                    " but no model was given; load that model to decode it");
    if (model->id != frameModel)
      fail(Code::ModelMismatch, "frame was written with model " + hex64(frameModel) + " but model " +
                                    model->idHex + " was given; load model " + hex64(frameModel) + " to decode it");
    const uint64_t nLanes = h.nLanes;
    const std::vector<uint64_t> offs = laneOffsets(h, frame + kFrameHeader);

    out.resize(N);
    const uint8_t* payload = frame + kFrameHeader;
    const Model& m = *model;
    const uint32_t ESC = static_cast<uint32_t>(m.A - 1);
    const int nt = static_cast<int>(std::min<uint64_t>(nThreads, nLanes));
    std::atomic<bool> stop{false};
    parallel(nt, [&](int t) {
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
