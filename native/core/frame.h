// The CPU codec of archive frames (docs/FORMAT.md sections 2-4): encode and
// decode one frame, decode a whole archive. The container they read and
// write (header, lane table, stored frames) is container.h; the archive walk
// and end records are archive.h; threads and cancellation are parallel.h.
#pragma once

#include <cstddef>
#include <cstdint>
#include <vector>

#include "container.h"
#include "cpu_features.h"
#include "mix/params.h"
#include "model.h"
#include "parallel.h"

namespace nnc {

// Encode `content` as one frame: neural (method 1), or mixed (method 2) with
// the parameter block `mix` when one is given, unless that payload would not
// be smaller than the content, or the content is empty (then stored, method
// 0). threads = 0 means one per hardware thread. An invalid `mix` is
// ERR_NNC_INVALID_ARG.
std::vector<uint8_t> compressFrame(const Model& model, const uint8_t* content, size_t len, uint32_t laneSize,
                                   int threads, Simd simd, const CancelFlag* cancel = nullptr,
                                   const MixParams* mix = nullptr);

// Decode exactly one frame (`frame` holds the whole frame and nothing else).
// `model` may be null for stored frames and for mixed frames whose stage
// does not use the network (their model ID is then informational). Throws nnc::Error with the codes of
// section 4.3; never returns content whose checksum failed.
std::vector<uint8_t> decompressFrame(const Model* model, const uint8_t* frame, size_t len, int threads, Simd simd,
                                     const CancelFlag* cancel = nullptr);

// Decode a whole archive (archive.h's walk), frame after frame, contents
// concatenated. Each item is checked when it is reached (as a stream decoder
// must, and as the TypeScript facade does), so the first damage met decides
// the error.
std::vector<uint8_t> decompressArchive(const Model* model, const uint8_t* data, size_t len, int threads, Simd simd,
                                       const CancelFlag* cancel = nullptr);

// For tests: the full frequency table (len x A, row i = position i) that the
// coder uses for `content` cut into lanes of laneSize.
std::vector<uint32_t> frequencyTable(const Model& model, const uint8_t* content, size_t len, uint32_t laneSize,
                                     Simd simd);

}  // namespace nnc
