// The archive around the frames (docs/FORMAT.md section 4): version-2 frames
// closed by an end record (frame count, content size, a chained hash of the
// frames' checksums), so a cut archive, or one with frames dropped,
// duplicated or moved, is found; concatenated archives; legacy version-1
// frames. The TypeScript twin is src/format/archive.ts: both accept and
// reject the same inputs with the same codes.
#pragma once

#include <cstddef>
#include <cstdint>
#include <functional>
#include <vector>

#include "container.h"

namespace nnc {

constexpr size_t kEndRecordSize = 40;
constexpr uint8_t kEndVersion = 2;

// The running totals of one archive: H_0 = 0, H_i = XXH64(H_{i-1} || N_i ||
// C_i) over 24 little-endian bytes, N_i the content size and C_i the stored
// checksum of frame i.
struct ArchiveTally {
  uint64_t frames = 0, contentSize = 0, framesHash = 0;
  void add(uint32_t N, uint64_t checksum);
  // Add a whole frame as compressFrame wrote it.
  void addFrame(const std::vector<uint8_t>& frame);
  // The 40-byte end record that closes the archive.
  std::vector<uint8_t> endRecord() const;
};

// Where each frame of an archive starts (section 4): every header and end
// record is checked, every frame must be complete, every version-2 archive
// must end with a matching end record. Throws ERR_NNC_TRUNCATED (cut short,
// end record missing or disagreeing, empty input), ERR_NNC_CORRUPT (bad
// magic, trailing garbage, a damaged end record) or ERR_NNC_UNSUPPORTED.
// Payloads are not looked at.
std::vector<size_t> splitArchive(const uint8_t* data, size_t len);

// Walk the archive item by item, calling onFrame(offset, header) for each
// frame as it is reached, so damage is found in the order a stream decoder
// meets it: a frame's header is checked before onFrame sees it, its end
// record after. Same throws as splitArchive, plus whatever onFrame throws.
void walkArchive(const uint8_t* data, size_t len, const std::function<void(size_t, const FrameHeader&)>& onFrame);

}  // namespace nnc
