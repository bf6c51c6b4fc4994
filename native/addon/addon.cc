// The Node boundary of the C++ engine (node-addon-api, C++ exceptions on).
//
// Rule: no C++ exception may cross into JS or abort the process. Every entry
// point runs its body through guard() and every async job (jobs.h) maps its
// failure with currentFailure(): errors.h, shared with the trainer's binding.
// Argument checks (args.h) are the last line of defence; the TypeScript layer
// (src/engine/cpu.ts) validates first with the project's message format.
#include <napi.h>

#include <atomic>
#include <cstring>
#include <memory>
#include <new>
#include <string>
#include <vector>

#include "../core/cpu_features.h"
#include "../core/errors.h"
#include "../core/frame.h"
#include "../core/kernels.h"
#include "../core/model.h"
#include "../core/xxhash64.h"
#include "args.h"
#include "errors.h"
#include "jobs.h"

// The trainer's binding (native/addon/train_binding.cc).
void RegisterTrain(Napi::Env env, Napi::Object exports);

namespace {

using nnc_addon::badArg;
using nnc_addon::bytesArg;
using nnc_addon::Bytes;
using nnc_addon::describe;
using nnc_addon::intArg;
using nnc_addon::makeError;

const nnc_addon::Boundary kCpuEngine{"cpu engine", "use smaller frames or fewer threads"};

template <class Fn>
Napi::Value guard(const Napi::CallbackInfo& info, Fn fn) {
  return nnc_addon::guard(info.Env(), kCpuEngine, fn);
}

// ---- the model object ---------------------------------------------------------

class NativeModel : public Napi::ObjectWrap<NativeModel> {
 public:
  static Napi::Function Define(Napi::Env env) {
    return DefineClass(env, "NativeModel",
                       {InstanceAccessor<&NativeModel::Id>("id"), InstanceAccessor<&NativeModel::Info>("info")});
  }
  explicit NativeModel(const Napi::CallbackInfo& info) : Napi::ObjectWrap<NativeModel>(info) {}
  std::shared_ptr<const nnc::Model> model;

