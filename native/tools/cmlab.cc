// nnc_cmlab: research tool for format v2 (issue 12). Measures, on one byte
// range of a file, the ideal code length of an integer-only bitwise
// context-mixing stage (lpaq1 family) with the network as one more expert,
// for a list of configurations, so one run prints an ablation table.
// docs/design/format-v2-mixing.md has the results and the draft spec.
//
//   nnc_cmlab [--dump-bits FILE] [--dump-net FILE] MODEL FILE OFFSET LEN [CONFIG ...]
//
// Dump mode (for the bit-exact check of the TS twin, src/engine/ts/mix/ and
// test/mix-twin.test.ts): --dump-bits writes, for every config other than
// "net" in the order given, the probability of a 1 the stage gives each
// coded bit (the final p, 1..4095) as u16 little-endian, 8 per byte, most
// significant bit first, the configs one after another. --dump-net writes
// the network's per-bit input p (section 8.7 of the design note) the same
// way, once.
//
// A CONFIG is a comma-separated list (no CONFIG: the recommended stage, the
// same without the network, the network alone):
//   o0 o1                  direct order-0 / order-1 counters
//   o2 o3 o4 o5 o6 o8 w    hashed order-n contexts, word context
//   s2 s3 s34              hashed sparse contexts: byte 2, byte 3, bytes 3-4 back
//   r1 r2                  hashed record contexts (record length detected online):
//                          byte one record back + previous byte; the 3 bytes above
//   ind                    indirect: a 6-bit bit history per hashed node, mapped
//                          to a probability by a per-context-kind table (2nd input)
//   dual                   (tried, not kept) a second, fast counter per hashed node
//   m  m2                  match model (hash of the last 6 bytes -> history);
//                          m2: a second, linear match input
//   n                      the network (per-bit probabilities of its bytes)
//   a                      two APM/SSE stages after the mixer
//   mx2                    a second mixer (weight set by match x net x bit) averaged in
//   lane=B                 reset the whole stage every B bytes (default: never)
//   hb=B                   2^B buckets per hashed context kind (default 18)
//   mb=B                   2^B entries of 4 bytes in the match table (default 18)
//   lr=R lim=L flim=F      mixer learning rate (8); counter count limit (255);
//                          fast counter limit (4)
//   winit=W ninit=N        initial weights 2^W (14) and, network, 2^N (15); 2^16 = 1.0
//   name=S                 label in the table
// Special CONFIG "net": the network alone, coded as format v1 codes it.
//
// Everything in the per-byte path is integer arithmetic on stated widths;
// double appears only to add up -log2(p) for the report (a table built once).
#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>
#include <vector>

#include "../core/cpu_features.h"
#include "../core/frame.h"
#include "../core/model.h"

using namespace nnc;

