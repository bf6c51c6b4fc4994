// Standalone tests of the C++ core (no Node): run by ctest.
//   - xxh64 vectors
//   - engine frequencies == from-the-spec reference, every SIMD variant
//   - round trips at boundary sizes, every variant pair (encode X, decode Y)
//   - frames byte-identical across variants and thread counts
//   - corrupt / truncated frames and hostile models give their codes
//   - the context-model step (context.h) and the Forward steps
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <functional>
#include <thread>
#include <string>
#include <vector>

#include "../core/cpu_features.h"
#include "../core/errors.h"
#include "../core/archive.h"
#include "../core/container.h"
#include "../core/context.h"
#include "../core/forward.h"
#include "../core/frame.h"
#include "../core/kernels.h"
#include "../core/model.h"
#include "../core/model_file.h"
#include "../core/xxhash64.h"
#include "check.h"
#include "error_code.h"
#include "random_model.h"

using namespace nnc;
using namespace nnc_test;

static int models16 = 0, models32 = 0, rq32 = 0, rq64 = 0, d32 = 0, d64 = 0;

static std::vector<Simd> variants() {
  std::vector<Simd> v = {Simd::Scalar};
  if (cpuFeatures().avx2 && kernelsAvx2()) v.push_back(Simd::Avx2);
  if (cpuFeatures().avx512 && kernelsAvx512()) v.push_back(Simd::Avx512);
  // NNC_SIMD limits the matrix to one variant (plus scalar as the reference).
  if (const char* e = std::getenv("NNC_SIMD")) {
    std::vector<Simd> only = {Simd::Scalar};
    const Simd want = parseSimd(e);
    if (want != Simd::Scalar && want != Simd::Auto) only.push_back(want);
    return only;
  }
  return v;
}

static void testXxh() {
  const char* abc = "abc";
  CHECK(xxh64(nullptr, 0) == 0xEF46DB3751D8E999ULL, "xxh64('')");
  CHECK(xxh64(reinterpret_cast<const uint8_t*>(abc), 3) == 0x44BC2CF5AD770999ULL, "xxh64('abc')");
  CHECK(hex64(0x0123456789abcdefULL) == "0123456789abcdef", "hex64");
}

static void testFreqsAgainstReference(uint64_t seed) {
  Rng r(seed);
  Spec s = randomSpec(r);
  auto file = modelFile(s);
  auto m = parseModel(file.data(), file.size());
  const size_t n = static_cast<size_t>(r.range(1, 300));
  const uint32_t laneSize = static_cast<uint32_t>(r.range(1, 80));
  auto content = randomContent(r, s, n, 10);
  (m->F16.empty() ? models32 : models16)++;
  for (const auto& q : m->rq) (q.thr.empty() ? rq64 : rq32)++;
  (m->dThr ? d32 : d64)++;
  std::vector<uint32_t> scalar = frequencyTable(*m, content.data(), n, laneSize, Simd::Scalar);
  // The reference on a sample of positions (it is slow).
  for (size_t i = 0; i < n; i += 1 + n / 40) {
    std::vector<int> ctx(s.k);
    const size_t ls = i / laneSize * laneSize;
    for (int j = 0; j < s.k; ++j) {
      const int64_t idx = static_cast<int64_t>(i) - 1 - j;
      ctx[j] = idx >= static_cast<int64_t>(ls) ? m->tokenOf[content[idx]] : s.A;
    }
    auto ref = referenceFreqs(s, ctx);
    bool same = true;
    uint32_t sum = 0;
    for (int a = 0; a < s.A; ++a) {
      same = same && ref[a] == scalar[i * s.A + a];
      sum += scalar[i * s.A + a];
      CHECK(scalar[i * s.A + a] >= 1, "seed %llu freq 0", (unsigned long long)seed);
    }
    CHECK(same, "seed %llu pos %zu: scalar engine != spec reference", (unsigned long long)seed, i);
    CHECK(sum == 65536, "seed %llu pos %zu: sum %u", (unsigned long long)seed, i, sum);
  }
  for (Simd v : variants()) {
    auto t = frequencyTable(*m, content.data(), n, laneSize, v);
    CHECK(t == scalar, "seed %llu: %s frequency table differs from scalar", (unsigned long long)seed, simdName(v));
  }
}

// The parser hands over every field and tensor exactly as the file holds
// them (ModelTensors), whatever layouts an engine then builds.
static void testModelTensors(uint64_t seed) {
  Rng r(seed);
  const Spec s = randomSpec(r);
  const std::vector<uint8_t> canon = canonical(s);
  const std::string meta = "{\"seed\":" + std::to_string(seed) + "}";
  const std::vector<uint8_t> file = wrapModel(canon, meta);
  const ModelTensors t = parseModelFile(file.data(), file.size());
  CHECK(sameSpec(specOf(t), s), "seed %llu: ModelTensors differ from the tensors written", (unsigned long long)seed);
  CHECK(t.L == static_cast<int>(s.H.size()), "seed %llu: L", (unsigned long long)seed);
  CHECK(t.id == xxh64(canon.data(), canon.size()) && t.idHex == hex64(t.id), "seed %llu: model ID", (unsigned long long)seed);
  CHECK(t.canonicalSize == canon.size() && t.metadataSize == meta.size(), "seed %llu: section sizes", (unsigned long long)seed);
  const auto m = buildCpuModel(t);
  CHECK(m->id == t.id && m->k == t.k && m->A == t.A, "seed %llu: the CPU model keeps the file's fields", (unsigned long long)seed);
}

