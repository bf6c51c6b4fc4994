// Standalone tests of frame method 2 ("mixed", docs/FORMAT.md section 5), run
// by ctest: round trips at several parameter blocks, frames identical
// across SIMD variants and thread counts, every corruption class of the
// parameter block, the lane table and the lane streams, invalid writer
// parameters, and cancellation. (That the stage gives the TS twin's bits is
// test/cpu-mixed.test.ts's job.)
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <functional>
#include <string>
#include <thread>
#include <vector>

#include "../core/archive.h"
#include "../core/bytes.h"
#include "../core/container.h"
#include "../core/cpu_features.h"
#include "../core/errors.h"
#include "../core/frame.h"
#include "../core/kernels.h"
#include "../core/mix/mixer_ops.h"
#include "../core/mix/params.h"
#include "../core/model.h"
#include "check.h"
#include "error_code.h"
#include "random_model.h"

using namespace nnc;
using namespace nnc_test;

namespace {

std::vector<Simd> variants() {
  std::vector<Simd> v = {Simd::Scalar};
  if (cpuFeatures().avx2 && kernelsAvx2()) v.push_back(Simd::Avx2);
  if (cpuFeatures().avx512 && kernelsAvx512()) v.push_back(Simd::Avx512);
  return v;
}

// Expert bits (FORMAT.md 5.1).
enum : uint32_t {
  O1 = 1u << 0, O2 = 1u << 1, O3 = 1u << 2, O4 = 1u << 3, O6 = 1u << 4, W = 1u << 5, O5 = 1u << 6, O8 = 1u << 7,
  S2 = 1u << 8, S3 = 1u << 9, S34 = 1u << 10, R1 = 1u << 11, R2 = 1u << 12, M = 1u << 13, NET = 1u << 14,
  MX2 = 1u << 15, APM = 1u << 16, KINDS = 0x1FFE
};

MixParams params(uint32_t mask, int hb, int mb, int a2b, int level = 0) {
  MixParams p;
  p.mask = mask;
  p.hb = static_cast<uint8_t>(mask & KINDS ? hb : 0);
  p.mb = static_cast<uint8_t>(mask & M ? mb : 0);
  p.a2b = static_cast<uint8_t>(mask & APM ? a2b : 0);
  p.level = static_cast<uint8_t>(level);
  return p;
}

// The writer's presets of src/format/mix-params.ts (levels 2..9), smallest tables where they allow.
std::vector<MixParams> blocks() {
  const uint32_t all = KINDS | O1 | M | NET | MX2 | APM;
  return {
      params(O1 | O2 | O4 | M | NET | APM, 10, 12, 8, 2),
      params(O2 | O4 | O6 | W | M | NET | APM, 11, 13, 9, 3),
      params(O1 | O2 | O4 | O6 | W | S2 | S34 | R1 | R2 | M | NET | MX2 | APM, 16, 18, 14, 6),
      params(all, 10, 12, 8, 7),
      params(all & ~NET, 12, 14, 16, 0),  // no network: no model needed to decode
      params(NET, 0, 0, 0),               // the network alone, through the stage
      params(0, 0, 0, 0),                 // bias only: useless but valid
      params(O1 | MX2, 0, 0, 0),
      params(R1 | R2 | S3 | O8 | O5 | O3, 11, 0, 0),
      params(M | APM | NET, 0, 12, 9),
  };
}

struct Fixture {
  std::shared_ptr<const Model> m;
  Spec s;
};

Fixture makeModel(uint64_t seed, int alphabet) {
  Rng r(seed);
  Spec want;
  want.k = 4;
  want.E = 4;
  want.H = {16};
  Fixture f;
  f.s = randomSpec(r, want, alphabet);
  const auto file = modelFile(f.s);
  f.m = parseModel(file.data(), file.size());
  return f;
}

// Text-like content with repeats and records (compressible, so frames are mixed, not stored).
std::vector<uint8_t> sample(Rng& r, size_t n) {
  static const char* words[] = {"the ", "mixing ", "stage ", "codes ", "every ", "bit ", "of ", "a ", "lane\n", "42, "};
  std::vector<uint8_t> v;
  while (v.size() < n) {
    const char* w = words[r.range(0, 9)];
    while (*w && v.size() < n) v.push_back(static_cast<uint8_t>(*w++));
    if (r.range(0, 50) == 0) v.push_back(static_cast<uint8_t>(r.next()));  // bytes outside any small alphabet
  }
  v.resize(n);
  return v;
}

void testRoundTrips() {
  Rng r(1);
  const Fixture fx = makeModel(11, 40);
  const Model& m = *fx.m;
  int mixed = 0;
  for (const MixParams& p : blocks()) {
    for (size_t n : {size_t(1), size_t(7), size_t(3000), size_t(20000)}) {
      const std::vector<uint8_t> c = sample(r, n);
      for (uint32_t lane : {1u, 999u, 8192u, 1u << 24}) {
        // A stage reset per lane costs its tables: lanes of 1 byte only for tiny content, the
        // default level's tables (50 MiB) only for one lane.
        if ((lane == 1 && n > 7) || (p.hb == 16 && lane < n)) continue;
        const auto fr = compressFrame(m, c.data(), n, lane, 1, Simd::Scalar, nullptr, &p);
        if (fr[5] == kMethodMixed) ++mixed;
        CHECK(fr[5] == kMethodMixed || fr[5] == kMethodStored, "method %d", fr[5]);
        if (fr[5] == kMethodMixed) {
          CHECK(rd32(fr.data() + 28) == p.mask && fr[32] == p.hb && fr[33] == p.mb && fr[34] == p.a2b && fr[35] == p.level,
                "parameter block as given");
        }
        for (int threads : {1, 3})
          for (Simd v : variants())
            if (threads != 1 || v != Simd::Scalar)
              CHECK(compressFrame(m, c.data(), n, lane, threads, v, nullptr, &p) == fr,
                    "mask %x n %zu lane %u: frame differs with %d threads, %s", p.mask, n, lane, threads, simdName(v));
        for (Simd v : variants())
          CHECK(decompressFrame(fx.m.get(), fr.data(), fr.size(), 2, v) == c, "mask %x n %zu lane %u: %s decode differs",
                p.mask, n, lane, simdName(v));
        if (fr[5] == kMethodMixed && !(p.mask & NET))
          CHECK(decompressFrame(nullptr, fr.data(), fr.size(), 2, Simd::Auto) == c, "no network: no model needed");
      }
    }
  }
  CHECK(mixed > 40, "most frames are mixed (%d)", mixed);
  // Incompressible content falls back to a stored frame.
  std::vector<uint8_t> noise(5000);
  for (auto& b : noise) b = static_cast<uint8_t>(r.next());
  const MixParams p = blocks()[2];
  const auto st = compressFrame(m, noise.data(), noise.size(), 4096, 1, Simd::Auto, nullptr, &p);
  CHECK(st[5] == kMethodStored && st.size() == noise.size() + kFrameOverhead, "noise is stored");
  CHECK(compressFrame(m, noise.data(), 0, 4096, 1, Simd::Auto, nullptr, &p)[5] == kMethodStored, "empty is stored");
}

void testWriterArgs() {
  const Fixture fx = makeModel(12, 20);
  const uint8_t c[4] = {1, 2, 3, 4};
  const auto code = [&](MixParams p) {
    return codeOf([&] { compressFrame(*fx.m, c, 4, 4096, 1, Simd::Auto, nullptr, &p); });
  };
  CHECK(code(params(NET | O2, 9, 0, 0)) == "ERR_NNC_INVALID_ARG", "HB 9");
  CHECK(code(params(NET | O2, 19, 0, 0)) == "ERR_NNC_INVALID_ARG", "HB 19");
  CHECK(code(params(NET | M, 0, 23, 0)) == "ERR_NNC_INVALID_ARG", "MB 23");
  CHECK(code(params(NET | APM, 0, 0, 7)) == "ERR_NNC_INVALID_ARG", "A2B 7");
  MixParams p = params(NET, 0, 0, 0);
  p.hb = 16;
  CHECK(code(p) == "ERR_NNC_INVALID_ARG", "HB without kinds");
  p = params(NET | (1u << 17), 0, 0, 0);
  CHECK(code(p) == "ERR_NNC_INVALID_ARG", "unknown expert");
  p = params(NET, 0, 0, 0, 10);
  CHECK(code(p) == "ERR_NNC_INVALID_ARG", "level 10");
  CHECK(code(params(NET | O2, 10, 0, 0, 9)) == "OK", "valid");
}

void testCorruption() {
  Rng r(3);
  const Fixture fx = makeModel(13, 30);
  const Fixture other = makeModel(14, 30);
  const std::vector<uint8_t> c = sample(r, 6000);
  const MixParams p = params(O1 | O2 | O4 | W | M | NET | MX2 | APM, 10, 12, 8, 5);
  const auto fr = compressFrame(*fx.m, c.data(), c.size(), 2000, 1, Simd::Scalar, nullptr, &p);
  CHECK(fr[5] == kMethodMixed, "the frame is mixed");
  const auto dec = [&](const std::vector<uint8_t>& f, const Model* m) {
    return codeOf([&] { decompressFrame(m, f.data(), f.size(), 2, Simd::Auto); });
  };
  const Model* m = fx.m.get();
  const auto mod = [&](size_t off, uint8_t v) {
    auto f = fr;
    f[off] = v;
    return f;
  };
  CHECK(dec(fr, m) == "OK", "baseline");
  CHECK(dec(mod(4, 1), m) == "ERR_NNC_UNSUPPORTED", "method 2 in a version-1 frame");
  CHECK(dec(fr, nullptr) == "ERR_NNC_INVALID_ARG", "network on, no model");
  CHECK(dec(fr, other.m.get()) == "ERR_NNC_MODEL_MISMATCH", "network on, another model");
  CHECK(dec(mod(28 + 2, 0x02), m) == "ERR_NNC_UNSUPPORTED", "mask bit 17");
  CHECK(dec(mod(28 + 3, 0x80), m) == "ERR_NNC_UNSUPPORTED", "mask bit 31");
  CHECK(dec(mod(32, 9), m) == "ERR_NNC_CORRUPT", "HB 9");
  CHECK(dec(mod(32, 19), m) == "ERR_NNC_CORRUPT", "HB 19");
  CHECK(dec(mod(33, 11), m) == "ERR_NNC_CORRUPT", "MB 11");
  CHECK(dec(mod(33, 23), m) == "ERR_NNC_CORRUPT", "MB 23");
  CHECK(dec(mod(34, 7), m) == "ERR_NNC_CORRUPT", "A2B 7");
  CHECK(dec(mod(34, 17), m) == "ERR_NNC_CORRUPT", "A2B 17");
  CHECK(dec(mod(35, 10), m) == "ERR_NNC_CORRUPT", "level 10");
  CHECK(dec(mod(35, 255), m) == "ERR_NNC_CORRUPT", "level 255");
  CHECK(dec(mod(35, 9), m) == "ERR_NNC_CHECKSUM" || dec(mod(35, 9), m) == "OK", "the level is informational");
  CHECK(dec(mod(35, 0), m) == "OK", "level 0 decodes alike");
  {  // an expert switched off with its size left: CORRUPT, whatever the stream
    auto f = fr;
    f[29] &= ~(M >> 8);  // the match model's bit, MB still 12
    CHECK(dec(f, m) == "ERR_NNC_CORRUPT", "MB for an expert that is off: %s", dec(f, m).c_str());
    f = fr;
    f[30] &= ~(APM >> 16);
    CHECK(dec(f, m) == "ERR_NNC_CORRUPT", "A2B for an expert that is off");
    f = fr;
    f[28] = static_cast<uint8_t>(f[28] & ~(O2 | O4 | W));
    CHECK(dec(f, m) == "ERR_NNC_CORRUPT", "HB for no hashed kind");
  }
  {  // B too small for the block and the lanes (8 + 8 * nLanes > B)
    auto f = fr;
    wr32(f.data() + 24, 8 + 8 * 3 - 1);
    CHECK(dec(f, m) == "ERR_NNC_CORRUPT", "payload too small for 3 lanes: %s", dec(f, m).c_str());
  }
  {  // lane table: sums, short lanes
    auto f = fr;
    f[36] += 1;
    CHECK(dec(f, m) == "ERR_NNC_CORRUPT", "lane table sum");
    f = fr;
    wr32(f.data() + 36, 3);
    CHECK(dec(f, m) == "ERR_NNC_CORRUPT", "lane < 4 bytes");
    f = fr;  // move one byte from lane 0 to lane 1: the sum holds, the streams do not
    wr32(f.data() + 36, rd32(f.data() + 36) - 1);
    wr32(f.data() + 40, rd32(f.data() + 40) + 1);
    CHECK(dec(f, m) == "ERR_NNC_CORRUPT", "lane boundary moved: %s", dec(f, m).c_str());
  }
  {  // the initial state of a lane outside [2^23, 2^31)
    auto f = fr;
    const size_t s0 = 28 + 8 + 12;
    f[s0 + 3] = 0x80;
    CHECK(dec(f, m) == "ERR_NNC_CORRUPT", "initial state");
  }
  // Every truncation: TRUNCATED; a byte more: CORRUPT.
  for (size_t cut = 0; cut < fr.size(); cut += cut < 48 ? 1 : 53)
    CHECK(dec(std::vector<uint8_t>(fr.begin(), fr.begin() + cut), m) == "ERR_NNC_TRUNCATED", "cut at %zu", cut);
  {
    auto f = fr;
    f.push_back(0);
    CHECK(dec(f, m) == "ERR_NNC_CORRUPT", "trailing byte");
  }
  // Random flips in the lane streams: CORRUPT (final state, stream used up) or CHECKSUM, never OK.
  const size_t s0 = 28 + 8 + 12;
  int corrupt = 0;
  for (int t = 0; t < 200; ++t) {
    auto f = fr;
    const size_t off = s0 + static_cast<size_t>(r.range(0, static_cast<int64_t>(f.size() - 8 - s0 - 1)));
    f[off] ^= static_cast<uint8_t>(1 << r.range(0, 7));
    const std::string code = dec(f, m);
    corrupt += code == "ERR_NNC_CORRUPT";
    CHECK(code == "ERR_NNC_CORRUPT" || code == "ERR_NNC_CHECKSUM", "flip at %zu -> %s", off, code.c_str());
  }
  CHECK(corrupt > 100, "most flips break a lane's final state (%d)", corrupt);
  // Without the network the model is informational: none, or another, decodes.
  const MixParams q = params(O1 | O2 | M | APM, 10, 12, 8);
  const auto nf = compressFrame(*fx.m, c.data(), c.size(), 2000, 1, Simd::Scalar, nullptr, &q);
  CHECK(nf[5] == kMethodMixed, "mixed without the network");
  CHECK(dec(nf, nullptr) == "OK" && dec(nf, other.m.get()) == "OK", "no network: any model or none");
  auto withNet = nf;
  withNet[29] |= NET >> 8;  // the network bit set afterwards: the model is required now
  CHECK(dec(withNet, nullptr) == "ERR_NNC_INVALID_ARG", "network bit set: model required");
  CHECK(dec(withNet, other.m.get()) == "ERR_NNC_MODEL_MISMATCH", "network bit set: model checked");
}

void testCancel() {
  Rng r(4);
  const Fixture fx = makeModel(15, 40);
  const std::vector<uint8_t> c = sample(r, 1 << 19);
  const MixParams p = params(O1 | O2 | O4 | O6 | W | S2 | S34 | R1 | R2 | M | NET | MX2 | APM, 16, 18, 14, 6);
  CancelFlag on{true};
  CHECK(codeOf([&] { compressFrame(*fx.m, c.data(), c.size(), 1 << 18, 2, Simd::Auto, &on, &p); }) == "ABORT_ERR",
        "cancel before compress");
  const auto small = compressFrame(*fx.m, c.data(), 50000, 1 << 18, 1, Simd::Auto, nullptr, &p);
  CHECK(codeOf([&] { decompressFrame(fx.m.get(), small.data(), small.size(), 2, Simd::Auto, &on); }) == "ABORT_ERR",
        "cancel before decompress");
  std::vector<uint8_t> big;
  for (int dir = 0; dir < 2; ++dir) {
    if (dir == 1) big = compressFrame(*fx.m, c.data(), c.size(), 1 << 18, 2, Simd::Auto, nullptr, &p);
    CHECK(dir == 0 || big[5] == kMethodMixed, "the frame to cancel is mixed");
    CancelFlag flag{false};
    const auto t0 = std::chrono::steady_clock::now();
    std::thread stopper([&] {
      std::this_thread::sleep_for(std::chrono::milliseconds(50));
      flag = true;
    });
    const std::string code = codeOf([&] {
      if (dir == 0) compressFrame(*fx.m, c.data(), c.size(), 1 << 18, 2, Simd::Auto, &flag, &p);
      else decompressFrame(fx.m.get(), big.data(), big.size(), 2, Simd::Auto, &flag);
    });
    stopper.join();
    const double ms = std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - t0).count();
    CHECK(code == "ABORT_ERR", "cancel mid-%s: %s", dir ? "decompress" : "compress", code.c_str());
    CHECK(ms < 1000, "cancel mid-%s took %.0f ms", dir ? "decompress" : "compress", ms);
  }
}

