// Node binding of the float trainer (native/train): class Trainer.
//
//   new Trainer({ k, E, hidden, alphabet, seed, threads, lr, beta1, beta2, eps,
//                 batch, microBatch, laneSize, simd })
//   setData(train: Uint8Array[], valid: Uint8Array[])             copies the bytes
//   trainEpoch({ lasso, lassoEmbed, maxSamples }, onProgress?)  -> Promise<{ bits, samples, seconds, cancelled, epoch, step }>
//   evaluate('train' | 'valid', maxSamples?)                   -> Promise<bits per byte>
//   activationStats(maxSamples?, 'train' | 'valid')            -> Promise<{ layers, samples, embedMaxAbs }>
//   cancel()                                                   -> boolean (was something running)
//   groupRms(), prune(threshold = 1e-3), checkpoint(), Trainer.restore(buf, { threads, simd })
//   snapshot() -> opaque state (no data), restoreSnapshot(snap), clone({ threads }) -> Trainer sharing the data
//   Trainer.quantizeRows(w: Float32Array, n, scales?) -> { q: Int8Array, scales: Float32Array } (quant_rule.h)
//   setFakeQuant(params | null), exportFloat(), setOptimizer({ lr, beta1, beta2, eps, batch }), info()
//
// Rules (as in addon.cc): no C++ exception crosses into JS; every failure is
// a JS Error with a stable .code (ERR_NNC_INVALID_ARG, ERR_NNC_CORRUPT,
// ERR_NNC_UNSUPPORTED, ERR_NNC_INTERNAL; ERR_NNC_BUSY while an async call is
// in flight; ABORT_ERR for a cancelled evaluate / activationStats). Every
// argument is checked before anything is allocated. The long calls run on
// the addon's job threads (jobs.h; the trainer's own threads under them),
// never on libuv's pool, and never block the event loop; the job holds a
// reference to the JS object so it cannot be collected mid-call, and every
// other method refuses to run meanwhile.
#include <napi.h>

#include <atomic>
#include <cmath>
#include <cstdio>
#include <cstring>
#include <memory>
#include <mutex>
#include <new>
#include <string>
#include <vector>

#include "../core/cpu_features.h"
#include "../core/errors.h"
#include "../train/quant_rule.h"
#include "../train/trainer.h"
#include "args.h"
#include "errors.h"
#include "jobs.h"