// The container: one header writer for every frame, read back by the parser;
// a stored frame decodes without a model.
static void testContainer() {
  uint8_t h[kFrameHeader];
  const uint32_t N = 1000, lane = 7, nLanes = (N + lane - 1) / lane;
  writeFrameHeader(h, kMethodNeural, 0x0123456789abcdefULL, N, lane, 8 * nLanes);
  const FrameHeader fh = parseFrameHeader(h, sizeof h, false);
  CHECK(fh.version == kFrameVersion && fh.method == kMethodNeural && fh.modelId == 0x0123456789abcdefULL, "neural header");
  CHECK(fh.N == N && fh.laneSize == lane && fh.B == 8 * nLanes && fh.nLanes == nLanes, "neural header sizes");
  CHECK(fh.frameSize == kFrameOverhead + 8 * nLanes, "neural frame size");
  CHECK(codeOf([&] { parseFrameHeader(h, sizeof h, true); }) == "ERR_NNC_TRUNCATED", "header without its payload");
  for (size_t len : {size_t{0}, size_t{1}, size_t{333}}) {
    std::vector<uint8_t> content(len);
    for (size_t i = 0; i < len; ++i) content[i] = static_cast<uint8_t>(i * 7);
    const std::vector<uint8_t> f = storedFrame(42, content.data(), len);
    const FrameHeader s = parseFrameHeader(f.data(), f.size(), true);
    CHECK(s.method == kMethodStored && s.modelId == 42 && s.N == len && s.B == len && s.laneSize == 0 &&
              s.frameSize == f.size(),
          "stored header of %zu bytes", len);
    CHECK(frameChecksum(f.data(), s) == xxh64(content.data(), len), "stored checksum of %zu bytes", len);
    CHECK(decompressFrame(nullptr, f.data(), f.size(), 1, Simd::Auto) == content, "stored frame of %zu bytes", len);
  }
}

// The context model the codecs drive (reset / inputs / push, and seek for a
// range that starts mid-lane) holds the FORMAT.md 2.1 context at every
// position; k = 64 makes its window wrap many times. And Forward::run is its
// three steps, logits -> mix -> frequencies.
static void testContextModel(uint64_t seed, bool maxK) {
  Rng r(seed);
  Spec want;
  if (maxK) {
    want.k = 64;
    want.E = 2;
    want.H = {8};
  }
  Spec s = randomSpec(r, want);
  auto file = modelFile(s);
  auto m = parseModel(file.data(), file.size());
  const size_t n = static_cast<size_t>(r.range(300, 2000));
  const uint32_t laneSize = static_cast<uint32_t>(r.chance(20) ? r.range(1, 4) : r.range(5, 700));
  auto content = randomContent(r, s, n, 10);
  TokenContext cm(*m);
  std::vector<uint16_t> got(s.k), ref(s.k);
  int bad = 0;
  for (size_t i = 0; i < n; ++i) {
    if (i % laneSize == 0) cm.reset();
    const size_t ls = i / laneSize * laneSize;
    fillContext(*m, content.data() + ls, i - ls, ref.data());
    cm.inputs(got.data());
    bad += got != ref;
    if (r.chance(5)) {
      TokenContext sk(*m);
      sk.seek(content.data() + ls, i - ls);
      sk.inputs(got.data());
      bad += got != ref;
    }
    cm.push(content[i]);
  }
  CHECK(bad == 0, "seed %llu k=%d lane %u: the context model differs from FORMAT.md 2.1 at %d positions",
        (unsigned long long)seed, s.k, laneSize, bad);

  const int P = static_cast<int>(std::min<size_t>(kMaxBatch, n / s.k));
  std::vector<uint16_t> ctx(static_cast<size_t>(P) * s.k);
  for (auto& t : ctx) t = static_cast<uint16_t>(r.range(0, s.A));
  for (Simd v : variants()) {
    Forward fwd(*m, kernelsFor(v));
    std::vector<uint32_t> a(static_cast<size_t>(P) * s.A), b(a.size());
    fwd.run(ctx.data(), P, a.data());
    int32_t* z = fwd.logits(ctx.data(), P);
    CHECK(fwd.mix(z, P) == z, "mix is the identity in format v1");
    fwd.frequencies(z, P, b.data());
    CHECK(a == b, "seed %llu %s: run != frequencies(mix(logits))", (unsigned long long)seed, simdName(v));
  }
}

