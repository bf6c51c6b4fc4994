// libFuzzer target: determinism and round trip. The first bytes choose the
// model, lane size, thread count and frame size; the rest is the content.
// With the top bit of the first byte set, the frames are mixed (method 2,
// FORMAT.md section 5): 4 more bytes give the experts mask (any subset) and
// the table sizes (the small end of their ranges, so an input stays fast),
// and the content follows them.
// The content is compressed on every SIMD variant, twice with different
// thread counts; every archive must be byte-identical (an archive is a
// function of input, model, laneSize and frame size only, FORMAT.md 4.1),
// and must decode back to the content on every variant.
#include <cstdint>

#include "../core/archive.h"
#include "../core/frame.h"
#include "fuzz_common.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace nnc;
  if (size < 4) return 0;
  const Model& m = *nnc_fuzz::models()[data[0] % nnc_fuzz::models().size()];
  static const uint32_t kLanes[] = {1, 2, 3, 7, 16, 63, 64, 65, 100, 256, 1000, 4096, 65536};
  const uint32_t lane = kLanes[data[1] % (sizeof kLanes / sizeof kLanes[0])];
  const int threads = 1 + data[2] % 3;
  const size_t frameSize = data[3] < 128 ? size_t{1} << 26 : 64 + (data[3] - 128) * 61;
  size_t head = 4;
  MixParams mix;
  const bool mixed = (data[0] & 0x80) != 0;
  if (mixed) {
    if (size < 8) return 0;
    mix.mask = (data[4] | data[5] << 8 | (data[6] & 1) << 16) & kMixKnown;
    mix.hb = static_cast<uint8_t>(mix.mask & kMixHashed ? kMixHbMin + data[6] % 3 : 0);
    mix.mb = static_cast<uint8_t>(mix.mask & kMixMatch ? kMixMbMin + (data[6] >> 2) % 3 : 0);
    mix.a2b = static_cast<uint8_t>(mix.mask & kMixApm ? kMixA2bMin + (data[6] >> 4) % 3 : 0);
    mix.level = static_cast<uint8_t>(data[7] % 10);
    head = 8;
  }
  // A stage reset per lane clears its tables (1-5 MiB here): lanes of at least 256 bytes.
  const uint32_t laneUsed = mixed && lane < 256 ? 256 : lane;
  const uint8_t* content = data + head;
  const size_t n = size - head;

  auto archive = [&](Simd v, int t) {
    std::vector<uint8_t> out;
    ArchiveTally tally;
    size_t p = 0;
    do {
      const size_t len = std::min(frameSize, n - p);
      const std::vector<uint8_t> f = compressFrame(m, content + p, len, laneUsed, t, v, nullptr, mixed ? &mix : nullptr);
      tally.addFrame(f);
      out.insert(out.end(), f.begin(), f.end());
      p += len;
    } while (p < n);
    const std::vector<uint8_t> end = tally.endRecord();
    out.insert(out.end(), end.begin(), end.end());
    return out;
  };
  const int other = 1 + threads % 3;
  const std::vector<uint8_t> ref = archive(Simd::Scalar, threads);
  for (Simd v : nnc_fuzz::variants()) {
    if (v != Simd::Scalar && archive(v, threads) != ref)
      nnc_fuzz::die("archive differs on", std::string(simdName(v)) + " with threads " + std::to_string(threads));
    if (archive(v, other) != ref) nnc_fuzz::die("second run differs on", std::string(simdName(v)) + " with threads " + std::to_string(other));
    const std::vector<uint8_t> back = decompressArchive(&m, ref.data(), ref.size(), threads, v);
    if (back.size() != n || !std::equal(back.begin(), back.end(), content)) nnc_fuzz::die("round trip failed on", simdName(v));
  }
  return 0;
}