namespace {

namespace tr = nnc::train;
using nnc::Code;

constexpr const char* kBusy = "ERR_NNC_BUSY";
constexpr const char* kAborted = "ABORT_ERR";

using nnc_addon::badArg;
using nnc_addon::bytesArg;
using nnc_addon::describe;
using nnc_addon::intArg;
using nnc_addon::makeError;
using nnc_addon::numberArg;
using nnc_addon::onlyKeys;
using nnc_addon::optionsArg;
using nnc_addon::simdArg;
using ByteView = nnc_addon::Bytes;

// The trainer's own exception type, beside the shared mapping (errors.h).
bool trainerException(nnc_addon::Failure& f) {
  try {
    throw;
  } catch (const tr::Cancelled&) {
    f.code = kAborted;
    f.message = "the operation was cancelled";
    return true;
  } catch (...) {
    return false;
  }
}

const nnc_addon::Boundary kTrainer{"trainer", "use a smaller batch, microBatch or network", trainerException};

// Maps a C++ exception (inside a catch block) to (code, message).
void classify(const char** code, std::string* msg) {
  nnc_addon::Failure f = nnc_addon::currentFailure(kTrainer);
  *code = f.code;
  msg->swap(f.message);
}

template <class Fn>
Napi::Value guard(const Napi::CallbackInfo& info, Fn fn) {
  return nnc_addon::guard(info.Env(), kTrainer, fn);
}

// ---- argument readers (the shared ones are args.h) ------------------------------

// maxSamples: a non-negative safe integer (0 = all).
uint64_t countArg(const Napi::Value& v, const std::string& name) {
  if (v.IsUndefined() || v.IsNull()) return 0;
  return static_cast<uint64_t>(intArg(v, name, 0, 9007199254740991LL));
}

std::vector<ByteView> segmentsArg(const Napi::Value& v, const std::string& name) {
  if (v.IsUndefined() || v.IsNull()) return {};
  if (!v.IsArray()) badArg(name, "an array of Uint8Array", describe(v));
  Napi::Array a = v.As<Napi::Array>();
  std::vector<ByteView> out;
  for (uint32_t i = 0; i < a.Length(); ++i) out.push_back(bytesArg(a.Get(i), name + "[" + std::to_string(i) + "]"));
  return out;
}

std::vector<float> floatsArg(const Napi::Value& v, const std::string& name) {
  std::vector<float> out;
  if (v.IsTypedArray() && v.As<Napi::TypedArray>().TypedArrayType() == napi_float32_array) {
    Napi::Float32Array f = v.As<Napi::Float32Array>();
    out.assign(f.Data(), f.Data() + f.ElementLength());
  } else if (v.IsArray()) {
    Napi::Array a = v.As<Napi::Array>();
    if (a.Length() > 65536) badArg(name, "at most 65536 numbers", std::to_string(a.Length()) + " items");
    for (uint32_t i = 0; i < a.Length(); ++i) out.push_back(float(numberArg(a.Get(i), name + "[" + std::to_string(i) + "]")));
  } else {
    badArg(name, "an array of numbers or a Float32Array", describe(v));
  }
  return out;
}

bool whichArg(const Napi::Value& v) {
  if (v.IsUndefined()) return false;
  if (v.IsString()) {
    const std::string s = v.As<Napi::String>().Utf8Value();
    if (s == "train") return false;
    if (s == "valid") return true;
  }
  badArg("which", "'train' or 'valid'", describe(v));
}

Napi::Float32Array toF32(Napi::Env env, const float* p, size_t n) {
  Napi::Float32Array a = Napi::Float32Array::New(env, n);
  if (n) std::memcpy(a.Data(), p, n * sizeof(float));
  return a;
}

// Type tags for the Externals this file hands out or adopts: a foreign
// External (or a snapshot passed where a trainer is adopted) is refused
// instead of being read as the wrong pointer.
constexpr napi_type_tag kTrainerTag = {0x6e6e63747261696eULL, 0x0000000000000001ULL};
constexpr napi_type_tag kSnapshotTag = {0x6e6e63747261696eULL, 0x0000000000000002ULL};

using SharedSnapshot = std::shared_ptr<const tr::Snapshot>;

Napi::Value snapshotValue(Napi::Env env, tr::Snapshot s) {
  const int64_t bytes = static_cast<int64_t>(s.bytes());
  auto* p = new SharedSnapshot(std::make_shared<const tr::Snapshot>(std::move(s)));
  Napi::External<SharedSnapshot> e;
  try {
    e = Napi::External<SharedSnapshot>::New(env, p, [bytes](Napi::Env env, SharedSnapshot* q) {
      delete q;
      Napi::MemoryManagement::AdjustExternalMemory(env, -bytes);
    });
  } catch (...) {
    delete p;
    throw;
  }
  e.TypeTag(&kSnapshotTag);
  // The weights live outside the JS heap: tell the GC what a snapshot holds.
  Napi::MemoryManagement::AdjustExternalMemory(env, bytes);
  return e;
}

const tr::Snapshot& snapshotArg(const Napi::Value& v) {
  if (!v.IsExternal() || !v.As<Napi::External<SharedSnapshot>>().CheckTypeTag(&kSnapshotTag))
    badArg("snapshot", "a value returned by trainer.snapshot()", describe(v));
  return **v.As<Napi::External<SharedSnapshot>>().Data();
}

Napi::Array intArray(Napi::Env env, const std::vector<int>& v) {
  Napi::Array a = Napi::Array::New(env, v.size());
  for (size_t i = 0; i < v.size(); ++i) a.Set(uint32_t(i), v[i]);
  return a;
}

// ---- the class ------------------------------------------------------------------

class TrainerWrap : public Napi::ObjectWrap<TrainerWrap> {
 public:
  static Napi::Function Define(Napi::Env env, Napi::FunctionReference* self) {
    return DefineClass(env, "Trainer",
                       {InstanceMethod<&TrainerWrap::SetData>("setData"),
                        InstanceMethod<&TrainerWrap::TrainEpoch>("trainEpoch"),
                        InstanceMethod<&TrainerWrap::Evaluate>("evaluate"),
                        InstanceMethod<&TrainerWrap::ActivationStats>("activationStats"),
                        InstanceMethod<&TrainerWrap::Cancel>("cancel"),
                        InstanceMethod<&TrainerWrap::GroupRms>("groupRms"),
                        InstanceMethod<&TrainerWrap::Prune>("prune"),
                        InstanceMethod<&TrainerWrap::Checkpoint>("checkpoint"),
                        InstanceMethod<&TrainerWrap::Snapshot>("snapshot"),
                        InstanceMethod<&TrainerWrap::RestoreSnapshot>("restoreSnapshot"),
                        InstanceMethod<&TrainerWrap::Clone>("clone", napi_default, self),
                        InstanceMethod<&TrainerWrap::SetFakeQuant>("setFakeQuant"),
                        InstanceMethod<&TrainerWrap::ExportFloat>("exportFloat"),
                        InstanceMethod<&TrainerWrap::SetOptimizer>("setOptimizer"),
                        InstanceMethod<&TrainerWrap::Info>("info"),
                        InstanceAccessor<&TrainerWrap::Busy>("busy"),
                        StaticMethod<&TrainerWrap::Restore>("restore", napi_default, self),
                        StaticMethod<&TrainerWrap::QuantizeRows>("quantizeRows")});
  }