static void testRoundTrip(uint64_t seed, bool big) {
  Rng r(seed);
  Spec s = randomSpec(r);
  auto file = modelFile(s);
  auto m = parseModel(file.data(), file.size());
  const uint32_t laneSize = static_cast<uint32_t>(r.chance(20) ? r.range(1, 4) : r.range(5, big ? 5000 : 200));
  std::vector<size_t> sizes = {0, 1, 2, laneSize - 1u, laneSize, laneSize + 1u, 3u * laneSize, 3u * laneSize + 1u};
  sizes.push_back(static_cast<size_t>(r.range(1, big ? 40000 : 1500)));
  for (size_t n : sizes) {
    if (n == 0 && laneSize == 1) continue;
    const int kind = static_cast<int>(r.range(0, 3));
    std::vector<uint8_t> content;
    if (kind == 0) content = randomContent(r, s, n, 3);
    else if (kind == 1) content = randomContent(r, s, n, 50);
    else if (kind == 2) { content.resize(n); for (size_t i = 0; i < n; ++i) content[i] = static_cast<uint8_t>(i * 7 + (i >> 8)); }
    else content.assign(n, s.alphabet.empty() ? 0 : s.alphabet[0]);
    const std::vector<uint8_t> ref = compressFrame(*m, content.data(), n, laneSize, 1, Simd::Scalar);
    // Frame sanity: stored iff neural would not be smaller.
    CHECK(ref.size() >= 36, "frame too small");
    if (ref[5] == 1) CHECK(ref.size() - 36 < n, "neural frame not smaller than content");
    else CHECK(ref.size() == 36 + n, "stored frame size");
    for (Simd v : variants()) {
      for (int th : {1, 2, 3}) {
        auto fr = compressFrame(*m, content.data(), n, laneSize, th, v);
        CHECK(fr == ref, "seed %llu n %zu lane %u: %s/%d threads frame differs from scalar", (unsigned long long)seed, n,
              laneSize, simdName(v), th);
      }
      auto back = decompressFrame(m.get(), ref.data(), ref.size(), static_cast<int>(r.range(1, 3)), v);
      CHECK(back == content, "seed %llu n %zu lane %u: %s decode differs", (unsigned long long)seed, n, laneSize,
            simdName(v));
    }
    // Stored frames decode without a model.
    if (ref[5] == 0) CHECK(decompressFrame(nullptr, ref.data(), ref.size(), 1, Simd::Scalar) == content, "stored, no model");
  }
}

// Force neural frames: a model whose alphabet covers the content and a
// highly predictable content (runs), so the stored fallback does not hide
// the coder. Also escapes on every other byte.
static void testNeuralForced(uint64_t seed) {
  Rng r(seed);
  Spec s = randomSpec(r, Spec(), 4);
  auto file = modelFile(s);
  auto m = parseModel(file.data(), file.size());
  const size_t n = 20000;
  std::vector<uint8_t> c(n, s.alphabet[0]);
  for (size_t i = 0; i < n; i += 97) c[i] = s.alphabet[1];
  for (uint32_t lane : {1u, 2u, 63u, 64u, 65u, 4096u, 20000u}) {
    auto fr = compressFrame(*m, c.data(), n, lane, 2, Simd::Scalar);
    const bool neural = fr[5] == 1;
    for (Simd v : variants()) {
      CHECK(compressFrame(*m, c.data(), n, lane, 2, v) == fr, "forced: %s frame differs", simdName(v));
      CHECK(decompressFrame(m.get(), fr.data(), fr.size(), 2, v) == c, "forced: %s decode differs (neural %d)",
            simdName(v), neural);
    }
  }
}

