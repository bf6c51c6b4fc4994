// Quick throughput check: a text-like model (k=16, E=16, hidden 128,128,
// A≈100) on text-like content, every SIMD variant, compress and decompress.
//   nnc_bench [MiB=4] [threads=2] [laneSize=65536]
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <string>

#include "../core/cpu_features.h"
#include "../core/frame.h"
#include "../core/kernels.h"
#include "../core/model.h"
#include "random_model.h"

using namespace nnc;
using namespace nnc_test;

int main(int argc, char** argv) {
  const double mib = argc > 1 ? std::atof(argv[1]) : 4;
  const int threads = argc > 2 ? std::atoi(argv[2]) : 2;
  const uint32_t lane = argc > 3 ? static_cast<uint32_t>(std::atoi(argv[3])) : 65536;
  Rng r(7);
  Spec want;
  want.k = 16;
  want.E = 16;
  want.H = {128, 128};
  want.T = 512;
  Spec s = randomSpec(r, want, 99);
  auto file = modelFile(s);
  auto m = parseModel(file.data(), file.size());
  // Text-like content (mostly alphabet bytes, some escapes).
  const size_t n = static_cast<size_t>(mib * 1048576);
  auto content = randomContent(r, s, n, 1);
  std::vector<Simd> vs = {Simd::Scalar};
  if (cpuFeatures().avx2) vs.push_back(Simd::Avx2);
  if (cpuFeatures().avx512) vs.push_back(Simd::Avx512);
  if (const char* e = std::getenv("NNC_SIMD")) vs = {parseSimd(e)};
  for (Simd v : vs) {
    auto t0 = std::chrono::steady_clock::now();
    auto fr = compressFrame(*m, content.data(), n, lane, threads, v);
    auto t1 = std::chrono::steady_clock::now();
    auto back = decompressFrame(m.get(), fr.data(), fr.size(), threads, v);
    auto t2 = std::chrono::steady_clock::now();
    const double c = std::chrono::duration<double>(t1 - t0).count(), d = std::chrono::duration<double>(t2 - t1).count();
    std::printf("%-7s threads=%d lane=%u: %zu -> %zu bytes (method %d); compress %.2f MB/s, decompress %.2f MB/s%s\n",
                simdName(v), threads, lane, n, fr.size(), fr[5], n / c / 1e6, n / d / 1e6, back == content ? "" : "  MISMATCH");
  }
  return 0;
}