 private:
  Napi::Value Id(const Napi::CallbackInfo& info) {
    return model ? Napi::String::New(info.Env(), model->idHex) : info.Env().Undefined();
  }
  Napi::Value Info(const Napi::CallbackInfo& info) {
    Napi::Env env = info.Env();
    if (!model) return env.Undefined();
    Napi::Object o = Napi::Object::New(env);
    o.Set("k", model->k);
    o.Set("E", model->E);
    o.Set("A", model->A);
    o.Set("T", model->T);
    Napi::Array h = Napi::Array::New(env, model->H.size());
    for (size_t i = 0; i < model->H.size(); ++i) h.Set(static_cast<uint32_t>(i), model->H[i]);
    o.Set("hidden", h);
    return o;
  }
};

struct AddonData {
  Napi::FunctionReference modelCtor;
};

// ---- argument helpers ---------------------------------------------------------

NativeModel* modelArg(Napi::Env env, const Napi::Value& v, bool allowNull) {
  if (allowNull && (v.IsNull() || v.IsUndefined())) return nullptr;
  AddonData* data = env.GetInstanceData<AddonData>();
  if (!v.IsObject() || !v.As<Napi::Object>().InstanceOf(data->modelCtor.Value()))
    badArg("model", allowNull ? "a NativeModel or null" : "a NativeModel", describe(v));
  NativeModel* m = NativeModel::Unwrap(v.As<Napi::Object>());
  if (!m->model) badArg("model", "a loaded NativeModel", "an empty NativeModel");
  return m;
}

// A SIMD level whose kernels this CPU has: fails now (on the caller's stack)
// rather than in a worker.
nnc::Simd simdArg(const Napi::Value& v) {
  const nnc::Simd s = nnc_addon::simdArg(v);
  (void)nnc::kernelsFor(s);
  return s;
}

Napi::Function callbackArg(const Napi::Value& v) { return nnc_addon::functionArg(v, "callback"); }

Napi::Buffer<uint8_t> toBuffer(Napi::Env env, std::vector<uint8_t>&& bytes) {
  if (bytes.empty()) return Napi::Buffer<uint8_t>::New(env, 0);
  auto* owned = new std::vector<uint8_t>(std::move(bytes));
  // Hands the vector's memory to JS without a copy where external buffers
  // are allowed; NewOrCopy copies (and calls the finalizer) where not.
  return Napi::Buffer<uint8_t>::NewOrCopy(env, owned->data(), owned->size(),
                                          [](Napi::Env, uint8_t*, std::vector<uint8_t>* v) { delete v; }, owned);
}

// ---- sync entry points ----------------------------------------------------------

Napi::Value LoadModel(const Napi::CallbackInfo& info) {
  return guard(info, [&]() -> Napi::Value {
    Napi::Env env = info.Env();
    const Bytes b = bytesArg(info[0], "model bytes");
    auto model = nnc::parseModel(b.data, b.len);
    Napi::Object obj = env.GetInstanceData<AddonData>()->modelCtor.New({});
    NativeModel::Unwrap(obj)->model = std::move(model);
    return obj;
  });
}

// The arguments of a frame call, sync or async, in order: compress (model,
// content, laneSize, threads, simd, [mix]) or decompress (model or null,
// frame, threads, simd); an async call's callback follows at `next`.
struct FrameArgs {
  std::shared_ptr<const nnc::Model> model;  // null: decompress with no model
  Bytes bytes;
  uint32_t lane = 0;
  int threads = 0;
  nnc::Simd simd = nnc::Simd::Auto;
  bool mixed = false;  // compress: method 2 with `mix`
  nnc::MixParams mix;
  size_t next = 0;
};

// Compress's `mix`: undefined or null (method 1), or { mask, hb, mb, a2b,
// level } (method 2's parameter block; compressFrame checks the combination).
bool mixArg(const Napi::Value& v, nnc::MixParams* out) {
  if (v.IsUndefined() || v.IsNull()) return false;
  const Napi::Object o = nnc_addon::optionsArg(v, "mix");
  nnc_addon::onlyKeys(o, "mix", {"mask", "hb", "mb", "a2b", "level"});
  out->mask = static_cast<uint32_t>(intArg(o.Get("mask"), "mix.mask", 0, 0xFFFFFFFFll));
  out->hb = static_cast<uint8_t>(intArg(o.Get("hb"), "mix.hb", 0, 255));
  out->mb = static_cast<uint8_t>(intArg(o.Get("mb"), "mix.mb", 0, 255));
  out->a2b = static_cast<uint8_t>(intArg(o.Get("a2b"), "mix.a2b", 0, 255));
  out->level = static_cast<uint8_t>(intArg(o.Get("level"), "mix.level", 0, 255));
  return true;
}

FrameArgs frameArgs(const Napi::CallbackInfo& info, bool compress) {
  FrameArgs a;
  if (NativeModel* m = modelArg(info.Env(), info[0], !compress)) a.model = m->model;
  a.bytes = bytesArg(info[1], compress ? "content" : "frame");
  size_t i = 2;
  if (compress) a.lane = static_cast<uint32_t>(intArg(info[i++], "laneSize", 1, nnc::kMaxLaneSize));
  a.threads = static_cast<int>(intArg(info[i++], "threads", 0, 1024));
  a.simd = simdArg(info[i++]);
  // mix is optional before an async call's callback (callers from before method 2 pass none).
  if (compress && !info[i].IsFunction()) a.mixed = mixArg(info[i++], &a.mix);
  a.next = i;
  return a;
}

Napi::Value CompressFrame(const Napi::CallbackInfo& info) {
  return guard(info, [&]() -> Napi::Value {
    const FrameArgs a = frameArgs(info, true);
    return toBuffer(info.Env(), nnc::compressFrame(*a.model, a.bytes.data, a.bytes.len, a.lane, a.threads, a.simd,
                                                   nullptr, a.mixed ? &a.mix : nullptr));
  });
}

Napi::Value DecompressFrame(const Napi::CallbackInfo& info) {
  return guard(info, [&]() -> Napi::Value {
    const FrameArgs a = frameArgs(info, false);
    return toBuffer(info.Env(), nnc::decompressFrame(a.model.get(), a.bytes.data, a.bytes.len, a.threads, a.simd));
  });
}

Napi::Value Frequencies(const Napi::CallbackInfo& info) {
  return guard(info, [&]() -> Napi::Value {
    Napi::Env env = info.Env();
    NativeModel* m = modelArg(env, info[0], false);
    const Bytes c = bytesArg(info[1], "content");
    const uint32_t lane = static_cast<uint32_t>(intArg(info[2], "laneSize", 1, nnc::kMaxLaneSize));
    const nnc::Simd simd = simdArg(info[3]);
    std::vector<uint32_t> t = nnc::frequencyTable(*m->model, c.data, c.len, lane, simd);
    Napi::Uint32Array out = Napi::Uint32Array::New(env, t.size());
    if (!t.empty()) std::memcpy(out.Data(), t.data(), t.size() * sizeof(uint32_t));
    return out;
  });
}

Napi::Value CpuFeaturesJs(const Napi::CallbackInfo& info) {
  return guard(info, [&]() -> Napi::Value {
    Napi::Env env = info.Env();
    const nnc::CpuFeatures& f = nnc::cpuFeatures();
    Napi::Object o = Napi::Object::New(env);
    o.Set("avx2", Napi::Boolean::New(env, f.avx2 && nnc::kernelsAvx2() != nullptr));
    o.Set("avx512", Napi::Boolean::New(env, f.avx512 && nnc::kernelsAvx512() != nullptr));
    o.Set("best", Napi::String::New(env, nnc::kernelsFor(nnc::Simd::Auto).name));
    return o;
  });
}

Napi::Value Xxh64(const Napi::CallbackInfo& info) {
  return guard(info, [&]() -> Napi::Value {
    const Bytes b = bytesArg(info[0], "data");
    return Napi::String::New(info.Env(), nnc::hex64(nnc::xxh64(b.data, b.len)));
  });
}

// ---- async entry points -----------------------------------------------------------
//
// The jobs run on the addon's own threads (jobs.h), not on libuv's pool.
// The input is copied into the job when it is queued: the caller may reuse
// or change its buffer as soon as the call returns (the sync calls read in
// place, since their caller is blocked). The job holds the model through
// its shared_ptr, so the JS model object may be collected meanwhile.
//
// Each call returns a cancel function. Calling it sets a flag that the frame
// code polls between batches (native/core/parallel.h, CancelFlag): the job stops
// within one batch on every thread and calls back with an ABORT_ERR error,
// and its buffers are freed before the callback's promise reactions run.
// Cancelling a finished job does nothing.

// Frame jobs queued or running (for tests: after every callback ran, 0).
std::atomic<int64_t> gActiveJobs{0};

class FrameJob : public nnc_addon::Job {
 public:
  FrameJob(Napi::Env env, Napi::Function cb, std::shared_ptr<const nnc::Model> model, Bytes bytes, bool compress,
           uint32_t lane, int threads, nnc::Simd simd, bool mixed, const nnc::MixParams& mix)
      : nnc_addon::Job(env, "nnc-native"),
        callback_(Napi::Persistent(cb)),
        model_(std::move(model)),
        input_(bytes.data, bytes.data + bytes.len),
        compress_(compress),
        lane_(lane),
        threads_(threads),
        simd_(simd),
        mixed_(mixed),
        mix_(mix),
        cancel_(std::make_shared<nnc::CancelFlag>(false)) {
    ++gActiveJobs;
  }
  ~FrameJob() override { --gActiveJobs; }

