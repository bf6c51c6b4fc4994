// libFuzzer target: the decoder. The input is an archive; it is decoded
// once per SIMD variant with the model its first frame names (golden or
// tiny, see fuzz_common.h) and every variant must give the same content or
// the same error code. A successful decode is re-checked: its content must
// match the checksum the decoder verified, which decompressFrame does, so
// here we only require agreement and no sanitizer report.
//
// Work bound: an archive may claim up to 2^26 content bytes per frame and
// a valid one decodes that many positions whatever its size (a highly
// predictable content codes in a few bytes). To keep thousands of
// executions per second, archives claiming more than kMaxDecoded bytes in
// total are only parsed, not decoded (the parser is fuzzed alone by
// fuzz_container; huge claims by the golden bad files and test/hostile).
// Likewise a mixed frame (method 2) is decoded only when its parameter
// block asks for small tables and few lanes: each lane clears its stage's
// tables (up to 262 MiB at the largest sizes, a legal claim).
#include <cstdint>

#include "../core/archive.h"
#include "../core/bytes.h"
#include "../core/frame.h"
#include "fuzz_common.h"

constexpr uint64_t kMaxDecoded = 4096;

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace nnc;
  // Counted frame by frame as the walk reaches them: the frames before a
  // failure are decoded too, so an archive whose end record (or a later
  // item) fails must not escape the bound.
  uint64_t claimed = 0;
  try {
    walkArchive(data, size, [&](size_t p, const FrameHeader& h) {
      claimed += h.N;
      if (h.method == kMethodMixed) {
        const uint8_t* block = data + p + kFrameHeader;  // whole frames only reach here; B >= 8
        // Sizes out of range fail at the block, before any allocation: count them as 0.
        const auto bits = [](uint8_t v) { return v <= 22 ? v : 0; };
        const uint64_t tables = (uint64_t(80) << bits(block[4])) * 12 + (uint64_t(4) << bits(block[5])) +
                                (uint64_t(66) << bits(block[6]));
        if (tables > (uint64_t(4) << 20) || h.nLanes > 64) claimed += kMaxDecoded + 1;
      }
    });
  } catch (const Error&) {
  }
  if (claimed > kMaxDecoded) return 0;
  // The first frame's model ID field, whatever the rest holds.
  const uint64_t id = size >= 16 ? rd64(data + 8) : 0;
  const Model* model = nnc_fuzz::modelFor(id);
  std::string first;
  for (Simd v : nnc_fuzz::variants()) {
    // Two threads: lanes are split between them, as in real use.
    const std::string got = nnc_fuzz::outcome([&] { return decompressArchive(model, data, size, 2, v); });
    if (first.empty()) first = got;
    else if (got != first) nnc_fuzz::die("SIMD variants disagree:", first + " vs " + got + " (" + simdName(v) + ")");
  }
  return 0;
}
