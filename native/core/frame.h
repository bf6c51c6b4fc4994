// One archive frame (docs/FORMAT.md section 4.1): encode and decode.
#pragma once

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

// Encode `content` as one frame: neural (method 1) unless that payload would
// not be smaller than the content, or the content is empty (then stored,
// method 0). threads = 0 means one per hardware thread.
std::vector<uint8_t> compressFrame(const Model& model, const uint8_t* content, size_t len, uint32_t laneSize,
                                   int threads, Simd simd);

// Decode exactly one frame (`frame` holds the whole frame and nothing else).
// `model` may be null for stored frames. Throws nnc::Error with the codes of
// section 4.3; never returns content whose checksum failed.
std::vector<uint8_t> decompressFrame(const Model* model, const uint8_t* frame, size_t len, int threads, Simd simd);

// For tests: the full frequency table (len x A, row i = position i) that the
// coder uses for `content` cut into lanes of laneSize.
std::vector<uint32_t> frequencyTable(const Model& model, const uint8_t* content, size_t len, uint32_t laneSize,
                                     Simd simd);

}  // namespace nnc