  std::shared_ptr<nnc::CancelFlag> cancelFlag() const { return cancel_; }

  void Execute() noexcept override {
    try {
      out_ = compress_ ? nnc::compressFrame(*model_, input_.data(), input_.size(), lane_, threads_, simd_, cancel_.get(),
                                            mixed_ ? &mix_ : nullptr)
                       : nnc::decompressFrame(model_.get(), input_.data(), input_.size(), threads_, simd_, cancel_.get());
    } catch (...) {
      failed_ = true;
      failure_ = nnc_addon::currentFailure(kCpuEngine);
    }
    // Done with the input: free it now rather than when JS gets to the result.
    std::vector<uint8_t>().swap(input_);
  }

  void Cancel() noexcept override { cancel_->store(true, std::memory_order_relaxed); }

  void Complete(Napi::Env env) override {
    Napi::Value arg0 = env.Null(), arg1 = env.Undefined();
    if (failed_) {
      arg0 = makeError(env, failure_).Value();
    } else {
      try {
        arg1 = toBuffer(env, std::move(out_));
      } catch (const Napi::Error& e) {
        arg0 = e.Value();
      } catch (...) {
        arg0 = makeError(env, "ERR_NNC_INTERNAL", "out of memory creating the result buffer").Value();
      }
    }
    Napi::Function cb = callback_.Value();
    callback_.Reset();
    cb.Call({arg0, arg1});
  }

