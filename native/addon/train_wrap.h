// Node binding of the float trainer (native/train): class Trainer. Its files:
//   train_wrap.h     the wrapper class, its error boundary and guard, the
//                    result converters (this file)
//   train_args.*     the readers of training arguments (config, data, counts)
//   train_binding.cc the class, its construction and its synchronous methods
//   train_export.cc  export and quantization: exportFloat, setFakeQuant, quantizeRows
//   train_jobs.cc    the async calls on the job threads: trainEpoch, evaluate,
//                    activationStats
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
#pragma once

#include <napi.h>

#include <atomic>
#include <cstring>
#include <memory>
#include <string>
#include <vector>

#include "../train/trainer.h"
#include "errors.h"

namespace nnc_addon {
namespace trainer {

namespace tr = nnc::train;

constexpr const char* kBusy = "ERR_NNC_BUSY";
constexpr const char* kAborted = "ABORT_ERR";

// The trainer's own exception type, beside the shared mapping (errors.h).
inline bool trainerException(Failure& f) {
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

inline const Boundary kTrainer{"trainer", "use a smaller batch, microBatch or network", trainerException};

// Every method's body runs inside this: no C++ exception reaches JS.
template <class Fn>
Napi::Value guard(const Napi::CallbackInfo& info, Fn fn) {
  return nnc_addon::guard(info.Env(), kTrainer, fn);
}

inline Napi::Float32Array toF32(Napi::Env env, const float* p, size_t n) {
  Napi::Float32Array a = Napi::Float32Array::New(env, n);
  if (n) std::memcpy(a.Data(), p, n * sizeof(float));
  return a;
}

inline Napi::Float32Array toF32(Napi::Env env, const std::vector<float>& v) { return toF32(env, v.data(), v.size()); }

// Per layer l, an object { [nameA]: a[l], [nameB]: b[l] } (groupRms's in/out,
// exportFloat's W/b).
inline Napi::Array layerPairs(Napi::Env env, const char* nameA, const std::vector<std::vector<float>>& a,
                              const char* nameB, const std::vector<std::vector<float>>& b) {
  Napi::Array layers = Napi::Array::New(env, a.size());
  for (size_t l = 0; l < a.size(); ++l) {
    Napi::Object ly = Napi::Object::New(env);
    ly.Set(nameA, toF32(env, a[l]));
    ly.Set(nameB, toF32(env, b[l]));
    layers.Set(uint32_t(l), ly);
  }
  return layers;
}

inline Napi::Array intArray(Napi::Env env, const std::vector<int>& v) {
  Napi::Array a = Napi::Array::New(env, v.size());
  for (size_t i = 0; i < v.size(); ++i) a.Set(uint32_t(i), v[i]);
  return a;
}

class TrainerWrap : public Napi::ObjectWrap<TrainerWrap> {
 public:
  static Napi::Function Define(Napi::Env env, Napi::FunctionReference* self);
  explicit TrainerWrap(const Napi::CallbackInfo& info);

  tr::Trainer& trainer() { return *trainer_; }
  std::atomic<bool> cancel{false};
  bool busy = false;

 private:
  // Every method but cancel() and busy refuses to run while an async call is in flight.
  void checkIdle(Napi::Env env) const {
    if (busy)
      throw makeError(env, kBusy,
                       "the trainer is busy with a trainEpoch/evaluate/activationStats call; await it (or call cancel()) first");
  }

  // train_binding.cc
  Napi::Value SetData(const Napi::CallbackInfo& info);
  Napi::Value Cancel(const Napi::CallbackInfo& info);
  Napi::Value Busy(const Napi::CallbackInfo& info);
  Napi::Value GroupRms(const Napi::CallbackInfo& info);
  Napi::Value Prune(const Napi::CallbackInfo& info);
  Napi::Value Checkpoint(const Napi::CallbackInfo& info);
  static Napi::Value Restore(const Napi::CallbackInfo& info);
  static Napi::Value adopt(const Napi::CallbackInfo& info, std::unique_ptr<tr::Trainer> t);
  Napi::Value Snapshot(const Napi::CallbackInfo& info);
  Napi::Value RestoreSnapshot(const Napi::CallbackInfo& info);
  Napi::Value Clone(const Napi::CallbackInfo& info);
  Napi::Value SetOptimizer(const Napi::CallbackInfo& info);
  Napi::Value Info(const Napi::CallbackInfo& info);
  // train_export.cc
  static Napi::Value QuantizeRows(const Napi::CallbackInfo& info);
  Napi::Value SetFakeQuant(const Napi::CallbackInfo& info);
  Napi::Value ExportFloat(const Napi::CallbackInfo& info);
  // train_jobs.cc
  Napi::Value TrainEpoch(const Napi::CallbackInfo& info);
  Napi::Value Evaluate(const Napi::CallbackInfo& info);
  Napi::Value ActivationStats(const Napi::CallbackInfo& info);

  std::unique_ptr<tr::Trainer> trainer_;
};

}  // namespace trainer
}  // namespace nnc_addon
