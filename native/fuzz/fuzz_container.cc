// libFuzzer target: the container parser (docs/FORMAT.md section 4) without
// decoding: frame headers, archive splitting, end records, lane tables,
// method 2's parameter block.
// Checks that a split archive's frames and end records tile the input
// exactly and that everything the parser accepted is consistent with the
// bytes present.
#include <cstdint>
#include <cstring>

#include "../core/archive.h"
#include "../core/frame.h"
#include "fuzz_common.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace nnc;
  std::vector<size_t> starts;
  try {
    starts = splitArchive(data, size);
  } catch (const Error& e) {
    if (e.code() == Code::Internal) nnc_fuzz::die("internal error:", e.message());
  }
  // Frames tile the archive except for end records (archive.h): at most one
  // 40-byte record between two frames, or after the last one.
  auto endRecordAt = [&](size_t at) {
    static const uint8_t kEndMagic[4] = {0x89, 'N', 'N', 'E'};
    return size - at >= kEndRecordSize && std::memcmp(data + at, kEndMagic, 4) == 0;
  };
  size_t expect = 0;
  for (size_t i = 0; i < starts.size(); ++i) {
    if (starts[i] != expect && !(starts[i] == expect + kEndRecordSize && endRecordAt(expect)))
      nnc_fuzz::die("frames and end records do not tile the archive");
    const FrameHeader h = parseFrameHeader(data + starts[i], size - starts[i], true);
    if (h.frameSize > size - starts[i]) nnc_fuzz::die("frame runs past the input");
    if (h.N > kMaxContent) nnc_fuzz::die("content size over the limit was accepted");
    if (h.method == kMethodNeural || h.method == kMethodMixed) {
      // Method 2's payload opens with its 8-byte parameter block, then the lane table.
      const size_t skip = h.method == kMethodMixed ? kMixedFixed : 0;
      if (h.method == kMethodMixed && h.version != kFrameVersion) nnc_fuzz::die("method 2 accepted in a version-1 frame");
      if (skip + 8 * h.nLanes > h.B) nnc_fuzz::die("lane count not bounded by the payload");
      if (skip) {
        try {
          const MixParams p = parseMixParams(data + starts[i] + kFrameHeader);
          bool unknown = false;
          if (!mixParamsProblem(p, &unknown).empty()) nnc_fuzz::die("invalid parameter block accepted");
        } catch (const Error& e) {
          if (e.code() != Code::Corrupt && e.code() != Code::Unsupported)
            nnc_fuzz::die("parameter block error is not CORRUPT or UNSUPPORTED:", codeString(e.code()));
        }
      }
      try {
        const std::vector<uint64_t> offs = laneOffsets(h, data + starts[i] + kFrameHeader, skip);
        if (offs.size() != h.nLanes + 1 || offs.back() != h.B) nnc_fuzz::die("lane table inconsistent");
        for (size_t l = 0; l + 1 < offs.size(); ++l)
          if (offs[l + 1] < offs[l] + 4) nnc_fuzz::die("lane stream shorter than 4 bytes accepted");
      } catch (const Error& e) {
        if (e.code() != Code::Corrupt) nnc_fuzz::die("lane table error is not ERR_NNC_CORRUPT:", codeString(e.code()));
      }
    } else if (h.B != h.N || h.laneSize != 0) {
      nnc_fuzz::die("inconsistent stored frame accepted");
    }
    expect = starts[i] + h.frameSize;
  }
  if (!starts.empty() && expect != size && !(expect + kEndRecordSize == size && endRecordAt(expect)))
    nnc_fuzz::die("split archive does not end at the input's end");
  // A version-2 frame is never the last item of an accepted archive.
  if (!starts.empty() && expect == size && parseFrameHeader(data + starts.back(), size - starts.back(), true).version != kLegacyFrameVersion)
    nnc_fuzz::die("version-2 archive without its end record accepted");
  // Any prefix of the input parses as a header, or fails with a code.
  if (size >= kFrameHeader) {
    try {
      (void)parseFrameHeader(data, kFrameHeader, false);
    } catch (const Error& e) {
      if (e.code() == Code::Internal || e.code() == Code::Truncated) nnc_fuzz::die("28-byte header reported as", codeString(e.code()));
    }
  }
  return 0;
}