namespace {

// ---------------------------------------------------------------- tables
// squash(d) = 4096/(1+e^(-d/256)) by linear interpolation in 33 points
// (lpaq1's table); stretch = its inverse, generated from squash.
const int kSquashT[33] = {1,    2,    3,    6,    10,   16,   27,   45,   73,   120,  194,
                          310,  488,  747,  1101, 1546, 2047, 2549, 2994, 3348, 3607, 3785,
                          3901, 3975, 4022, 4050, 4068, 4079, 4085, 4089, 4092, 4093, 4094};
inline int squash(int d) {  // d in stretch units (8 fractional bits) -> p in (0, 4096)
  if (d > 2047) d = 2047;
  if (d < -2047) d = -2047;
  const int w = d & 127, i = (d >> 7) + 16;
  return (kSquashT[i] * (128 - w) + kSquashT[i + 1] * w + 64) >> 7;
}
int16_t gStretch[4096];
int32_t gRate[1024];  // floor(65536 / (2n + 3)): counter rate 1/(n + 1.5) in 2^-15 units
double gCost[4097];   // -log2(i / 4096), report only

void initTables() {
  int pi = 0;
  for (int x = -2047; x <= 2047; ++x) {
    const int v = squash(x);
    for (int j = pi; j <= v; ++j) gStretch[j] = static_cast<int16_t>(x);
    pi = v + 1;
  }
  for (int j = pi; j < 4096; ++j) gStretch[j] = 2047;
  for (int n = 0; n < 1024; ++n) gRate[n] = 65536 / (2 * n + 3);
  for (int i = 1; i <= 4096; ++i) gCost[i] = -std::log2(i / 4096.0);
  gCost[0] = 99;
}
inline int stretch(int p) { return gStretch[p]; }

inline uint32_t fmix32(uint32_t h) {  // murmur3 finalizer
  h ^= h >> 16;
  h *= 0x85EBCA6Bu;
  h ^= h >> 13;
  h *= 0xC2B2AE35u;
  h ^= h >> 16;
  return h;
}

// ---------------------------------------------------------------- counter
// u32: bits 31..10 = p (probability of a 1, 22 bits), bits 9..0 = n (count).
// Update: p += floor(floor((y*2^22 - p) / 2^7) * R[n] / 2^8), clamped to
// [0, 2^22 - 1]; n = min(n + 1, limit). All in int32.
constexpr uint32_t kCounterInit = 1u << 31;  // p = 1/2, n = 0
inline int cP12(uint32_t s) { return static_cast<int>(s >> 20); }
inline void cUpdate(uint32_t& s, int y, int limit) {
  int n = static_cast<int>(s & 1023);
  int p = static_cast<int>(s >> 10);
  p += ((((y << 22) - p) >> 7) * gRate[n]) >> 8;
  if (p < 0) p = 0;
  if (p > (1 << 22) - 1) p = (1 << 22) - 1;
  if (n < limit) ++n;
  s = (static_cast<uint32_t>(p) << 10) | static_cast<uint32_t>(n);
}

// ---------------------------------------------------------------- hashed order
// 2^bits buckets of 16 u32: [0] = 16-bit check, [1..15] = counters of the 15
// nodes of one nibble's binary tree. A key picks bucket i = key >> (32-bits)
// or i ^ 1 (whichever holds the check), else the one whose node-1 count is
// lower is reset (ties: i).
struct HashOrder {
  int bits = 16, width = 16;  // width 32: nodes 17..31 hold a second, fast counter
  std::vector<uint32_t> t;
  uint32_t* cur = nullptr;
  uint32_t ctx = 0;
  void reset() {
    t.assign(static_cast<size_t>(width) << bits, kCounterInit);
    for (size_t b = 0; b < (size_t(1) << bits); ++b) t[b * width] = 0;
  }
  void prefetch(uint32_t key) const {
    const uint32_t i = key >> (32 - bits);
    __builtin_prefetch(&t[size_t(i) * width]);
    __builtin_prefetch(&t[size_t(i ^ 1) * width]);
    if (width > 16) {
      __builtin_prefetch(&t[size_t(i) * width + 16]);
      __builtin_prefetch(&t[size_t(i ^ 1) * width + 16]);
    }
  }
  void select(uint32_t key) {
    const uint32_t i = key >> (32 - bits), chk = key & 0xFFFF;
    uint32_t* b0 = &t[size_t(i) * width];
    uint32_t* b1 = &t[size_t(i ^ 1) * width];
    if (b0[0] == chk) { cur = b0; return; }
    if (b1[0] == chk) { cur = b1; return; }
    uint32_t* v = (b1[1] & 1023) < (b0[1] & 1023) ? b1 : b0;
    v[0] = chk;
    for (int j = 1; j < width; ++j) v[j] = kCounterInit;
    cur = v;
  }
};

// ---------------------------------------------------------------- APM
// 33 interpolation points over stretch(p) per context, u16 probabilities.
struct Apm {
  std::vector<uint16_t> t;
  int idx = 0;
  void reset(int n) {
    t.resize(size_t(n) * 33);
    for (int c = 0; c < n; ++c)
      for (int j = 0; j < 33; ++j) t[size_t(c) * 33 + j] = static_cast<uint16_t>(squash((j - 16) * 128) * 16);
  }
  int pp(int p, int cx) {
    const int s = stretch(p) + 2048;  // 1..4095
    const int lo = s >> 7, w = s & 127;
    const size_t base = size_t(cx) * 33 + lo;
    idx = static_cast<int>(base + (w >> 6));
    int r = (t[base] * (128 - w) + t[base + 1] * w) >> 11;
    return r < 1 ? 1 : r > 4095 ? 4095 : r;
  }
  void update(int y, int rate) {
    int v = t[idx];
    v += ((y ? 65535 : 0) - v) >> rate;
    t[idx] = static_cast<uint16_t>(v);
  }
};

// ---------------------------------------------------------------- mixer
// Inputs x_i in [-2047, 2047] (stretch units); weights int32 with 16
// fractional bits; dot = sum w_i x_i (int64; |dot| < 2^45), t = dot >> 16
// clamped to [-2047, 2047], p = squash(t). Update: e = (y<<12) - p,
// w_i += (x_i * e * lr + 2^13) >> 14, clamped to [-2^20, 2^20].
struct Mixer {
  int n = 0, sets = 0, lr = 6;
  std::vector<int32_t> w;
  int32_t* cw = nullptr;
  int pr = 2048, st = 0;
  void reset(int nIn, int nSets, const std::vector<int32_t>& init) {
    n = nIn;
    sets = nSets;
    w.resize(size_t(n) * sets);
    for (int s = 0; s < sets; ++s)
      for (int i = 0; i < n; ++i) w[size_t(s) * n + i] = init[i];
  }
  int predict(const int* x, int set) {
    cw = &w[size_t(set) * n];
    int64_t dot = 0;
    for (int i = 0; i < n; ++i) dot += int64_t(cw[i]) * x[i];
    int t = static_cast<int>(dot >> 16);
    st = t < -2047 ? -2047 : t > 2047 ? 2047 : t;
    pr = squash(st);
    return pr;
  }
  void train(const int* x, int y) {
    const int e = ((y << 12) - pr) * lr;
    for (int i = 0; i < n; ++i) {
      int v = cw[i] + ((x[i] * e + (1 << 13)) >> 14);
      cw[i] = v < -(1 << 20) ? -(1 << 20) : v > (1 << 20) ? (1 << 20) : v;
    }
  }
};

// ---------------------------------------------------------------- config
constexpr int kNH = 12;  // hashed context kinds
struct Config {
  std::string name;
  bool net = false, netOnly = false, o0 = false, o1 = false, m = false, a = false, mx2 = false;
  bool hashed[kNH] = {};  // see kHashedName
  bool ind = false;     // indirect: a 6-bit history per node, mapped to p by a per-order table
  bool dual = false;    // a second, fast counter per node (limit 3)
  bool m2 = false;      // a second match input: +-(expected bit) by length
  int winit = 14;       // initial weight of the non-network inputs: 2^winit / 2^16
  int ninit = 15;       // initial weight of the network input (0.5)
  int flim = 4;         // count limit of the fast counters
  int hl = 6;           // indirect: bits of history kept (6 or 7)
  int ar = 7;           // APM rate shift
  int a2b = 16;         // bits of APM2's context (its table: 2^a2b x 33 u16)
  int ilv = 1;          // speed: lanes coded interleaved on one thread (lane = ceil(len/ilv) if unset)
  bool prefetch = true; // speed only: prefetch the candidate buckets (nopf: off)
  size_t lane = 0;      // 0: never reset
  int hb = 18, mb = 18, lr = 8, lim = 255;
};
// 0 = word; 10, 11, 12 = sparse: byte 2 alone, byte 3 alone, bytes 3 and 4
// 20, 21 = record: the byte one record back with the previous byte; the
// bytes above-left, above and above-right (record length from the model below)
const int kHashedOrder[kNH] = {2, 3, 4, 6, 0, 5, 8, 10, 11, 12, 20, 21};
const char* kHashedName[kNH] = {"o2", "o3", "o4", "o6", "w", "o5", "o8", "s2", "s3", "s34", "r1", "r2"};

Config parseConfig(const std::string& s) {
  Config c;
  c.name = s;
  if (s == "net") {
    c.netOnly = true;
    return c;
  }
  size_t p = 0;
  while (p <= s.size()) {
    size_t q = s.find(',', p);
    if (q == std::string::npos) q = s.size();
    const std::string t = s.substr(p, q - p);
    p = q + 1;
    if (t.empty()) continue;
    const size_t eq = t.find('=');
    if (eq != std::string::npos) {
      const std::string k = t.substr(0, eq), v = t.substr(eq + 1);
      if (k == "name") c.name = v;
      else if (k == "lane") c.lane = std::strtoull(v.c_str(), nullptr, 10);
      else if (k == "hb") c.hb = std::atoi(v.c_str());
      else if (k == "mb") c.mb = std::atoi(v.c_str());
      else if (k == "lr") c.lr = std::atoi(v.c_str());
      else if (k == "lim") c.lim = std::atoi(v.c_str());
      else if (k == "flim") c.flim = std::atoi(v.c_str());
      else if (k == "hl") c.hl = std::atoi(v.c_str());
      else if (k == "ar") c.ar = std::atoi(v.c_str());
      else if (k == "a2b") c.a2b = std::atoi(v.c_str());
      else if (k == "ilv") c.ilv = std::atoi(v.c_str());
      else if (k == "winit") c.winit = std::atoi(v.c_str());
      else if (k == "ninit") c.ninit = std::atoi(v.c_str());
      else { std::fprintf(stderr, "unknown key %s\n", k.c_str()); std::exit(2); }
      continue;
    }
    if (t == "n") c.net = true;
    else if (t == "o0") c.o0 = true;
    else if (t == "o1") c.o1 = true;
    else if (t == "m") c.m = true;
    else if (t == "a") c.a = true;
    else if (t == "mx2") c.mx2 = true;
    else if (t == "dual") c.dual = true;
    else if (t == "ind") c.ind = true;
    else if (t == "nopf") c.prefetch = false;
    else if (t == "m2") c.m2 = true;
    else {
      bool ok = false;
      for (int i = 0; i < kNH; ++i)
        if (t == kHashedName[i]) c.hashed[i] = ok = true;
      if (!ok) { std::fprintf(stderr, "unknown expert %s\n", t.c_str()); std::exit(2); }
    }
  }
  return c;
}

// ---------------------------------------------------------------- the stage
// netBits[8*i + k]: the network's 12-bit p(bit k of byte i = 1 | bits above),
// from its frequencies by sums over the binary tree of byte values.
struct Stage {
  const Config& c;
  const uint8_t* buf;  // the lane's bytes (the match model's history)
  // state
  uint32_t t0[256];
  std::vector<uint32_t> t1;
  HashOrder ho[kNH];
  std::vector<uint32_t> mt;  // match table: position + 1 of the last occurrence of a 6-byte hash
  uint32_t msm[64];          // match counters: (length bucket, expected bit)
  uint32_t imap[kNH][256];   // indirect: history (leading 1, <= 7 bits) -> counter, per hashed kind
  size_t mptr = 0;
  uint32_t mlen = 0;
  Mixer mx[2];
  Apm a1, a2;
  uint32_t c4 = 0, c8 = 0, word = 0, prevWord = 0;
  // record length detection (paq8's recordModel, simplified): the last 4
  // positions (+1) of each byte value; a distance r seen 4 times in a row for
  // one value votes for r; 16 votes make it the record length.
  uint32_t cpos[4][256];
  uint32_t rlen = 0, rcand = 0, rcount = 0;