static void testCorruption(uint64_t seed) {
  Rng r(seed);
  Spec s = randomSpec(r, Spec(), 3);
  auto file = modelFile(s);
  auto m = parseModel(file.data(), file.size());
  const size_t n = 5000;
  std::vector<uint8_t> c(n, s.alphabet[0]);
  for (size_t i = 0; i < n; i += 13) c[i] = s.alphabet[1 + (i / 13) % 2];
  for (size_t i = 5; i < n; i += 501) c[i] = 0xFF ^ s.alphabet[0];  // escapes (alphabet has 3 of 256)
  auto fr = compressFrame(*m, c.data(), n, 1000, 1, Simd::Scalar);
  if (fr[5] != 1) {
    std::fprintf(stderr, "note: seed %llu corruption test got a stored frame\n", (unsigned long long)seed);
    return;
  }
  auto dec = [&](std::vector<uint8_t> f, const Model* mm = nullptr) {
    return codeOf([&] { decompressFrame(mm ? mm : m.get(), f.data(), f.size(), 1, Simd::Auto); });
  };
  CHECK(dec(fr) == "OK", "baseline");
  // Every truncation point is TRUNCATED.
  for (size_t cut = 0; cut < fr.size(); cut += (cut < 40 ? 1 : 37)) {
    std::vector<uint8_t> t(fr.begin(), fr.begin() + cut);
    CHECK(dec(t) == "ERR_NNC_TRUNCATED", "cut %zu -> %s", cut, dec(t).c_str());
  }
  auto mod = [&](size_t off, uint8_t v) { auto f = fr; f[off] = v; return f; };
  CHECK(dec(mod(0, 0x88)) == "ERR_NNC_CORRUPT", "magic");
  CHECK(fr[4] == 2, "frames are written as version 2");
  CHECK(dec(mod(4, 1)) == "OK", "version 1 (legacy) frames decode");
  CHECK(dec(mod(4, 3)) == "ERR_NNC_UNSUPPORTED", "version 3");
  CHECK(dec(mod(4, 0)) == "ERR_NNC_UNSUPPORTED", "version 0");
  CHECK(dec(mod(5, 3)) == "ERR_NNC_UNSUPPORTED", "method 3");
  {  // method 2 exists in version-2 frames only (mix_test.cc tests it)
    auto f = mod(5, 2);
    f[4] = 1;
    CHECK(dec(f) == "ERR_NNC_UNSUPPORTED", "method 2 in a version-1 frame");
  }
  CHECK(dec(mod(6, 1)) == "ERR_NNC_UNSUPPORTED", "flags");
  CHECK(dec(mod(8, fr[8] ^ 1)) == "ERR_NNC_MODEL_MISMATCH", "model id");
  CHECK(dec(mod(19, 0x10)) == "ERR_NNC_CORRUPT", "N > 2^26");
  CHECK(dec(mod(20, 0) ) != "OK" || true, "");
  {
    auto f = fr; f[20] = f[21] = f[22] = f[23] = 0;
    CHECK(dec(f) == "ERR_NNC_CORRUPT", "laneSize 0: %s", dec(f).c_str());
  }
  {
    auto f = fr; f.push_back(0);
    CHECK(dec(f) == "ERR_NNC_CORRUPT", "trailing byte");
  }
  {  // lane table: first length + 1 -> sums differ
    auto f = fr; f[28] += 1;
    CHECK(dec(f) == "ERR_NNC_CORRUPT", "lane table sum: %s", dec(f).c_str());
  }
  {  // lane length < 4
    auto f = fr; f[28] = 3; f[29] = f[30] = f[31] = 0;
    CHECK(dec(f) == "ERR_NNC_CORRUPT", "lane < 4");
  }
  {  // checksum
    auto f = fr;
    if (f.size() < kFrameOverhead) return;
    f.back() ^= 0x40;
    CHECK(dec(f) == "ERR_NNC_CHECKSUM", "checksum: %s", dec(f).c_str());
  }
  {  // no model for a neural frame
    CHECK(codeOf([&] { decompressFrame(nullptr, fr.data(), fr.size(), 1, Simd::Auto); }) == "ERR_NNC_INVALID_ARG", "null model");
  }
  // Random payload bit flips: CORRUPT or CHECKSUM, never OK, never a crash.
  const size_t payload0 = 28 + 4 * 5;
  for (int t = 0; t < 300; ++t) {
    auto f = fr;
    const size_t off = payload0 + static_cast<size_t>(r.range(0, static_cast<int64_t>(f.size() - 8 - payload0 - 1)));
    f[off] ^= static_cast<uint8_t>(1 << r.range(0, 7));
    const std::string code = dec(f);
    CHECK(code == "ERR_NNC_CORRUPT" || code == "ERR_NNC_CHECKSUM", "flip at %zu -> %s", off, code.c_str());
  }
  // A stored frame with a payload size that differs from N.
  auto st = compressFrame(*m, c.data(), 10, 1000, 1, Simd::Scalar);
  if (st[5] == 0) {
    auto f = st; f[24] = 9; f.pop_back();
    CHECK(dec(f) == "ERR_NNC_CORRUPT", "stored B != N");
  }
}