  explicit TrainerWrap(const Napi::CallbackInfo& info) : Napi::ObjectWrap<TrainerWrap>(info) {
    nnc_addon::guard(info.Env(), kTrainer, [&] {
      if (info.Length() == 1 && info[0].IsExternal()) {
        // From Trainer.restore or clone(): adopt the trainer.
        if (!info[0].As<Napi::External<std::unique_ptr<tr::Trainer>>>().CheckTypeTag(&kTrainerTag))
          badArg("options", "an options object", describe(info[0]));
        auto* p = info[0].As<Napi::External<std::unique_ptr<tr::Trainer>>>().Data();
        trainer_ = std::move(*p);
        return;
      }
      trainer_.reset(new tr::Trainer(configArg(info[0])));
    });
  }

  tr::Trainer& trainer() { return *trainer_; }
  std::atomic<bool> cancel{false};
  bool busy = false;

 private:
  static tr::TrainConfig configArg(const Napi::Value& v) {
    Napi::Object o = optionsArg(v, "options");
    onlyKeys(o, "options",
             {"k", "E", "hidden", "alphabet", "seed", "threads", "lr", "beta1", "beta2", "eps", "batch", "microBatch",
              "laneSize", "simd"});
    tr::TrainConfig c;
    auto has = [&](const char* k) { return o.Has(k) && !o.Get(k).IsUndefined(); };
    if (has("k")) c.k = int(intArg(o.Get("k"), "k", 1, 64));
    if (has("E")) c.E = int(intArg(o.Get("E"), "E", 1, 64));
    if (has("hidden")) {
      Napi::Value h = o.Get("hidden");
      if (!h.IsArray() || h.As<Napi::Array>().Length() < 1 || h.As<Napi::Array>().Length() > tr::kMaxLayers)
        badArg("hidden", "an array of 1 to 4 layer widths", describe(h));
      c.hidden.clear();
      Napi::Array a = h.As<Napi::Array>();
      for (uint32_t i = 0; i < a.Length(); ++i)
        c.hidden.push_back(int(intArg(a.Get(i), "hidden[" + std::to_string(i) + "]", 1, 4096)));
    }
    if (has("alphabet")) {
      const ByteView b = bytesArg(o.Get("alphabet"), "alphabet");
      c.alphabet.assign(b.data, b.data + b.len);
    } else {
      for (int i = 0; i < 256; ++i) c.alphabet.push_back(uint8_t(i));
    }
    if (has("seed")) {
      Napi::Value s = o.Get("seed");
      if (s.IsBigInt()) {
        bool lossless = false;
        c.seed = s.As<Napi::BigInt>().Uint64Value(&lossless);
        if (!lossless) badArg("seed", "an integer in [0, 2^64)", "a BigInt out of range");
      } else {
        c.seed = uint64_t(intArg(s, "seed", 0, 9007199254740991LL));
      }
    }
    if (has("threads")) c.threads = int(intArg(o.Get("threads"), "threads", 0, 256));
    if (has("lr")) c.lr = numberArg(o.Get("lr"), "lr");
    if (has("beta1")) c.beta1 = numberArg(o.Get("beta1"), "beta1");
    if (has("beta2")) c.beta2 = numberArg(o.Get("beta2"), "beta2");
    if (has("eps")) c.eps = numberArg(o.Get("eps"), "eps");
    if (has("batch")) c.batch = int(intArg(o.Get("batch"), "batch", 1, 1 << 20));
    if (has("microBatch")) c.microBatch = int(intArg(o.Get("microBatch"), "microBatch", 1, 1 << 16));
    if (has("laneSize")) c.laneSize = int(intArg(o.Get("laneSize"), "laneSize", 1, 1 << 24));
    if (has("simd")) c.simd = simdArg(o.Get("simd"));
    tr::validateConfig(c);
    return c;
  }

  // Every method but cancel() and busy refuses to run while an async call is in flight.
  void checkIdle(Napi::Env env) const {
    if (busy)
      throw makeError(env, kBusy,
                       "the trainer is busy with a trainEpoch/evaluate/activationStats call; await it (or call cancel()) first");
  }