  explicit Stage(const Config& cfg, const uint8_t* b) : c(cfg), buf(b) {}

  int nInputs() const {
    int k = 1;  // bias
    k += c.o0 + c.o1 + c.m + (c.m && c.m2) + c.net;
    for (int i = 0; i < kNH; ++i) k += c.hashed[i] * (c.dual || c.ind ? 2 : 1);
    return k;
  }
  size_t memBytes() const {
    size_t b = 0;
    if (c.o0) b += 256 * 4;
    if (c.o1) b += 65536 * 4;
    for (int i = 0; i < kNH; ++i)
      if (c.hashed[i]) b += size_t(c.dual ? 128 : c.ind ? 80 : 64) << c.hb;  // ind: u8 histories
    if (c.m) b += (size_t(4) << c.mb) + 64 * 4;
    b += size_t(nInputs()) * 4 * 1024 * (c.mx2 ? 2 : 1);
    if (c.a) b += (256 + (size_t(1) << c.a2b)) * 33 * 2;
    return b;
  }

  void reset() {
    for (auto& v : t0) v = kCounterInit;
    if (c.o1) t1.assign(65536, kCounterInit);
    for (int i = 0; i < kNH; ++i)
      if (c.hashed[i]) {
        ho[i].bits = c.hb;
        ho[i].width = c.dual || c.ind ? 32 : 16;
        for (auto& v : imap[i]) v = kCounterInit;
        ho[i].reset();
      }
    if (c.m) mt.assign(size_t(1) << c.mb, 0);
    for (auto& v : msm) v = kCounterInit;
    mptr = 0;
    mlen = 0;
    const int n = nInputs();
    std::vector<int32_t> init(n, 1 << c.winit);
    init[0] = 0;                                  // bias
    if (c.net) init[n - 1] = c.ninit ? 1 << c.ninit : 0;  // the network input is the last
    for (int j = 0; j < (c.mx2 ? 2 : 1); ++j) {
      mx[j].lr = c.lr;
      mx[j].reset(n, j == 0 ? 1024 : 256, init);
    }
    if (c.a) {
      a1.reset(256);
      a2.reset(1 << c.a2b);
    }
    c4 = c8 = word = prevWord = 0;
    std::memset(cpos, 0, sizeof cpos);
    rlen = rcand = rcount = 0;
  }