static void testHostileModels() {
  Rng r(99);
  Spec s = randomSpec(r);
  auto canon = canonical(s);
  auto good = wrapModel(canon);
  auto code = [](const std::vector<uint8_t>& f) { return codeOf([&] { parseModel(f.data(), f.size()); }); };
  CHECK(code(good) == "OK", "good model");
  auto fixsum = [](std::vector<uint8_t> f) {
    f.resize(f.size() - 8);
    put64(f, xxh64(f.data(), f.size()));
    return f;
  };
  {
    auto f = good; f[0] = 0;
    CHECK(code(f) == "ERR_NNC_BAD_MODEL", "magic");
  }
  {
    auto f = good; f[4] = 2; f = fixsum(f);
    CHECK(code(f) == "ERR_NNC_UNSUPPORTED", "version");
  }
  {  // header claims a huge canonical section
    auto f = good; f[8] = 0xFF; f[9] = 0xFF; f[10] = 0xFF; f[11] = 0x0F;
    CHECK(code(f) == "ERR_NNC_BAD_MODEL", "huge C");
    f[11] = 0xFF;
    CHECK(code(f) == "ERR_NNC_BAD_MODEL", "C > 2^28");
  }
  {
    auto f = good; f.pop_back();
    CHECK(code(f) == "ERR_NNC_BAD_MODEL", "truncated");
  }
  {
    auto f = good; f[20] ^= 1;
    CHECK(code(f) == "ERR_NNC_BAD_MODEL", "checksum");
  }
  CHECK(code(std::vector<uint8_t>(good.begin(), good.begin() + 10)) == "ERR_NNC_BAD_MODEL", "short");
  // Field-level: change the canonical section and re-wrap (valid checksum).
  auto withCanon = [&](std::function<void(std::vector<uint8_t>&)> fn) {
    auto c = canon;
    fn(c);
    return code(wrapModel(c));
  };
  CHECK(withCanon([](auto& c) { c[0] = 0; }) == "ERR_NNC_BAD_MODEL", "k=0");
  CHECK(withCanon([](auto& c) { c[0] = 65; }) == "ERR_NNC_BAD_MODEL", "k=65");
  CHECK(withCanon([](auto& c) { c[1] = 200; }) == "ERR_NNC_BAD_MODEL", "E=200");
  CHECK(withCanon([](auto& c) { c[2] = 5; }) == "ERR_NNC_BAD_MODEL", "L=5");
  CHECK(withCanon([](auto& c) { c[3] = 1; }) == "ERR_NNC_BAD_MODEL", "reserved");
  CHECK(code(wrapModel(canon, "[1]")) == "ERR_NNC_BAD_MODEL", "metadata array");
  CHECK(code(wrapModel(canon, "{\"a\":")) == "ERR_NNC_BAD_MODEL", "metadata truncated");
  CHECK(code(wrapModel(canon, "{\"a\":\"\xff\"}")) == "ERR_NNC_BAD_MODEL", "metadata bad utf-8");
  CHECK(code(wrapModel(canon, "\xEF\xBB\xBF {\"a\": [1, -2.5e3, true, null, {\"b\": \"\\u00e9\"}], \"c\": {}}\n")) == "OK", "metadata ok");
  CHECK(code(wrapModel(canon, "{\"a\": 01}")) == "ERR_NNC_BAD_MODEL", "metadata leading zero");
  CHECK(code(wrapModel(canon, "{} x")) == "ERR_NNC_BAD_MODEL", "metadata trailing");
  CHECK(withCanon([](auto& c) { c[4] = 0xFF; c[5] = 0xFF; }) == "ERR_NNC_BAD_MODEL", "A huge");
  CHECK(withCanon([](auto& c) { c[6] = 0xFF; c[7] = 0xFF; }) == "ERR_NNC_BAD_MODEL", "T huge");
  CHECK(withCanon([](auto& c) { c[8] = 0xFF; c[9] = 0x7F; }) == "ERR_NNC_BAD_MODEL", "H huge");
  CHECK(withCanon([](auto& c) { c.push_back(0); }) == "ERR_NNC_BAD_MODEL", "extra byte");
  CHECK(withCanon([](auto& c) { c.pop_back(); }) == "ERR_NNC_BAD_MODEL", "missing byte");
  // Spec-level checks via the Spec.
  auto specCode = [&](std::function<void(Spec&)> fn) {
    Spec t = s;
    fn(t);
    return code(modelFile(t));
  };
  CHECK(specCode([](Spec& t) { t.exp[0] = 65535; }) == "ERR_NNC_BAD_MODEL", "EXP[0]");
  CHECK(specCode([](Spec& t) { t.exp[1] = 65537; }) == "ERR_NNC_BAD_MODEL", "EXP increasing");
  CHECK(specCode([](Spec& t) { t.S[0] = 0; }) == "ERR_NNC_BAD_MODEL", "S=0");
  CHECK(specCode([](Spec& t) { t.S[0] = 41; }) == "ERR_NNC_BAD_MODEL", "S=41");
  CHECK(specCode([](Spec& t) { t.So = 0; }) == "ERR_NNC_BAD_MODEL", "So=0");
  CHECK(specCode([](Spec& t) { t.b[0][0] = 0x7FFFFFFF; }) == "ERR_NNC_BAD_MODEL", "layer-0 bound");
  CHECK(specCode([](Spec& t) { t.bo[0] = -0x7FFFFFFF; }) == "ERR_NNC_BAD_MODEL", "output bound");
  CHECK(specCode([](Spec& t) {
          if (t.alphabet.size() >= 2) std::swap(t.alphabet[0], t.alphabet[1]);
          else t.alphabet.push_back(t.alphabet[0]), t.A++, t.emb.resize((t.A + 1) * t.E), t.Wo.resize(t.A * t.H.back()), t.bo.resize(t.A);
        }) == "ERR_NNC_BAD_MODEL",
        "alphabet order");
  // Exactly at the bound passes; one over fails (layer 0: 128*sum|W| + |b| < 2^31).
  {
    Spec t = s;
    int64_t sumw = 0;
    const int n0 = t.k * t.E;
    for (int i = 0; i < n0; ++i) sumw += std::abs(t.W[0][i]);
    const int64_t limit = (int64_t{1} << 31) - 1 - 128 * sumw;
    t.b[0][0] = static_cast<int32_t>(limit);
    CHECK(code(modelFile(t)) == "OK", "bound edge ok");
    if (limit < 0x7FFFFFFF) {
      t.b[0][0] = static_cast<int32_t>(limit + 1);
      CHECK(code(modelFile(t)) == "ERR_NNC_BAD_MODEL", "bound edge + 1");
    }
  }
  // The model ID ignores metadata.
  {
    auto a = parseModel(good.data(), good.size());
    auto f2 = wrapModel(canon, "{\"name\":\"other\"}");
    auto b = parseModel(f2.data(), f2.size());
    CHECK(a->id == b->id && a->id == xxh64(canon.data(), canon.size()), "model id");
    auto f3 = wrapModel(canon, "");
    CHECK(code(f3) == "OK", "J = 0");
  }
}

