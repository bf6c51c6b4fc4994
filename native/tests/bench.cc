// Quick throughput check: a text-like model (k=16, E=16, hidden 128,128,
// A≈100) on text-like content, every SIMD variant, compress and decompress.
//   nnc_bench [MiB=4] [threads=2] [laneSize=65536]
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <string>

#include "../core/context.h"
#include "../core/cpu_features.h"
#include "../core/forward.h"
#include "../core/frame.h"
#include "../core/kernels.h"
#include "../core/model.h"
#include "random_model.h"

using namespace nnc;
using namespace nnc_test;

static std::vector<uint8_t> readFile(const char* path) {
  std::vector<uint8_t> v;
  if (FILE* f = std::fopen(path, "rb")) {
    uint8_t buf[65536];
    size_t k;
    while ((k = std::fread(buf, 1, sizeof buf, f)) > 0) v.insert(v.end(), buf, buf + k);
    std::fclose(f);
  }
  if (v.empty()) {
    std::fprintf(stderr, "cannot read %s\n", path);
    std::exit(2);
  }
  return v;
}

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
  s.So = std::max(1, s.So - (argc > 4 ? std::atoi(argv[4]) : -1));  // sharper distributions
  auto file = modelFile(s);
  // NNC_BENCH_MODEL=path.nncm uses that model instead; NNC_BENCH_FILE=path
  // uses that file's bytes (repeated to the size) instead of sampled data.
  if (const char* mp = std::getenv("NNC_BENCH_MODEL")) file = readFile(mp);
  auto m = parseModel(file.data(), file.size());
  // Content sampled from the model itself (so it compresses and the neural
  // path is measured), many independent 4 KiB runs batched for speed.
  const size_t n = static_cast<size_t>(mib * 1048576);
  std::vector<uint8_t> content(n);
  if (const char* fp = std::getenv("NNC_BENCH_FILE")) {
    auto src = readFile(fp);
    for (size_t i = 0; i < n; ++i) content[i] = src[i % src.size()];
  } else {
    const size_t run = 4096, nRuns = (n + run - 1) / run;
    Forward fwd(*m, kernelsFor(Simd::Auto));
    std::vector<uint16_t> ctx(kMaxBatch * m->k);
    std::vector<uint32_t> f(kMaxBatch * m->A);
    for (size_t g = 0; g < nRuns; g += kMaxBatch) {
      const int G = static_cast<int>(std::min<size_t>(kMaxBatch, nRuns - g));
      for (size_t pos = 0; pos < run; ++pos) {
        for (int q = 0; q < G; ++q) fillContext(*m, content.data() + std::min(n - 1, (g + q) * run), (g + q) * run + pos < n ? pos : 0, ctx.data() + q * m->k);
        fwd.run(ctx.data(), G, f.data());
        for (int q = 0; q < G; ++q) {
          const size_t at = (g + q) * run + pos;
          if (at >= n) continue;
          uint32_t slot = static_cast<uint32_t>(r.next() & 0xFFFF), c = 0;
          int sym = 0;
          while (c + f[q * m->A + sym] <= slot) c += f[q * m->A + sym++];
          content[at] = sym == m->A - 1 ? static_cast<uint8_t>(r.next()) : m->alphabet[sym];
        }
      }
    }
  }
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
