// The frame container (docs/FORMAT.md section 4.1): the 28-byte header, the
// lane table of a neural frame, the stored frame, and the trailing XXH64.
// Nothing here knows how a payload is coded: the CPU codec (frame.h) and any
// other engine read and write frames through these. The archive around
// frames (end records, concatenation) is archive.h. The TypeScript twin is
// src/format/frame.ts: both accept and reject the same headers with the
// same codes.
#pragma once

#include <cstddef>
#include <cstdint>
#include <vector>

namespace nnc {

constexpr uint32_t kMaxContent = 1u << 26;
constexpr uint32_t kMaxLaneSize = 1u << 24;
constexpr size_t kFrameHeader = 28;
constexpr size_t kFrameOverhead = 36;  // header + trailing XXH64
// Writers write version 2 (frames of an archive closed by an end record);
// version 1 (nnc 0.1, no end record) is still read. Same layout.
constexpr uint8_t kFrameVersion = 2;
constexpr uint8_t kLegacyFrameVersion = 1;
constexpr uint8_t kMethodStored = 0;
constexpr uint8_t kMethodNeural = 1;
constexpr uint8_t kMethodMixed = 2;  // version-2 frames only (FORMAT.md section 5)
constexpr size_t kMixedFixed = 8;    // method 2's parameter block, before its lane table
inline constexpr uint8_t kFrameMagic[4] = {0x89, 'N', 'N', 'C'};

// A frame header that passed every check of section 4.1 that the header
// alone allows: once parseFrameHeader returns, N, laneSize, B and nLanes may
// size allocations (N <= 2^26, 8 * nLanes <= B (method 2: 8 + 8 * nLanes),
// and B bytes are present when
// the whole frame was required).
struct FrameHeader {
  uint8_t version = 0;  // 1 or 2
  uint8_t method = 0;   // 0 stored, 1 neural, 2 mixed
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

// The stored XXH64 of the frame's content: the frame's last 8 bytes.
uint64_t frameChecksum(const uint8_t* frame, const FrameHeader& h);

// The lane table of a neural or mixed frame, checked against the payload:
// nLanes + 1 offsets into the payload (offs[0] = skip + 4 * nLanes,
// offs[nLanes] = B), every stream at least 4 bytes. `payload` holds the
// frame's B payload bytes; the table starts at payload + skip (method 2:
// after its parameter block, kMixedFixed).
std::vector<uint64_t> laneOffsets(const FrameHeader& h, const uint8_t* payload, size_t skip = 0);

// Write the 28-byte header of a version-2 frame at out (flags 0). The one
// place a header is written: stored and neural frames alike.
void writeFrameHeader(uint8_t* out, uint8_t method, uint64_t modelId, uint32_t N, uint32_t laneSize, uint32_t B);

// A whole stored frame (method 0) of `content`; modelId is the model the
// caller compressed with (0 when none), as section 4.1 records it.
std::vector<uint8_t> storedFrame(uint64_t modelId, const uint8_t* content, size_t len);

}  // namespace nnc