// Random mutations of a valid canonical section, re-wrapped with a valid
// checksum: the parser must answer OK or ERR_NNC_BAD_MODEL (never crash,
// never over-allocate), and a model it accepts must code round trips.
static void testModelFuzz(uint64_t seed) {
  Rng r(seed);
  for (int round = 0; round < 60; ++round) {
    Spec s = randomSpec(r);
    auto canon = canonical(s);
    const int muts = static_cast<int>(r.range(1, 4));
    for (int k = 0; k < muts; ++k) {
      const size_t at = r.chance(50) ? static_cast<size_t>(r.range(0, 15)) : static_cast<size_t>(r.range(0, static_cast<int64_t>(canon.size()) - 1));
      if (at < canon.size()) canon[at] = static_cast<uint8_t>(r.next());
    }
    if (r.chance(10)) canon.resize(static_cast<size_t>(r.range(0, static_cast<int64_t>(canon.size()))));
    if (canon.empty()) canon.push_back(1);
    auto file = wrapModel(canon);
    std::shared_ptr<const Model> m;
    const std::string code = codeOf([&] { m = parseModel(file.data(), file.size()); });
    CHECK(code == "OK" || code == "ERR_NNC_BAD_MODEL", "model fuzz %d: %s", round, code.c_str());
    if (m) {
      std::vector<uint8_t> c(static_cast<size_t>(r.range(0, 500)));
      for (auto& b : c) b = static_cast<uint8_t>(r.next());
      for (Simd v : variants()) {
        auto fr = compressFrame(*m, c.data(), c.size(), 37, 1, v);
        CHECK(decompressFrame(m.get(), fr.data(), fr.size(), 2, v) == c, "fuzzed model round trip");
      }
    }
  }
}

static void testArgs() {
  Rng r(5);
  Spec s = randomSpec(r);
  auto file = modelFile(s);
  auto m = parseModel(file.data(), file.size());
  uint8_t b[4] = {1, 2, 3, 4};
  CHECK(codeOf([&] { compressFrame(*m, b, 4, 0, 1, Simd::Scalar); }) == "ERR_NNC_INVALID_ARG", "laneSize 0");
  CHECK(codeOf([&] { compressFrame(*m, b, 4, (1u << 24) + 1, 1, Simd::Scalar); }) == "ERR_NNC_INVALID_ARG", "laneSize big");
  CHECK(codeOf([&] { compressFrame(*m, b, 4, 10, -1, Simd::Scalar); }) == "ERR_NNC_INVALID_ARG", "threads -1");
  CHECK(codeOf([&] { parseSimd("sse"); }) == "ERR_NNC_INVALID_ARG", "simd name");
  if (!cpuFeatures().avx512)
    CHECK(codeOf([&] { compressFrame(*m, b, 4, 10, 1, Simd::Avx512); }) == "ERR_NNC_UNSUPPORTED", "avx512 missing");
  // An empty input is one stored frame with N = 0.
  auto e = compressFrame(*m, nullptr, 0, 65536, 1, Simd::Auto);
  CHECK(e.size() == 36 && e[5] == 0, "empty frame");
  CHECK(decompressFrame(nullptr, e.data(), e.size(), 1, Simd::Auto).empty(), "empty decode");
}

