// Shared by the libFuzzer targets (see README.md here).
//
// Every target runs its input once per SIMD variant the CPU has (scalar,
// avx2, avx512) and requires the variants to agree: same bytes out, or the
// same error code. Any other exception than nnc::Error, any sanitizer
// report, or a disagreement aborts the run (a crash, for libFuzzer).
#pragma once

#include <cstdio>
#include <cstdlib>
#include <memory>
#include <string>
#include <vector>

#include "../core/cpu_features.h"
#include "../core/errors.h"
#include "../core/kernels.h"
#include "../core/model.h"

namespace nnc_fuzz {

inline const std::vector<nnc::Simd>& variants() {
  static const std::vector<nnc::Simd> v = [] {
    std::vector<nnc::Simd> out = {nnc::Simd::Scalar};
    if (nnc::cpuFeatures().avx2 && nnc::kernelsAvx2()) out.push_back(nnc::Simd::Avx2);
    if (nnc::cpuFeatures().avx512 && nnc::kernelsAvx512()) out.push_back(nnc::Simd::Avx512);
    return out;
  }();
  return v;
}

[[noreturn]] inline void die(const char* what, const std::string& detail = "") {
  std::fprintf(stderr, "nnc fuzz: %s %s\n", what, detail.c_str());
  std::abort();
}

// The outcome of one call: "OK:" + a digest of the bytes, or the error code.
template <class Fn>
std::string outcome(Fn fn) {
  try {
    const std::vector<uint8_t> out = fn();
    uint64_t h = 1469598103934665603ull;
    for (uint8_t b : out) h = (h ^ b) * 1099511628211ull;
    return "OK:" + std::to_string(out.size()) + ":" + std::to_string(h);
  } catch (const nnc::Error& e) {
    if (e.code() == nnc::Code::Internal) die("internal error:", e.message());
    return nnc::codeString(e.code());
  }
  // std::bad_alloc and anything else propagate: libFuzzer reports them.
}

inline std::vector<uint8_t> readFile(const std::string& path) {
  std::vector<uint8_t> v;
  FILE* f = std::fopen(path.c_str(), "rb");
  if (!f) die("cannot read", path);
  uint8_t buf[65536];
  size_t k;
  while ((k = std::fread(buf, 1, sizeof buf, f)) > 0) v.insert(v.end(), buf, buf + k);
  std::fclose(f);
  return v;
}

// The models the decode and round-trip targets use: the golden model
// (test/fixtures/golden, k=16, A=91) and a tiny one (native/fuzz/tiny.nncm,
// A=4), under which random bytes often decode for a while. The seed corpus
// (scripts/make-fuzz-corpus.mjs) holds archives made with both.
inline const std::vector<std::shared_ptr<const nnc::Model>>& models() {
  static const std::vector<std::shared_ptr<const nnc::Model>> m = [] {
    std::vector<std::shared_ptr<const nnc::Model>> out;
    for (const char* rel : {"/test/fixtures/golden/model.nncm", "/native/fuzz/tiny.nncm"}) {
      const std::vector<uint8_t> b = readFile(std::string(NNC_SOURCE_DIR) + rel);
      out.push_back(nnc::parseModel(b.data(), b.size()));
    }
    return out;
  }();
  return m;
}

// The loaded model whose ID the frame names, else the first (which then
// fails with ERR_NNC_MODEL_MISMATCH, as a user's wrong model would).
inline const nnc::Model* modelFor(uint64_t id) {
  for (const auto& m : models())
    if (m->id == id) return m.get();
  return models()[0].get();
}

}  // namespace nnc_fuzz

// Runs once per process, before the first input: say which variants run.
extern "C" int LLVMFuzzerInitialize(int*, char***) {
  std::string names;
  for (nnc::Simd v : nnc_fuzz::variants()) names += std::string(" ") + nnc::simdName(v);
  std::fprintf(stderr, "nnc fuzz: every input runs on SIMD variants:%s\n", names.c_str());
  return 0;
}