// The AVX2 mixer rows give the scalar rows' bits, at the bounds too
// (|w| = 2^20, |x| = 2047, |e| = 4095·8: the widest products and sums).
void testMixerOps() {
  const mix::MixerOps* avx2 = mix::mixerOpsAvx2();
  if (!avx2 || !cpuFeatures().avx2) {
    std::printf("mixer ops: no AVX2 here, scalar only\n");
    return;
  }
  Rng r(5);
  alignas(64) int32_t w[32], w2[32], x[32];
  for (int t = 0; t < 20000; ++t) {
    const int n = 8 * static_cast<int>(r.range(1, 4));
    const bool edge = t % 4 == 0;
    for (int i = 0; i < n; ++i) {
      w[i] = edge ? (r.range(0, 1) ? 1 << 20 : -(1 << 20)) : static_cast<int32_t>(r.range(-(1 << 20), 1 << 20));
      x[i] = edge ? (r.range(0, 1) ? 2047 : -2047) : static_cast<int32_t>(r.range(-2047, 2047));
      w2[i] = w[i];
    }
    CHECK(avx2->dot(w, x, n) == mix::kMixerScalar.dot(w, x, n), "dot differs (n %d)", n);
    const int e = edge ? (r.range(0, 1) ? 4095 * 8 : -4095 * 8) : static_cast<int>(r.range(-4095 * 8, 4095 * 8));
    avx2->train(w, x, n, e);
    mix::kMixerScalar.train(w2, x, n, e);
    bool same = true;
    for (int i = 0; i < n; ++i) same &= w[i] == w2[i];
    CHECK(same, "train differs (n %d, e %d)", n, e);
  }
}

}  // namespace

int main() {
  testMixerOps();
  testWriterArgs();
  testCorruption();
  testRoundTrips();
  testCancel();
  std::printf("%d checks, %d failures\n", checks, failures);
  return failures ? 1 : 0;
}
