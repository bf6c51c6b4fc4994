// The frame container (docs/FORMAT.md section 4.1). Mirrors
// src/format/frame.ts check for check, so both engines report the same code.
#include "container.h"

#include <algorithm>
#include <cstring>
#include <string>

#include "bytes.h"
#include "errors.h"
#include "xxhash64.h"

namespace nnc {

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
  if (h.method > 2 || (h.method == kMethodMixed && h.version != kFrameVersion))
    fail(Code::Unsupported, "frame method " + std::to_string(h.method) +
                                (h.method == kMethodMixed ? " in a version-1 frame" : "") +
                                " is unknown to this nnc-native (0 stored, 1 neural, 2 mixed); upgrade nnc-native");
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
    // Every lane needs a 4-byte table entry and a stream of at least 4 bytes;
    // method 2's payload opens with its parameter block.
    h.nLanes = (static_cast<uint64_t>(h.N) + h.laneSize - 1) / h.laneSize;
    if ((h.method == kMethodMixed ? kMixedFixed : 0) + 8 * h.nLanes > h.B)
      fail(Code::Corrupt, "frame payload of " + std::to_string(h.B) + " bytes cannot hold " + std::to_string(h.nLanes) +
                              " lanes: the archive is damaged");
  }
  h.frameSize = kFrameOverhead + static_cast<uint64_t>(h.B);
  if (requireWhole && len < h.frameSize)
    fail(Code::Truncated, "frame is truncated at byte " + std::to_string(len) + " of " + std::to_string(h.frameSize) +
                              ": the file was cut short; recover the complete file");
  return h;
}

std::vector<uint64_t> laneOffsets(const FrameHeader& h, const uint8_t* payload, size_t skip) {
  // skip + 8 * nLanes <= B (parseFrameHeader), so the table is smaller than the payload it describes.
  std::vector<uint64_t> offs(h.nLanes + 1);
  uint64_t off = skip + 4 * h.nLanes;
  for (uint64_t i = 0; i < h.nLanes; ++i) {
    const uint32_t ln = rd32(payload + skip + 4 * i);
    if (ln < 4) fail(Code::Corrupt, "lane " + std::to_string(i) + " stream is shorter than 4 bytes: the archive is damaged");
    offs[i] = off;
    off += ln;
    if (off > h.B) fail(Code::Corrupt, "lane table lengths exceed the frame payload: the archive is damaged");
  }
  offs[h.nLanes] = off;
  if (off != h.B) fail(Code::Corrupt, "lane table lengths do not add up to the frame payload: the archive is damaged");
  return offs;
}

uint64_t frameChecksum(const uint8_t* frame, const FrameHeader& h) { return rd64(frame + kFrameHeader + h.B); }

void writeFrameHeader(uint8_t* out, uint8_t method, uint64_t modelId, uint32_t N, uint32_t laneSize, uint32_t B) {
  std::memcpy(out, kFrameMagic, 4);
  out[4] = kFrameVersion;
  out[5] = method;
  out[6] = out[7] = 0;  // flags: reserved
  wr64(out + 8, modelId);
  wr32(out + 16, N);
  wr32(out + 20, laneSize);
  wr32(out + 24, B);
}

std::vector<uint8_t> storedFrame(uint64_t modelId, const uint8_t* content, size_t len) {
  std::vector<uint8_t> out(kFrameOverhead + len);
  writeFrameHeader(out.data(), kMethodStored, modelId, static_cast<uint32_t>(len), 0, static_cast<uint32_t>(len));
  if (len) std::memcpy(out.data() + kFrameHeader, content, len);
  wr64(out.data() + kFrameHeader + len, xxh64(content, len));
  return out;
}

}  // namespace nnc
