// Node binding of the float trainer (native/train): class Trainer (its API,
// rules and file map are in train_wrap.h). This file: the class, its
// construction (new, restore, clone) and its synchronous methods.
#include <napi.h>

#include <memory>
#include <string>
#include <vector>

#include "args.h"
#include "errors.h"
#include "train_args.h"
#include "train_wrap.h"

namespace nnc_addon {
namespace trainer {

namespace {

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

}  // namespace

Napi::Function TrainerWrap::Define(Napi::Env env, Napi::FunctionReference* self) {
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

TrainerWrap::TrainerWrap(const Napi::CallbackInfo& info) : Napi::ObjectWrap<TrainerWrap>(info) {
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

Napi::Value TrainerWrap::SetData(const Napi::CallbackInfo& info) {
  return guard(info, [&]() -> Napi::Value {
    checkIdle(info.Env());
    const std::vector<Bytes> t = segmentsArg(info[0], "train"), v = segmentsArg(info[1], "valid");
    std::vector<std::pair<const uint8_t*, size_t>> tv, vv;
    for (const auto& b : t) tv.push_back({b.data, b.len});
    for (const auto& b : v) vv.push_back({b.data, b.len});
    trainer_->setData(tv, vv);
    return info.Env().Undefined();
  });
}

Napi::Value TrainerWrap::Cancel(const Napi::CallbackInfo& info) {
  const bool was = busy;
  if (busy) cancel = true;
  return Napi::Boolean::New(info.Env(), was);
}

Napi::Value TrainerWrap::Busy(const Napi::CallbackInfo& info) { return Napi::Boolean::New(info.Env(), busy); }

Napi::Value TrainerWrap::GroupRms(const Napi::CallbackInfo& info) {
  return guard(info, [&]() -> Napi::Value {
    Napi::Env env = info.Env();
    checkIdle(env);
    const tr::GroupRms r = trainer_->groupRms();
    Napi::Object o = Napi::Object::New(env);
    o.Set("layers", layerPairs(env, "in", r.in, "out", r.out));
    o.Set("embed", toF32(env, r.embed));
    return o;
  });
}

Napi::Value TrainerWrap::Prune(const Napi::CallbackInfo& info) {
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

Napi::Value TrainerWrap::Checkpoint(const Napi::CallbackInfo& info) {
  return guard(info, [&]() -> Napi::Value {
    checkIdle(info.Env());
    std::vector<uint8_t> b = trainer_->checkpoint();
    return Napi::Buffer<uint8_t>::Copy(info.Env(), b.data(), b.size());
  });
}

Napi::Value TrainerWrap::Restore(const Napi::CallbackInfo& info) {
  return guard(info, [&]() -> Napi::Value {
    const Bytes b = bytesArg(info[0], "checkpoint");
    Napi::Object o = optionsArg(info[1], "options");
    onlyKeys(o, "options", {"threads", "simd"});
    const int threads = o.Has("threads") && !o.Get("threads").IsUndefined() ? int(intArg(o.Get("threads"), "threads", 0, 256)) : 0;
    const nnc::Simd simd = simdArg(o.Get("simd"));
    return adopt(info, tr::Trainer::restore(b.data, b.len, threads, simd));
  });
}

// A new Trainer object owning t (info.Data() is the constructor reference).
Napi::Value TrainerWrap::adopt(const Napi::CallbackInfo& info, std::unique_ptr<tr::Trainer> t) {
  auto* ctor = static_cast<Napi::FunctionReference*>(info.Data());
  Napi::External<std::unique_ptr<tr::Trainer>> e = Napi::External<std::unique_ptr<tr::Trainer>>::New(info.Env(), &t);
  e.TypeTag(&kTrainerTag);
  return ctor->New({e});
}

Napi::Value TrainerWrap::Snapshot(const Napi::CallbackInfo& info) {
  return guard(info, [&]() -> Napi::Value {
    checkIdle(info.Env());
    return snapshotValue(info.Env(), trainer_->snapshot());
  });
}

Napi::Value TrainerWrap::RestoreSnapshot(const Napi::CallbackInfo& info) {
  return guard(info, [&]() -> Napi::Value {
    checkIdle(info.Env());
    trainer_->restoreSnapshot(snapshotArg(info[0]));
    return info.Env().Undefined();
  });
}

Napi::Value TrainerWrap::Clone(const Napi::CallbackInfo& info) {
  return guard(info, [&]() -> Napi::Value {
    checkIdle(info.Env());
    Napi::Object o = optionsArg(info[0], "options");
    onlyKeys(o, "options", {"threads"});
    const int threads = o.Has("threads") && !o.Get("threads").IsUndefined() ? int(intArg(o.Get("threads"), "threads", 0, 256)) : 0;
    return adopt(info, trainer_->clone(threads));
  });
}

Napi::Value TrainerWrap::SetOptimizer(const Napi::CallbackInfo& info) {
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

Napi::Value TrainerWrap::Info(const Napi::CallbackInfo& info) {
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

}  // namespace trainer
}  // namespace nnc_addon

// Adds `Trainer` to the addon's exports. Called from addon.cc's Init.
void RegisterTrain(Napi::Env env, Napi::Object exports) {
  // The constructor reference Trainer.restore uses; freed at env teardown.
  auto* ctor = new Napi::FunctionReference();
  env.AddCleanupHook([ctor]() { delete ctor; });
  Napi::Function cls = nnc_addon::trainer::TrainerWrap::Define(env, ctor);
  *ctor = Napi::Persistent(cls);
  exports.Set("Trainer", cls);
}