  Napi::Value SetData(const Napi::CallbackInfo& info) {
    return guard(info, [&]() -> Napi::Value {
      checkIdle(info.Env());
      const std::vector<ByteView> t = segmentsArg(info[0], "train"), v = segmentsArg(info[1], "valid");
      std::vector<std::pair<const uint8_t*, size_t>> tv, vv;
      for (const auto& b : t) tv.push_back({b.data, b.len});
      for (const auto& b : v) vv.push_back({b.data, b.len});
      trainer_->setData(tv, vv);
      return info.Env().Undefined();
    });
  }

  Napi::Value TrainEpoch(const Napi::CallbackInfo& info);
  Napi::Value Evaluate(const Napi::CallbackInfo& info);
  Napi::Value ActivationStats(const Napi::CallbackInfo& info);

  Napi::Value Cancel(const Napi::CallbackInfo& info) {
    const bool was = busy;
    if (busy) cancel = true;
    return Napi::Boolean::New(info.Env(), was);
  }

  Napi::Value Busy(const Napi::CallbackInfo& info) { return Napi::Boolean::New(info.Env(), busy); }

  Napi::Value GroupRms(const Napi::CallbackInfo& info) {
    return guard(info, [&]() -> Napi::Value {
      Napi::Env env = info.Env();
      checkIdle(env);
      const tr::GroupRms r = trainer_->groupRms();
      Napi::Object o = Napi::Object::New(env);
      Napi::Array layers = Napi::Array::New(env, r.in.size());
      for (size_t l = 0; l < r.in.size(); ++l) {
        Napi::Object ly = Napi::Object::New(env);
        ly.Set("in", toF32(env, r.in[l].data(), r.in[l].size()));
        ly.Set("out", toF32(env, r.out[l].data(), r.out[l].size()));
        layers.Set(uint32_t(l), ly);
      }
      o.Set("layers", layers);
      o.Set("embed", toF32(env, r.embed.data(), r.embed.size()));
      return o;
    });
  }

  Napi::Value Prune(const Napi::CallbackInfo& info) {
    return guard(info, [&]() -> Napi::Value {
      Napi::Env env = info.Env();
      checkIdle(env);
      const double thr = info[0].IsUndefined() ? 1e-3 : numberArg(info[0], "threshold");
      const tr::PruneResult r = trainer_->prune(thr);
      Napi::Object o = Napi::Object::New(env);
      o.Set("removed", intArray(env, r.removed));
      o.Set("embedRemoved", r.embedRemoved);
      o.Set("hidden", intArray(env, r.hidden));
      o.Set("E", r.E);
      return o;
    });
  }

  Napi::Value Checkpoint(const Napi::CallbackInfo& info) {
    return guard(info, [&]() -> Napi::Value {
      checkIdle(info.Env());
      std::vector<uint8_t> b = trainer_->checkpoint();
      return Napi::Buffer<uint8_t>::Copy(info.Env(), b.data(), b.size());
    });
  }

  static Napi::Value Restore(const Napi::CallbackInfo& info) {
    return guard(info, [&]() -> Napi::Value {
      const ByteView b = bytesArg(info[0], "checkpoint");
      Napi::Object o = optionsArg(info[1], "options");
      onlyKeys(o, "options", {"threads", "simd"});
      const int threads = o.Has("threads") && !o.Get("threads").IsUndefined() ? int(intArg(o.Get("threads"), "threads", 0, 256)) : 0;
      const nnc::Simd simd = simdArg(o.Get("simd"));
      return adopt(info, tr::Trainer::restore(b.data, b.len, threads, simd));
    });
  }

  // A new Trainer object owning t (info.Data() is the constructor reference).
  static Napi::Value adopt(const Napi::CallbackInfo& info, std::unique_ptr<tr::Trainer> t) {
    auto* ctor = static_cast<Napi::FunctionReference*>(info.Data());
    Napi::External<std::unique_ptr<tr::Trainer>> e = Napi::External<std::unique_ptr<tr::Trainer>>::New(info.Env(), &t);
    e.TypeTag(&kTrainerTag);
    return ctor->New({e});
  }

  Napi::Value Snapshot(const Napi::CallbackInfo& info) {
    return guard(info, [&]() -> Napi::Value {
      checkIdle(info.Env());
      return snapshotValue(info.Env(), trainer_->snapshot());
    });
  }

  Napi::Value RestoreSnapshot(const Napi::CallbackInfo& info) {
    return guard(info, [&]() -> Napi::Value {
      checkIdle(info.Env());
      trainer_->restoreSnapshot(snapshotArg(info[0]));
      return info.Env().Undefined();
    });
  }