 private:
  Napi::FunctionReference callback_;
  std::shared_ptr<const nnc::Model> model_;
  std::vector<uint8_t> input_;
  bool compress_;
  uint32_t lane_;
  int threads_;
  nnc::Simd simd_;
  bool mixed_;
  nnc::MixParams mix_;
  std::shared_ptr<nnc::CancelFlag> cancel_;
  std::vector<uint8_t> out_;
  bool failed_ = false;
  nnc_addon::Failure failure_;
};

// Queue the job; return the JS cancel function (it owns a reference to the
// flag, so it stays valid after the job is gone).
Napi::Value queueWithCancel(Napi::Env env, std::unique_ptr<FrameJob> job) {
  std::shared_ptr<nnc::CancelFlag> flag = job->cancelFlag();
  Napi::Function cancel = Napi::Function::New(
      env, [flag](const Napi::CallbackInfo& info) -> Napi::Value {
        flag->store(true, std::memory_order_relaxed);
        return info.Env().Undefined();
      },
      "cancel");
  nnc_addon::queueJob(env, std::move(job));
  return cancel;
}

Napi::Value queueFrameJob(const Napi::CallbackInfo& info, bool compress) {
  return guard(info, [&]() -> Napi::Value {
    Napi::Env env = info.Env();
    const FrameArgs a = frameArgs(info, compress);
    Napi::Function cb = callbackArg(info[a.next]);
    return queueWithCancel(env, std::make_unique<FrameJob>(env, cb, a.model, a.bytes, compress, a.lane, a.threads, a.simd,
                                                                a.mixed, a.mix));
  });
}

Napi::Value CompressFrameAsync(const Napi::CallbackInfo& info) { return queueFrameJob(info, true); }
Napi::Value DecompressFrameAsync(const Napi::CallbackInfo& info) { return queueFrameJob(info, false); }

Napi::Value ActiveJobs(const Napi::CallbackInfo& info) {
  return Napi::Number::New(info.Env(), static_cast<double>(gActiveJobs.load()));
}

Napi::Object Init(Napi::Env env, Napi::Object exports) {
  auto* data = new AddonData();
  data->modelCtor = Napi::Persistent(NativeModel::Define(env));
  env.SetInstanceData<AddonData>(data);  // freed by node-addon-api at env teardown
  nnc_addon::guard(env, kCpuEngine, [&] { nnc_addon::installJobRunner(env); });
  exports.Set("NativeModel", data->modelCtor.Value());
  exports.Set("loadModel", Napi::Function::New(env, LoadModel, "loadModel"));
  exports.Set("compressFrame", Napi::Function::New(env, CompressFrame, "compressFrame"));
  exports.Set("decompressFrame", Napi::Function::New(env, DecompressFrame, "decompressFrame"));
  exports.Set("compressFrameAsync", Napi::Function::New(env, CompressFrameAsync, "compressFrameAsync"));
  exports.Set("decompressFrameAsync", Napi::Function::New(env, DecompressFrameAsync, "decompressFrameAsync"));
  exports.Set("frequencies", Napi::Function::New(env, Frequencies, "frequencies"));
  exports.Set("cpuFeatures", Napi::Function::New(env, CpuFeaturesJs, "cpuFeatures"));
  exports.Set("xxh64", Napi::Function::New(env, Xxh64, "xxh64"));
  exports.Set("activeJobs", Napi::Function::New(env, ActiveJobs, "activeJobs"));
  RegisterTrain(env, exports);
  return exports;
}

}  // namespace

NODE_API_MODULE(nnc, Init)
