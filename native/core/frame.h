// One archive frame (docs/FORMAT.md section 4.1): encode and decode. The
// archive around frames (end records, concatenation) is archive.h.
#pragma once

#include <atomic>
#include <cstddef>
#include <cstdint>
#include <vector>

#include "cpu_features.h"
#include "model.h"

namespace nnc {

constexpr uint32_t kMaxContent = 1u << 26;
constexpr uint32_t kMaxLaneSize = 1u << 24;
constexpr size_t kFrameHeader = 28;
constexpr size_t kFrameOverhead = 36;  // header + trailing XXH64
// Writers write version 2 (frames of an archive closed by an end record);
// version 1 (nnc 0.1, no end record) is still read. Same layout.
constexpr uint8_t kFrameVersion = 2;
constexpr uint8_t kLegacyFrameVersion = 1;

// Cooperative cancellation. A job given a flag polls it between batches of
// work (at most kMaxBatch positions, or one lane of rANS coding, on each
// thread) and, once it is set, throws Error(Code::Aborted) after every
// thread stopped; its buffers are freed by the unwinding. Null: the job
// cannot be cancelled.
using CancelFlag = std::atomic<bool>;

// A frame header that passed every check of section 4.1 that the header
// alone allows: once parseFrameHeader returns, N, laneSize, B and nLanes may
// size allocations (N <= 2^26, 8 * nLanes <= B, and B bytes are present when
// the whole frame was required).
struct FrameHeader {
  uint8_t version = 0;  // 1 or 2
  uint8_t method = 0;   // 0 stored, 1 neural
  uint64_t modelId = 0;
  uint32_t N = 0, laneSize = 0, B = 0;
  uint64_t nLanes = 0;     // 0 for stored frames
  uint64_t frameSize = 0;  // 36 + B
};

// Parse the frame starting at p, of which `avail` bytes are present. Throws
// ERR_NNC_CORRUPT (bad magic, invalid field), ERR_NNC_UNSUPPORTED (version,
// method, flags) or ERR_NNC_TRUNCATED (fewer than 28 bytes; or, with
// requireWhole, fewer than frameSize bytes) in the order the TypeScript
// reader (src/format/frame.ts) checks them, so both engines report alike.
FrameHeader parseFrameHeader(const uint8_t* p, size_t avail, bool requireWhole = true);

// The lane table of a neural frame, checked against the payload: nLanes + 1
// offsets into the payload (offs[0] = 4 * nLanes, offs[nLanes] = B), every
// stream at least 4 bytes. `payload` holds the frame's B payload bytes.
std::vector<uint64_t> laneOffsets(const FrameHeader& h, const uint8_t* payload);

// Encode `content` as one frame: neural (method 1) unless that payload would
// not be smaller than the content, or the content is empty (then stored,
// method 0). threads = 0 means one per hardware thread.
std::vector<uint8_t> compressFrame(const Model& model, const uint8_t* content, size_t len, uint32_t laneSize,
                                   int threads, Simd simd, const CancelFlag* cancel = nullptr);

// Decode exactly one frame (`frame` holds the whole frame and nothing else).
// `model` may be null for stored frames. Throws nnc::Error with the codes of
// section 4.3; never returns content whose checksum failed.
std::vector<uint8_t> decompressFrame(const Model* model, const uint8_t* frame, size_t len, int threads, Simd simd,
                                     const CancelFlag* cancel = nullptr);

// For tests: the full frequency table (len x A, row i = position i) that the
// coder uses for `content` cut into lanes of laneSize.
std::vector<uint32_t> frequencyTable(const Model& model, const uint8_t* content, size_t len, uint32_t laneSize,
                                     Simd simd);

}  // namespace nnc