  Napi::Value Clone(const Napi::CallbackInfo& info) {
    return guard(info, [&]() -> Napi::Value {
      checkIdle(info.Env());
      Napi::Object o = optionsArg(info[0], "options");
      onlyKeys(o, "options", {"threads"});
      const int threads = o.Has("threads") && !o.Get("threads").IsUndefined() ? int(intArg(o.Get("threads"), "threads", 0, 256)) : 0;
      return adopt(info, trainer_->clone(threads));
    });
  }

  // The fake-quant weight rule on rows of n weights: scales given (one, or
  // one per row) or each row's own max|w| / 127. For test/quant-rule.test.ts,
  // which pins src/train/export.ts to it.
  static Napi::Value QuantizeRows(const Napi::CallbackInfo& info) {
    return guard(info, [&]() -> Napi::Value {
      Napi::Env env = info.Env();
      if (!info[0].IsTypedArray() || info[0].As<Napi::TypedArray>().TypedArrayType() != napi_float32_array)
        badArg("weights", "a Float32Array", describe(info[0]));
      Napi::Float32Array w = info[0].As<Napi::Float32Array>();
      const size_t total = w.ElementLength();
      const size_t n = size_t(intArg(info[1], "n", 1, 1 << 24));
      if (total % n) badArg("n", "a divisor of the weight count " + std::to_string(total), std::to_string(n));
      const size_t rows = total / n;
      std::vector<float> given;
      if (!info[2].IsUndefined()) {
        given = info[2].IsNumber() ? std::vector<float>{float(numberArg(info[2], "scales"))} : floatsArg(info[2], "scales");
        if (given.size() != 1 && given.size() != rows)
          badArg("scales", "1 or " + std::to_string(rows) + " numbers", std::to_string(given.size()) + " numbers");
        for (float s : given)
          if (!std::isfinite(s) || !(s > 0)) badArg("scales", "finite numbers > 0", std::to_string(s));
      }
      Napi::Int8Array q = Napi::Int8Array::New(env, total);
      Napi::Float32Array sc = Napi::Float32Array::New(env, rows);
      for (size_t r = 0; r < rows; ++r) {
        const float* row = w.Data() + r * n;
        const float s = given.empty() ? tr::quant::rowScale(row, n) : given.size() == 1 ? given[0] : given[r];
        const float inv = 1.f / s;
        for (size_t i = 0; i < n; ++i) q[r * n + i] = int8_t(tr::quant::weightStep(row[i], inv));
        sc[r] = s;
      }
      Napi::Object o = Napi::Object::New(env);
      o.Set("q", q);
      o.Set("scales", sc);
      return o;
    });
  }

  Napi::Value SetFakeQuant(const Napi::CallbackInfo& info) {
    return guard(info, [&]() -> Napi::Value {
      Napi::Env env = info.Env();
      checkIdle(env);
      if (info[0].IsNull() || info[0].IsUndefined()) {
        trainer_->setFakeQuant(nullptr);
        return env.Undefined();
      }
      Napi::Object o = optionsArg(info[0], "fakeQuant");
      onlyKeys(o, "fakeQuant", {"embedScale", "actScale", "weightScale"});
      tr::FakeQuant fq;
      if (o.Has("embedScale") && !o.Get("embedScale").IsUndefined()) fq.embedScale = float(numberArg(o.Get("embedScale"), "embedScale"));
      fq.actScale = floatsArg(o.Get("actScale"), "actScale");
      if (o.Has("weightScale") && !o.Get("weightScale").IsUndefined()) {
        Napi::Value w = o.Get("weightScale");
        if (!w.IsArray()) badArg("weightScale", "an array (one entry per hidden layer, then the output layer)", describe(w));
        Napi::Array a = w.As<Napi::Array>();
        if (a.Length() > tr::kMaxLayers + 1) badArg("weightScale", "at most 5 entries", std::to_string(a.Length()) + " entries");
        for (uint32_t i = 0; i < a.Length(); ++i) {
          Napi::Value e = a.Get(i);
          const std::string name = "weightScale[" + std::to_string(i) + "]";
          if (e.IsNull() || e.IsUndefined()) fq.weightScale.emplace_back();
          else if (e.IsNumber()) fq.weightScale.push_back({float(numberArg(e, name))});
          else fq.weightScale.push_back(floatsArg(e, name));
        }
      }
      trainer_->setFakeQuant(&fq);
      return env.Undefined();
    });
  }