  static int lenBucket(uint32_t len) {  // 0..31
    return len < 16 ? static_cast<int>(len) : (len >> 4) + 15 > 31 ? 31 : static_cast<int>((len >> 4) + 15);
  }

  // Coding one lane is split into steps so that several lanes can be
  // interleaved on one thread (config ilv=K): a lane's bucket prefetches for
  // the next nibble are issued, then other lanes do a nibble of work while
  // the misses resolve. Within a lane the order of operations is exactly the
  // single-lane order, so the bits do not depend on the interleaving.
  size_t pos = 0;
  int byte = 0, c0 = 1, expectByte = -1;
  uint32_t hctx[kNH], keys[kNH];
  double bits = 0;
  const uint16_t* netBits = nullptr;
  std::vector<uint16_t>* dump = nullptr;

  __attribute__((always_inline)) void beginByte(size_t where) {
    pos = where;
    byte = buf[pos];
    // byte-boundary contexts
    const uint32_t c1 = c4 & 0xFF;
    for (int i = 0; i < kNH; ++i) {
      if (!c.hashed[i]) continue;
      const int o = kHashedOrder[i];
      uint32_t lo, hi = 0;
      if (o == 0) {
        lo = word ? word : prevWord ^ (c1 << 24) ^ 0x5bd1e995u;
        hi = 0x77;
      } else if (o >= 20) {
        const auto at = [&](uint32_t d) -> uint32_t { return rlen && pos >= d ? buf[pos - d] : 0; };
        if (o == 20) lo = at(rlen) | (c1 << 8);
        else lo = at(rlen + 1) | (at(rlen) << 8) | ((rlen > 1 ? at(rlen - 1) : 0) << 16);
        hi = rlen;
      } else if (o >= 10) {
        lo = c4 & (o == 10 ? 0xFF00u : o == 11 ? 0xFF0000u : 0xFFFF0000u);
      } else if (o <= 4) {
        lo = o == 4 ? c4 : c4 & ((1u << (8 * o)) - 1);
      } else {
        lo = c4;
        hi = o == 5 ? c8 & 0xFF : o == 6 ? c8 & 0xFFFF : c8;
      }
      hctx[i] = fmix32(lo * 0x9E3779B1u ^ fmix32(hi + static_cast<uint32_t>(o) * 0x01000193u + 1));
    }
    expectByte = -1;
    if (c.m && mlen > 0) expectByte = buf[mptr];
    c0 = 1;
  }
  // The keys of the nibble starting at bit bp (0 or 4), with both candidate
  // buckets prefetched: the buckets are cache misses.
  __attribute__((always_inline)) void prefetchNibble(int bp) {
    for (int i = 0; i < kNH; ++i)
      if (c.hashed[i]) {
        keys[i] = fmix32(hctx[i] ^ (static_cast<uint32_t>(bp ? c0 : 0) * 0x2545F491u));
        if (c.prefetch) ho[i].prefetch(keys[i]);
      }
  }
  // Selects the nibble's buckets, then codes and learns its 4 bits.
  __attribute__((always_inline)) void codeNibble(int bp0) {
    for (int i = 0; i < kNH; ++i)
      if (c.hashed[i]) ho[i].select(keys[i]);
    const uint32_t c1 = c4 & 0xFF;
    // Locals, so that the compiler keeps them in registers (members could
    // alias the tables written through pointers below); stored back at the end.
    int c0 = this->c0, expectByte = this->expectByte;
    double bits = this->bits;
    const size_t pos = this->pos;
    const int byte = this->byte;
    const uint16_t* const netBits = this->netBits;
    std::vector<uint16_t>* const dump = this->dump;
    int x[40];
    for (int bp = bp0; bp < bp0 + 4; ++bp) {
      const int j = bp & 3, node = (1 << j) | (c0 & ((1 << j) - 1));
      int k = 0;
      x[k++] = 256;  // bias
      uint32_t* cs[24];
      uint32_t* fs[kNH];
      uint32_t* hs[kNH];
      uint32_t* hm[kNH];
      int ncs = 0, nfs = 0, nhs = 0;
      if (c.o0) { cs[ncs] = &t0[c0]; x[k++] = stretch(cP12(*cs[ncs++])); }
      if (c.o1) { cs[ncs] = &t1[(c1 << 8) | c0]; x[k++] = stretch(cP12(*cs[ncs++])); }
      for (int i = 0; i < kNH; ++i)
        if (c.hashed[i]) {
          cs[ncs] = &ho[i].cur[node];
          x[k++] = stretch(cP12(*cs[ncs++]));
          if (c.dual) { fs[nfs] = &ho[i].cur[16 + node]; x[k++] = stretch(cP12(*fs[nfs++])); }
          if (c.ind) {
            uint32_t* hp = &ho[i].cur[16 + node];
            int h = static_cast<int>(*hp & 255);
            if (h == 0) h = 1;  // fresh slot (kCounterInit): empty history
            hs[nhs] = hp;
            hm[nhs] = &imap[i][h];
            x[k++] = stretch(cP12(*hm[nhs++]));
          }
        }
      int eb = -1, mctx = 0;
      if (c.m) {
        if (expectByte >= 0 && mlen > 0) {
          eb = (expectByte >> (7 - bp)) & 1;
          mctx = lenBucket(mlen) * 2 + eb;
          x[k++] = stretch(cP12(msm[mctx]));
          if (c.m2) x[k++] = (eb ? 1 : -1) * (mlen < 32 ? static_cast<int>(mlen) * 32 : 1024);
        } else {
          x[k++] = 0;
          if (c.m2) x[k++] = 0;
        }
      }
      int nb = 0;
      if (c.net) {
        const int pn = netBits[pos * 8 + bp];
        x[k++] = stretch(pn);
        const int q = pn >= 2048 ? pn : 4096 - pn;  // 2048..4095
        nb = (q - 2048) >> 8;                       // 0..7
      }
      const int mb = eb < 0 ? 0 : mlen < 16 ? 1 : mlen < 32 ? 2 : 3;
      int p = mx[0].predict(x, c0 | (mb << 8));
      if (c.mx2) {
        const int p2 = mx[1].predict(x, (mb << 6) | (nb << 3) | bp);
        (void)p2;
        p = squash((mx[0].st + mx[1].st) >> 1);
      }
      if (c.a) {
        const int p1 = a1.pp(p, c0);
        p = (p + 3 * p1) >> 2;
        const int pa2 = a2.pp(p, (fmix32(c4 & 0xFFFF) ^ static_cast<uint32_t>(c0)) & ((1u << c.a2b) - 1));
        p = (p + 3 * pa2) >> 2;
      }
      if (p < 1) p = 1;
      if (p > 4095) p = 4095;
      const int y = (byte >> (7 - bp)) & 1;
      bits += gCost[y ? p : 4096 - p];
      if (dump) dump->push_back(static_cast<uint16_t>(p));
      // learn
      for (int i = 0; i < ncs; ++i) cUpdate(*cs[i], y, c.lim);
      for (int i = 0; i < nfs; ++i) cUpdate(*fs[i], y, c.flim);
      for (int i = 0; i < nhs; ++i) {
        cUpdate(*hm[i], y, 1023);
        int h = static_cast<int>(*hs[i] & 255);
        if (h == 0) h = 1;
        h = (h << 1) | y;  // leading-1 history of the last <= hl bits
        if (h >= (2 << c.hl)) h = (1 << c.hl) | (h & ((1 << c.hl) - 1));
        *hs[i] = static_cast<uint32_t>(h);
      }
      if (eb >= 0) {
        cUpdate(msm[mctx], y, 1023);
        if (eb != y) { mlen = 0; expectByte = -1; }
      }
      mx[0].train(x, y);
      if (c.mx2) mx[1].train(x, y);
      if (c.a) { a1.update(y, c.ar); a2.update(y, c.ar); }
      c0 = (c0 << 1) | y;
    }
    this->c0 = c0;
    this->expectByte = expectByte;
    this->bits = bits;
  }
  __attribute__((always_inline)) void endByte() {
    // byte done
    c8 = (c8 << 8) | (c4 >> 24);
    c4 = (c4 << 8) | static_cast<uint32_t>(byte);
    int lc = byte;
    if (lc >= 'A' && lc <= 'Z') lc += 32;
    if (lc >= 'a' && lc <= 'z') {
      word = (word ^ static_cast<uint32_t>(lc)) * 0x01000193u;
      if (!word) word = 1;
    } else if (word) {
      prevWord = word;
      word = 0;
    }
    {
      const uint32_t cur = static_cast<uint32_t>(pos + 1);
      uint32_t* p0 = cpos[0];
      const uint32_t r = cur - p0[byte];
      if (p0[byte] && r > 1 && r == p0[byte] - cpos[1][byte] && r == cpos[1][byte] - cpos[2][byte] &&
          r == cpos[2][byte] - cpos[3][byte]) {
        if (r == rcand) {
          if (++rcount >= 16 && rlen != r) rlen = r;
        } else {
          rcand = r;
          rcount = 1;
        }
      }
      cpos[3][byte] = cpos[2][byte];
      cpos[2][byte] = cpos[1][byte];
      cpos[1][byte] = p0[byte];
      p0[byte] = cur;
    }
    if (c.m) {
      const size_t cur = pos + 1;  // bytes seen
      if (mlen > 0) {  // the expected byte came (a miss set mlen = 0 above)
        ++mptr;
        if (mlen < 65535) ++mlen;
      }
      if (cur >= 6) {
        const uint32_t h = fmix32(c4 * 0x9E3779B1u ^ (c8 & 0xFFFF)) >> (32 - c.mb);
        if (mlen == 0) {
          const uint32_t cand = mt[h];
          if (cand > 0) {
            // verify backwards, at most 32 bytes: the length a new match starts with
            uint32_t L = 0;
            while (L < 32 && L < cand && buf[cand - 1 - L] == buf[cur - 1 - L]) ++L;
            if (L >= 6) { mlen = L; mptr = cand; }
          }
        }
        mt[h] = static_cast<uint32_t>(cur);
      }
    }
  }

