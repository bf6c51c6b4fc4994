// Trainer state: everything needed to continue bit-identically
// (architecture, hyper-parameters, weights, Adam moments, step, epoch, RNG
// state, fake-quant settings), as bytes (checkpoint / restore: call setData
// after restore) or in memory (snapshot / restoreSnapshot / clone, which
// keep or share the data instead of copying it again).
//
// Layout, all little-endian, no padding:
//   magic "\x89NCT" | u32 version = 1
//   u32 k, E, L, A | u32 H[L] | u8 alphabet[A-1]
//   u64 seed | u32 threads | f64 lr, beta1, beta2, eps | u32 batch, microBatch, laneSize
//   u64 step, epoch | u64 rng[4]
//   u8 fakeQuant (0/1) | if 1: f32 embedScale, f32 actScale[L], L+1 times { u32 n, f32[n] }
//   u64 P | f32 theta[P] | f32 m[P] | f32 v[P]
//   u64 XXH64 of every byte before it
// A reader checks the size, magic, version and checksum first, then every
// field's range, and that P and the byte count match the architecture,
// before it allocates anything.
#include <cmath>
#include <cstring>
#include <string>

#include "../core/bytes.h"
#include "../core/errors.h"
#include "../core/xxhash64.h"
#include "scratch.h"
#include "trainer.h"