  Napi::Value ExportFloat(const Napi::CallbackInfo& info) {
    return guard(info, [&]() -> Napi::Value {
      Napi::Env env = info.Env();
      checkIdle(env);
      const tr::FloatModel f = trainer_->exportFloat();
      Napi::Object o = Napi::Object::New(env);
      o.Set("k", f.arch.k);
      o.Set("E", f.arch.E);
      o.Set("A", f.arch.A);
      o.Set("hidden", intArray(env, f.arch.H));
      o.Set("alphabet", Napi::Uint8Array::New(env, f.alphabet.size()));
      if (!f.alphabet.empty())
        std::memcpy(o.Get("alphabet").As<Napi::Uint8Array>().Data(), f.alphabet.data(), f.alphabet.size());
      o.Set("emb", toF32(env, f.emb.data(), f.emb.size()));
      Napi::Array layers = Napi::Array::New(env, f.W.size());
      for (size_t l = 0; l < f.W.size(); ++l) {
        Napi::Object ly = Napi::Object::New(env);
        ly.Set("W", toF32(env, f.W[l].data(), f.W[l].size()));
        ly.Set("b", toF32(env, f.b[l].data(), f.b[l].size()));
        layers.Set(uint32_t(l), ly);
      }
      o.Set("layers", layers);
      Napi::Object out = Napi::Object::New(env);
      out.Set("W", toF32(env, f.Wo.data(), f.Wo.size()));
      out.Set("b", toF32(env, f.bo.data(), f.bo.size()));
      o.Set("out", out);
      return o;
    });
  }

  Napi::Value SetOptimizer(const Napi::CallbackInfo& info) {
    return guard(info, [&]() -> Napi::Value {
      checkIdle(info.Env());
      Napi::Object o = optionsArg(info[0], "options");
      onlyKeys(o, "options", {"lr", "beta1", "beta2", "eps", "batch"});
      const tr::TrainConfig& c = trainer_->config();
      auto num = [&](const char* k, double d) { return o.Has(k) && !o.Get(k).IsUndefined() ? numberArg(o.Get(k), k) : d; };
      const int batch = o.Has("batch") && !o.Get("batch").IsUndefined() ? int(intArg(o.Get("batch"), "batch", 1, 1 << 20)) : c.batch;
      trainer_->setOptimizer(num("lr", c.lr), num("beta1", c.beta1), num("beta2", c.beta2), num("eps", c.eps), batch);
      return info.Env().Undefined();
    });
  }

  Napi::Value Info(const Napi::CallbackInfo& info) {
    return guard(info, [&]() -> Napi::Value {
      Napi::Env env = info.Env();
      checkIdle(env);
      const tr::Trainer& t = *trainer_;
      const tr::TrainConfig& c = t.config();
      Napi::Object o = Napi::Object::New(env);
      o.Set("k", t.arch().k);
      o.Set("E", t.arch().E);
      o.Set("A", t.arch().A);
      o.Set("hidden", intArray(env, t.arch().H));
      o.Set("params", double(t.paramCount()));
      o.Set("step", double(t.step()));
      o.Set("epoch", double(t.epoch()));
      o.Set("threads", t.threads());
      o.Set("simd", Napi::String::New(env, t.simdName()));
      // Seeds beyond 2^53 (given as BigInt) come back as BigInt.
      if (c.seed <= (uint64_t(1) << 53)) o.Set("seed", double(c.seed));
      else o.Set("seed", Napi::BigInt::New(env, c.seed));
      o.Set("lr", c.lr);
      o.Set("beta1", c.beta1);
      o.Set("beta2", c.beta2);
      o.Set("eps", c.eps);
      o.Set("batch", c.batch);
      o.Set("microBatch", c.microBatch);
      o.Set("laneSize", c.laneSize);
      o.Set("trainBytes", double(t.trainSize()));
      o.Set("validBytes", double(t.validSize()));
      o.Set("fakeQuant", Napi::Boolean::New(env, t.fakeQuantEnabled()));
      return o;
    });
  }

  std::unique_ptr<tr::Trainer> trainer_;
};

// ---- async calls ------------------------------------------------------------------

// Marks the wrapper busy for the job's lifetime and keeps it alive.
class Lease {
 public:
  Lease(TrainerWrap* w, const Napi::Object& self) : w_(w), ref_(Napi::Persistent(self)) {
    w_->busy = true;
    w_->cancel = false;
  }
  ~Lease() { w_->busy = false; }
  TrainerWrap* w() const { return w_; }

