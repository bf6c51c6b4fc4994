// Trainer benchmark: float32 peak of this machine (measured FMA throughput
// and the nominal cores x GHz x 2 FMA x 16 lanes x 2), GFLOP/s of the large
// products at the trainer's shapes, and end-to-end training samples/s.
//   nnc_train_bench [hidden=512,512] [threads=2] [simd=auto] [batches=6]
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <string>
#include <vector>

#include "sgemm.h"
#include "thread_pool.h"
#include "trainer.h"

#if defined(__x86_64__) && (defined(__GNUC__) || defined(__clang__))
#include <immintrin.h>
#define NNC_BENCH_X86 1
#endif

using namespace nnc;
using namespace nnc::train;
using Clock = std::chrono::steady_clock;

static double since(Clock::time_point t) { return std::chrono::duration<double>(Clock::now() - t).count(); }

#ifdef NNC_BENCH_X86
// 12 independent FMA chains: enough to cover latency 4 on two pipes.
__attribute__((target("avx512f"))) static float fma512(long n) {
  __m512 c[12];
  for (int i = 0; i < 12; ++i) c[i] = _mm512_set1_ps(float(i));
  const __m512 a = _mm512_set1_ps(0.999f), b = _mm512_set1_ps(0.001f);
  for (long it = 0; it < n; ++it)
    for (int i = 0; i < 12; ++i) c[i] = _mm512_fmadd_ps(a, c[i], b);
  __m512 s = c[0];
  for (int i = 1; i < 12; ++i) s = _mm512_add_ps(s, c[i]);
  return _mm512_reduce_add_ps(s);
}
__attribute__((target("avx2,fma"))) static float fma256(long n) {
  __m256 c[12];
  for (int i = 0; i < 12; ++i) c[i] = _mm256_set1_ps(float(i));
  const __m256 a = _mm256_set1_ps(0.999f), b = _mm256_set1_ps(0.001f);
  for (long it = 0; it < n; ++it)
    for (int i = 0; i < 12; ++i) c[i] = _mm256_fmadd_ps(a, c[i], b);
  __m256 s = c[0];
  for (int i = 1; i < 12; ++i) s = _mm256_add_ps(s, c[i]);
  float f[8];
  _mm256_storeu_ps(f, s);
  return f[0];
}
#endif

static double cpuMhz() {
  std::ifstream f("/proc/cpuinfo");
  std::string line;
  while (std::getline(f, line))
    if (line.rfind("cpu MHz", 0) == 0) return std::atof(line.substr(line.find(':') + 1).c_str());
  return 0;
}