namespace nnc {
namespace train {

namespace {

constexpr uint8_t kMagic[4] = {0x89, 'N', 'C', 'T'};
constexpr uint32_t kVersion = 1;

class Writer {
 public:
  void bytes(const void* p, size_t n) {
    const uint8_t* b = static_cast<const uint8_t*>(p);
    out.insert(out.end(), b, b + n);
  }
  void u8(uint8_t v) { out.push_back(v); }
  void u32(uint32_t v) {
    out.resize(out.size() + 4);
    wr32(out.data() + out.size() - 4, v);
  }
  void u64(uint64_t v) {
    out.resize(out.size() + 8);
    wr64(out.data() + out.size() - 8, v);
  }
  void f32(float f) {
    uint32_t v;
    std::memcpy(&v, &f, 4);
    u32(v);
  }
  void f64(double f) {
    uint64_t v;
    std::memcpy(&v, &f, 8);
    u64(v);
  }
  void f32s(const std::vector<float>& v) {
    for (float f : v) f32(f);
  }
  std::vector<uint8_t> out;
};

[[noreturn]] void corrupt(const std::string& why) { fail(Code::Corrupt, "trainer checkpoint: " + why); }

struct Truncated {
  [[noreturn]] static void fail() { corrupt("truncated"); }
};

class Reader : public ByteReader<Truncated> {
 public:
  using ByteReader::ByteReader;
  // Small-range integer: checked before it sizes anything.
  int bounded(const char* name, uint32_t lo, uint32_t hi) {
    const uint32_t v = u32();
    if (v < lo || v > hi) corrupt(std::string(name) + " out of range: " + std::to_string(v));
    return static_cast<int>(v);
  }
};

}  // namespace

std::vector<uint8_t> Trainer::checkpoint() const {
  Writer w;
  w.bytes(kMagic, 4);
  w.u32(kVersion);
  const Arch& a = arch_;
  w.u32(a.k);
  w.u32(a.E);
  w.u32(a.L());
  w.u32(a.A);
  for (int h : a.H) w.u32(h);
  w.bytes(cfg_.alphabet.data(), cfg_.alphabet.size());
  w.u64(cfg_.seed);
  w.u32(cfg_.threads);
  w.f64(cfg_.lr);
  w.f64(cfg_.beta1);
  w.f64(cfg_.beta2);
  w.f64(cfg_.eps);
  w.u32(cfg_.batch);
  w.u32(cfg_.microBatch);
  w.u32(cfg_.laneSize);
  w.u64(step_);
  w.u64(epoch_);
  for (uint64_t s : rng_.s) w.u64(s);
  w.u8(fqOn_ ? 1 : 0);
  if (fqOn_) {
    w.f32(fq_.embedScale);
    for (float s : fq_.actScale) w.f32(s);
    for (const auto& ws : fq_.weightScale) {
      w.u32(static_cast<uint32_t>(ws.size()));
      w.f32s(ws);
    }
  }
  w.u64(lay_.total);
  w.out.reserve(w.out.size() + 12 * lay_.total + 8);
  w.f32s(theta_);
  w.f32s(m_);
  w.f32s(v_);
  w.u64(xxh64(w.out.data(), w.out.size()));
  return std::move(w.out);
}

std::unique_ptr<Trainer> Trainer::restore(const uint8_t* data, size_t size, int threads, Simd simd) {
  if (!data || size < 16) corrupt("too short");
  if (std::memcmp(data, kMagic, 4) != 0) corrupt("bad magic (not a trainer checkpoint)");
  Reader r(data, size - 8);
  r.take(4);
  const uint32_t version = r.u32();
  if (version != kVersion)
    fail(Code::Unsupported, "trainer checkpoint version " + std::to_string(version) + " is not supported (this build reads 1)");
  uint64_t stored = 0;
  for (int i = 0; i < 8; ++i) stored |= uint64_t(data[size - 8 + i]) << (8 * i);
  if (xxh64(data, size - 8) != stored) corrupt("checksum mismatch");

  TrainConfig c;
  c.k = r.bounded("k", 1, 64);
  c.E = r.bounded("E", 1, 64);
  const int L = r.bounded("L", 1, kMaxLayers);
  const int A = r.bounded("A", 2, 257);
  c.hidden.resize(L);
  for (int l = 0; l < L; ++l) c.hidden[l] = r.bounded("hidden width", 1, 4096);
  const uint8_t* alpha = r.take(size_t(A) - 1);
  c.alphabet.assign(alpha, alpha + A - 1);
  c.seed = r.u64();
  c.threads = r.bounded("threads", 0, 256);
  c.lr = r.f64();
  c.beta1 = r.f64();
  c.beta2 = r.f64();
  c.eps = r.f64();
  c.batch = r.bounded("batch", 1, 1u << 20);
  c.microBatch = r.bounded("microBatch", 1, 1u << 16);
  c.laneSize = r.bounded("laneSize", 1, 1u << 24);
  c.simd = simd;
  try {
    validateConfig(c);
  } catch (const Error& e) {
    corrupt(e.message());
  }
  const uint64_t step = r.u64(), epoch = r.u64();
  uint64_t rng[4];
  for (auto& s : rng) s = r.u64();
  if (!(rng[0] | rng[1] | rng[2] | rng[3])) corrupt("RNG state is all zero");
  const uint8_t fqFlag = r.u8();
  if (fqFlag > 1) corrupt("fake-quant flag must be 0 or 1");
  FakeQuant fq;
  if (fqFlag) {
    fq.embedScale = r.f32();
    fq.actScale.resize(L);
    for (auto& s : fq.actScale) s = r.f32();
    fq.weightScale.resize(L + 1);
    for (int l = 0; l <= L; ++l) {
      const int rows = l < L ? c.hidden[l] : A;
      const int n = r.bounded("weightScale length", 0, static_cast<uint32_t>(rows));
      if (size_t(n) * 4 > r.left()) corrupt("truncated");
      fq.weightScale[l].resize(n);
      for (auto& s : fq.weightScale[l]) s = r.f32();
    }
  }
  Arch arch;
  arch.k = c.k, arch.E = c.E, arch.A = A, arch.H = c.hidden;
  const uint64_t P = r.u64();
  if (P != Layout::of(arch).total) corrupt("parameter count does not match the architecture");
  if (r.left() != 12 * P) corrupt("size does not match the parameter count");

  if (threads > 0) c.threads = threads;
  std::unique_ptr<Trainer> t(new Trainer(c, false));
  for (auto* vec : {&t->theta_, &t->m_, &t->v_})
    for (auto& f : *vec) {
      f = r.f32();
      if (!std::isfinite(f)) corrupt("non-finite parameter");
    }
  for (float v : t->v_)
    if (v < 0) corrupt("negative second moment");
  t->step_ = step;
  t->epoch_ = epoch;
  for (int i = 0; i < 4; ++i) t->rng_.s[i] = rng[i];
  if (fqFlag) {
    try {
      t->setFakeQuant(&fq);
    } catch (const Error& e) {
      corrupt(e.message());
    }
  }
  return t;
}

// ---------------------------------------------------------------- in memory

Snapshot Trainer::snapshot() const {
  Snapshot s;
  s.config = cfg_;
  s.theta = theta_;
  s.m = m_;
  s.v = v_;
  s.step = step_;
  s.epoch = epoch_;
  s.rng = rng_;
  s.fakeQuant = fqOn_;
  if (fqOn_) s.fq = fq_;
  return s;
}

void Trainer::restoreSnapshot(const Snapshot& s) {
  TrainConfig c = s.config;
  c.threads = cfg_.threads;
  c.simd = cfg_.simd;
  validateConfig(c);
  Arch a;
  a.k = c.k, a.E = c.E, a.A = static_cast<int>(c.alphabet.size()) + 1, a.H = c.hidden;
  const Layout y = Layout::of(a);
  if (s.theta.size() != y.total || s.m.size() != y.total || s.v.size() != y.total)
    fail(Code::InvalidArg, "snapshot: parameter count does not match its architecture");
  // Copies first, so a failed allocation leaves this trainer as it was.
  std::vector<float> theta(s.theta), m(s.m), v(s.v), grad(y.total, 0.f);
  cfg_ = c;
  arch_ = a;
  lay_ = y;
  buildTokenTable();
  theta_.swap(theta);
  m_.swap(m);
  v_.swap(v);
  grad_.swap(grad);
  step_ = s.step;
  epoch_ = s.epoch;
  rng_ = s.rng;
  fqOn_ = s.fakeQuant;
  fq_ = s.fakeQuant ? s.fq : FakeQuant();
  thetaQ_.clear();
  s_.reset();
}

std::unique_ptr<Trainer> Trainer::clone(int threads) const {
  TrainConfig c = cfg_;
  if (threads > 0) c.threads = threads;
  std::unique_ptr<Trainer> t(new Trainer(c, false));
  t->theta_ = theta_;
  t->m_ = m_;
  t->v_ = v_;
  t->step_ = step_;
  t->epoch_ = epoch_;
  t->rng_ = rng_;
  t->fqOn_ = fqOn_;
  if (fqOn_) t->fq_ = fq_;
  t->data_ = data_;
  return t;
}

}  // namespace train
}  // namespace nnc