// Cancellation: a set flag stops compress and decompress with ABORT_ERR,
// before any work and in the middle of a long job on several threads; an
// unset flag changes nothing. Archive splitting: concatenated frames decode,
// trailing garbage and truncation fail with their codes.
static void testCancelAndArchive() {
  Rng r(9);
  Spec want;
  want.k = 8;
  want.E = 8;
  want.H = {64, 64};
  // A tiny alphabet and runs: predictable, so the frames are neural.
  Spec s = randomSpec(r, want, 4);
  auto file = modelFile(s);
  auto m = parseModel(file.data(), file.size());
  std::vector<uint8_t> c(4 << 20, s.alphabet[0]);
  for (size_t i = 0; i < c.size(); i += 97) c[i] = s.alphabet[1];
  CancelFlag on{true}, off{false};
  CHECK(codeOf([&] { compressFrame(*m, c.data(), c.size(), 4096, 2, Simd::Auto, &on); }) == "ABORT_ERR", "cancel before compress");
  auto fr = compressFrame(*m, c.data(), 100000, 4096, 2, Simd::Auto, &off);
  CHECK(fr == compressFrame(*m, c.data(), 100000, 4096, 1, Simd::Auto), "unset flag: same frame");
  CHECK(codeOf([&] { decompressFrame(m.get(), fr.data(), fr.size(), 2, Simd::Auto, &on); }) == "ABORT_ERR", "cancel before decompress");
  for (int dir = 0; dir < 2; ++dir) {
    CancelFlag flag{false};
    std::vector<uint8_t> big;
    if (dir == 1) big = compressFrame(*m, c.data(), c.size(), 4096, 2, Simd::Auto);
    CHECK(dir == 0 || big[5] == 1, "the frame to cancel is neural");
    const auto t0 = std::chrono::steady_clock::now();
    std::thread stopper([&] {
      std::this_thread::sleep_for(std::chrono::milliseconds(30));
      flag = true;
    });
    const std::string code = codeOf([&] {
      if (dir == 0) compressFrame(*m, c.data(), c.size(), 4096, 2, Simd::Auto, &flag);
      else decompressFrame(m.get(), big.data(), big.size(), 2, Simd::Auto, &flag);
    });
    stopper.join();
    const double ms = std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - t0).count();
    CHECK(code == "ABORT_ERR", "cancel mid-%s: %s", dir ? "decompress" : "compress", code.c_str());
    CHECK(ms < 1000, "cancel mid-%s took %.0f ms", dir ? "decompress" : "compress", ms);
  }
  // Archives: two frames and a stored one, closed by the end record.
  auto f1 = compressFrame(*m, c.data(), 5000, 1000, 1, Simd::Auto);
  uint8_t noise[300];
  for (auto& b : noise) b = static_cast<uint8_t>(r.next());
  auto f2 = compressFrame(*m, noise, sizeof noise, 1000, 1, Simd::Auto);
  auto archiveOf = [](const std::vector<std::vector<uint8_t>>& frames) {
    ArchiveTally t;
    std::vector<uint8_t> out;
    for (const auto& f : frames) {
      t.addFrame(f);
      out.insert(out.end(), f.begin(), f.end());
    }
    const auto end = t.endRecord();
    out.insert(out.end(), end.begin(), end.end());
    return out;
  };
  auto dec = [&](const std::vector<uint8_t>& a) {
    return codeOf([&] { decompressArchive(m.get(), a.data(), a.size(), 1, Simd::Auto); });
  };
  const std::vector<uint8_t> arc = archiveOf({f1, f2});
  std::vector<uint8_t> want2(c.begin(), c.begin() + 5000);
  want2.insert(want2.end(), noise, noise + sizeof noise);
  CHECK(decompressArchive(m.get(), arc.data(), arc.size(), 1, Simd::Auto) == want2, "two frames and an end record");
  CHECK(splitArchive(arc.data(), arc.size()).size() == 2, "two frames");
  auto garbage = arc;
  garbage.push_back(0);
  CHECK(dec(garbage) == "ERR_NNC_CORRUPT", "trailing garbage");
  auto partial = arc;
  partial.insert(partial.end(), f1.begin(), f1.begin() + 3);
  CHECK(dec(partial) == "ERR_NNC_TRUNCATED", "partial frame");
  CHECK(dec({}) == "ERR_NNC_TRUNCATED", "empty archive");
  // Concatenated archives decode, each checked.
  auto twice = arc;
  twice.insert(twice.end(), arc.begin(), arc.end());
  CHECK(splitArchive(twice.data(), twice.size()).size() == 4, "two archives concatenated");
  // Cut anywhere — at a frame boundary too — the archive is incomplete.
  for (size_t cut : {f1.size(), f1.size() + f2.size(), arc.size() - 1, arc.size() - 39})
    CHECK(dec(std::vector<uint8_t>(arc.begin(), arc.begin() + cut)) == "ERR_NNC_TRUNCATED", "cut at %zu", cut);
  // Frames dropped, duplicated or swapped under the original end record.
  auto endOf = [&](const std::vector<uint8_t>& a) { return std::vector<uint8_t>(a.end() - 40, a.end()); };
  auto join = [](std::initializer_list<std::vector<uint8_t>> parts) {
    std::vector<uint8_t> out;
    for (const auto& p : parts) out.insert(out.end(), p.begin(), p.end());
    return out;
  };
  CHECK(dec(join({f1, endOf(arc)})) == "ERR_NNC_TRUNCATED", "frame dropped");
  CHECK(dec(join({f1, f2, f2, endOf(arc)})) == "ERR_NNC_TRUNCATED", "frame duplicated");
  CHECK(dec(join({f2, f1, endOf(arc)})) == "ERR_NNC_TRUNCATED", "frames swapped");
  auto damaged = arc;
  damaged[damaged.size() - 20] ^= 1;
  CHECK(dec(damaged) == "ERR_NNC_CORRUPT", "end record fails its check");
  CHECK(dec(join({endOf(arc)})) == "ERR_NNC_CORRUPT", "end record alone");
  // Legacy version-1 frames: no end record; one may not interrupt a version-2 archive.
  auto v1 = f1;
  v1[4] = 1;
  CHECK(dec(v1) == "OK", "legacy frame without an end record");
  CHECK(dec(join({f1, v1, endOf(archiveOf({f1}))})) == "ERR_NNC_TRUNCATED", "v1 frame inside a v2 archive");
  CHECK(dec(join({v1, arc})) == "OK", "a legacy archive then a v2 archive");
}