  // Code bytes [0, n) of buf (one lane); returns the ideal bits. With dump,
  // appends every bit's final p (the --dump-bits mode).
  double run(size_t n, const uint16_t* nb, std::vector<uint16_t>* d = nullptr) {
    netBits = nb;
    dump = d;
    bits = 0;
    for (size_t at = 0; at < n; ++at) {
      beginByte(at);
      prefetchNibble(0);
      codeNibble(0);
      prefetchNibble(4);
      codeNibble(4);
      endByte();
    }
    return bits;
  }
};

// Codes lanes L[0..k) interleaved one nibble at a time, round robin: each
// lane's prefetches for its next nibble are issued a whole round before its
// buckets are read. Returns the total ideal bits.
double runInterleaved(Stage** L, const size_t* n, const uint16_t* const* nb, int k) {
  size_t at[8] = {};
  int bp[8] = {};
  bool live[8] = {};
  for (int j = 0; j < k; ++j) {
    L[j]->netBits = nb[j];
    L[j]->bits = 0;
    live[j] = n[j] > 0;
    if (live[j]) { L[j]->beginByte(0); L[j]->prefetchNibble(0); }
  }
  for (bool any = true; any;) {
    any = false;
    for (int j = 0; j < k; ++j) {
      if (!live[j]) continue;
      any = true;
      Stage& s = *L[j];
      s.codeNibble(bp[j]);
      if (bp[j] == 0) {
        s.prefetchNibble(4);
        bp[j] = 4;
      } else {
        s.endByte();
        bp[j] = 0;
        if (++at[j] < n[j]) { s.beginByte(at[j]); s.prefetchNibble(0); }
        else live[j] = false;
      }
    }
  }
  double bits = 0;
  for (int j = 0; j < k; ++j) bits += L[j]->bits;
  return bits;
}

std::vector<uint8_t> readFile(const char* path) {
  std::vector<uint8_t> v;
  FILE* f = std::fopen(path, "rb");
  if (!f) { std::fprintf(stderr, "cannot read %s\n", path); std::exit(2); }
  uint8_t b[65536];
  size_t k;
  while ((k = std::fread(b, 1, sizeof b, f)) > 0) v.insert(v.end(), b, b + k);
  std::fclose(f);
  return v;
}

// v as u16 little-endian (the dump modes); exits on a write error.
void writeU16(const char* path, const std::vector<uint16_t>& v) {
  FILE* f = std::fopen(path, "wb");
  bool ok = f != nullptr;
  for (size_t i = 0; ok && i < v.size(); ++i) {
    const unsigned char b[2] = {static_cast<unsigned char>(v[i] & 0xFF), static_cast<unsigned char>(v[i] >> 8)};
    ok = std::fwrite(b, 1, 2, f) == 2;
  }
  if (f && std::fclose(f) != 0) ok = false;
  if (!ok) { std::fprintf(stderr, "cannot write %s\n", path); std::exit(2); }
}

double secondsSince(std::chrono::steady_clock::time_point t0) {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
}

}  // namespace