 private:
  TrainerWrap* w_;
  Napi::ObjectReference ref_;
};

struct EpochProgress {
  uint64_t done = 0, total = 0;
  double bits = 0;
};

class EpochJob : public nnc_addon::Job {
 public:
  EpochJob(Napi::Env env, TrainerWrap* w, const Napi::Object& self, tr::EpochOptions o, Napi::Value onProgress)
      : nnc_addon::Job(env, "nnc-train-epoch"),
        deferred_(Napi::Promise::Deferred::New(env)),
        lease_(w, self),
        opts_(o) {
    if (onProgress.IsFunction()) progress_ = Napi::Persistent(onProgress.As<Napi::Function>());
    report_ = !progress_.IsEmpty();
  }
  Napi::Promise promise() { return deferred_.Promise(); }

  void Execute() noexcept override {
    try {
      result_ = lease_.w()->trainer().trainEpoch(
          opts_,
          [&](uint64_t done, uint64_t total, double bits) {
            if (!report_) return;
            {
              std::lock_guard<std::mutex> lk(latestMu_);
              latest_ = {done, total, bits};
            }
            notifyProgress();
          },
          &lease_.w()->cancel);
    } catch (...) {
      failed_ = true;
      classify(&code_, &msg_);
    }
  }

  void Cancel() noexcept override { lease_.w()->cancel = true; }

  // Calls onProgress with the latest report (reports that arrive faster
  // than the JS thread takes them are coalesced).
  void Progress(Napi::Env env) override {
    if (progress_.IsEmpty() || !callbackError_.IsEmpty()) return;
    EpochProgress pr;
    {
      std::lock_guard<std::mutex> lk(latestMu_);
      pr = latest_;
    }
    try {
      progress_.Call({Napi::Number::New(env, double(pr.done)), Napi::Number::New(env, double(pr.total)),
                      Napi::Number::New(env, pr.bits)});
    } catch (const Napi::Error& e) {
      // A throwing callback stops the epoch (at the next batch) and rejects with its error.
      callbackError_ = Napi::Reference<Napi::Value>::New(e.Value(), 1);
      lease_.w()->cancel = true;
    }
  }

  void Complete(Napi::Env env) override {
    if (!callbackError_.IsEmpty()) {
      deferred_.Reject(callbackError_.Value());
      return;
    }
    if (failed_) {
      deferred_.Reject(makeError(env, code_, msg_).Value());
      return;
    }
    const tr::Trainer& t = lease_.w()->trainer();
    Napi::Object o = Napi::Object::New(env);
    o.Set("bits", result_.bits);
    o.Set("samples", double(result_.samples));
    o.Set("seconds", result_.seconds);
    o.Set("cancelled", Napi::Boolean::New(env, result_.cancelled));
    o.Set("epoch", double(t.epoch()));
    o.Set("step", double(t.step()));
    deferred_.Resolve(o);
  }

 private:
  Napi::Promise::Deferred deferred_;
  Lease lease_;
  tr::EpochOptions opts_;
  Napi::FunctionReference progress_;
  bool report_ = false;
  std::mutex latestMu_;
  EpochProgress latest_;
  Napi::Reference<Napi::Value> callbackError_;
  tr::EpochResult result_;
  bool failed_ = false;
  const char* code_ = "ERR_NNC_INTERNAL";
  std::string msg_;
};

// evaluate / activationStats: a forward-only pass on a job thread.
class ForwardJob : public nnc_addon::Job {
 public:
  enum Kind { kEvaluate, kStats };
  ForwardJob(Napi::Env env, TrainerWrap* w, const Napi::Object& self, Kind kind, bool valid, uint64_t maxSamples)
      : nnc_addon::Job(env, "nnc-train-forward"),
        deferred_(Napi::Promise::Deferred::New(env)),
        lease_(w, self),
        kind_(kind),
        valid_(valid),
        max_(maxSamples) {}
  Napi::Promise promise() { return deferred_.Promise(); }

  void Execute() noexcept override {
    try {
      tr::Trainer& t = lease_.w()->trainer();
      if (kind_ == kEvaluate) bits_ = t.evaluate(valid_, max_, &lease_.w()->cancel);
      else stats_ = t.activationStats(valid_, max_, &lease_.w()->cancel);
    } catch (...) {
      failed_ = true;
      classify(&code_, &msg_);
    }
  }

  void Cancel() noexcept override { lease_.w()->cancel = true; }