static void testKernelEdges(uint64_t seed) {
  Rng r(seed);
  const Kernels& sc = kernelsScalar();
  for (int round = 0; round < 200; ++round) {
    const int S = static_cast<int>(round < 40 ? round + 1 : r.range(1, 40));
    const int Hpad = 16 * static_cast<int>(r.range(1, 6));
    const int P = static_cast<int>(r.range(1, kMaxBatch));
    std::vector<uint32_t> M(Hpad), thr(Hpad);
    for (auto& v : M) v = static_cast<uint32_t>(r.chance(10) ? r.range(0, 1) : r.chance(10) ? 65535 : r.range(0, 65535));
    for (int h = 0; h < Hpad; ++h) thr[h] = requantThreshold(M[h], S);
    std::vector<int32_t> acc(static_cast<size_t>(P) * Hpad);
    for (size_t i = 0; i < acc.size(); ++i) {
      const int h = static_cast<int>(i % Hpad);
      const int64_t t = thr[h];
      switch (r.range(0, 7)) {
        case 0: acc[i] = static_cast<int32_t>(std::min<int64_t>(INT32_MAX, t + r.range(-2, 2))); break;
        case 1: acc[i] = static_cast<int32_t>(r.range(-2, 2)); break;
        case 2: acc[i] = r.chance(50) ? INT32_MAX : INT32_MIN; break;
        default: acc[i] = static_cast<int32_t>(r.next()); break;
      }
    }
    std::vector<uint8_t> want(acc.size()), got(acc.size());
    sc.requant(acc.data(), P, Hpad, M.data(), nullptr, S, want.data());
    for (Simd v : variants()) {
      const Kernels& k = kernelsFor(v);
      k.requant(acc.data(), P, Hpad, M.data(), nullptr, S, got.data());
      CHECK(got == want, "requant %s 64-bit path S=%d", simdName(v), S);
      if (requantFits32(S)) {
        k.requant(acc.data(), P, Hpad, M.data(), thr.data(), S, got.data());
        CHECK(got == want, "requant %s 32-bit path S=%d", simdName(v), S);
      }
    }
  }
  for (int round = 0; round < 300; ++round) {
    const int A = static_cast<int>(r.range(2, 257));
    const int ldz = padTo(A, kPad);
    const int T = static_cast<int>(r.chance(20) ? r.range(2, 4) : r.range(2, 4096));
    std::vector<uint32_t> exp(T);
    exp[0] = 65536;
    for (int t = 1; t < T; ++t) exp[t] = static_cast<uint32_t>(r.chance(30) ? exp[t - 1] : r.range(0, exp[t - 1]));
    const uint32_t mOut = static_cast<uint32_t>(r.chance(10) ? r.range(0, 1) : r.range(0, 65535));
    const int sOut = static_cast<int>(r.range(1, 40));
    const int P = static_cast<int>(r.range(1, 8));
    std::vector<int32_t> z(static_cast<size_t>(P) * ldz, 0);
    for (int p = 0; p < P; ++p)
      for (int s = 0; s < A; ++s) {
        int32_t& v = z[static_cast<size_t>(p) * ldz + s];
        switch (r.range(0, 5)) {
          case 0: v = INT32_MAX; break;
          case 1: v = INT32_MIN; break;
          case 2: v = static_cast<int32_t>(r.range(-1000, 1000)); break;
          default: v = static_cast<int32_t>(r.next()); break;
        }
      }
    OutParams o = {A, mOut, sOut, exp.data(), T, 0};
    std::vector<uint32_t> want(static_cast<size_t>(P) * A), got(want.size());
    sc.freqs(z.data(), P, ldz, o, want.data());
    for (Simd v : variants()) {
      const Kernels& k = kernelsFor(v);
      o.dThr = 0;
      k.freqs(z.data(), P, ldz, o, got.data());
      CHECK(got == want, "freqs %s 64-bit path", simdName(v));
      o.dThr = distanceThreshold(mOut, sOut, T);
      k.freqs(z.data(), P, ldz, o, got.data());
      CHECK(got == want, "freqs %s 32-bit path (dThr %u)", simdName(v), o.dThr);
    }
  }
}

int main(int argc, char** argv) {
  const int rounds = argc > 1 ? std::atoi(argv[1]) : 40;
  std::printf("cpu: avx2=%d avx512=%d; variants:", cpuFeatures().avx2, cpuFeatures().avx512);
  for (Simd v : variants()) std::printf(" %s", simdName(v));
  std::printf("\n");
  testXxh();
  testArgs();
  testHostileModels();
  testCancelAndArchive();
  testKernelEdges(77);
  testContainer();
  for (int i = 0; i < rounds / 4 + 1; ++i) testModelTensors(6000 + i);
  testModelFuzz(55);
  for (int i = 0; i < rounds / 4 + 1; ++i) testContextModel(5000 + i, i % 2 == 0);
  for (int i = 0; i < rounds; ++i) testFreqsAgainstReference(1000 + i);
  for (int i = 0; i < rounds; ++i) testRoundTrip(2000 + i, i % 8 == 0);
  for (int i = 0; i < rounds / 4 + 1; ++i) testNeuralForced(3000 + i);
  for (int i = 0; i < rounds / 4 + 1; ++i) testCorruption(4000 + i);
  std::printf("layer-0 tables: %d int16, %d int32\n", models16, models32);
  std::printf("requant paths: %d 32-bit, %d 64-bit; distance paths: %d 32-bit, %d 64-bit\n", rq32, rq64, d32, d64);
  CHECK(models16 > 0 && models32 > 0, "both layer-0 table widths tested");
  CHECK(rq32 > 0 && rq64 > 0 && d32 > 0 && d64 > 0, "both requant and distance paths tested");
  std::printf("%d checks, %d failures\n", checks, failures);
  return failures ? 1 : 0;
}