int main(int argc, char** argv) {
  std::vector<int> hidden = {512, 512};
  int threads = 2, batches = 6;
  Simd simd = Simd::Auto;
  if (argc > 1) {
    hidden.clear();
    for (const char* p = argv[1]; *p;) {
      hidden.push_back(std::atoi(p));
      while (*p && *p != ',') ++p;
      if (*p) ++p;
    }
  }
  if (argc > 2) threads = std::atoi(argv[2]);
  if (argc > 3) simd = parseSimd(argv[3]);
  if (argc > 4) batches = std::atoi(argv[4]);
  ThreadPool pool(threads);

  // ---- peak
  double peak = 0;
#ifdef NNC_BENCH_X86
  for (int w = 0; w < 2; ++w) {
    if (w == 1 && !cpuFeatures().avx512) continue;
    if (w == 0 && !cpuFeatures().avx2) continue;
    const long n = 50000000;
    volatile float sink = 0;
    auto t0 = Clock::now();
    pool.run([&](int) { sink = sink + (w ? fma512(n) : fma256(n)); });
    const double g = threads * n * 12.0 * (w ? 16 : 8) * 2 / since(t0) / 1e9;
    std::printf("measured FMA peak (%s, %d threads): %.1f GFLOP/s\n", w ? "zmm" : "ymm", threads, g);
    peak = g > peak ? g : peak;
  }
#endif
  const double mhz = cpuMhz();
  const double nominal = threads * mhz / 1000.0 * 2 * 16 * 2;
  std::printf("nominal peak %d cores x %.2f GHz x 2 FMA x 16 lanes x 2 = %.1f GFLOP/s\n", threads, mhz / 1000.0, nominal);

  // ---- products at the trainer's shapes (k=16, E=16; one 2048-row micro-batch)
  const SgemmKernel& kern = sgemmFor(simd);
  const int P = 2048, kE = 256, A = 257;
  struct Shape {
    const char* name;
    int M, N, K;
    bool ta, tb, splitRows;
  };
  std::vector<Shape> shapes;
  const int H0 = hidden[0], HL = hidden.back();
  shapes.push_back({"fwd  layer0  X0*W0^T", P, H0, kE, false, true, true});
  if (hidden.size() > 1) shapes.push_back({"fwd  layer1  Y0*W1^T", P, hidden[1], H0, false, true, true});
  shapes.push_back({"fwd  output  Y*Wo^T ", P, A, HL, false, true, true});
  shapes.push_back({"bwd  data    dZo*Wo ", P, HL, A, false, false, true});
  if (hidden.size() > 1) shapes.push_back({"bwd  data    dZ1*W1 ", P, H0, hidden[1], false, false, true});
  shapes.push_back({"grad layer0  dZ0^T*X0", H0, kE, P, true, false, false});
  if (hidden.size() > 1) shapes.push_back({"grad layer1  dZ1^T*Y0", hidden[1], H0, P, true, false, false});
  shapes.push_back({"grad output  dZo^T*Y ", A, HL, P, true, false, false});
  std::vector<float*> work(threads);
  for (auto& w : work) w = static_cast<float*>(std::aligned_alloc(64, kGemmWorkFloats * sizeof(float)));
  std::printf("\nSGEMM %s, %d threads (M split over threads for row-local products, output rows for gradients):\n", kern.name,
              threads);
  double bigFlops = 0, bigSec = 0;
  for (const Shape& s : shapes) {
    std::vector<float> Am(size_t(s.M) * s.K, 0.01f), Bm(size_t(s.K) * s.N, 0.02f), Cm(size_t(s.M) * s.N);
    auto once = [&] {
      pool.run([&](int t) {
        size_t r0, r1;
        ThreadPool::split(s.M, threads, t, kern.mr, &r0, &r1);
        GemmArgs g;
        g.M = int(r1 - r0), g.N = s.N, g.K = s.K, g.transA = s.ta, g.transB = s.tb;
        g.A = s.ta ? Am.data() + r0 : Am.data() + r0 * s.K, g.lda = s.ta ? s.M : s.K;
        g.B = Bm.data(), g.ldb = s.tb ? s.K : s.N;
        g.C = Cm.data() + r0 * s.N, g.ldc = s.N, g.accumulate = !s.splitRows;
        if (g.M > 0) kern.gemm(g, work[t]);
      });
    };
    once();
    int reps = 0;
    auto t0 = Clock::now();
    while (since(t0) < 0.4) once(), ++reps;
    const double sec = since(t0) / reps, fl = 2.0 * s.M * s.N * s.K;
    bigFlops += fl, bigSec += sec;
    std::printf("  %-22s M=%5d N=%4d K=%5d  %6.1f GFLOP/s\n", s.name, s.M, s.N, s.K, fl / sec / 1e9);
  }
  std::printf("  all products: %.1f GFLOP/s = %.0f%% of measured peak, %.0f%% of nominal\n", bigFlops / bigSec / 1e9,
              100 * bigFlops / bigSec / 1e9 / (peak > 0 ? peak : 1), 100 * bigFlops / bigSec / 1e9 / nominal);
  for (auto w : work) std::free(w);

  // ---- end-to-end training
  TrainConfig c;
  c.k = 16, c.E = 16, c.hidden = hidden, c.threads = threads, c.simd = simd, c.batch = 8192;
  for (int b = 0; b < 256; ++b) c.alphabet.push_back(uint8_t(b));
  std::vector<uint8_t> data(4 << 20);
  uint64_t x = 1;
  for (auto& b : data) {
    x = x * 6364136223846793005ull + 1442695040888963407ull;
    b = uint8_t("etaoin shrdlu cmfwyp"[(x >> 33) % 20]);
  }
  Trainer t(c);
  t.setData({{data.data(), data.size()}}, {});
  t.trainEpoch({0, -1, 8192});  // warm-up (allocations)
  t.resetTiming();
  const EpochResult r = t.trainEpoch({5e-7, -1, uint64_t(batches) * 8192});
  double macs = 0;
  for (size_t l = 0; l < hidden.size(); ++l) macs += double(hidden[l]) * (l == 0 ? 256 : hidden[l - 1]);
  macs += double(HL) * 256;  // output over A = 257 for a full alphabet (256 + ESC)
  macs += double(HL) * 1;
  const double sps = r.samples / r.seconds;
  std::printf("\ntraining k=16 E=16 hidden=");
  for (size_t l = 0; l < hidden.size(); ++l) std::printf("%s%d", l ? "-" : "", hidden[l]);
  std::printf(" A=257, %d threads, %s, batch 8192 (micro 2048), lasso on: %zu params\n", threads, t.simdName(), t.paramCount());
  std::printf("  %.0f samples/s; %.1f GFLOP/s effective (6 x %.0f MACs per sample)\n", sps, sps * 6 * macs / 1e9, macs);
  const Trainer::Timing& tm = t.timing();
  std::printf("  time split: forward+backward-data %.0f%%, weight gradients %.0f%%, lasso+Adam %.0f%%\n",
              100 * tm.phase1Seconds / r.seconds, 100 * tm.phase2Seconds / r.seconds, 100 * tm.updateSeconds / r.seconds);
  return 0;
}
