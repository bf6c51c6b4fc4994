// libFuzzer target: the model loader (docs/FORMAT.md section 1).
//
// Each input is parsed twice: as given (so the container checks, sizes and
// checksum are fuzzed), and with its header sizes and trailing checksum
// repaired (so mutations reach the canonical section instead of dying at the
// checksum). Every model that loads must then
//   - have ID = XXH64(canonical section);
//   - give, on every SIMD variant, the frequencies that a from-the-text
//     reference (native/tests/random_model.h) computes on the raw tensors
//     (ModelTensors, which the C++ tests check against the tensors written);
//   - compress a short content to the same frame on every variant, which
//     decodes back on every variant.
#include <cstdint>
#include <cstring>

#include "../core/bytes.h"
#include "../core/frame.h"
#include "../core/model_file.h"
#include "../core/xxhash64.h"
#include "../tests/random_model.h"
#include "fuzz_common.h"

namespace {

using namespace nnc;

void checkModel(const uint8_t* file, size_t size) {
  std::shared_ptr<const Model> m;
  try {
    m = parseModel(file, size);
  } catch (const Error& e) {
    if (e.code() != Code::BadModel && e.code() != Code::Unsupported)
      nnc_fuzz::die("model error with an unexpected code:", codeString(e.code()));
    return;
  }
  const uint8_t* canon = file + 16;
  if (m->id != xxh64(canon, m->canonicalSize)) nnc_fuzz::die("model ID is not XXH64(canonical)");
  // The raw tensors, as the parser hands them to every engine.
  const nnc_test::Spec s = nnc_test::specOf(parseModelFile(file, size));

  // A short content: alphabet bytes picked by the model's ID, plus escapes.
  std::vector<uint8_t> content(48 + m->id % 80);
  uint64_t x = m->id | 1;
  for (auto& b : content) {
    x ^= x << 13, x ^= x >> 7, x ^= x << 17;
    b = (x % 5 == 0 || s.alphabet.empty()) ? static_cast<uint8_t>(x >> 24) : s.alphabet[(x >> 8) % s.alphabet.size()];
  }
  const uint32_t lane = static_cast<uint32_t>(1 + m->id % 40);

  // Reference frequencies, when the model is small enough to do it quickly.
  uint64_t macs = static_cast<uint64_t>(s.k) * s.E * s.H[0] + static_cast<uint64_t>(s.A) * s.H.back();
  for (size_t l = 1; l < s.H.size(); ++l) macs += static_cast<uint64_t>(s.H[l]) * s.H[l - 1];
  std::vector<uint32_t> want;
  if (macs * content.size() < (20u << 20)) {
    for (size_t pos = 0; pos < content.size(); ++pos) {
      const size_t start = pos / lane * lane;
      std::vector<int> ctx(s.k);
      for (int j = 0; j < s.k; ++j)
        ctx[j] = pos - start > static_cast<size_t>(j) ? m->tokenOf[content[pos - 1 - j]] : s.A;
      const std::vector<uint32_t> f = nnc_test::referenceFreqs(s, ctx);
      want.insert(want.end(), f.begin(), f.end());
    }
  }

  std::vector<uint8_t> frame0;
  for (Simd v : nnc_fuzz::variants()) {
    const std::vector<uint32_t> got = frequencyTable(*m, content.data(), content.size(), lane, v);
    if (!want.empty() && got != want) nnc_fuzz::die("frequencies differ from the reference on", simdName(v));
    if (want.empty()) want = got;  // then the variants must agree with the first
    const std::vector<uint8_t> frame = compressFrame(*m, content.data(), content.size(), lane, 1, v);
    if (frame0.empty()) frame0 = frame;
    else if (frame != frame0) nnc_fuzz::die("frames differ between SIMD variants:", simdName(v));
  }
  for (Simd v : nnc_fuzz::variants())
    if (decompressFrame(m.get(), frame0.data(), frame0.size(), 2, v) != content) nnc_fuzz::die("round trip failed:", simdName(v));
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  checkModel(data, size);
  // Repaired copy: C and J made consistent with the size, checksum recomputed.
  if (size < 24) return 0;
  std::vector<uint8_t> f(data, data + size);
  const uint32_t body = static_cast<uint32_t>(size - 24);
  uint32_t J = rd32(f.data() + 12);
  if (J > body) J = 0;
  const uint32_t C = body - J;
  wr32(f.data() + 8, C);
  wr32(f.data() + 12, J);
  wr64(f.data() + size - 8, xxh64(f.data(), size - 8));
  if (std::memcmp(f.data(), data, size) != 0) checkModel(f.data(), size);
  return 0;
}
