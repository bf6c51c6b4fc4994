// A seeded generator of valid .nncm models for tests and benchmarks, plus a
// from-the-spec reference of section 2.2 that works on the raw tensors (no
// folded F table, no padding), so the engine's precomputation is checked too.
#pragma once

#include <cmath>
#include <cstdint>
#include <cstring>
#include <string>
#include <vector>

#include "../core/model_file.h"
#include "../core/xxhash64.h"

namespace nnc_test {

struct Rng {
  uint64_t s;
  explicit Rng(uint64_t seed) : s(seed * 0x9E3779B97F4A7C15ULL + 1) {}
  uint64_t next() {  // splitmix64
    uint64_t z = (s += 0x9E3779B97F4A7C15ULL);
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ULL;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBULL;
    return z ^ (z >> 31);
  }
  // uniform in [lo, hi]
  int64_t range(int64_t lo, int64_t hi) { return lo + static_cast<int64_t>(next() % static_cast<uint64_t>(hi - lo + 1)); }
  bool chance(int pct) { return range(0, 99) < pct; }
};

struct Spec {
  int k = 4, E = 4, A = 0, T = 64;
  std::vector<int> H;
  std::vector<uint8_t> alphabet;
  std::vector<int8_t> emb;
  std::vector<std::vector<int8_t>> W;
  std::vector<std::vector<int32_t>> b;
  std::vector<std::vector<uint16_t>> M;
  std::vector<int> S;
  std::vector<int8_t> Wo;
  std::vector<int32_t> bo;
  int Mo = 1, So = 1;
  std::vector<uint32_t> exp;
};

inline int ilog2(double v) { return v <= 1 ? 0 : static_cast<int>(std::floor(std::log2(v))); }
inline int clampi(int v, int lo, int hi) { return v < lo ? lo : v > hi ? hi : v; }

// Random dims unless the caller fixes them (k/E/H non-zero in `want`).
inline Spec randomSpec(Rng& r, Spec want = Spec(), int alphabetSize = -1) {
  Spec s = want;
  if (want.H.empty()) {
    s.k = static_cast<int>(r.range(1, 10));
    s.E = static_cast<int>(r.range(1, 12));
    const int L = static_cast<int>(r.range(1, 3));
    for (int l = 0; l < L; ++l) s.H.push_back(static_cast<int>(r.chance(30) ? r.range(1, 20) : r.range(8, 80)));
    s.T = static_cast<int>(r.range(2, 400));
  }
  // Alphabet: a random subset (possibly all 256 bytes, possibly tiny).
  int want_n = alphabetSize >= 0 ? alphabetSize : static_cast<int>(r.chance(15) ? 256 : r.range(1, 255));
  std::vector<uint8_t> all(256);
  for (int i = 0; i < 256; ++i) all[i] = static_cast<uint8_t>(i);
  for (int i = 255; i > 0; --i) std::swap(all[i], all[r.range(0, i)]);
  std::vector<bool> pick(256, false);
  for (int i = 0; i < want_n; ++i) pick[all[i]] = true;
  s.alphabet.clear();
  for (int i = 0; i < 256; ++i)
    if (pick[i]) s.alphabet.push_back(static_cast<uint8_t>(i));
  s.A = static_cast<int>(s.alphabet.size()) + 1;

  const int wmax = static_cast<int>(r.chance(20) ? 127 : r.range(8, 127));
  auto w8 = [&]() { return static_cast<int8_t>(r.range(-wmax, wmax)); };
  s.emb.resize(static_cast<size_t>(s.A + 1) * s.E);
  // Small embeddings sometimes, so both layer-0 table widths (int16 / int32,
  // model.h) are exercised.
  const int embMax = static_cast<int>(r.chance(35) ? r.range(1, 20) : 127);
  for (auto& v : s.emb) v = static_cast<int8_t>(embMax == 127 && r.chance(5) ? -128 : r.range(-embMax, embMax));
  const int L = static_cast<int>(s.H.size());
  s.W.resize(L);
  s.b.resize(L);
  s.M.resize(L);
  s.S.resize(L);
  for (int l = 0; l < L; ++l) {
    const int n = l == 0 ? s.k * s.E : s.H[l - 1];
    s.W[l].resize(static_cast<size_t>(s.H[l]) * n);
    for (auto& v : s.W[l]) v = w8();
    // Typical accumulator magnitude, to pick a shift that lands activations
    // mostly inside 0..255 (with some saturated and some zero).
    const double typ = std::sqrt(static_cast<double>(n)) * (l == 0 ? 70.0 : 100.0) * wmax * 0.6;
    s.b[l].resize(s.H[l]);
    for (auto& v : s.b[l]) v = static_cast<int32_t>(r.range(-static_cast<int64_t>(typ), static_cast<int64_t>(typ)));
    s.M[l].resize(s.H[l]);
    for (auto& v : s.M[l]) v = static_cast<uint16_t>(r.range(r.chance(5) ? 0 : 1, 65535));
    s.S[l] = clampi(ilog2(typ * 32768 / 128) + static_cast<int>(r.range(-2, 2)), 1, 40);
    if (r.chance(5)) s.S[l] = static_cast<int>(r.range(1, 40));
  }
  const int n = s.H[L - 1];
  s.Wo.resize(static_cast<size_t>(s.A) * n);
  for (auto& v : s.Wo) v = w8();
  const double typ = std::sqrt(static_cast<double>(n)) * 100.0 * wmax * 0.6;
  s.bo.resize(s.A);
  for (auto& v : s.bo) v = static_cast<int32_t>(r.range(-static_cast<int64_t>(typ), static_cast<int64_t>(typ)));
  s.Mo = static_cast<int>(r.range(1, 65535));
  s.So = clampi(ilog2(typ * s.Mo / 16.0), 1, 40);
  if (r.chance(5)) s.So = static_cast<int>(r.range(1, 40));
  s.exp.resize(s.T);
  const bool smooth = r.chance(80);
  const double scale = static_cast<double>(r.range(4, 32));
  for (int t = 0; t < s.T; ++t) {
    if (smooth) {
      s.exp[t] = static_cast<uint32_t>(std::llround(65536.0 * std::exp(-t / scale)));
    } else {
      s.exp[t] = t == 0 ? 65536u : static_cast<uint32_t>(r.range(0, s.exp[t - 1]));
    }
  }
  s.exp[0] = 65536;
  return s;
}

inline void put16(std::vector<uint8_t>& o, uint32_t v) { o.push_back(v & 255); o.push_back((v >> 8) & 255); }
inline void put32(std::vector<uint8_t>& o, uint32_t v) { for (int i = 0; i < 4; ++i) o.push_back((v >> (8 * i)) & 255); }
inline void put64(std::vector<uint8_t>& o, uint64_t v) { for (int i = 0; i < 8; ++i) o.push_back((v >> (8 * i)) & 255); }

inline std::vector<uint8_t> canonical(const Spec& s) {
  std::vector<uint8_t> c;
  c.push_back(static_cast<uint8_t>(s.k));
  c.push_back(static_cast<uint8_t>(s.E));
  c.push_back(static_cast<uint8_t>(s.H.size()));
  c.push_back(0);
  put16(c, s.A);
  put16(c, s.T);
  for (int h : s.H) put16(c, h);
  for (uint8_t a : s.alphabet) c.push_back(a);
  for (int8_t v : s.emb) c.push_back(static_cast<uint8_t>(v));
  for (size_t l = 0; l < s.H.size(); ++l) {
    for (int8_t v : s.W[l]) c.push_back(static_cast<uint8_t>(v));
    for (int32_t v : s.b[l]) put32(c, static_cast<uint32_t>(v));
    for (uint16_t v : s.M[l]) put16(c, v);
    c.push_back(static_cast<uint8_t>(s.S[l]));
  }
  for (int8_t v : s.Wo) c.push_back(static_cast<uint8_t>(v));
  for (int32_t v : s.bo) put32(c, static_cast<uint32_t>(v));
  put16(c, s.Mo);
  c.push_back(static_cast<uint8_t>(s.So));
  for (uint32_t v : s.exp) put32(c, v);
  return c;
}

// Wrap a canonical section into a file (header, metadata, checksum).
inline std::vector<uint8_t> wrapModel(const std::vector<uint8_t>& canon, const std::string& meta = "{\"name\":\"random\"}") {
  std::vector<uint8_t> f = {0x89, 'N', 'C', 'M'};
  put16(f, 1);
  put16(f, 0);
  put32(f, static_cast<uint32_t>(canon.size()));
  put32(f, static_cast<uint32_t>(meta.size()));
  f.insert(f.end(), canon.begin(), canon.end());
  f.insert(f.end(), meta.begin(), meta.end());
  put64(f, nnc::xxh64(f.data(), f.size()));
  return f;
}

inline std::vector<uint8_t> modelFile(const Spec& s) { return wrapModel(canonical(s)); }

// The tensors of a parsed model file as a Spec: what the fuzzer hands the
// reference, and what the tests compare with the Spec a file was written from.
inline Spec specOf(const nnc::ModelTensors& t) {
  Spec s;
  s.k = t.k;
  s.E = t.E;
  s.A = t.A;
  s.T = t.T;
  s.H = t.H;
  s.alphabet = t.alphabet;
  s.emb = t.emb;
  for (const nnc::HiddenTensors& h : t.hidden) {
    s.W.push_back(h.dense.W);
    s.b.push_back(h.dense.b);
    s.M.push_back(h.M);
    s.S.push_back(h.S);
  }
  s.Wo = t.out.W;
  s.bo = t.out.b;
  s.Mo = static_cast<int>(t.mOut);
  s.So = t.sOut;
  s.exp = t.exp;
  return s;
}

inline bool sameSpec(const Spec& a, const Spec& b) {
  return a.k == b.k && a.E == b.E && a.A == b.A && a.T == b.T && a.H == b.H && a.alphabet == b.alphabet &&
         a.emb == b.emb && a.W == b.W && a.b == b.b && a.M == b.M && a.S == b.S && a.Wo == b.Wo && a.bo == b.bo &&
         a.Mo == b.Mo && a.So == b.So && a.exp == b.exp;
}

// Section 2.2 straight from the text, on the raw tensors. ctx[j] tokens.
inline std::vector<uint32_t> referenceFreqs(const Spec& s, const std::vector<int>& ctx) {
  const int L = static_cast<int>(s.H.size());
  std::vector<int64_t> acc(s.H[0]);
  const int n0 = s.k * s.E;
  for (int h = 0; h < s.H[0]; ++h) {
    int64_t a = s.b[0][h];
    for (int j = 0; j < s.k; ++j)
      for (int e = 0; e < s.E; ++e)
        a += static_cast<int64_t>(s.emb[static_cast<size_t>(ctx[j]) * s.E + e]) * s.W[0][static_cast<size_t>(h) * n0 + j * s.E + e];
    acc[h] = a;
  }
  auto rq = [](int64_t a, uint32_t M, int S) -> int64_t {
    if (a <= 0) return 0;
    const int64_t v = (a * M + (int64_t{1} << (S - 1))) >> S;
    return v > 255 ? 255 : v;
  };
  std::vector<int64_t> act(s.H[0]);
  for (int h = 0; h < s.H[0]; ++h) act[h] = rq(acc[h], s.M[0][h], s.S[0]);
  for (int l = 1; l < L; ++l) {
    std::vector<int64_t> nx(s.H[l]);
    for (int h = 0; h < s.H[l]; ++h) {
      int64_t a = s.b[l][h];
      for (int i = 0; i < s.H[l - 1]; ++i) a += act[i] * s.W[l][static_cast<size_t>(h) * s.H[l - 1] + i];
      nx[h] = rq(a, s.M[l][h], s.S[l]);
    }
    act = nx;
  }
  const int n = s.H[L - 1];
  std::vector<int64_t> z(s.A);
  for (int o = 0; o < s.A; ++o) {
    int64_t a = s.bo[o];
    for (int i = 0; i < n; ++i) a += act[i] * s.Wo[static_cast<size_t>(o) * n + i];
    z[o] = a;
  }
  int64_t zmax = z[0];
  int sStar = 0;
  for (int o = 1; o < s.A; ++o)
    if (z[o] > zmax) zmax = z[o], sStar = o;
  std::vector<uint64_t> e(s.A);
  uint64_t sum = 0;
  for (int o = 0; o < s.A; ++o) {
    int64_t d = ((zmax - z[o]) * s.Mo + (int64_t{1} << (s.So - 1))) >> s.So;
    if (d > s.T - 1) d = s.T - 1;
    e[o] = s.exp[d];
    sum += e[o];
  }
  const uint64_t avail = 65536 - s.A;
  const uint64_t R = (avail << 32) / sum;
  std::vector<uint32_t> f(s.A);
  uint32_t tot = 0;
  for (int o = 0; o < s.A; ++o) {
    f[o] = 1 + static_cast<uint32_t>((e[o] * R) >> 32);
    tot += f[o];
  }
  f[sStar] += 65536 - tot;
  return f;
}

// Content shaped like the alphabet: mostly in-alphabet bytes with runs,
// a sprinkling of escapes.
inline std::vector<uint8_t> randomContent(Rng& r, const Spec& s, size_t n, int escPct = 3) {
  std::vector<uint8_t> v(n);
  for (size_t i = 0; i < n; ++i) {
    if (s.alphabet.empty() || r.chance(escPct)) {
      v[i] = static_cast<uint8_t>(r.range(0, 255));
    } else if (i > 0 && r.chance(30)) {
      v[i] = v[i - 1];
    } else {
      v[i] = s.alphabet[r.range(0, static_cast<int64_t>(s.alphabet.size()) - 1)];
    }
  }
  return v;
}

}  // namespace nnc_test