  void Complete(Napi::Env env) override {
    if (failed_) {
      deferred_.Reject(makeError(env, code_, msg_).Value());
      return;
    }
    if (kind_ == kEvaluate) {
      deferred_.Resolve(Napi::Number::New(env, bits_));
      return;
    }
    Napi::Object o = Napi::Object::New(env);
    Napi::Array layers = Napi::Array::New(env, stats_.layers.size());
    for (size_t l = 0; l < stats_.layers.size(); ++l) {
      const auto& s = stats_.layers[l];
      Napi::Object ly = Napi::Object::New(env);
      ly.Set("max", s.max);
      ly.Set("p99", s.p99);
      ly.Set("p999", s.p999);
      ly.Set("p9999", s.p9999);
      ly.Set("p99999", s.p99999);
      ly.Set("mean", s.mean);
      ly.Set("zeroFraction", s.zeroFraction);
      layers.Set(uint32_t(l), ly);
    }
    o.Set("layers", layers);
    o.Set("samples", double(stats_.samples));
    o.Set("embedMaxAbs", stats_.embedMaxAbs);
    deferred_.Resolve(o);
  }

 private:
  Napi::Promise::Deferred deferred_;
  Lease lease_;
  Kind kind_;
  bool valid_;
  uint64_t max_;
  double bits_ = 0;
  tr::ActivationStats stats_;
  bool failed_ = false;
  const char* code_ = "ERR_NNC_INTERNAL";
  std::string msg_;
};

// Queues the job; returns its promise.
template <class J>
Napi::Value queued(Napi::Env env, std::unique_ptr<J> job) {
  Napi::Promise p = job->promise();
  nnc_addon::queueJob(env, std::move(job));
  return p;
}

Napi::Value TrainerWrap::TrainEpoch(const Napi::CallbackInfo& info) {
  return guard(info, [&]() -> Napi::Value {
    Napi::Env env = info.Env();
    checkIdle(env);
    Napi::Object o = optionsArg(info[0], "options");
    onlyKeys(o, "options", {"lasso", "lassoEmbed", "maxSamples"});
    tr::EpochOptions eo;
    if (o.Has("lasso") && !o.Get("lasso").IsUndefined()) eo.lasso = numberArg(o.Get("lasso"), "lasso");
    if (o.Has("lassoEmbed") && !o.Get("lassoEmbed").IsUndefined()) eo.lassoEmbed = numberArg(o.Get("lassoEmbed"), "lassoEmbed");
    eo.maxSamples = countArg(o.Get("maxSamples"), "maxSamples");
    if (!std::isfinite(eo.lasso) || eo.lasso < 0) badArg("lasso", "a finite number >= 0", describe(o.Get("lasso")));
    if (o.Has("lassoEmbed") && !o.Get("lassoEmbed").IsUndefined() && (!std::isfinite(eo.lassoEmbed) || eo.lassoEmbed < 0))
      badArg("lassoEmbed", "a finite number >= 0", describe(o.Get("lassoEmbed")));
    if (!info[1].IsUndefined() && !info[1].IsFunction()) badArg("onProgress", "a function", describe(info[1]));
    if (trainer_->trainSize() == 0)
      badArg("training data", "a non-empty training set (call setData first)", "an empty set");
    return queued(env, std::make_unique<EpochJob>(env, this, Value(), eo, info[1]));
  });
}

Napi::Value TrainerWrap::Evaluate(const Napi::CallbackInfo& info) {
  return guard(info, [&]() -> Napi::Value {
    Napi::Env env = info.Env();
    checkIdle(env);
    const bool valid = whichArg(info[0]);
    const uint64_t n = countArg(info[1], "maxSamples");
    if ((valid ? trainer_->validSize() : trainer_->trainSize()) == 0)
      badArg("which", "a non-empty data set", valid ? "'valid' (empty)" : "'train' (empty)");
    return queued(env, std::make_unique<ForwardJob>(env, this, Value(), ForwardJob::kEvaluate, valid, n));
  });
}

Napi::Value TrainerWrap::ActivationStats(const Napi::CallbackInfo& info) {
  return guard(info, [&]() -> Napi::Value {
    Napi::Env env = info.Env();
    checkIdle(env);
    const uint64_t n = countArg(info[0], "maxSamples");
    const bool valid = whichArg(info[1]);
    if ((valid ? trainer_->validSize() : trainer_->trainSize()) == 0)
      badArg("which", "a non-empty data set", valid ? "'valid' (empty)" : "'train' (empty)");
    return queued(env, std::make_unique<ForwardJob>(env, this, Value(), ForwardJob::kStats, valid, n));
  });
}

}  // namespace

// Adds `Trainer` to the addon's exports. Called from addon.cc's Init.
void RegisterTrain(Napi::Env env, Napi::Object exports) {
  // The constructor reference Trainer.restore uses; freed at env teardown.
  auto* ctor = new Napi::FunctionReference();
  env.AddCleanupHook([ctor]() { delete ctor; });
  Napi::Function cls = TrainerWrap::Define(env, ctor);
  *ctor = Napi::Persistent(cls);
  exports.Set("Trainer", cls);
}