int main(int argc, char** argv) {
  const char* dumpBitsPath = nullptr;
  const char* dumpNetPath = nullptr;
  while (argc >= 3 && (std::strcmp(argv[1], "--dump-bits") == 0 || std::strcmp(argv[1], "--dump-net") == 0)) {
    (std::strcmp(argv[1], "--dump-bits") == 0 ? dumpBitsPath : dumpNetPath) = argv[2];
    argc -= 2;
    argv += 2;
  }
  if (argc < 5) {
    std::fprintf(stderr, "usage: nnc_cmlab [--dump-bits FILE] [--dump-net FILE] MODEL FILE OFFSET LEN [CONFIG ...]\n");
    return 2;
  }
  std::vector<uint16_t> dumpBits;
  initTables();
  const std::vector<uint8_t> mbytes = readFile(argv[1]);
  const std::vector<uint8_t> file = readFile(argv[2]);
  size_t off = std::strtoull(argv[3], nullptr, 10), len = std::strtoull(argv[4], nullptr, 10);
  if (off > file.size()) off = file.size();
  if (len > file.size() - off) len = file.size() - off;
  std::vector<std::string> cfgs;
  for (int i = 5; i < argc; ++i) cfgs.push_back(argv[i]);
  if (cfgs.empty()) {
    const std::string full = "o1,o2,o3,o4,o5,o6,o8,w,s2,s3,s34,r1,r2,m,a,mx2,ind,hb=16";
    cfgs = {"net", full + ",name=cm", full + ",n,name=cm+net"};
  }
  try {
    const auto model = parseModel(mbytes.data(), mbytes.size());
    const Model& M = *model;
    const uint8_t* data = file.data() + off;

    // Network frequencies, one lane over the whole range: chunks of 128 KiB,
    // each given the k bytes before it, so every position sees its real context.
    const int A = M.A, ESC = A - 1;
    const int nOut = 256 - (A - 1);
    std::vector<uint16_t> netBits(len * 8);
    double netBitsTotal = 0;
    const auto tn = std::chrono::steady_clock::now();
    const size_t chunk = 131072, k = static_cast<size_t>(M.k);
    for (size_t a = 0; a < len; a += chunk) {
      const size_t b = a + chunk < len ? a + chunk : len;
      const size_t pre = a < k ? a : k;
      const std::vector<uint32_t> ft =
          frequencyTable(M, data + a - pre, b - a + pre, static_cast<uint32_t>(b - a + pre), Simd::Auto);
      for (size_t i = a; i < b; ++i) {
        const uint32_t* f = ft.data() + (i - a + pre) * A;
        const uint8_t x = data[i];
        const int s = M.tokenOf[x];
        netBitsTotal += 16 - std::log2(static_cast<double>(f[s])) + (s == ESC ? 8 : 0);
        // masses over the 256 byte values: symbol s -> f[s] * nOut; a byte
        // outside the alphabet -> f[ESC] (so ESC's mass is spread evenly)
        uint32_t mass[512];
        for (int v = 0; v < 256; ++v) {
          const int t = M.tokenOf[v];
          mass[256 + v] = t == ESC ? f[ESC] : f[t] * static_cast<uint32_t>(nOut > 0 ? nOut : 1);
        }
        for (int v = 255; v >= 1; --v) mass[v] = mass[2 * v] + mass[2 * v + 1];
        int node = 1;
        for (int bp = 0; bp < 8; ++bp) {
          const uint64_t m1 = mass[2 * node + 1], m = mass[node];
          int p = static_cast<int>((m1 << 12) / m);
          netBits[i * 8 + bp] = static_cast<uint16_t>(p < 1 ? 1 : p > 4095 ? 4095 : p);
          node = 2 * node + ((x >> (7 - bp)) & 1);
        }
      }
    }
    const double netSec = secondsSince(tn);
    std::printf("# %s  off=%zu len=%zu  model k=%d A=%d  simd=%s\n", argv[2], off, len, M.k, M.A,
                simdName(bestSimd()));
    std::printf("%-34s %8s %9s %9s %10s %9s\n", "config", "bpc", "cm us/B", "net us/B", "state KiB", "reset us/B");
    for (const std::string& s : cfgs) {
      const Config c = parseConfig(s);
      if (c.netOnly) {
        std::printf("%-34s %8.4f %9s %9.3f %10s\n", c.name.c_str(), netBitsTotal / len, "-", netSec * 1e6 / len,
                    "-");
        std::fflush(stdout);
        continue;
      }
      const auto t0 = std::chrono::steady_clock::now();
      double bits = 0, resetSec = 0;  // resetSec: clearing the tables, included in cm us/B
      size_t mem = 0;
      const int ilv = c.ilv < 1 ? 1 : c.ilv > 8 ? 8 : c.ilv;
      const size_t lane = c.lane ? c.lane : ilv > 1 ? (len + ilv - 1) / ilv : len;
      if (ilv > 1) {  // groups of ilv lanes, each group coded interleaved on this thread
        for (size_t a = 0; a < len; a += lane * ilv) {
          Stage* L[8];
          size_t n[8];
          const uint16_t* nb[8];
          for (int j = 0; j < ilv; ++j) {
            const size_t s0 = std::min(len, a + j * lane), s1 = std::min(len, s0 + lane);
            L[j] = new Stage(c, data + s0);
            const auto tr = std::chrono::steady_clock::now();
            L[j]->reset();
            resetSec += secondsSince(tr);
            n[j] = s1 - s0;
            nb[j] = netBits.data() + s0 * 8;
          }
          mem = L[0]->memBytes() * ilv;
          bits += runInterleaved(L, n, nb, ilv);
          for (int j = 0; j < ilv; ++j) delete L[j];
        }
      }
      for (size_t a = 0; ilv == 1 && a < len; a += lane) {
        const size_t b = a + lane < len ? a + lane : len;
        Stage* st = new Stage(c, data + a);
        const auto tr = std::chrono::steady_clock::now();
        st->reset();
        resetSec += secondsSince(tr);
        mem = st->memBytes();
        bits += st->run(b - a, netBits.data() + a * 8, dumpBitsPath ? &dumpBits : nullptr);
        delete st;
      }
      const double sec = secondsSince(t0);
      std::printf("%-34s %8.4f %9.3f %9s %10zu %9.3f\n", c.name.c_str(), bits / len, sec * 1e6 / len,
                  c.net ? "(+net)" : "-", mem / 1024, resetSec * 1e6 / len);
      std::fflush(stdout);
    }
    if (dumpNetPath) writeU16(dumpNetPath, netBits);
    if (dumpBitsPath) writeU16(dumpBitsPath, dumpBits);
  } catch (const std::exception& e) {
    std::fprintf(stderr, "error: %s\n", e.what());
    return 1;
  }
  return 0;
}
